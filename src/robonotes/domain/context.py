"""What Robo is told besides the note: its time and the person's candidates for linking."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass(frozen=True, slots=True)
class CandidateActivity:
    """An activity the person already has, shown to the LLM by `idx`, never by database id."""

    idx: int
    name: str
    aliases: tuple[str, ...] = ()
    category: str | None = None


@dataclass(frozen=True, slots=True)
class CandidateMoment:
    """A recent moment the note may refer to again, shown by `idx`."""

    idx: int
    title: str
    start: datetime | None = None
    people: tuple[str, ...] = ()
    place: str | None = None
    activities: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ExtractionContext:
    """The note's time (to resolve "this morning") and the person's linking candidates."""

    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    time_zone: str | None = None
    activities: tuple[CandidateActivity, ...] = ()
    moments: tuple[CandidateMoment, ...] = ()
    note_id: int | None = None
    note_version: int | None = None
    user_id: int | None = None
