#!/usr/bin/env python3
"""A peer for `scan`: DuckDB's per-account GROUP BY over the same NDJSON, timed.

Six columns, seven aggregates per account: the bare aggregation any detector must at least do.
Usage: Scripts/duckdb-peer.py FILE.ndjson [THREADS]   (pip install duckdb)
"""
import sys
import time

import duckdb

path = sys.argv[1]
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 1
con = duckdb.connect()
con.execute(f"SET threads={threads}")
columns = "{'ts':'VARCHAR','account_id':'VARCHAR','input_tokens':'BIGINT','output_tokens':'BIGINT','client_ip':'VARCHAR','payment_fp':'VARCHAR'}"
query = f"""
SELECT account_id, count(*), sum(input_tokens), sum(output_tokens),
       count(DISTINCT client_ip), count(DISTINCT payment_fp), min(ts), max(ts)
FROM read_json(?, format='newline_delimited', columns={columns}, ignore_errors=true)
GROUP BY account_id
"""
started = time.time()
rows = con.execute(query, [path]).fetchall()
print(f"duckdb {duckdb.__version__}, {threads} thread(s): {len(rows)} accounts in {time.time() - started:.2f} s")
