#!/usr/bin/env python3
"""Writes NDJSON for the memory-per-account benchmark: N distinct accounts arriving evenly over
DAYS days, each making EXCHANGES calls within its first hour, each with its own card, org and
address. Deterministic: the same arguments give the same bytes."""
import sys, argparse

p = argparse.ArgumentParser()
p.add_argument("accounts", type=int)
p.add_argument("--days", type=float, default=60)
p.add_argument("--exchanges", type=int, default=1, help="calls per account")
a = p.parse_args()

t0 = 1776643200000  # 2026-04-20T00:00:00Z
span = int(a.days * 86_400_000)
out = sys.stdout
prompts = ["Summarise this paragraph in two sentences.", "Translate 'good morning' into French.",
           "Write a haiku about rain.", "What is the capital of Peru?"]
buf = []
for i in range(a.accounts):
    base = t0 + span * i // a.accounts
    ip = f"{10 + (i >> 24) % 200}.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
    for k in range(a.exchanges):
        ts = base + k * 600_000
        buf.append('{"ts":%d,"request_id":"r%d_%d","account_id":"acct_%08d","org_id":"org_%08d",'
                   '"client_ip":"%s","payment_fp":"pm_%08d","model":"haiku-4","input_tokens":%d,'
                   '"output_tokens":%d,"prompt_text":"%s"}\n'
                   % (ts, i, k, i, i, ip, i, 40 + i % 300, 20 + i % 500, prompts[(i + k) % 4]))
    if len(buf) >= 10000:
        out.write("".join(buf)); buf.clear()
out.write("".join(buf))
