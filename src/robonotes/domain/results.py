"""Frozen value objects for what Robo extracted from a note and what it cost."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class MomentStatus(StrEnum):
    """Whether a moment happened, is planned, or is a habit."""

    HAPPENED = "happened"
    PLANNED = "planned"
    HABITUAL = "habitual"


class PartOfDay(StrEnum):
    """Coarse time of day a moment took place."""

    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"
    NIGHT = "night"


@dataclass(frozen=True, slots=True)
class Quantity:
    """An amount the person gave: 5 km, 3x8 reps, 2 chapters."""

    value: float | None
    unit: str | None
    text: str


@dataclass(frozen=True, slots=True)
class ExtractedActivity:
    """One kind of doing the person actually did in the note."""

    name: str
    surface: str
    evidence: str
    category: str | None = None
    object: str | None = None
    duration_minutes: float | None = None
    quantity: Quantity | None = None
    existing_activity_idx: int | None = None


@dataclass(frozen=True, slots=True)
class MomentTime:
    """When a moment took place, as written and as resolved against the note's time."""

    text: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    part_of_day: PartOfDay | None = None


@dataclass(frozen=True, slots=True)
class ExtractedMoment:
    """One specific, bounded experience: what, when, who, where, how it felt."""

    title: str
    summary: str
    status: MomentStatus
    evidence: str
    time: MomentTime = field(default_factory=MomentTime)
    people: tuple[str, ...] = ()
    place: str | None = None
    emotions: tuple[str, ...] = ()
    valence: float | None = None
    activities: tuple[str, ...] = ()
    existing_moment_idx: int | None = None


@dataclass(frozen=True, slots=True)
class TokenUsage:
    """Tokens one or more LLM calls used; zero for the offline provider."""

    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens (cached and reasoning are parts of those)."""
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            cached_tokens=self.cached_tokens + other.cached_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            reasoning_tokens=self.reasoning_tokens + other.reasoning_tokens,
        )


class CallOutcome(StrEnum):
    """How one HTTP attempt to the provider ended."""

    OK = "ok"
    RETRIED = "retried"
    FAILED = "failed"
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class RoboCall:
    """One attempt against the provider, as the `robo_calls` ledger records it."""

    provider: str
    model: str
    purpose: str
    attempt: int
    outcome: CallOutcome
    usage: TokenUsage
    latency_ms: float
    started_at: datetime
    request_id: str | None = None
    error_class: str | None = None
    note_id: int | None = None
    user_id: int | None = None
    note_version: int | None = None


@dataclass(frozen=True, slots=True)
class RoboProcessingResult:
    """Everything one extraction produced, with what it cost."""

    activities: tuple[ExtractedActivity, ...]
    moments: tuple[ExtractedMoment, ...]
    provider: str
    model: str
    prompt_version: str
    usage: TokenUsage = field(default_factory=TokenUsage)
    latency_ms: float = 0.0
    cache_hit: bool = False
    calls: tuple[RoboCall, ...] = ()
    dropped_items: int = 0
