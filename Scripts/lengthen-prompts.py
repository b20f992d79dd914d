#!/usr/bin/env python3
"""Writes FILE.ndjson again with every prompt lengthened by a tail of about BYTES bytes, the
size of the agentic prompts that carry tool traces and code. The tail is made from the prompt
itself, so equal prompts stay equal. For measuring what long prompts cost, not for detection.

    Scripts/lengthen-prompts.py FILE.ndjson BYTES > long.ndjson
"""
import hashlib
import json
import sys

if len(sys.argv) != 3:
    sys.exit(__doc__)
path, size = sys.argv[1], int(sys.argv[2])
words = ["def", "return", "self", "value", "trace", "step", "result", "error", "tool", "call", "stdout", "line", "é", "日本語"]
out = sys.stdout
for line in open(path, encoding="utf-8"):
    try:
        record = json.loads(line)
    except ValueError:
        out.write(line)
        continue
    prompt = record.get("prompt_text") if isinstance(record, dict) else None
    if isinstance(prompt, str) and prompt:
        digest = hashlib.blake2b(prompt.encode(), digest_size=8).digest()
        seed = int.from_bytes(digest, "little")
        target = size // 2 + seed % size
        tail = []
        length = 0
        while length < target:
            seed = (seed * 6364136223846793005 + 1442695040888963407) % (1 << 64)
            word = words[(seed >> 33) % len(words)]
            tail.append(word)
            length += len(word.encode()) + 1
        record["prompt_text"] = prompt + "\n" + " ".join(tail)
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
    out.write(line)
