"""A separate process that claims and completes jobs until the queue is empty; prints its job ids.

Run by test_queue_contract.py: python _claimer.py BACKEND URL SCHEMA_OR_PREFIX WORKER_ID.
Prints "ready", waits for a line on stdin, then claims; its last line is the JSON list of ids.
"""

from __future__ import annotations

import asyncio
import json
import sys


async def main(backend: str, url: str, where: str, worker_id: str) -> None:
    """Claim in small batches, complete each job, stop after a few empty claims in a row."""
    if backend == "redis":
        from robonotes.queue.redis_pool import create_redis_clients
        from robonotes.queue.redis_queue import RedisQueue

        queue = RedisQueue(create_redis_clients(url=url, socket_timeout_s=5), prefix=where)
        close = queue.close
    else:
        from robonotes.queue.sql_queue import SqlQueue
        from robonotes.storage.engine import create_engine

        engine = create_engine(url, schema=where or None)
        queue = SqlQueue(engine)  # type: ignore[assignment]
        close = engine.dispose
    seen: list[str] = []
    empty = 0
    try:
        await queue.ping()
        # Start barrier: say ready, then wait for the test's "go" so all claimers overlap.
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        while empty < 3:
            jobs = await queue.claim(worker_id=worker_id, limit=5, lease_ms=60_000)
            if not jobs:
                empty += 1
                await asyncio.sleep(0.05)
                continue
            empty = 0
            for job in jobs:
                assert job.token is not None
                if await queue.complete(job.id, token=job.token):
                    seen.append(job.id)
    finally:
        await close()
    print(json.dumps(seen))


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
