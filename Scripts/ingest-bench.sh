#!/usr/bin/env bash
# Sustained ingest through live listeners, measured end to end: generated traffic is sent over
# TCP (nc) and over HTTP (keep-alive POSTs of NDJSON batches, as LiteLLM's generic_api callback
# sends them) to `distillwatch watch --headless`, and the time is taken from the first byte sent
# until the detector has ingested every line (its counters line says so).
#
#   Scripts/ingest-bench.sh [DAYS] [SCALE]        (defaults: 4 days at scale 2, ~190k exchanges)
#   DW=path/to/distillwatch Scripts/ingest-bench.sh
#
# With CONSOLE=1 the TCP run is repeated with the console running in a detached tmux session
# (200x60) instead of headless mode; the end is read off the console's status bar.
set -euo pipefail
cd "$(dirname "$0")/.."
DW=${DW:-.build/release/distillwatch}
DAYS=${1:-4}
SCALE=${2:-2}
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; tmux kill-session -t dwbench 2>/dev/null || true; rm -rf "$tmp"' EXIT

"$DW" gen --seed 11 --days "$DAYS" --scale "$SCALE" -o "$tmp/traffic.ndjson" 2>/dev/null
lines=$(wc -l < "$tmp/traffic.ndjson")
bytes=$(wc -c < "$tmp/traffic.ndjson")
echo "traffic: $lines lines, $((bytes / 1000000)) MB"

now() { date +%s.%N; }
# Waits until exchanges + duplicates + rejected in the last counters line reach $lines.
wait_all() {
  while :; do
    last=$(grep '"counters"' "$1" | tail -n 1 || true)
    if [ -n "$last" ]; then
      n=$(echo "$last" | python3 -c 'import json,sys; c=json.load(sys.stdin); print(c["exchanges"]+c["duplicates"]+c["rejected"])')
      [ "$n" -ge "$lines" ] && break
    fi
    sleep 0.05
  done
}
report() { python3 -c "import sys; t=float(sys.argv[2])-float(sys.argv[1]); print(f'{sys.argv[3]}: {int(sys.argv[4])/t:,.0f} exchanges/s ({t:.2f} s)')" "$@"; }

# POSTs the 500-line batches to an HTTP listener on one keep-alive connection, as LiteLLM's
# generic_api callback sends its logs.
post_batches() {
  python3 - "$1" "$tmp" <<'PY'
import glob, http.client, sys
conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
for path in sorted(glob.glob(sys.argv[2] + "/batch.*")):
    with open(path, "rb") as f:
        conn.request("POST", "/ingest", body=f.read(), headers={"Content-Type": "application/x-ndjson"})
    r = conn.getresponse(); r.read()
    assert r.status == 200, r.status
PY
}

# --- TCP, headless
"$DW" watch --headless --listen tcp://127.0.0.1:0 --counters-every 0.1 > "$tmp/tcp.out" & pid=$!
until grep -q listening "$tmp/tcp.out"; do kill -0 "$pid" 2>/dev/null || { echo "watch exited early" >&2; exit 1; }; sleep 0.05; done
port=$(grep -o 'tcp://127.0.0.1:[0-9]*' "$tmp/tcp.out" | sed 's/.*://')
t0=$(now); nc -N 127.0.0.1 "$port" < "$tmp/traffic.ndjson"; wait_all "$tmp/tcp.out"; t1=$(now)
report "$t0" "$t1" "TCP (nc), headless" "$lines"
kill "$pid"; wait "$pid" 2>/dev/null || true

# --- HTTP, headless: batches of 500 NDJSON lines on one keep-alive connection
split -l 500 -d -a 5 "$tmp/traffic.ndjson" "$tmp/batch."
"$DW" watch --headless --listen http://127.0.0.1:0 --counters-every 0.1 > "$tmp/http.out" & pid=$!
until grep -q listening "$tmp/http.out"; do kill -0 "$pid" 2>/dev/null || { echo "watch exited early" >&2; exit 1; }; sleep 0.05; done
port=$(grep -o 'http://127.0.0.1:[0-9]*' "$tmp/http.out" | sed 's/.*://')
t0=$(now)
post_batches "$port"
wait_all "$tmp/http.out"; t1=$(now)
report "$t0" "$t1" "HTTP (POST 500-line NDJSON batches, keep-alive), headless" "$lines"
kill "$pid"; wait "$pid" 2>/dev/null || true

# --- TCP and HTTP with the console in tmux
# The status bar shows "N ex" in compact form; the end is when it stops changing after the sender is done.
console_wait() {
  prev=""; same=0
  while [ $same -lt 10 ]; do
    cur=$(tmux capture-pane -p -t dwbench | head -n 1 | grep -o '[0-9.]*[kM]\? ex' || true)
    if [ "$cur" = "$prev" ]; then same=$((same + 1)); else same=0; prev=$cur; t1=$(now); fi
    sleep 0.05
  done
}
if [ "${CONSOLE:-0}" = 1 ]; then
  expected=$("$DW" scan "$tmp/traffic.ndjson" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["input"]["exchanges"])')
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  tmux new-session -d -s dwbench -x 200 -y 60 "$DW watch --cases $tmp/cases.sqlite --listen tcp://127.0.0.1:$port"
  until nc -z 127.0.0.1 "$port" 2>/dev/null; do sleep 0.05; done
  sleep 1
  t0=$(now); nc -N 127.0.0.1 "$port" < "$tmp/traffic.ndjson"
  console_wait
  report "$t0" "$t1" "TCP (nc), console in tmux (status bar: $prev of $expected)" "$lines"
  tmux kill-session -t dwbench

  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  tmux new-session -d -s dwbench -x 200 -y 60 "$DW watch --cases $tmp/cases.sqlite --listen http://127.0.0.1:$port"
  until nc -z 127.0.0.1 "$port" 2>/dev/null; do sleep 0.05; done
  sleep 1
  t0=$(now)
  post_batches "$port"
  console_wait
  report "$t0" "$t1" "HTTP (POST 500-line NDJSON batches, keep-alive), console in tmux (status bar: $prev of $expected)" "$lines"
  tmux kill-session -t dwbench
fi
