"""SqlQueue specifics beyond the contract: cancelled callers never leak a connection or a lock."""

from __future__ import annotations

import asyncio
import random

from robonotes.domain.jobs import JobPayload
from robonotes.queue.sql_queue import SqlQueue
from robonotes.storage.engine import create_engine


async def test_cancelled_calls_leave_no_connection_checked_out(
    database: tuple[str, str | None],
) -> None:
    url, schema = database
    engine = create_engine(url, schema=schema)
    queue = SqlQueue(engine, poll_min_s=0.001, poll_max_s=0.005)
    try:
        for note_id in range(1, 21):
            await queue.enqueue(JobPayload(note_id=note_id, version=1, user_id=1))
        rng = random.Random(7)

        async def busy(index: int) -> None:
            while True:
                await queue.stats()
                await queue.claim(worker_id=f"w{index}", limit=1, lease_ms=60_000)
                await queue.heartbeat(worker_id=f"w{index}", lease_ms=60_000)
                await queue.wait_for_work(0.01)

        for _ in range(15):
            tasks = [asyncio.create_task(busy(i)) for i in range(6)]
            await asyncio.sleep(rng.uniform(0.0, 0.03))
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        await queue.close()
        assert engine.sync_engine.pool.checkedout() == 0
        stats = await queue.stats()
        assert stats.ready + stats.leased == 20
    finally:
        await engine.dispose()
