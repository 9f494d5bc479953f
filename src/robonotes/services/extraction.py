"""Linking a note's extraction into the person's history, and the context Robo is given for it."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from robonotes.domain.context import CandidateActivity, CandidateMoment, ExtractionContext
from robonotes.domain.entities import Activity, Moment, NewMoment, NewOccurrence
from robonotes.domain.notes import NoteData
from robonotes.domain.results import (
    ExtractedActivity,
    ExtractedMoment,
    MomentStatus,
    RoboProcessingResult,
)
from robonotes.services.linking import ActivityResolver, KnownActivity, fold
from robonotes.services.ports import Clock, UnitOfWork, UnitOfWorkFactory

ACTIVITY_POOL = 120
"""How many of the person's activities, most used first, are ranked for the note."""
MOMENT_POOL = 30
"""How many of the person's most recent moments are ranked (each costs a row and its links)."""
MAX_CANDIDATE_ACTIVITIES = 40
MAX_CANDIDATE_MOMENTS = 10
MAX_CANDIDATE_ALIASES = 4
MAX_CANDIDATE_PEOPLE = 4
MAX_CANDIDATE_TITLE_CHARS = 80
CANDIDATE_CHAR_BUDGET = 2_400
"""About 600 tokens of activity candidates: enough to link, small beside the static prompt."""
MOMENT_CHAR_BUDGET = 1_200
"""About 300 tokens of moment candidates."""
STEM_CHARS = 4
"""Words that share their first four letters are taken as one ("jogged", "jogging")."""


_NOTE_WORD = re.compile(r"\w+")
T = TypeVar("T")


def local_day(when: datetime, time_zone: str | None) -> tuple[datetime, datetime]:
    """The writer's calendar day around `when`, as [start, end): moments merge within one day.

    A run with Sam at the park today and another tomorrow are two moments; a day is the
    narrowest window that still lets "yesterday's hike" in a later note meet the hike itself.
    """
    try:
        zone: tzinfo = ZoneInfo(time_zone) if time_zone else UTC
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    local = when.astimezone(zone)
    start = datetime.combine(local.date(), time(), tzinfo=zone)
    return start, datetime.combine(local.date() + timedelta(days=1), time(), tzinfo=zone)


def _stems(text: str) -> set[str]:
    return {word[:STEM_CHARS] for word in fold(text).split() if len(word) >= 3}


def note_words(text: str) -> set[str]:
    """The note's word stems, to rank candidates it seems to speak of."""
    return {stem for word in _NOTE_WORD.findall(text) for stem in _stems(word)}


def mentions(note_stems: set[str], texts: Sequence[str]) -> bool:
    """Whether any of the texts (a name, an alias, a person) shares a word stem with the note."""
    return any(_stems(text) & note_stems for text in texts if text)


def _first_relevant(
    items: Sequence[T],
    *,
    relevant: Callable[[T], bool],
    limit: int,
    budget_chars: int,
    chars: Callable[[T], int],
) -> list[T]:
    """Relevant items first (stable, so the given order breaks ties), cut by count and size."""
    kept: list[T] = []
    for item in sorted(items, key=lambda item: not relevant(item))[:limit]:
        budget_chars -= chars(item)
        if budget_chars < 0:
            break
        kept.append(item)
    return kept


def _known(activity: Activity) -> KnownActivity:
    return KnownActivity(id=activity.id, name=activity.name, aliases=activity.aliases)


def _folded_set(items: Sequence[str]) -> set[str]:
    return {fold(item) for item in items if fold(item)}


def moments_agree(
    existing: Moment, *, activities: Sequence[str], people: Sequence[str], place: str | None
) -> bool:
    """DESIGN.md's rule: one activity, and people or place, agree (the time window comes first)."""
    if not _folded_set(existing.activities) & _folded_set(activities):
        return False
    if _folded_set(existing.people) & _folded_set(people):
        return True
    return bool(place and existing.place and fold(place) == fold(existing.place))


class NoteContextBuilder:
    """Builds ExtractionContext: the note's time and the person's most relevant candidates."""

    def __init__(self, *, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def build(self, note: NoteData) -> ExtractionContext:
        """Candidates the note seems to speak of first, then the most used or most recent.

        Both lists are bounded in number and in characters (about tokens / 4), so a person with
        a long history costs the same prompt as one with a short one.
        """
        async with self._uow_factory() as uow:
            summaries = await uow.activities.summaries(
                user_id=note.user_id, sort="count", limit=ACTIVITY_POOL
            )
            recent = await uow.moments.recent(user_id=note.user_id, limit=MOMENT_POOL)
        words = note_words(note.text)
        activities = [
            CandidateActivity(
                idx=idx,
                name=activity.name,
                aliases=tuple(activity.aliases[:MAX_CANDIDATE_ALIASES]),
                category=activity.category,
            )
            for idx, activity in enumerate(
                _first_relevant(
                    [summary.activity for summary in summaries],
                    relevant=lambda a: mentions(words, (a.name, *a.aliases)),
                    limit=MAX_CANDIDATE_ACTIVITIES,
                    budget_chars=CANDIDATE_CHAR_BUDGET,
                    chars=lambda a: (
                        len(a.name)
                        + sum(len(alias) + 2 for alias in a.aliases[:MAX_CANDIDATE_ALIASES])
                        + 8
                    ),
                )
            )
        ]
        moments = [
            CandidateMoment(
                idx=idx,
                title=moment.title[:MAX_CANDIDATE_TITLE_CHARS],
                start=moment.start,
                people=moment.people[:MAX_CANDIDATE_PEOPLE],
                place=moment.place,
                activities=moment.activities,
            )
            for idx, moment in enumerate(
                _first_relevant(
                    recent,
                    relevant=lambda m: mentions(words, (*m.people, m.place or "", *m.activities)),
                    limit=MAX_CANDIDATE_MOMENTS,
                    budget_chars=MOMENT_CHAR_BUDGET,
                    chars=lambda m: (
                        len(m.title[:MAX_CANDIDATE_TITLE_CHARS])
                        + sum(len(p) + 2 for p in m.people[:MAX_CANDIDATE_PEOPLE])
                        + len(m.place or "")
                        + 40
                    ),
                )
            )
        ]
        return ExtractionContext(
            created_at=note.created_at,
            time_zone=note.time_zone,
            activities=tuple(activities),
            moments=tuple(moments),
            note_id=note.id,
            note_version=note.version,
            user_id=note.user_id,
        )


class LinkingExtractionRecorder:
    """Writes a note's extraction in the caller's transaction, replacing any earlier one."""

    def __init__(self, *, resolver: ActivityResolver, clock: Clock) -> None:
        self._resolver = resolver
        self._clock = clock

    async def replace(
        self,
        uow: UnitOfWork,
        *,
        note: NoteData,
        result: RoboProcessingResult,
        context: ExtractionContext,
    ) -> None:
        """Delete what an earlier extraction of this note wrote, then link and write this one."""
        touched = await uow.activities.delete_for_note(note.id)
        await uow.moments.delete_for_note(note.id)
        linked = await self._link_activities(uow, note=note, result=result, context=context)
        moment_ids = await self._write_moments(uow, note=note, result=result, linked=linked)
        recorded: set[int] = set()
        for item in result.activities:
            name = self._key(item.name)
            activity = linked.get(name)
            activity_id = None if activity is None else activity.id
            if activity_id is None or activity_id in recorded:
                continue  # once per note, as GUIDE.md counts activities
            recorded.add(activity_id)
            moment_id, started = self._moment_of(name, result.moments, moment_ids)
            await uow.activities.add_occurrence(
                self._occurrence(
                    item,
                    note=note,
                    activity_id=activity_id,
                    moment_id=moment_id,
                    occurred_at=started or note.created_at,
                )
            )
        # Activities that lost their only occurrence go, but only after this note's own new
        # occurrences are in, so an unchanged reprocess keeps every activity id.
        await uow.activities.prune(touched)

    async def _link_activities(
        self,
        uow: UnitOfWork,
        *,
        note: NoteData,
        result: RoboProcessingResult,
        context: ExtractionContext,
    ) -> dict[str, KnownActivity]:
        """Resolve every extracted activity; return canonical key -> the activity it links to."""
        activities = await uow.activities.list_for_user(user_id=note.user_id)
        known = [_known(activity) for activity in activities]
        by_name = {activity.name: activity for activity in known}
        linked_by_key: dict[str, KnownActivity] = {}
        now = self._clock.now()
        for item in result.activities:
            candidate = None
            idx = item.existing_activity_idx
            if idx is not None and 0 <= idx < len(context.activities):
                candidate = by_name.get(context.activities[idx].name)
            resolution = self._resolver.resolve(
                name=item.name, surface=item.surface, known=known, candidate=candidate
            )
            linked = next((a for a in known if a.id == resolution.activity_id), None)
            if linked is None:
                created = await uow.activities.upsert(
                    user_id=note.user_id, name=resolution.name, category=item.category, now=now
                )
                linked = by_name.get(created.name) or _known(created)
                if created.name not in by_name:
                    known.append(linked)
                    by_name[created.name] = linked
            activity_id = linked.id
            for form in sorted({fold(item.surface), fold(item.name)}):
                if form and form != linked.name and form not in linked.aliases:
                    await uow.activities.add_alias(
                        activity_id=activity_id, user_id=note.user_id, alias=form
                    )
            linked_by_key[self._key(item.name)] = linked
        return linked_by_key

    async def _write_moments(
        self,
        uow: UnitOfWork,
        *,
        note: NoteData,
        result: RoboProcessingResult,
        linked: dict[str, KnownActivity],
    ) -> list[int]:
        now = self._clock.now()
        written: list[int] = []
        for moment in result.moments:
            keys = [self._key(name) for name in moment.activities]
            activity_ids = sorted({linked[key].id for key in keys if key in linked})
            # Stored names, as the person's moments carry them: "jogging" linked to "running"
            # must meet a moment of "running".
            names = [linked[key].name if key in linked else key for key in keys]
            start = moment.time.start
            if start is None and moment.status is MomentStatus.HAPPENED:
                # With no time in the text, the day the note was written is the best we know.
                start = note.created_at
            existing = None
            if moment.status is MomentStatus.HAPPENED:
                existing = await self._find_same(uow, note=note, moment=moment, names=names)
            if existing is not None:
                await uow.moments.attach(
                    existing.id,
                    note_id=note.id,
                    evidence=moment.evidence,
                    activity_ids=activity_ids,
                )
                written.append(existing.id)
                continue
            written.append(
                await uow.moments.add(
                    NewMoment(
                        user_id=note.user_id,
                        source_note_id=note.id,
                        title=moment.title,
                        summary=moment.summary,
                        status=moment.status.value,
                        evidence=moment.evidence,
                        start=start,
                        end=moment.time.end,
                        part_of_day=moment.time.part_of_day.value
                        if moment.time.part_of_day
                        else None,
                        people=moment.people,
                        place=moment.place,
                        emotions=moment.emotions,
                        valence=moment.valence,
                    ),
                    activity_ids=activity_ids,
                    now=now,
                )
            )
        return written

    async def _find_same(
        self, uow: UnitOfWork, *, note: NoteData, moment: ExtractedMoment, names: Sequence[str]
    ) -> Moment | None:
        when: datetime = moment.time.start or note.created_at
        day_start, day_end = local_day(when, note.time_zone)
        nearby = await uow.moments.in_window(
            user_id=note.user_id, start_from=day_start, start_to=day_end
        )
        for existing in nearby:
            if note.id in existing.note_ids:
                continue
            if moments_agree(existing, activities=names, people=moment.people, place=moment.place):
                return existing
        return None

    def _moment_of(
        self, name: str, moments: Sequence[ExtractedMoment], moment_ids: Sequence[int]
    ) -> tuple[int | None, datetime | None]:
        for moment, moment_id in zip(moments, moment_ids, strict=True):
            if name in {self._key(other) for other in moment.activities}:
                return moment_id, moment.time.start
        return None, None

    def _key(self, name: str) -> str:
        return self._resolver.canonical(name) or fold(name)

    @staticmethod
    def _occurrence(
        item: ExtractedActivity,
        *,
        note: NoteData,
        activity_id: int,
        moment_id: int | None,
        occurred_at: datetime,
    ) -> NewOccurrence:
        quantity = item.quantity
        return NewOccurrence(
            activity_id=activity_id,
            user_id=note.user_id,
            note_id=note.id,
            occurred_at=occurred_at,
            evidence=item.evidence,
            surface=item.surface,
            moment_id=moment_id,
            duration_minutes=item.duration_minutes,
            quantity_value=quantity.value if quantity else None,
            quantity_unit=quantity.unit if quantity else None,
            quantity_text=quantity.text if quantity else None,
            object=item.object,
        )
