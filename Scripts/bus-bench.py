#!/usr/bin/env python3
"""Measures DistillWatch over NATS JetStream on this machine, against `scan` in the same run.

    Scripts/bus-bench.py DISTILLWATCH FILE [--latency N] [--worker-state]

Starts `nats-server -js` on a free loopback port (store in a temporary folder), two workers
(partitions 0-7 and 8-15) and a headless coordinator, then:

1. publishes FILE with an end marker and times publish start -> coordinator's report written,
   against `scan --threads 1` and `--threads 2` of the same file; reports the coordinator's
   and the workers' peak resident memory (VmHWM), the coordinator's memory per account, and
   what each stream stores per exchange;
2. starts a second coordinator once the first has finished and times it rebuilding the same
   report from the stored summaries alone (the coordinator's own cost);
3. publishes N single records one at a time (each `publish --wait-each`, so it has returned
   once the stream stored the record) and measures the wall time from that return to the
   coordinator's counters showing the record. The counters are written every 0.1 s, so each
   figure is late by up to 0.1 s; the median is printed with that said.

With --worker-state the workers save their partitions' drill-down detail (`worker --state`), so
records are acknowledged only once a save covers them; the size of the saves is printed.
"""
import json, os, shutil, signal, subprocess, sys, tempfile, time


def peak_mib(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    dw, path = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    latency_n = int(sys.argv[sys.argv.index("--latency") + 1]) if "--latency" in sys.argv else 20
    worker_state = "--worker-state" in sys.argv
    server_bin = shutil.which("nats-server") or "/usr/sbin/nats-server"
    tmp = tempfile.mkdtemp(prefix="dw-bus-bench-")
    procs = []
    try:
        log = os.path.join(tmp, "server.log")
        server = subprocess.Popen([server_bin, "-js", "-a", "127.0.0.1", "-p", "-1", "-sd", os.path.join(tmp, "store"), "-l", log])
        procs.append(server)
        port = None
        for _ in range(1500):
            text = open(log).read() if os.path.exists(log) else ""
            if "Server is ready" in text:
                port = [l for l in text.splitlines() if "Listening for client connections on" in l][0].rsplit(":", 1)[1].strip()
                break
            time.sleep(0.02)
        url = f"nats://127.0.0.1:{port}"

        for threads in (1, 2):
            t = time.monotonic()
            subprocess.run([dw, "scan", "--format", "json", "--threads", str(threads), path], stdout=subprocess.DEVNULL, check=True)
            print(f"scan --threads {threads}: {time.monotonic() - t:.2f} s")

        report = os.path.join(tmp, "coordinator.json")
        counters = open(os.path.join(tmp, "counters.ndjson"), "w")
        coordinator = subprocess.Popen([dw, "watch", "--headless", "--nats", url, "--stream", "BENCH", "--counters-every", "0",
                                        "--report", report], stdout=counters)
        worker_logs = [open(os.path.join(tmp, f"worker-{r}.log"), "w") for r in ("0-7", "8-15")]
        shards = os.path.join(tmp, "shards")
        state = ["--state", shards] if worker_state else []
        workers = [subprocess.Popen([dw, "worker", "--nats", url, "--stream", "BENCH", "--partitions", r] + state, stderr=log)
                   for r, log in zip(("0-7", "8-15"), worker_logs)]
        procs += [coordinator] + workers
        t = time.monotonic()
        subprocess.run([dw, "publish", "--nats", url, "--stream", "BENCH", "--end", path], check=True)
        published = time.monotonic() - t
        peaks = {}
        while coordinator.poll() is None:
            for p, log in zip(workers, worker_logs):
                if p.poll() is not None:
                    sys.exit(f"a worker exited ({p.returncode}): " + open(log.name).read())
            for name, p in [("coordinator", coordinator), ("worker 0-7", workers[0]), ("worker 8-15", workers[1])]:
                m = peak_mib(p.pid)
                if m:
                    peaks[name] = max(peaks.get(name, 0), m)
            time.sleep(0.05)
        total = time.monotonic() - t
        counters.close()
        final = [json.loads(l) for l in open(counters.name) if '"counters"' in l][-1]
        accounts = final["accounts"]
        exchanges = json.load(open(report))["input"]["exchanges"]
        print(f"bus: publish {published:.2f} s; publish start -> report written {total:.2f} s ({exchanges / total:,.0f} exchanges/s)")
        for name, m in peaks.items():
            print(f"  peak resident {name}: {m:.0f} MiB")
        print(f"  coordinator: {peaks.get('coordinator', 0) * 1024 * 1024 / max(1, accounts):,.0f} bytes of peak resident memory per account ({accounts} accounts)")
        streams = os.path.join(tmp, "store", "jetstream", "$G", "streams")
        for name in sorted(os.listdir(streams)) if os.path.isdir(streams) else []:
            size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(os.path.join(streams, name)) for f in fs)
            print(f"  stream {name}: {size / 1e6:.1f} MB stored ({size / max(1, exchanges):,.0f} bytes per exchange)")
        for p in workers:
            p.send_signal(signal.SIGTERM)
            p.wait()
        if worker_state:
            saved = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(shards) for f in fs if f == "checkpoint.dws")
            print(f"  workers' saves: {saved / 1e6:.1f} MB over 16 partitions")

        # The coordinator's own cost: a standby rebuilding from the stored summaries alone.
        t = time.monotonic()
        standby = subprocess.Popen([dw, "watch", "--headless", "--nats", url, "--stream", "BENCH", "--counters-every", "0",
                                    "--report", report + ".standby"], stdout=subprocess.DEVNULL)
        try:
            standby.wait(timeout=300)
        except subprocess.TimeoutExpired:
            standby.terminate()  # it writes what it has
            standby.wait()
            print("  the standby coordinator had not finished after 300 s: stopped")
        if standby.returncode != 0:
            print(f"  the standby coordinator exited with status {standby.returncode}")
        rebuild = time.monotonic() - t
        same = os.path.exists(report + ".standby") and open(report).read() == open(report + ".standby").read()
        if not same:
            kept = tempfile.mkdtemp(prefix="dw-bus-bench-different-")
            for name in ("coordinator.json", "coordinator.json.standby"):
                shutil.copy(os.path.join(tmp, name), kept)
            print(f"  the two reports are kept in {kept}")
        print(f"standby coordinator rebuilding from the stored summaries: {rebuild:.2f} s ({exchanges / rebuild:,.0f} exchanges/s), "
              f"report {'identical' if same else 'DIFFERENT'}")

        # Latency: a fresh stream, a live coordinator, one record at a time.
        coordinator = subprocess.Popen([dw, "watch", "--headless", "--nats", url, "--stream", "LAT", "--counters-every", "0.01"],
                                       stdout=subprocess.PIPE, text=True, bufsize=1)
        workers = [subprocess.Popen([dw, "worker", "--nats", url, "--stream", "LAT", "--partitions", r], stderr=subprocess.DEVNULL)
                   for r in ("0-7", "8-15")]
        procs += [coordinator] + workers
        os.set_blocking(coordinator.stdout.fileno(), False)
        buffered = ""

        def seen():
            nonlocal buffered
            try:
                buffered += coordinator.stdout.read() or ""
            except (BlockingIOError, TypeError):
                pass
            lines = buffered.splitlines()
            for line in reversed(lines):
                if '"counters"' in line:
                    return json.loads(line)["exchanges"]
            return 0

        time.sleep(1)
        delays = []
        base = 1_776_000_000_000
        for i in range(latency_n):
            one = os.path.join(tmp, "one.ndjson")
            with open(one, "w") as f:
                f.write(json.dumps({"ts": base + i * 60_000, "account_id": f"acct_lat_{i}", "request_id": f"lat-{i}"}) + "\n")
            subprocess.run([dw, "publish", "--nats", url, "--stream", "LAT", "--wait-each", one], check=True, stderr=subprocess.DEVNULL)
            t = time.monotonic()
            while seen() < i + 1 and time.monotonic() - t < 10:
                time.sleep(0.002)
            delays.append(time.monotonic() - t)
            buffered = buffered[-4096:]
        delays.sort()
        print(f"publish stored -> counted by the coordinator, {latency_n} records: median {delays[len(delays) // 2] * 1000:.0f} ms, "
              f"max {delays[-1] * 1000:.0f} ms (counters every 10 ms: each figure up to 10 ms late)")
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
