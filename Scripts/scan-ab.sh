#!/usr/bin/env bash
# Compares the decode and scan throughput of two builds on this (shared, drifting) machine:
# `bench` runs of each binary alternate, so both see the same drift, and each round prints both
# medians and their ratio. Build the older commit elsewhere first, e.g.
#   git worktree add /tmp/old HEAD~3 && (cd /tmp/old && swift build -c release)
#
#   Scripts/scan-ab.sh OLD_BINARY NEW_BINARY [ROUNDS] [EXCHANGES]    (defaults: 4 rounds, 1,000,000)
set -euo pipefail
old=$1
new=$2
rounds=${3:-4}
exchanges=${4:-1000000}
rate() { grep "^$1:" | sed -E 's/.*→ *([0-9]+) (MB|exchanges)\/s.*/\1/'; }
for r in $(seq 1 "$rounds"); do
  a=$("$old" bench --exchanges "$exchanges" --runs 5)
  b=$("$new" bench --exchanges "$exchanges" --runs 5)
  awk -v r="$r" -v da="$(rate decode <<<"$a")" -v db="$(rate decode <<<"$b")" \
      -v sa="$(rate scan <<<"$a")" -v sb="$(rate scan <<<"$b")" 'BEGIN {
    printf "round %d: decode old %d MB/s new %d MB/s (%.2fx)   scan old %d/s new %d/s (%.2fx)\n", r, da, db, db / da, sa, sb, sb / sa }'
done
