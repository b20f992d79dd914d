#!/usr/bin/env python3
"""Publishing from a listener against publishing a file, through the whole bus, in one run.

    Scripts/live-publish-bench.py DISTILLWATCH FILE [ROUNDS]

Per round and mode (alternating `file` and `live`): a fresh `nats-server -js` on free loopback
ports, two workers (partitions 0-7, 8-15) and a headless coordinator writing counters every
0.05 s. `file` runs `publish FILE`; `live` runs `publish --listen tcp://…` and sends FILE's
bytes over one TCP connection. Timed from the start of publishing (for `live`, the first byte
sent) to the coordinator's counters showing every exchange `scan` counts in FILE.
"""
import json, os, shutil, signal, socket, subprocess, sys, tempfile, time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one(dw, path, mode, total):
    work = tempfile.mkdtemp(prefix="dw-live-bench-")
    port, listen = free_port(), free_port()
    url = f"nats://127.0.0.1:{port}"
    server = subprocess.Popen(["nats-server", "-js", "-a", "127.0.0.1", "-p", str(port), "-sd", work + "/js"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs = [server]
    try:
        deadline = time.time() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port)).close()
                break
            except OSError:
                if time.time() > deadline:
                    sys.exit("nats-server did not start")
                time.sleep(0.02)
        for r in ("0-7", "8-15"):
            procs.append(subprocess.Popen([dw, "worker", "--nats", url, "--partitions", r],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        coordinator = subprocess.Popen([dw, "watch", "--headless", "--nats", url, "--counters-every", "0.05"],
                                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        procs.append(coordinator)
        if mode == "file":
            start = time.time()
            publisher = subprocess.Popen([dw, "publish", "--nats", url, path], stderr=subprocess.PIPE, text=True)
        else:
            publisher = subprocess.Popen([dw, "publish", "--nats", url, "--listen", f"tcp://127.0.0.1:{listen}"],
                                         stderr=subprocess.PIPE, text=True)
            while True:
                try:
                    conn = socket.create_connection(("127.0.0.1", listen))
                    break
                except OSError:
                    if publisher.poll() is not None:
                        sys.exit("publish exited: " + publisher.stderr.read())
                    time.sleep(0.01)
            start = time.time()
            with open(path, "rb") as f:
                conn.sendall(f.read())
            conn.close()
        procs.append(publisher)
        signal.alarm(300)  # a process that died would leave the loop below waiting for ever
        for line in coordinator.stdout:
            o = json.loads(line)
            if o.get("type") == "counters" and o.get("exchanges", 0) >= total:
                break
        seconds = time.time() - start
        signal.alarm(0)
        if mode == "live":
            publisher.terminate()
        publisher.wait()
        said = publisher.stderr.read().strip().splitlines()
        return seconds, said[-1] if said else ""
    finally:
        for p in procs:
            if p.stdout:
                p.stdout.close()  # a coordinator blocked on a full pipe would never see SIGTERM
            if p.poll() is None:
                p.terminate()
                p.wait()
        shutil.rmtree(work, ignore_errors=True)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    dw, path = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    scan = subprocess.run([dw, "scan", "--format", "json", path], capture_output=True, text=True, check=True)
    total = json.loads(scan.stdout)["input"]["exchanges"]
    results = {"file": [], "live": []}
    for r in range(rounds):
        for mode in ("file", "live"):
            seconds, said = one(dw, path, mode, total)
            results[mode].append(seconds)
            print(f"round {r + 1} {mode}: {total:,} exchanges counted {seconds:.2f} s after publishing began "
                  f"({total / seconds:,.0f}/s); publisher: {said}", flush=True)
    for mode, times in results.items():
        times.sort()
        print(f"{mode}: median {times[len(times) // 2]:.2f} s over {len(times)} rounds")


if __name__ == "__main__":
    main()
