#!/usr/bin/env bash
# Posts request bodies built to blow up a JSON parser to `watch --headless --listen http://…`
# while a second client posts one small record every 50 ms, and prints for each body: the HTTP
# status, how long the body took, the receiver's peak RSS and the small client's worst wait.
#   DW=path/to/distillwatch Scripts/hostile-bodies-bench.sh    (default: .build/release/distillwatch)
set -euo pipefail
cd "$(dirname "$0")/.."
dw=${DW:-.build/release/distillwatch}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$work" <<'PY'
import json, sys
d = sys.argv[1]
open(f"{d}/nested.json", "w").write("[" + "[[[[[[[[[[]]]]]]]]]]," * 1_400_000 + "[]]")
open(f"{d}/empties.json", "w").write("[" + "{}," * 10_000_000 + "{}]")
records = []
for i in range(57_000):
    records.append(json.dumps({
        "id": f"chatcmpl-{i}", "call_type": "acompletion", "startTime": 1776000100 + i * 0.5,
        "endTime": 1776000102 + i * 0.5, "model": "openai/gpt-4o-mini", "model_group": "fast",
        "status": "success", "prompt_tokens": 120, "completion_tokens": 900,
        "metadata": {"user_api_key_user_id": f"acct_{i % 40}", "user_api_key_hash": f"h{i % 40}"},
        "messages": [{"role": "user", "content": f"Explain step by step how to solve problem {i}."}]}))
open(f"{d}/litellm-array.json", "w").write("[" + ",".join(records) + "]")
PY

cat > "$work/probe.py" <<'PY'
import http.client, os, sys, time
port, flag = int(sys.argv[1]), sys.argv[2]
worst, n = 0.0, 0
while not os.path.exists(flag):
    t = time.time()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    c.request("POST", "/probe", body=('{"ts":%d,"account_id":"probe","request_id":"p%d"}\n' % (1776000000000 + n, n)).encode())
    c.getresponse().read(); c.close()
    worst = max(worst, time.time() - t); n += 1
    time.sleep(0.05)
print(f"small client: {n} requests, worst wait {worst:.3f} s")
PY

for body in nested.json empties.json litellm-array.json; do
  port=$((20000 + RANDOM % 20000))
  /usr/bin/time -f "%M" -o "$work/rss" "$dw" watch --headless --listen "http://127.0.0.1:$port" --counters-every 60 >"$work/out" 2>/dev/null &
  pid=$!
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
  rm -f "$work/flag"
  python3 "$work/probe.py" "$port" "$work/flag" >"$work/probe" &
  probe=$!
  sleep 0.5
  start=$(date +%s.%N)
  code=$(curl -s -o "$work/reply" -w '%{http_code}' --max-time 600 --data-binary @"$work/$body" "http://127.0.0.1:$port/ingest")
  end=$(date +%s.%N)
  touch "$work/flag"; wait $probe
  kill -INT "$(pgrep -P $pid)" 2>/dev/null || kill -INT $pid; wait $pid || true
  printf '%-20s HTTP %s in %6.2f s, peak RSS %5d MB, %s; reply %s\n' "$body" "$code" "$(echo "$end - $start" | bc)" \
    $(( $(cat "$work/rss") / 1024 )) "$(cat "$work/probe")" "$(head -c 60 "$work/reply")"
done
