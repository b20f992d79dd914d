"""NATS through the real nats-server, with the nats-py client standing in for the `nats` CLI.

Usage:
  python3 nats_bridge.py sub URL SUBJECT READY_FILE   prints each message's payload as it is, one
                                                      per line (what `nats sub --raw` prints), and
                                                      creates READY_FILE once subscribed
  python3 nats_bridge.py pub URL SUBJECT FILE         publishes each line of FILE as one message
"""
import asyncio
import sys

import nats


async def sub(url: str, subject: str, ready: str) -> None:
    client = await nats.connect(url)
    out = sys.stdout.buffer

    async def printed(msg) -> None:
        out.write(msg.data + b"\n")
        out.flush()

    await client.subscribe(subject, cb=printed)
    await client.flush()
    open(ready, "w").close()
    while True:
        await asyncio.sleep(3600)


async def pub(url: str, subject: str, path: str) -> None:
    client = await nats.connect(url)
    count = 0
    with open(path, "rb") as f:
        for line in f:
            await client.publish(subject, line.rstrip(b"\n"))
            count += 1
    await client.flush()
    await client.close()
    print(f"published {count}")


if __name__ == "__main__":
    mode, url, subject, arg = sys.argv[1:5]
    asyncio.run(sub(url, subject, arg) if mode == "sub" else pub(url, subject, arg))
