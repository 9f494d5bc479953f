"""taskiq: RedisStreamBroker (the acknowledging broker taskiq-redis recommends), one receiver."""

from __future__ import annotations

import asyncio

from taskiq.api import run_receiver_task
from taskiq_redis import RedisStreamBroker

from bench.harness import REDIS_URL, Recorder, Scenario, enqueue_in_chunks


async def run_async(scenario: Scenario, recorder: Recorder) -> None:
    """Enqueue every job, then run one receiver with `max_async_tasks` = concurrency."""
    broker = RedisStreamBroker(REDIS_URL, queue_name="bench")

    async def bench_job() -> None:
        recorder.started()
        if scenario.sleep_s > 0:
            await asyncio.sleep(scenario.sleep_s)
        recorder.finished()

    task = broker.register_task(bench_job, task_name="bench_job")
    # startup creates the consumer group at "$": it must exist before the jobs are sent.
    await broker.startup()
    await enqueue_in_chunks(lambda _: task.kiq(), scenario.jobs)
    await run_receiver_task(broker, max_async_tasks=scenario.concurrency)


def run(scenario: Scenario, recorder: Recorder) -> None:
    """Entry point of bench.child."""
    asyncio.run(run_async(scenario, recorder))
