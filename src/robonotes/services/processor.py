"""NoteProcessor: DESIGN.md's processing flow, steps 2 to 5, for one claimed job.

The worker claims, acks and retries; this class decides what a job means for its note version:
    2. version checks (deleted -> CANCELLED, edited -> SUPERSEDED, COMPLETED -> nothing to do),
       validation -> SKIPPED, else PROCESSING with this attempt's number and token; commit;
    3. context and the Robo call, outside any transaction;
    4. the calls go to the ledger at once, in their own transaction, also when the call failed;
    5. one transaction writes the extraction, COMPLETED and `robo_processed_version`, only while
       the status row still carries this attempt's token: a worker that lost its lease writes
       nothing, so a note's results are committed exactly once per processing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Protocol

from robonotes.domain.context import ExtractionContext
from robonotes.domain.exceptions import RoboError, StorageError
from robonotes.domain.jobs import FailKind, FailOutcome, Job
from robonotes.domain.notes import NoteData
from robonotes.domain.results import RoboCall, RoboProcessingResult
from robonotes.domain.status import ProcessingState, StatusRecord
from robonotes.domain.validation import skip_reason
from robonotes.services.ports import (
    Clock,
    ContextBuilder,
    ExtractionRecorder,
    RoboCallLedger,
    RoboService,
    UnitOfWork,
    UnitOfWorkFactory,
)

log = logging.getLogger(__name__)

S = ProcessingState
LEDGER_TRIES = 3
"""The ledger write is retried briefly: spent tokens must be recorded, but never block a result."""


class ProcessingObserver(Protocol):
    """Receives what metrics need to know; `observability.PrometheusObserver` implements it."""

    def outcome(self, outcome: str) -> None: ...
    def robo_calls(self, calls: Sequence[RoboCall]) -> None: ...


class _NullObserver:
    """Observer that records nothing (unit tests, tools)."""

    def outcome(self, outcome: str) -> None:
        return None

    def robo_calls(self, calls: Sequence[RoboCall]) -> None:
        return None


def status_token(job: Job) -> str:
    """The fencing token as the status row keeps it: a fixed-size digest of the queue's token.

    Queues format tokens as they like (the SQL queue's exceed 64 characters); the status row
    only compares them, so a 32-character digest decouples its column from every queue.
    """
    return hashlib.blake2b((job.token or job.id).encode(), digest_size=16).hexdigest()


class StatusContentionError(StorageError):
    """The status row changed under this attempt between reading and moving it; retry later."""


class NoteProcessor:
    """Implements the JobHandler port over the unit of work, Robo, the ledger and the recorder."""

    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        robo: RoboService,
        ledger: RoboCallLedger,
        context_builder: ContextBuilder,
        recorder: ExtractionRecorder,
        clock: Clock,
        max_note_chars: int,
        observer: ProcessingObserver | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self._robo = robo
        self._ledger = ledger
        self._context_builder = context_builder
        self._recorder = recorder
        self._clock = clock
        self._max_note_chars = max_note_chars
        self._observer: ProcessingObserver = observer or _NullObserver()

    async def handle(self, job: Job) -> None:
        """Process the job's note version to COMPLETED, SKIPPED, SUPERSEDED or CANCELLED."""
        note = await self._start(job)
        if note is None:
            return
        context = await self._context_builder.build(note)
        started = time.perf_counter()
        try:
            result = await self._robo.extract(note, context)
        except (RoboError, asyncio.CancelledError) as exc:
            # Tokens spent are recorded whatever happens next: a failure, or a job timeout or
            # shutdown that cancelled the call (the adapter hangs its attempts on the error).
            calls: tuple[RoboCall, ...] = tuple(getattr(exc, "calls", ()) or ())
            await self._append_ledger(job, calls)
            raise
        log.debug(
            "robo call done",
            extra={
                "note_id": job.payload.note_id,
                "job_id": job.id,
                "attempt": job.attempts,
                "latency_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        await self._append_ledger(job, result.calls)
        await self._finish(job, note, result, context)

    async def _start(self, job: Job) -> NoteData | None:
        """Step 2: the version checks, validation, and the move to PROCESSING; None means done."""
        payload = job.payload
        now = self._clock.now()
        async with self._uow_factory() as uow:
            note = await uow.notes.find(payload.note_id, include_deleted=True)
            status = await uow.statuses.find(payload.note_id, payload.version)
            if note is None or note.is_deleted:
                if status is not None and status.state not in {S.COMPLETED, S.CANCELLED}:
                    await uow.statuses.cancel_all(payload.note_id, now=now)
                    await uow.commit()
                self._stopped(job, "cancelled")
                return None
            if note.version > payload.version:
                await uow.statuses.supersede_older(
                    payload.note_id, below_version=note.version, now=now
                )
                await uow.commit()
                self._stopped(job, "superseded")
                return None
            if status is None:
                # A job whose status row is gone (retention, a hand-made job): give it one.
                status = await uow.statuses.add(
                    note_id=payload.note_id, version=payload.version, user_id=note.user_id, now=now
                )
            if status.state in {S.COMPLETED, S.SKIPPED, S.SUPERSEDED, S.CANCELLED}:
                self._stopped(job, f"already_{status.state.lower()}")
                return None
            status = await self._to_queued(uow, status, job=job)
            reason = skip_reason(note.text, max_chars=self._max_note_chars)
            if reason is not None:
                await uow.statuses.transition(
                    payload.note_id,
                    payload.version,
                    S.SKIPPED,
                    now=now,
                    expected_state=S.QUEUED,
                    skip_reason=f"{reason.code}: {reason.message}",
                )
                await uow.notes.set_robo_fields(payload.note_id, status=S.SKIPPED)
                await uow.commit()
                self._stopped(job, "skipped")
                return None
            moved = await uow.statuses.transition(
                payload.note_id,
                payload.version,
                S.PROCESSING,
                now=now,
                expected_state=S.QUEUED,
                token=status_token(job),
                attempts=job.attempts,
                job_id=job.id,
            )
            if moved is None:
                raise StatusContentionError(
                    f"status of note {payload.note_id} v{payload.version} moved"
                )
            await uow.notes.set_robo_fields(payload.note_id, status=S.PROCESSING)
            await uow.commit()
        return note

    async def _to_queued(self, uow: UnitOfWork, status: StatusRecord, *, job: Job) -> StatusRecord:
        """Bring a PENDING, retried, replayed or dead worker's row to QUEUED."""
        if status.state is S.QUEUED:
            return status
        moved = await uow.statuses.transition(
            status.note_id,
            status.version,
            S.QUEUED,
            now=self._clock.now(),
            expected_state=status.state,
            job_id=job.id,
        )
        if moved is None:
            raise StatusContentionError(f"status of note {status.note_id} v{status.version} moved")
        return moved

    async def _append_ledger(self, job: Job, calls: Sequence[RoboCall]) -> None:
        """Step 4: every call attempt goes to the ledger at once, in its own transaction."""
        if not calls:
            return
        payload = job.payload
        stamped = [
            dataclasses.replace(
                call,
                note_id=call.note_id if call.note_id is not None else payload.note_id,
                user_id=call.user_id if call.user_id is not None else payload.user_id,
                note_version=call.note_version
                if call.note_version is not None
                else payload.version,
            )
            for call in calls
        ]
        self._observer.robo_calls(stamped)
        for try_number in range(1, LEDGER_TRIES + 1):
            try:
                await self._ledger.append(stamped)
                return
            except StorageError as exc:
                if try_number == LEDGER_TRIES:
                    log.error(
                        "ledger append failed; usage of these calls is not recorded",
                        extra={
                            "note_id": payload.note_id,
                            "job_id": job.id,
                            "attempt": job.attempts,
                            "error_class": type(exc).__name__,
                            "calls": len(stamped),
                        },
                    )
                    return
                await asyncio.sleep(0.05 * try_number)

    async def _finish(
        self, job: Job, note: NoteData, result: RoboProcessingResult, context: ExtractionContext
    ) -> None:
        """Step 5: results, COMPLETED and the processed version in one token-guarded transaction."""
        payload = job.payload
        async with self._uow_factory() as uow:
            moved = await uow.statuses.transition(
                payload.note_id,
                payload.version,
                S.COMPLETED,
                now=self._clock.now(),
                expected_token=status_token(job),
            )
            if moved is None:
                self._stopped(job, "lost_lease")
                return
            await self._recorder.replace(uow, note=note, result=result, context=context)
            await uow.notes.set_robo_fields(
                payload.note_id, status=S.COMPLETED, processed_version=payload.version
            )
            await uow.commit()
        self._observer.outcome("completed")

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
        """Mirror the queue's decision: RETRY_SCHEDULED, FAILED, or QUEUED for a deferral."""
        if outcome is FailOutcome.STALE:
            return
        now = self._clock.now()
        if outcome is FailOutcome.DEAD_LETTERED:
            to_state, next_at = S.FAILED, None
        elif kind is FailKind.DEFER:
            to_state, next_at = S.QUEUED, None
        else:
            to_state, next_at = S.RETRY_SCHEDULED, now + timedelta(milliseconds=delay_ms)
        async with self._uow_factory() as uow:
            moved = await uow.statuses.transition(
                job.payload.note_id,
                job.payload.version,
                to_state,
                now=now,
                expected_token=status_token(job),
                error_class=error_class,
                last_error=message,
                next_attempt_at=next_at,
            )
            if moved is None:
                return
            note = await uow.notes.find(job.payload.note_id)
            if note is not None and note.version == job.payload.version:
                await uow.notes.set_robo_fields(
                    job.payload.note_id,
                    status=to_state,
                    error=f"{error_class}: {message}" if to_state is S.FAILED else None,
                )
            await uow.commit()
        self._observer.outcome(to_state.lower())

    async def record_release(self, job: Job) -> None:
        """A job released on shutdown goes back to QUEUED (its attempt was given back)."""
        async with self._uow_factory() as uow:
            moved = await uow.statuses.transition(
                job.payload.note_id,
                job.payload.version,
                S.QUEUED,
                now=self._clock.now(),
                expected_token=status_token(job),
            )
            if moved is not None:
                await uow.notes.set_robo_fields(job.payload.note_id, status=S.QUEUED)
                await uow.commit()

    def _stopped(self, job: Job, outcome: str) -> None:
        log.info(
            "job needs no processing",
            extra={
                "note_id": job.payload.note_id,
                "job_id": job.id,
                "attempt": job.attempts,
                "outcome": outcome,
            },
        )
        self._observer.outcome(outcome)
