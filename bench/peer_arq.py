"""arq: one Worker with `max_jobs` = concurrency, results not kept (we keep none either)."""

from __future__ import annotations

import asyncio
from typing import Any

from arq import create_pool
from arq.connections import RedisSettings
from arq.worker import Worker, func

from bench.harness import REDIS_DB, REDIS_HOST, REDIS_PORT, Recorder, Scenario, enqueue_in_chunks

POLL_DELAY_S = 0.01
"""arq polls its queue (default every 0.5 s); a short delay is its documented knob for latency."""


async def run_async(scenario: Scenario, recorder: Recorder) -> None:
    """Enqueue every job, then run one arq Worker until the process is ended."""
    settings = RedisSettings(host=REDIS_HOST, port=REDIS_PORT, database=REDIS_DB)

    async def bench_job(ctx: dict[str, Any]) -> None:
        recorder.started()
        if scenario.sleep_s > 0:
            await asyncio.sleep(scenario.sleep_s)
        recorder.finished()

    pool = await create_pool(settings)
    await enqueue_in_chunks(lambda _: pool.enqueue_job("bench_job"), scenario.jobs)
    await pool.aclose()
    worker = Worker(
        functions=[func(bench_job, name="bench_job", keep_result=0)],
        redis_settings=settings,
        max_jobs=scenario.concurrency,
        poll_delay=POLL_DELAY_S,
        handle_signals=False,
        keep_result=0,
        log_results=False,
    )
    await worker.async_run()


def run(scenario: Scenario, recorder: Recorder) -> None:
    """Entry point of bench.child."""
    asyncio.run(run_async(scenario, recorder))
