"""Reconciler: the database is the truth about what must be processed, the queue only a copy.

Status rows still waiting (PENDING, QUEUED, RETRY_SCHEDULED) or PROCESSING while the queue holds
no live job for their note version (Redis lost its data, the enqueue after a save failed, a
worker died after its lease vanished) are enqueued again. Enqueue is idempotent by note and
version, and the processor recognises a version that is already COMPLETED, so running this
twice, or in every worker at once, is harmless. A PROCESSING row whose job is dead in the DLQ
becomes FAILED, so that the row and the DLQ tell the same story.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from robonotes.domain.jobs import JobPayload, JobState
from robonotes.domain.status import ProcessingState, StatusRecord
from robonotes.services.ports import Clock, NoteProcessingQueue, UnitOfWorkFactory

log = logging.getLogger(__name__)

S = ProcessingState
WAITING_STATES = (S.PENDING, S.QUEUED, S.RETRY_SCHEDULED, S.PROCESSING)
DEFAULT_BATCH = 2_000


class Reconciler:
    """Enqueues again every active status row that has no live job in the queue."""

    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        queue: NoteProcessingQueue,
        clock: Clock,
        batch: int = DEFAULT_BATCH,
    ) -> None:
        self._uow_factory = uow_factory
        self._queue = queue
        self._clock = clock
        self._batch = batch

    async def __call__(self, min_age_s: float) -> int:
        """The worker's periodic hook: see `run`."""
        return await self.run(min_age_s=min_age_s)

    async def run(self, *, min_age_s: float) -> int:
        """Repair rows unchanged for `min_age_s`; return how many note versions were enqueued."""
        cutoff = self._clock.now() - timedelta(seconds=min_age_s)
        async with self._uow_factory() as uow:
            rows = await uow.statuses.list_in_states(
                WAITING_STATES, updated_before=cutoff, limit=self._batch
            )
        enqueued = 0
        for row in rows:
            if await self._repair(row):
                enqueued += 1
        if enqueued:
            log.warning(
                "reconciler enqueued note versions the queue had lost",
                extra={"enqueued": enqueued, "checked": len(rows)},
            )
        return enqueued

    async def _repair(self, row: StatusRecord) -> bool:
        payload = JobPayload(note_id=row.note_id, version=row.version, user_id=row.user_id)
        if row.state is S.PROCESSING and row.job_id:
            job = await self._queue.get_job(row.job_id)
            if job is not None and job.state is JobState.DEAD:
                await self._mark_failed(row, job.errors[-1].error_class if job.errors else None)
                return False
        if await self._queue.has_job(payload):
            return False
        # The row was read before the queue: its job may have finished in between. Results and
        # COMPLETED are committed before the ack, so a fresh read tells a lost job from a done one.
        async with self._uow_factory() as uow:
            fresh = await uow.statuses.find(row.note_id, row.version)
        if fresh is None or fresh.state is not row.state or fresh.updated_at != row.updated_at:
            return False
        job_id = await self._queue.enqueue(payload)
        if row.state in {S.PENDING, S.RETRY_SCHEDULED}:
            # PROCESSING rows stay as they are: the processor moves them on at the next claim.
            async with self._uow_factory() as uow:
                moved = await uow.statuses.transition(
                    row.note_id,
                    row.version,
                    S.QUEUED,
                    now=self._clock.now(),
                    expected_state=row.state,
                    job_id=job_id,
                )
                if moved is not None:
                    await uow.notes.set_robo_fields(row.note_id, status=S.QUEUED)
                await uow.commit()
        log.info(
            "reconciled",
            extra={
                "note_id": row.note_id,
                "version": row.version,
                "job_id": job_id,
                "state": row.state.value,
            },
        )
        return True

    async def _mark_failed(self, row: StatusRecord, error_class: str | None) -> None:
        async with self._uow_factory() as uow:
            moved = await uow.statuses.transition(
                row.note_id,
                row.version,
                S.FAILED,
                now=self._clock.now(),
                expected_token=row.token,
                expected_state=S.PROCESSING,
                error_class=error_class or "LeaseExpired",
                last_error="the job died in the queue (attempts used up)",
            )
            if moved is not None:
                await uow.notes.set_robo_fields(
                    row.note_id, status=S.FAILED, error=error_class or "LeaseExpired"
                )
            await uow.commit()
