"""Ours: RedisQueue and the project's Worker with a no-op or sleeping JobHandler (no notes)."""

from __future__ import annotations

import asyncio

from bench.harness import REDIS_URL, Recorder, Scenario, enqueue_in_chunks
from robonotes.domain.jobs import FailKind, FailOutcome, Job, JobPayload
from robonotes.queue.redis_pool import create_redis_clients
from robonotes.queue.redis_queue import RedisQueue
from robonotes.queue.worker import Worker, WorkerConfig
from robonotes.services.retry_policy import classify_failure


class BenchHandler:
    """A JobHandler whose job is to wait `sleep_s` (0: return at once) and tell the Recorder."""

    def __init__(self, *, recorder: Recorder, sleep_s: float) -> None:
        self.recorder = recorder
        self.sleep_s = sleep_s

    async def handle(self, job: Job) -> None:
        """Run one job."""
        self.recorder.started()
        if self.sleep_s > 0:
            await asyncio.sleep(self.sleep_s)
        self.recorder.finished()

    async def record_failure(
        self,
        job: Job,
        *,
        kind: FailKind,
        outcome: FailOutcome,
        error_class: str,
        message: str,
        delay_ms: int,
    ) -> None:
        """No status rows in the benchmark."""

    async def record_release(self, job: Job) -> None:
        """No status rows in the benchmark."""


async def enqueue_all(queue: RedisQueue, jobs: int) -> None:
    """Enqueue `jobs` distinct note versions (one job each)."""
    await enqueue_in_chunks(
        lambda i: queue.enqueue(JobPayload(note_id=i + 1, version=1, user_id=1)), jobs
    )


async def run_async(scenario: Scenario, recorder: Recorder, *, prefix: str = "bench") -> int:
    """Enqueue, then drain with one burst-mode Worker; return the jobs it finished."""
    clients = create_redis_clients(url=REDIS_URL, retries=3, max_connections=200)
    queue = RedisQueue(clients, prefix=prefix)
    try:
        await enqueue_all(queue, scenario.jobs)
        worker = Worker(
            queue=queue,
            handler=BenchHandler(recorder=recorder, sleep_s=scenario.sleep_s),
            policy=classify_failure,
            config=WorkerConfig(
                concurrency=scenario.concurrency,
                claim_batch=scenario.concurrency,
                burst=True,
            ),
        )
        return await worker.run()
    finally:
        await queue.close()


def run(scenario: Scenario, recorder: Recorder) -> None:
    """Entry point of bench.child."""
    asyncio.run(run_async(scenario, recorder))
