"""The one exception tree of Robo Notes; adapters translate third-party errors into it.

RoboNotesError
├── DomainError
│   ├── NoteNotFound
│   ├── EntityNotFound               an activity or moment that is missing or someone else's
│   ├── NoteValidationError
│   └── InvalidStatusTransition
├── RoboError
│   ├── RoboTransientError          retry: tier 1, then tier 2
│   │   ├── RoboRateLimited          carries retry_after_s
│   │   ├── RoboTimeout
│   │   ├── RoboUnavailable          5xx, connection refused or reset
│   │   └── CircuitOpenError         defers the job, costs no attempt
│   ├── RoboPermanentError          straight to the DLQ
│   │   ├── RoboAuthError            401/403, bad key
│   │   ├── RoboBadRequest           400/404/422
│   │   ├── RoboContentRejected      refusal, content filter
│   │   ├── RoboOutputTruncated      length finish reason
│   │   └── RoboInvalidResponse      schema still invalid after one re-ask
│   └── BudgetExceeded              defers the job, costs no attempt
├── QueueError
│   └── QueueUnavailable
└── StorageError
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from robonotes.domain.results import RoboCall


class RoboNotesError(Exception):
    """Root of every error this project raises on purpose."""


class DomainError(RoboNotesError):
    """A rule of the domain was broken."""


class NoteNotFound(DomainError):
    """The note does not exist, is deleted, or belongs to someone else (never say which)."""

    def __init__(self, note_id: object) -> None:
        super().__init__(f"note {note_id} not found")
        self.note_id = note_id


class EntityNotFound(DomainError):
    """An activity or moment that does not exist or belongs to someone else."""

    def __init__(self, kind: str, entity_id: object) -> None:
        super().__init__(f"{kind} {entity_id} not found")
        self.kind = kind
        self.entity_id = entity_id


class NoteValidationError(DomainError):
    """A note's fields break a rule (too long, not text, ...)."""


class NoteAlreadyImported(NoteValidationError):
    """A note with this source id (an import's `id`) exists for the person already."""

    def __init__(self, source_id: str, note_id: int) -> None:
        super().__init__(f"id {source_id!r} was imported before, as note {note_id}")
        self.source_id = source_id
        self.note_id = note_id


class InvalidStatusTransition(DomainError):
    """A processing status move that DESIGN.md's table does not allow."""

    def __init__(self, from_state: object, to_state: object) -> None:
        super().__init__(f"illegal processing status move {from_state} -> {to_state}")
        self.from_state = from_state
        self.to_state = to_state


class RoboError(RoboNotesError):
    """Robo (the extraction subsystem) failed."""

    calls: tuple[RoboCall, ...] = ()
    """Every provider attempt made before the failure, so tokens spent on them are ledgered."""


class RoboTransientError(RoboError):
    """Worth retrying: the same call may succeed later; `retry_after_s` is the server's hint."""

    def __init__(self, message: str = "", *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class RoboRateLimited(RoboTransientError):
    """The provider said 429; `retry_after_s` is its hint, when it gave one."""


class RoboTimeout(RoboTransientError):
    """Connecting to or reading from the provider took too long."""


class RoboUnavailable(RoboTransientError):
    """The provider answered 5xx, or the connection was refused or reset."""


class CircuitOpenError(RoboTransientError):
    """The circuit breaker is open; the job is deferred without using an attempt."""

    def __init__(
        self, message: str = "circuit open", *, retry_after_s: float | None = None
    ) -> None:
        super().__init__(message, retry_after_s=retry_after_s)


class RoboPermanentError(RoboError):
    """Retrying the same call cannot help; the job goes to the dead letter queue."""


class RoboAuthError(RoboPermanentError):
    """401/403: the key is missing, wrong or lacks permission."""


class RoboBadRequest(RoboPermanentError):
    """400/404/422: the request itself is wrong (model name, parameters)."""


class RoboContentRejected(RoboPermanentError):
    """The model refused or the content filter stopped it."""


class RoboOutputTruncated(RoboPermanentError):
    """The model hit its output limit (finish reason `length`)."""


class RoboInvalidResponse(RoboPermanentError):
    """The output still broke the schema after one re-ask."""


class BudgetExceeded(RoboError):
    """The spending budget is used up; the job is deferred without using an attempt."""

    def __init__(
        self, message: str = "budget exceeded", *, retry_after_s: float | None = None
    ) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class QueueError(RoboNotesError):
    """The processing queue failed."""


class QueueUnavailable(QueueError):
    """The queue backend (Redis, the SQL queue) cannot be reached."""


class StorageError(RoboNotesError):
    """The database failed in a way callers cannot fix."""


def is_deferral(error: BaseException) -> bool:
    """True for errors that postpone a job without spending one of its attempts."""
    return isinstance(error, (CircuitOpenError, BudgetExceeded))
