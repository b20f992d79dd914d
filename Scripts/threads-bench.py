#!/usr/bin/env python3
"""Times `scan --threads 1` against `--threads 2` (and, given more builds, each build the same
way) in alternating rounds on this shared, drifting machine, and prints each round's paired
ratio and the medians. Each report is checked equal to the first one.

    Scripts/threads-bench.py FILE ROUNDS DISTILLWATCH [DISTILLWATCH ...]
"""
import hashlib
import statistics
import subprocess
import sys
import time

path, rounds, builds = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
if not builds:
    sys.exit(__doc__)
times = {(b, t): [] for b in builds for t in (1, 2)}
reference = None
for r in range(rounds):
    for b in builds:
        for t in (1, 2):
            started = time.monotonic()
            out = subprocess.run([b, "scan", "--format", "json", "--threads", str(t), path],
                                 stdout=subprocess.PIPE, check=True).stdout
            times[(b, t)].append(time.monotonic() - started)
            digest = hashlib.sha256(out).hexdigest()
            if reference is None:
                reference = digest
            elif digest != reference:
                sys.exit(f"{b} --threads {t} wrote a different report in round {r + 1}")
for b in builds:
    one, two = times[(b, 1)], times[(b, 2)]
    ratios = [x / y for x, y in zip(one, two)]
    print(f"{b}: --threads 1 median {statistics.median(one):.2f} s, --threads 2 median {statistics.median(two):.2f} s; "
          f"paired ratios {' '.join(f'{x:.2f}' for x in ratios)}, median {statistics.median(ratios):.2f}")
