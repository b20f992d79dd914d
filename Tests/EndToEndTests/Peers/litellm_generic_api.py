"""A real LiteLLM SDK posting its generic_api logs to a receiver (used by the end-to-end tests).

Usage: python3 litellm_generic_api.py ENDPOINT FORMAT COUNT

Makes COUNT chat completions with mocked model responses (`mock_response=`, so no network),
as three accounts, with LiteLLM's GenericAPILogger (the `generic_api` callback) attached in the
given log_format (ndjson or json_array), then flushes it: one POST of StandardLoggingPayloads.
"""
import asyncio
import os
import sys

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network for the price map

import litellm  # noqa: E402
from litellm.integrations.generic_api.generic_api_callback import GenericAPILogger  # noqa: E402


async def main(endpoint: str, log_format: str, count: int) -> None:
    os.environ["GENERIC_LOGGER_ENDPOINT"] = endpoint
    # A batch larger than COUNT and a long interval: the flush below sends everything at once.
    logger = GenericAPILogger(log_format=log_format, batch_size=count + 1, flush_interval=3600)
    litellm.callbacks = [logger]
    for i in range(count):
        await litellm.acompletion(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": f"Explain step by step, showing your reasoning: question {i}"}],
            mock_response=f"Here is the reasoning for question {i}.",
            user=f"end_user_{i % 5}",
            metadata={
                "user_api_key_user_id": f"acct_litellm_{i % 3}",
                "user_api_key_hash": f"hash_{i % 3}",
                "user_api_key_org_id": "org_litellm",
                "requester_ip_address": f"198.51.100.{i % 7 + 1}",
                "user_agent": "litellm-e2e/1.0",
            },
        )
    # Success callbacks run as tasks after each call returns: wait for all of them, then flush.
    for _ in range(200):
        if len(logger.log_queue) >= count:
            break
        await asyncio.sleep(0.05)
    queued = len(logger.log_queue)
    await logger.flush_queue()
    print(f"posted {queued}", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
