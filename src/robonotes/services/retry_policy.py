"""Tier 2 and tier 3 of DESIGN.md: how a failed attempt is handed back to the queue.

    error                             kind   delay                       status after
    CircuitOpenError, BudgetExceeded  DEFER  retry_after_s or backoff    QUEUED (no attempt spent)
    RoboPermanentError, DomainError   DEAD   0                           FAILED (in the DLQ)
    RoboTransientError (429, 5xx...)  RETRY  max(backoff, retry_after_s) RETRY_SCHEDULED or FAILED
    anything else (a bug, say)        RETRY  backoff                     RETRY_SCHEDULED or FAILED

Unknown exceptions are retried rather than dead-lettered at once: a bug or an outage of a
dependency should cost attempts, not notes; `max_attempts` still bounds them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from robonotes.domain.exceptions import (
    DomainError,
    InvalidStatusTransition,
    RoboPermanentError,
    RoboTransientError,
    is_deferral,
)
from robonotes.domain.jobs import FailKind, backoff_s

MAX_MESSAGE_CHARS = 500
"""Error messages are kept short: they land in the DLQ and in logs, never a whole response body."""


@dataclass(frozen=True, slots=True)
class RetryDecision:
    """What the worker asks the queue to do with one failed attempt."""

    kind: FailKind
    delay_ms: int
    error_class: str
    message: str


def error_class_of(error: BaseException) -> str:
    """The class name logged, counted and kept in the DLQ (TimeoutError for a job timeout)."""
    return type(error).__name__


def short_message(error: BaseException) -> str:
    """The error's message, bounded in length and never empty."""
    text = str(error).strip() or error_class_of(error)
    return text if len(text) <= MAX_MESSAGE_CHARS else text[: MAX_MESSAGE_CHARS - 1] + "…"


def classify_failure(
    error: BaseException,
    *,
    attempt: int,
    base_s: float | None = None,
    cap_s: float | None = None,
    rng: random.Random | None = None,
) -> RetryDecision:
    """Map an error of attempt `attempt` (1-based) to DEFER, DEAD or RETRY with its delay."""
    backoff_kwargs: dict[str, float] = {}
    if base_s is not None:
        backoff_kwargs["base_s"] = base_s
    if cap_s is not None:
        backoff_kwargs["cap_s"] = cap_s
    error_class = error_class_of(error)
    message = short_message(error)
    if is_deferral(error):
        hint: float | None = getattr(error, "retry_after_s", None)
        delay = hint if hint is not None else backoff_s(attempt, rng=rng, **backoff_kwargs)
        return RetryDecision(FailKind.DEFER, _to_ms(delay), error_class, message)
    permanent = isinstance(error, RoboPermanentError) or (
        isinstance(error, DomainError) and not isinstance(error, InvalidStatusTransition)
    )
    if permanent:
        return RetryDecision(FailKind.DEAD, 0, error_class, message)
    retry_after = error.retry_after_s if isinstance(error, RoboTransientError) else None
    delay = backoff_s(attempt, retry_after_s=retry_after, rng=rng, **backoff_kwargs)
    return RetryDecision(FailKind.RETRY, _to_ms(delay), error_class, message)


def _to_ms(delay_s: float) -> int:
    return max(0, round(delay_s * 1000))
