"""NATS through the real nats-server, with the nats-py client standing in for the `nats` CLI.

Usage:
  python3 nats_bridge.py sub URL SUBJECT READY_FILE   prints each message's payload as it is, one
                                                      per line (what `nats sub --raw` prints), and
                                                      creates READY_FILE once subscribed
  python3 nats_bridge.py pub URL SUBJECT FILE         publishes each line of FILE as one message
  python3 nats_bridge.py stream URL SUBJECT NAME      makes a JetStream stream NAME holding SUBJECT,
                                                      without direct reads, with S2 compression,
                                                      at most 10,000,000 messages and the metadata
                                                      owner=ops
  python3 nats_bridge.py config URL STREAM -          prints those four settings of STREAM and
                                                      its subjects
  python3 nats_bridge.py dump URL STREAM -            prints each message of STREAM as its sequence
                                                      number and its payload in base64, one per line
  python3 nats_bridge.py delete URL STREAM SEQ        removes message SEQ from STREAM
  python3 nats_bridge.py bytes URL STREAM -           prints the bytes STREAM stores (its state)
  python3 nats_bridge.py jspub URL SUBJECT FILE       publishes the bytes of each file named in FILE
                                                      (one path per line) as one message, each
                                                      stored by a stream before the next goes
  python3 nats_bridge.py jstry URL SUBJECT TEXT       publishes TEXT as one message through JetStream
                                                      and prints "stored" or "refused: " and why
"""
import base64
import asyncio
import sys

import nats
from nats.js.api import StoreCompression, StreamConfig


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


async def stream(url: str, subject: str, name: str) -> None:
    client = await nats.connect(url)
    await client.jetstream().add_stream(StreamConfig(
        name=name, subjects=[subject], allow_direct=False, compression=StoreCompression.S2,
        max_msgs=10_000_000, metadata={"owner": "ops"}))
    await client.close()


async def config(url: str, name: str, _: str) -> None:
    client = await nats.connect(url)
    c = (await client.jetstream().stream_info(name)).config
    compression = getattr(c.compression, "value", c.compression)  # an enum or its string
    print(f"allow_direct={c.allow_direct} compression={compression} max_msgs={c.max_msgs} "
          f"owner={(c.metadata or {}).get('owner')} subjects={','.join(c.subjects or [])}")
    await client.close()


async def dump(url: str, name: str, _: str) -> None:
    client = await nats.connect(url)
    js = client.jetstream()
    state = (await js.stream_info(name)).state
    for seq in range(state.first_seq, state.last_seq + 1):
        data = (await js.get_msg(name, seq)).data or b""
        print(seq, base64.b64encode(data).decode())
    await client.close()


async def stored_bytes(url: str, name: str, _: str) -> None:
    client = await nats.connect(url)
    print((await client.jetstream().stream_info(name)).state.bytes)
    await client.close()


async def delete(url: str, name: str, seq: str) -> None:
    client = await nats.connect(url)
    await client.jetstream().delete_msg(name, int(seq))
    await client.close()


async def jspub(url: str, subject: str, listing: str) -> None:
    client = await nats.connect(url)
    js = client.jetstream()
    with open(listing) as f:
        for path in f.read().split():
            with open(path, "rb") as message:
                await js.publish(subject, message.read())
    await client.close()


async def jstry(url: str, subject: str, text: str) -> None:
    client = await nats.connect(url)
    try:
        await client.jetstream().publish(subject, text.encode(), timeout=2)
        print("stored")
    except Exception as error:  # the client's own class names the refusal
        print(f"refused: {type(error).__name__}")
    await client.close()


if __name__ == "__main__":
    mode, url, subject, arg = sys.argv[1:5]
    asyncio.run({"sub": sub, "pub": pub, "stream": stream, "config": config, "dump": dump, "bytes": stored_bytes, "delete": delete, "jspub": jspub, "jstry": jstry}[mode](url, subject, arg))
