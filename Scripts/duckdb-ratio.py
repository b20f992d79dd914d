#!/usr/bin/env python3
"""Times `scan --threads T` against DuckDB's per-account GROUP BY (Scripts/duckdb-peer.py) with
the same thread count, in alternating rounds on the same file, and prints each round's ratio
and the medians. Both run as separate processes and are timed whole, start-up included; the
peer's own query time (without starting Python and loading DuckDB) is printed beside it and
the ratio against it is the stricter one.

    Scripts/duckdb-ratio.py FILE ROUNDS DISTILLWATCH [THREADS ...]   (threads default: 1 2)
"""
import os
import statistics
import subprocess
import sys
import time

if len(sys.argv) < 4:
    sys.exit(__doc__)
path, rounds, build = sys.argv[1], int(sys.argv[2]), sys.argv[3]
thread_counts = [int(t) for t in sys.argv[4:]] or [1, 2]
peer = os.path.join(os.path.dirname(os.path.abspath(__file__)), "duckdb-peer.py")


def timed(command):
    started = time.monotonic()
    out = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True).stdout
    return time.monotonic() - started, out


def query_seconds(peer_output):
    """The peer prints "... in 2.97 s" for its query alone."""
    return float(peer_output.rsplit(" in ", 1)[1].split()[0])


ratios = {t: [] for t in thread_counts}
strict = {t: [] for t in thread_counts}
scans = {t: [] for t in thread_counts}
peers = {t: [] for t in thread_counts}
for r in range(rounds):
    for t in thread_counts:
        s, _ = timed([build, "scan", "--format", "json", "--threads", str(t), path])
        d, out = timed([sys.executable, peer, path, str(t)])
        q = query_seconds(out)
        scans[t].append(s)
        peers[t].append(d)
        ratios[t].append(s / d)
        strict[t].append(s / q)
        print(f"round {r + 1}, {t} thread(s): scan {s:.2f} s, duckdb {d:.2f} s (query {q:.2f} s), "
              f"ratio {s / d:.2f} ({s / q:.2f} against the query)", flush=True)
for t in thread_counts:
    print(f"{t} thread(s): scan median {statistics.median(scans[t]):.2f} s, duckdb median "
          f"{statistics.median(peers[t]):.2f} s, ratios {min(ratios[t]):.2f}-{max(ratios[t]):.2f}, "
          f"median {statistics.median(ratios[t]):.2f}; against the query alone "
          f"{min(strict[t]):.2f}-{max(strict[t]):.2f}, median {statistics.median(strict[t]):.2f}")
