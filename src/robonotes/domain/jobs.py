"""Jobs that carry "process note N at version V" through the queue, and the tier-2 backoff rule."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

BACKOFF_BASE_S = 5.0
BACKOFF_CAP_S = 600.0
DEFAULT_MAX_ATTEMPTS = 6
DEFAULT_LEASE_MS = 30_000


class JobState(StrEnum):
    """Where a job is inside the queue."""

    READY = "ready"
    DELAYED = "delayed"
    LEASED = "leased"
    DEAD = "dead"
    DONE = "done"


class FailKind(StrEnum):
    """How a failed attempt is to be handled by the queue."""

    RETRY = "retry"
    """Transient: back to the delayed set, or to the DLQ once attempts are used up."""
    DEFER = "defer"
    """Circuit open or budget exceeded: back to the delayed set, the attempt is given back."""
    DEAD = "dead"
    """Permanent: straight to the DLQ."""


class FailOutcome(StrEnum):
    """What the queue did with a failed attempt."""

    RETRY_SCHEDULED = "retry_scheduled"
    DEAD_LETTERED = "dead_lettered"
    STALE = "stale"
    """The token was not current: the worker had lost its lease and nothing changed."""


@dataclass(frozen=True, slots=True)
class JobPayload:
    """What a job asks for; serialised as JSON, never pickled."""

    note_id: int
    version: int
    user_id: int


@dataclass(frozen=True, slots=True)
class JobError:
    """One failed attempt as the DLQ keeps it."""

    attempt: int
    error_class: str
    message: str
    at_ms: int


@dataclass(frozen=True, slots=True)
class Job:
    """A job as claimed by a worker, or as read from the DLQ."""

    id: str
    payload: JobPayload
    attempts: int
    max_attempts: int
    state: JobState
    token: str | None = None
    worker: str | None = None
    enqueued_at_ms: int = 0
    updated_at_ms: int = 0
    errors: tuple[JobError, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class QueueStats:
    """Depth by state and the age of the oldest ready job, for metrics and health."""

    ready: int
    delayed: int
    leased: int
    dead: int
    oldest_ready_age_s: float | None = None
    overdue_leases: int = 0
    live_workers: int = 0
    measured_at: datetime | None = None

    @property
    def pending_work(self) -> int:
        """Jobs that still need a worker: ready, delayed or leased."""
        return self.ready + self.delayed + self.leased


def backoff_s(
    attempt: int,
    *,
    base_s: float = BACKOFF_BASE_S,
    cap_s: float = BACKOFF_CAP_S,
    retry_after_s: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Full-jitter exponential backoff of DESIGN.md, or `retry_after_s` when that is larger."""
    draw: float = (rng or random).uniform(0.5, 1.0)
    delay = min(cap_s, base_s * 2.0 ** max(0, attempt - 1)) * draw
    if retry_after_s is not None and retry_after_s > delay:
        return retry_after_s
    return delay
