"""The processing status machine of DESIGN.md: states and the one table of legal moves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from robonotes.domain.exceptions import InvalidStatusTransition


class ProcessingState(StrEnum):
    """Where Robo processing of one note version stands."""

    PENDING = "PENDING"
    QUEUED = "QUEUED"
    PROCESSING = "PROCESSING"
    RETRY_SCHEDULED = "RETRY_SCHEDULED"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"
    SUPERSEDED = "SUPERSEDED"
    CANCELLED = "CANCELLED"


S = ProcessingState

TRANSITIONS: dict[ProcessingState, frozenset[ProcessingState]] = {
    S.PENDING: frozenset({S.QUEUED, S.SUPERSEDED, S.CANCELLED}),
    S.QUEUED: frozenset({S.PROCESSING, S.SUPERSEDED, S.CANCELLED, S.SKIPPED}),
    S.PROCESSING: frozenset(
        {S.COMPLETED, S.RETRY_SCHEDULED, S.QUEUED, S.FAILED, S.SUPERSEDED, S.CANCELLED, S.SKIPPED}
    ),
    S.RETRY_SCHEDULED: frozenset({S.QUEUED, S.SUPERSEDED, S.CANCELLED}),
    S.COMPLETED: frozenset({S.QUEUED}),
    S.FAILED: frozenset({S.QUEUED, S.CANCELLED}),
    S.SKIPPED: frozenset({S.QUEUED, S.CANCELLED}),
    S.SUPERSEDED: frozenset({S.CANCELLED}),
    S.CANCELLED: frozenset(),
}

TERMINAL_STATES: frozenset[ProcessingState] = frozenset(
    {S.COMPLETED, S.SKIPPED, S.SUPERSEDED, S.CANCELLED, S.FAILED}
)
"""States the cleanup job may delete after retention (FAILED only once purged from the DLQ)."""

ACTIVE_STATES: frozenset[ProcessingState] = frozenset(
    {S.PENDING, S.QUEUED, S.PROCESSING, S.RETRY_SCHEDULED}
)
"""States in which a note version still waits for, or is under, processing."""


def can_transition(from_state: ProcessingState, to_state: ProcessingState) -> bool:
    """Whether DESIGN.md's table allows the move."""
    return to_state in TRANSITIONS[from_state]


def check_transition(from_state: ProcessingState, to_state: ProcessingState) -> ProcessingState:
    """Return `to_state` when the move is legal, else raise `InvalidStatusTransition`."""
    if not can_transition(from_state, to_state):
        raise InvalidStatusTransition(from_state, to_state)
    return to_state


@dataclass(frozen=True, slots=True)
class StatusRecord:
    """The temporary per-note-version record of where processing stands."""

    note_id: int
    version: int
    user_id: int
    state: ProcessingState
    attempts: int
    created_at: datetime
    updated_at: datetime
    token: str | None = None
    job_id: str | None = None
    last_error: str | None = None
    error_class: str | None = None
    skip_reason: str | None = None
    next_attempt_at: datetime | None = None
