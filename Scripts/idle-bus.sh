#!/bin/bash
# Measures what an idle bus costs: CPU of a headless coordinator, one of two workers (8
# partitions each) and nats-server over 20 s in which nothing is published.
#
#   Scripts/idle-bus.sh DISTILLWATCH
#
# CPU is utime + stime from /proc/PID/stat, read 20 s apart after 5 s to settle.
set -eu
dw=$1
tmp=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
nats-server -js -a 127.0.0.1 -p "$port" -sd "$tmp/store" > "$tmp/server.log" 2>&1 &
server=$!
for _ in $(seq 1 250); do grep -q "Server is ready" "$tmp/server.log" && break; sleep 0.02; done
url=nats://127.0.0.1:$port
"$dw" worker --nats "$url" --partitions 0-7 2> "$tmp/w1.log" &
w1=$!
"$dw" worker --nats "$url" --partitions 8-15 2> "$tmp/w2.log" &
w2=$!
"$dw" watch --headless --nats "$url" > /dev/null 2>&1 &
coordinator=$!
sleep 5
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
c0=$(ticks $coordinator); s0=$(ticks $server); w0=$(ticks $w1)
sleep 20
c1=$(ticks $coordinator); s1=$(ticks $server); w1t=$(ticks $w1)
hz=$(getconf CLK_TCK)
share() { awk -v a="$1" -v b="$2" -v hz="$hz" 'BEGIN { printf "%.2f%%", (b - a) * 100 / hz / 20 }'; }
echo "idle over 20 s: coordinator $(share "$c0" "$c1"), server $(share "$s0" "$s1"), worker 0-7 $(share "$w0" "$w1t")"
kill $coordinator $w1 $w2
wait $coordinator $w1 $w2 2> /dev/null || true
kill $server
wait $server 2> /dev/null || true
rm -rf "$tmp"
