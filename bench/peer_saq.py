"""SAQ: one Worker with `concurrency` slots; finished jobs are deleted (ttl=-1), as ours are."""

from __future__ import annotations

import asyncio

from saq import Queue, Worker
from saq.types import Context

from bench.harness import REDIS_URL, Recorder, Scenario, enqueue_in_chunks


async def run_async(scenario: Scenario, recorder: Recorder) -> None:
    """Enqueue every job, then run one SAQ Worker until the process is ended."""

    async def bench_job(ctx: Context) -> None:
        recorder.started()
        if scenario.sleep_s > 0:
            await asyncio.sleep(scenario.sleep_s)
        recorder.finished()

    queue = Queue.from_url(REDIS_URL, name="bench")
    await queue.connect()
    await enqueue_in_chunks(lambda _: queue.enqueue("bench_job", ttl=-1), scenario.jobs)
    worker = Worker(queue, functions=[("bench_job", bench_job)], concurrency=scenario.concurrency)
    await worker.start()


def run(scenario: Scenario, recorder: Recorder) -> None:
    """Entry point of bench.child."""
    asyncio.run(run_async(scenario, recorder))
