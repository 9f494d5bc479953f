"""CleanupService: delete terminal processing status rows once they are older than the retention.

Rows go in bounded batches, one transaction each, so cleanup never holds a long lock. FAILED
rows are deleted only when the queue no longer holds their job (the DLQ let go of it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from robonotes.domain.exceptions import RoboNotesError
from robonotes.domain.jobs import JobPayload
from robonotes.domain.status import ProcessingState, StatusRecord
from robonotes.services.ports import Clock, NoteProcessingQueue, UnitOfWorkFactory

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 500
DEFAULT_MAX_BATCHES = 1_000


@dataclass(frozen=True, slots=True)
class CleanupReport:
    """What one cleanup run deleted (or, in a dry run, would delete)."""

    terminal_rows: int
    failed_rows: int
    batches: int
    dry_run: bool
    older_than: timedelta

    @property
    def total_rows(self) -> int:
        """Rows of every kind."""
        return self.terminal_rows + self.failed_rows


class CleanupService:
    """Deletes temporary status rows after `retention`; the notes keep their Robo fields."""

    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        retention: timedelta,
        queue: NoteProcessingQueue | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._retention = retention
        self._queue = queue

    async def run(
        self,
        *,
        older_than: timedelta | None = None,
        dry_run: bool = False,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_batches: int = DEFAULT_MAX_BATCHES,
    ) -> CleanupReport:
        """Delete (or count, with `dry_run`) rows last changed more than `older_than` ago."""
        if batch_size <= 0 or max_batches <= 0:
            raise ValueError("batch_size and max_batches must be positive")
        age = self._retention if older_than is None else older_than
        if age < timedelta(0):
            raise ValueError("older_than must not be negative")
        cutoff = self._clock.now() - age
        if dry_run:
            async with self._uow_factory() as uow:
                terminal = await uow.statuses.count_terminal(updated_before=cutoff)
            would_go, _ = await self._failed_rows(cutoff, batch_size, max_batches, delete=False)
            return CleanupReport(terminal, would_go, 0, True, age)
        terminal, batches = 0, 0
        while batches < max_batches:
            async with self._uow_factory() as uow:
                deleted = await uow.statuses.delete_terminal(
                    updated_before=cutoff, limit=batch_size
                )
                await uow.commit()
            batches += 1
            terminal += deleted
            if deleted < batch_size:
                break
        failed, failed_batches = await self._failed_rows(
            cutoff, batch_size, max_batches, delete=True
        )
        log.info(
            "status cleanup done",
            extra={
                "terminal_rows": terminal,
                "failed_rows": failed,
                "older_than_s": age.total_seconds(),
            },
        )
        return CleanupReport(terminal, failed, batches + failed_batches, False, age)

    async def _failed_rows(
        self, cutoff: datetime, batch_size: int, max_batches: int, *, delete: bool
    ) -> tuple[int, int]:
        """FAILED rows whose job the queue no longer holds: delete (or count) them in batches."""
        if self._queue is None:
            return 0, 0
        async with self._uow_factory() as uow:
            rows = await uow.statuses.list_in_states(
                [ProcessingState.FAILED], updated_before=cutoff, limit=batch_size * max_batches
            )
        # The queue is asked outside any transaction: on SQLite the SQL queue needs the lock.
        released = [row for row in rows if not await self._queue_holds(row)]
        if not delete:
            return len(released), 0
        deleted, batches = 0, 0
        for start in range(0, len(released), batch_size):
            async with self._uow_factory() as uow:
                for row in released[start : start + batch_size]:
                    deleted += int(await uow.statuses.delete(row.note_id, row.version))
                await uow.commit()
            batches += 1
        return deleted, batches

    async def _queue_holds(self, row: StatusRecord) -> bool:
        """Whether the queue still has a job for the row; True when it cannot say (keep it)."""
        assert self._queue is not None
        payload = JobPayload(note_id=row.note_id, version=row.version, user_id=row.user_id)
        try:
            return await self._queue.has_job(payload)
        except RoboNotesError:
            return True
