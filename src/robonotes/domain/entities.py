"""A person's linked history: activities, each time they happened, and moments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Activity:
    """A canonical kind of doing, one per user per name, with the surface forms it was seen as."""

    id: int
    user_id: int
    name: str
    category: str | None
    aliases: tuple[str, ...]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ActivitySummary:
    """An activity with its history in figures, for listings."""

    activity: Activity
    count: int
    total_duration_minutes: float
    first_seen: datetime | None
    last_seen: datetime | None


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One time an activity happened, from one note."""

    id: int
    activity_id: int
    activity_name: str
    note_id: int
    moment_id: int | None
    occurred_at: datetime
    evidence: str
    surface: str | None = None
    duration_minutes: float | None = None
    quantity_value: float | None = None
    quantity_unit: str | None = None
    quantity_text: str | None = None
    object: str | None = None


@dataclass(frozen=True, slots=True)
class NewOccurrence:
    """An occurrence about to be written."""

    activity_id: int
    user_id: int
    note_id: int
    occurred_at: datetime
    evidence: str
    surface: str | None = None
    moment_id: int | None = None
    duration_minutes: float | None = None
    quantity_value: float | None = None
    quantity_unit: str | None = None
    quantity_text: str | None = None
    object: str | None = None


@dataclass(frozen=True, slots=True)
class Moment:
    """One specific experience, from one or more notes that tell of it."""

    id: int
    user_id: int
    source_note_id: int
    title: str
    summary: str
    status: str
    evidence: str
    start: datetime | None
    end: datetime | None
    part_of_day: str | None
    people: tuple[str, ...]
    place: str | None
    emotions: tuple[str, ...]
    valence: float | None
    activities: tuple[str, ...]
    note_ids: tuple[int, ...]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NewMoment:
    """A moment about to be written."""

    user_id: int
    source_note_id: int
    title: str
    summary: str
    status: str
    evidence: str
    start: datetime | None
    end: datetime | None
    part_of_day: str | None
    people: tuple[str, ...]
    place: str | None
    emotions: tuple[str, ...]
    valence: float | None


@dataclass(frozen=True, slots=True)
class MomentFilter:
    """Filters of the moments listing; None means no filter."""

    start_from: datetime | None = None
    start_to: datetime | None = None
    activity: str | None = None
    person: str | None = None
    place: str | None = None
