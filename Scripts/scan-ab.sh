#!/usr/bin/env bash
# Compares the scan throughput of two builds on this (shared, drifting) machine: `bench` runs
# of each binary alternate, so both see the same drift, and each round prints both medians and
# their ratio. Build the older commit elsewhere first, e.g.
#   git worktree add /tmp/old HEAD~3 && (cd /tmp/old && swift build -c release)
#
#   Scripts/scan-ab.sh OLD_BINARY NEW_BINARY [ROUNDS] [EXCHANGES]    (defaults: 4 rounds, 1,000,000)
set -euo pipefail
old=$1
new=$2
rounds=${3:-4}
exchanges=${4:-1000000}
median_of() { grep '^scan:' | sed -E 's/.*→ *([0-9]+) exchanges\/s.*/\1/'; }
for r in $(seq 1 "$rounds"); do
  a=$("$old" bench --exchanges "$exchanges" --runs 5 | median_of)
  b=$("$new" bench --exchanges "$exchanges" --runs 5 | median_of)
  awk -v r="$r" -v a="$a" -v b="$b" 'BEGIN { printf "round %d: old %d/s  new %d/s  ratio %.2f\n", r, a, b, b / a }'
done
