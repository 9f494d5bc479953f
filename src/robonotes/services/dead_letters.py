"""DeadLetterService: look at, replay and purge the jobs in the DLQ, keeping status rows in step.

Replay is bounded in rate (jobs per second) so that a DLQ of thousands does not hit the
provider all at once; each replayed job's FAILED status row goes back to QUEUED.
"""

from __future__ import annotations

import asyncio
import builtins
import time
from collections.abc import Sequence

from robonotes.domain.jobs import Job
from robonotes.domain.status import ProcessingState
from robonotes.services.ports import Clock, NoteProcessingQueue, UnitOfWorkFactory

S = ProcessingState
MAX_LIST = 10_000


class DeadLetterService:
    """The DLQ as `robonotes dlq` shows it."""

    def __init__(
        self, *, queue: NoteProcessingQueue, uow_factory: UnitOfWorkFactory, clock: Clock
    ) -> None:
        self._queue = queue
        self._uow_factory = uow_factory
        self._clock = clock

    async def list(self, *, limit: int = 100) -> list[Job]:
        """Dead jobs, oldest death first, at most `limit`."""
        return await self._queue.dead_letters(limit=max(1, min(limit, MAX_LIST)))

    async def find(self, job_id: str) -> Job | None:
        """One job by id (any state), None when the queue does not know it."""
        return await self._queue.get_job(job_id)

    async def replay(
        self, *, job_ids: Sequence[str] | None = None, rate_per_s: float = 10.0
    ) -> builtins.list[str]:
        """Put the given (or all, when None) dead jobs back to ready, `rate_per_s` at most."""
        batch = max(1, int(rate_per_s)) if rate_per_s >= 1 else 1
        pause_s = batch / rate_per_s
        pending = list(job_ids) if job_ids is not None else None
        replayed: builtins.list[str] = []
        while True:
            started = time.monotonic()
            if pending is None:
                ids = await self._queue.replay(None, limit=batch)
            else:
                chunk, pending = pending[:batch], pending[batch:]
                ids = await self._queue.replay(chunk, limit=batch) if chunk else []
            if ids:
                await self._requeue_statuses(ids)
                replayed.extend(ids)
            finished = not pending if pending is not None else not ids
            if finished:
                return replayed
            await asyncio.sleep(max(0.0, pause_s - (time.monotonic() - started)))

    async def purge(self, *, job_ids: Sequence[str] | None = None) -> int:
        """Delete the given (or all) dead jobs; their FAILED rows stay for retention."""
        return await self._queue.purge_dead(job_ids)

    async def _requeue_statuses(self, job_ids: Sequence[str]) -> None:
        jobs = [await self._queue.get_job(job_id) for job_id in job_ids]
        now = self._clock.now()
        async with self._uow_factory() as uow:
            for job in jobs:
                if job is None:
                    continue
                moved = await uow.statuses.transition(
                    job.payload.note_id,
                    job.payload.version,
                    S.QUEUED,
                    now=now,
                    expected_state=S.FAILED,
                    job_id=job.id,
                )
                if moved is not None:
                    await uow.notes.set_robo_fields(job.payload.note_id, status=S.QUEUED)
            await uow.commit()
