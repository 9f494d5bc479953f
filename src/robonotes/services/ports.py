"""Ports: the Protocols services speak to; adapters in storage, queue and robo implement them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from robonotes.domain.context import ExtractionContext
from robonotes.domain.entities import (
    Activity,
    ActivitySummary,
    Moment,
    MomentFilter,
    NewMoment,
    NewOccurrence,
    Occurrence,
)
from robonotes.domain.jobs import FailKind, FailOutcome, Job, JobPayload, QueueStats
from robonotes.domain.notes import NoteData, User
from robonotes.domain.results import RoboCall, RoboProcessingResult
from robonotes.domain.status import ProcessingState, StatusRecord


@dataclass(frozen=True, slots=True)
class NewNote:
    """The fields of a note about to be written."""

    user_id: int
    title: str | None
    body: str
    created_at: datetime
    time_zone: str | None = None
    source_id: str | None = None
    """The id the note had where it came from (an import), unique per person when given."""


class UserRepository(Protocol):
    """People and their API tokens (only a hash of each token is stored)."""

    async def add(self, *, name: str, created_at: datetime) -> User: ...
    async def get_by_name(self, name: str) -> User: ...
    async def find_by_name(self, name: str) -> User | None: ...
    async def add_token(self, *, user_id: int, token_hash: str, created_at: datetime) -> None: ...
    async def find_by_token_hash(self, token_hash: str) -> User | None: ...


class NoteRepository(Protocol):
    """Notes, versioned and soft-deleted."""

    async def add(self, note: NewNote, *, content_hash: str) -> NoteData: ...
    async def get(self, note_id: int, *, user_id: int | None = None) -> NoteData:
        """Raise NoteNotFound when missing, deleted, or not this user's."""
        ...

    async def find(self, note_id: int, *, include_deleted: bool = False) -> NoteData | None: ...
    async def find_id_by_source_id(self, *, user_id: int, source_id: str) -> int | None:
        """The id of the person's note imported with `source_id` (deleted ones too), or None."""
        ...

    async def list(
        self, *, user_id: int, after_id: int | None = None, limit: int = 50
    ) -> list[NoteData]:
        """Newest first: ids below `after_id`, at most `limit`."""
        ...

    async def update(
        self, note_id: int, *, title: str | None, body: str, content_hash: str, updated_at: datetime
    ) -> NoteData:
        """Write new text and bump `version`; the caller has checked ownership."""
        ...

    async def soft_delete(self, note_id: int, *, deleted_at: datetime) -> None: ...
    async def set_robo_fields(
        self,
        note_id: int,
        *,
        status: ProcessingState,
        processed_version: int | None = None,
        error: str | None = None,
    ) -> None:
        """Mirror the newest status onto the note (processed_version only when given)."""
        ...


class StatusRepository(Protocol):
    """The temporary per-note-version processing status rows."""

    async def add(self, *, note_id: int, version: int, user_id: int, now: datetime) -> StatusRecord:
        """Insert a PENDING row."""
        ...

    async def get(self, note_id: int, version: int) -> StatusRecord: ...
    async def find(self, note_id: int, version: int) -> StatusRecord | None: ...
    async def find_latest(self, note_id: int) -> StatusRecord | None: ...
    async def transition(
        self,
        note_id: int,
        version: int,
        to_state: ProcessingState,
        *,
        now: datetime,
        expected_state: ProcessingState | None = None,
        expected_token: str | None = None,
        token: str | None = None,
        attempts: int | None = None,
        job_id: str | None = None,
        error_class: str | None = None,
        last_error: str | None = None,
        skip_reason: str | None = None,
        next_attempt_at: datetime | None = None,
    ) -> StatusRecord | None:
        """Move a row along the status machine (InvalidStatusTransition when illegal).

        With `expected_state` or `expected_token`, the move happens only while the row is in that
        state or carries that token; None is returned when it does not (a worker that lost its
        lease writes nothing). Fields left None keep their values, except `token`, which a move
        out of PROCESSING clears.
        """
        ...

    async def supersede_older(self, note_id: int, *, below_version: int, now: datetime) -> int:
        """Mark every active row of older versions SUPERSEDED; return how many."""
        ...

    async def cancel_all(self, note_id: int, *, now: datetime) -> int:
        """Mark every non-completed row of the note CANCELLED; return how many."""
        ...

    async def list_in_states(
        self, states: Sequence[ProcessingState], *, updated_before: datetime, limit: int
    ) -> list[StatusRecord]: ...
    async def counts(self) -> dict[ProcessingState, int]: ...
    async def delete_terminal(self, *, updated_before: datetime, limit: int) -> int:
        """Delete up to `limit` terminal rows last changed before the cut-off; return how many."""
        ...

    async def count_terminal(self, *, updated_before: datetime) -> int: ...
    async def delete(self, note_id: int, version: int) -> bool:
        """Delete one row (cleanup of a FAILED row the DLQ let go); False when it was absent."""
        ...


class ActivityRepository(Protocol):
    """A person's activities, their aliases and occurrences."""

    async def list_for_user(self, *, user_id: int) -> list[Activity]: ...
    async def get(self, activity_id: int, *, user_id: int) -> Activity:
        """Raise EntityNotFound when missing or not the user's."""
        ...

    async def upsert(
        self, *, user_id: int, name: str, category: str | None, now: datetime
    ) -> Activity:
        """Insert under the (user_id, name) unique constraint, or return the row already there."""
        ...

    async def add_alias(self, *, activity_id: int, user_id: int, alias: str) -> None:
        """Learn a surface form; an alias the user already has elsewhere is left where it is."""
        ...

    async def add_occurrence(self, occurrence: NewOccurrence) -> int: ...
    async def delete_for_note(self, note_id: int) -> list[int]:
        """Remove the note's occurrences; return the activities they belonged to."""
        ...

    async def prune(self, activity_ids: Sequence[int]) -> int:
        """Delete those of `activity_ids` that have no occurrence left; return how many."""
        ...

    async def occurrences_for_note(self, note_id: int) -> list[Occurrence]: ...
    async def occurrences(self, activity_id: int, *, limit: int = 200) -> list[Occurrence]: ...
    async def summaries(
        self,
        *,
        user_id: int,
        sort: str = "count",
        query: str | None = None,
        category: str | None = None,
        activity_id: int | None = None,
        limit: int = 100,
    ) -> list[ActivitySummary]: ...
    async def merge(self, *, user_id: int, source_id: int, target_id: int) -> None:
        """Move occurrences and aliases of `source_id` to `target_id` and delete the source."""
        ...


class MomentRepository(Protocol):
    """A person's moments and the notes that tell of them."""

    async def add(
        self, moment: NewMoment, *, activity_ids: Sequence[int], now: datetime
    ) -> int: ...
    async def attach(
        self, moment_id: int, *, note_id: int, evidence: str, activity_ids: Sequence[int]
    ) -> None:
        """Record that another note tells of an existing moment."""
        ...

    async def delete_for_note(self, note_id: int) -> None:
        """Remove the note's part of every moment, and moments no note tells of any more."""
        ...

    async def in_window(
        self, *, user_id: int, start_from: datetime, start_to: datetime, limit: int = 50
    ) -> list[Moment]: ...
    async def recent(self, *, user_id: int, limit: int) -> list[Moment]: ...
    async def get(self, moment_id: int, *, user_id: int) -> Moment: ...
    async def for_note(self, note_id: int) -> list[Moment]: ...
    async def list(
        self, *, user_id: int, filters: MomentFilter, after_id: int | None = None, limit: int = 50
    ) -> list[Moment]: ...


class RoboCallLedger(Protocol):
    """Append-only record of every LLM call attempt and the tokens it spent."""

    async def append(self, calls: Sequence[RoboCall]) -> None: ...


class UnitOfWork(Protocol):
    """One transaction over the repositories; rolls back on exit unless `commit()` was called."""

    users: UserRepository
    notes: NoteRepository
    statuses: StatusRepository
    activities: ActivityRepository
    moments: MomentRepository

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    """Makes a fresh unit of work per use case call."""

    def __call__(self) -> UnitOfWork: ...


class NoteEnqueuer(Protocol):
    """The part of the queue NoteService needs: ask for a note version to be processed."""

    async def enqueue(self, payload: JobPayload) -> str:
        """Return the job id; enqueueing the same note version twice returns the same id."""
        ...


class NoteProcessingQueue(NoteEnqueuer, Protocol):
    """The reliable processing queue (RedisQueue, SqlQueue): leases, fencing tokens, delays, DLQ."""

    async def claim(self, *, worker_id: str, limit: int, lease_ms: int) -> list[Job]:
        """Lease up to `limit` ready jobs to the worker, each with a new token and attempts + 1."""
        ...

    async def heartbeat(self, *, worker_id: str, lease_ms: int) -> int:
        """Extend the leases of all the worker's jobs and its liveness key; return how many."""
        ...

    async def retire(self, *, worker_id: str) -> None:
        """Forget a stopped worker's heartbeat, so health counts only live workers."""
        ...

    async def complete(self, job_id: str, *, token: str) -> bool:
        """Finish the job; False (and nothing changes) when the token is stale."""
        ...

    async def fail(
        self,
        job_id: str,
        *,
        token: str,
        kind: FailKind,
        error_class: str,
        message: str,
        delay_ms: int = 0,
    ) -> FailOutcome: ...
    async def release(self, job_id: str, *, token: str) -> bool:
        """Put a leased job back to ready without counting the attempt (graceful shutdown)."""
        ...

    async def promote(self) -> int:
        """Move due delayed jobs to ready; return how many."""
        ...

    async def reap(self) -> tuple[int, int]:
        """Expired leases back to ready or to the DLQ; return (requeued, dead_lettered)."""
        ...

    async def replay(self, job_ids: Sequence[str] | None = None, *, limit: int = 100) -> list[str]:
        """Move DLQ jobs (all when None) back to ready with fresh attempts; return their ids."""
        ...

    async def dead_letters(self, *, limit: int = 100) -> list[Job]: ...
    async def get_job(self, job_id: str) -> Job | None: ...
    async def has_job(self, payload: JobPayload) -> bool:
        """Whether a live (ready, delayed, leased or dead) job exists for this note version."""
        ...

    async def purge_dead(self, job_ids: Sequence[str] | None = None) -> int: ...
    async def stats(self) -> QueueStats: ...
    async def wait_for_work(self, timeout_s: float) -> None:
        """Block up to `timeout_s` for a wake-up instead of polling in a tight loop."""
        ...

    async def ping(self) -> None:
        """Raise QueueUnavailable when the backend does not answer."""
        ...

    async def close(self) -> None: ...


class RoboService(Protocol):
    """One way to run Robo: one call extracts both moments and activities of a note."""

    @property
    def name(self) -> str: ...
    @property
    def model(self) -> str: ...
    async def extract(self, note: NoteData, context: ExtractionContext) -> RoboProcessingResult: ...


class Clock(Protocol):
    """The time, injectable so tests can move it."""

    def now(self) -> datetime: ...


class ContextBuilder(Protocol):
    """Builds what Robo is told besides the note: its time and the person's linking candidates."""

    async def build(self, note: NoteData) -> ExtractionContext: ...


class ExtractionRecorder(Protocol):
    """Writes a note's extraction (linking, dedup) inside the caller's transaction.

    `replace` removes whatever an earlier extraction of the same note wrote, so reprocessing
    (an edit, a replay, a redelivery) never duplicates activities, occurrences or moments.
    """

    async def replace(
        self,
        uow: UnitOfWork,
        *,
        note: NoteData,
        result: RoboProcessingResult,
        context: ExtractionContext,
    ) -> None:
        """`context` is the one Robo was given, so candidate indices map back to activities."""
        ...


@dataclass(frozen=True, slots=True)
class RateReservation:
    """Capacity taken before an LLM call: one request and an estimate of its tokens."""

    id: str
    tokens: int


class RateLimiter(Protocol):
    """Requests and tokens per minute, shared by every process (Redis) or in-process (embedded)."""

    async def acquire(self, *, tokens: int) -> RateReservation:
        """Wait until one request and `tokens` fit in the window, then reserve them."""
        ...

    async def settle(self, reservation: RateReservation, *, actual_tokens: int) -> None:
        """Replace the estimate with what the call really used."""
        ...

    async def observe_limits(
        self,
        *,
        remaining_requests: int | None,
        remaining_tokens: int | None,
        reset_requests_s: float | None,
        reset_tokens_s: float | None,
    ) -> None:
        """Tighten the budget from the provider's x-ratelimit-* headers."""
        ...


class JobHandler(Protocol):
    """Processes one claimed job (NoteProcessor); the worker owns leases, acks and retries."""

    async def handle(self, job: Job) -> None:
        """Run the job to its end; raise a RoboNotesError for the worker to classify."""
        ...

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
        """Mirror what the queue did with a failed attempt onto the status row (and the note)."""
        ...

    async def record_release(self, job: Job) -> None:
        """Mirror a release on shutdown: the status row goes back to QUEUED."""
        ...
