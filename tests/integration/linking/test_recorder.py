"""The linking recorder on real SQLite and PostgreSQL: one activity per kind, idempotent replace."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from robonotes.domain.context import CandidateActivity, ExtractionContext
from robonotes.domain.notes import NoteData
from robonotes.domain.results import (
    ExtractedActivity,
    ExtractedMoment,
    MomentStatus,
    MomentTime,
    PartOfDay,
    Quantity,
    RoboProcessingResult,
)
from robonotes.services.clock import SystemClock
from robonotes.services.extraction import LinkingExtractionRecorder, NoteContextBuilder
from robonotes.services.linking import ActivityResolver
from robonotes.services.ports import NewNote
from robonotes.storage.engine import create_engine
from robonotes.storage.entity_tables import (
    activities,
    activity_aliases,
    activity_occurrences,
    moment_activities,
    moment_notes,
    moments,
)
from robonotes.storage.uow import SqlAlchemyUnitOfWorkFactory

ALIASES = {"jogging": "running", "run": "running", "5k": "running", "jog": "running"}
NAMES = ["running", "walking", "reading", "writing", "cooking"]
T0 = datetime(2026, 3, 14, 8, 0, tzinfo=UTC)


@pytest.fixture
async def uow_factory(
    database: tuple[str, str | None],
) -> AsyncIterator[SqlAlchemyUnitOfWorkFactory]:
    url, schema = database
    engine = create_engine(url, schema=schema)
    yield SqlAlchemyUnitOfWorkFactory(engine)
    await engine.dispose()


@pytest.fixture
def recorder() -> LinkingExtractionRecorder:
    return LinkingExtractionRecorder(
        resolver=ActivityResolver(aliases=ALIASES, canonical_names=NAMES), clock=SystemClock()
    )


async def _user_and_note(
    uow_factory: SqlAlchemyUnitOfWorkFactory, *, name: str = "ana", body: str, at: datetime = T0
) -> NoteData:
    async with uow_factory() as uow:
        user = await uow.users.find_by_name(name) or await uow.users.add(name=name, created_at=at)
        note = await uow.notes.add(
            NewNote(user_id=user.id, title=None, body=body, created_at=at), content_hash=body
        )
        await uow.commit()
    return note


def _run_result(
    surface: str,
    *,
    people: tuple[str, ...] = (),
    minutes: float | None = None,
    start: datetime | None = None,
) -> RoboProcessingResult:
    return RoboProcessingResult(
        activities=(
            ExtractedActivity(
                name="running" if surface != "jogged" else "jogging",
                surface=surface,
                evidence=surface,
                category="sport",
                duration_minutes=minutes,
                quantity=Quantity(value=5, unit="km", text="5k") if surface == "5k" else None,
            ),
        ),
        moments=(
            ExtractedMoment(
                title=f"{surface} run",
                summary=f"{surface} in the morning",
                status=MomentStatus.HAPPENED,
                evidence=surface,
                time=MomentTime(text="this morning", start=start, part_of_day=PartOfDay.MORNING),
                people=people,
                activities=("running",),
            ),
        ),
        provider="test",
        model="test",
        prompt_version="t1",
    )


RUNNING_CANDIDATE = ExtractionContext(
    created_at=T0, activities=(CandidateActivity(idx=0, name="running"),)
)
"""A context whose candidate 0 is the person's running."""


def _linked_to_running(name: str, surface: str, *moments: ExtractedMoment) -> RoboProcessingResult:
    """One activity the LLM links to candidate 0 (running), with the given moments."""
    return RoboProcessingResult(
        activities=(
            ExtractedActivity(
                name=name, surface=surface, evidence=surface, existing_activity_idx=0
            ),
        ),
        moments=moments,
        provider="t",
        model="t",
        prompt_version="t",
    )


async def _record(uow_factory, recorder, note, result, context=None) -> None:
    async with uow_factory() as uow:
        await recorder.replace(
            uow, note=note, result=result, context=context or ExtractionContext(created_at=T0)
        )
        await uow.commit()


async def _count(uow_factory, table) -> int:
    async with uow_factory() as uow:
        return int(
            (await uow.connection.execute(select(func.count()).select_from(table))).scalar_one()
        )


async def test_ten_notes_about_running_in_other_words_give_one_running_activity(
    uow_factory, recorder
) -> None:
    surfaces = [
        "ran",
        "jogged",
        "went for a run",
        "5k",
        "ran",
        "a run",
        "jog",
        "ran",
        "5k",
        "jogged",
    ]
    for day, surface in enumerate(surfaces):
        note = await _user_and_note(
            uow_factory, body=f"{surface} today", at=T0 + timedelta(days=day)
        )
        await _record(
            uow_factory, recorder, note, _run_result(surface, start=T0 + timedelta(days=day))
        )

    async with uow_factory() as uow:
        summaries = await uow.activities.summaries(user_id=note.user_id)

    assert [s.activity.name for s in summaries] == ["running"]
    assert summaries[0].count == 10
    assert {"jogged", "5k", "went for a run"} <= set(summaries[0].activity.aliases)


async def test_recording_the_same_note_three_times_leaves_one_set_of_results(
    uow_factory, recorder
) -> None:
    note = await _user_and_note(uow_factory, body="ran 5k with Sam")
    result = _run_result("ran", people=("Sam",), minutes=30, start=T0)

    for _ in range(3):
        await _record(uow_factory, recorder, note, result)

    assert await _count(uow_factory, activities) == 1
    assert await _count(uow_factory, activity_occurrences) == 1
    assert await _count(uow_factory, moments) == 1
    assert await _count(uow_factory, moment_notes) == 1
    assert await _count(uow_factory, moment_activities) == 1


async def test_unchanged_reprocess_keeps_activity_ids(uow_factory, recorder) -> None:
    note = await _user_and_note(uow_factory, body="ran")
    await _record(uow_factory, recorder, note, _run_result("ran"))
    async with uow_factory() as uow:
        first = await uow.activities.list_for_user(user_id=note.user_id)

    await _record(uow_factory, recorder, note, _run_result("ran"))

    async with uow_factory() as uow:
        assert [a.id for a in await uow.activities.list_for_user(user_id=note.user_id)] == [
            a.id for a in first
        ]


async def test_edit_that_removes_the_run_removes_its_occurrence_and_orphan_activity(
    uow_factory, recorder
) -> None:
    note = await _user_and_note(uow_factory, body="ran")
    await _record(uow_factory, recorder, note, _run_result("ran"))
    empty = RoboProcessingResult(
        activities=(), moments=(), provider="t", model="t", prompt_version="t1"
    )

    await _record(uow_factory, recorder, note, empty)

    assert await _count(uow_factory, activity_occurrences) == 0
    assert await _count(uow_factory, activities) == 0
    assert await _count(uow_factory, activity_aliases) == 0
    assert await _count(uow_factory, moments) == 0


async def test_moment_told_by_two_notes_with_same_activity_and_person_is_one_moment(
    uow_factory, recorder
) -> None:
    first = await _user_and_note(uow_factory, body="ran with Sam")
    second = await _user_and_note(uow_factory, body="that run with Sam", at=T0 + timedelta(hours=5))

    await _record(uow_factory, recorder, first, _run_result("ran", people=("Sam",), start=T0))
    await _record(uow_factory, recorder, second, _run_result("ran", people=("sam",), start=T0))

    async with uow_factory() as uow:
        found = await uow.moments.for_note(second.id)
    assert await _count(uow_factory, moments) == 1
    assert found[0].note_ids == (first.id, second.id)
    assert await _count(uow_factory, activity_occurrences) == 2


async def test_moments_without_shared_people_or_place_stay_apart(uow_factory, recorder) -> None:
    first = await _user_and_note(uow_factory, body="ran with Sam")
    second = await _user_and_note(uow_factory, body="ran with Ana")

    await _record(uow_factory, recorder, first, _run_result("ran", people=("Sam",), start=T0))
    await _record(uow_factory, recorder, second, _run_result("ran", people=("Ana",), start=T0))

    assert await _count(uow_factory, moments) == 2


async def test_deleting_the_first_note_keeps_a_shared_moment_under_the_second(
    uow_factory, recorder
) -> None:
    first = await _user_and_note(uow_factory, body="ran with Sam")
    second = await _user_and_note(uow_factory, body="ran with Sam again")
    await _record(uow_factory, recorder, first, _run_result("ran", people=("Sam",), start=T0))
    await _record(uow_factory, recorder, second, _run_result("ran", people=("Sam",), start=T0))
    empty = RoboProcessingResult(
        activities=(), moments=(), provider="t", model="t", prompt_version="t"
    )

    await _record(uow_factory, recorder, first, empty)

    async with uow_factory() as uow:
        remaining = await uow.moments.for_note(second.id)
    assert len(remaining) == 1
    assert remaining[0].source_note_id == second.id


async def test_siblings_never_merge_even_when_the_llm_points_at_them(uow_factory, recorder) -> None:
    note = await _user_and_note(uow_factory, body="ran")
    await _record(uow_factory, recorder, note, _run_result("ran"))
    walk = await _user_and_note(uow_factory, body="walked to work")
    result = _linked_to_running("walking", "walked")

    await _record(uow_factory, recorder, walk, result, RUNNING_CANDIDATE)

    async with uow_factory() as uow:
        names = sorted(a.name for a in await uow.activities.list_for_user(user_id=note.user_id))
    assert names == ["running", "walking"]


async def test_llm_candidate_index_links_an_unknown_surface_form(uow_factory, recorder) -> None:
    note = await _user_and_note(uow_factory, body="ran")
    await _record(uow_factory, recorder, note, _run_result("ran"))
    other = await _user_and_note(uow_factory, body="did my parkrun")
    result = _linked_to_running("parkrun", "parkrun")

    await _record(uow_factory, recorder, other, result, RUNNING_CANDIDATE)

    async with uow_factory() as uow:
        found = await uow.activities.list_for_user(user_id=note.user_id)
    assert [a.name for a in found] == ["running"]
    assert "parkrun" in found[0].aliases


async def test_merge_moves_occurrences_and_aliases_and_leaves_no_orphans(
    uow_factory, recorder
) -> None:
    note = await _user_and_note(uow_factory, body="ran")
    await _record(uow_factory, recorder, note, _run_result("ran"))
    other = await _user_and_note(uow_factory, body="did a parkrun")
    parkrun = RoboProcessingResult(
        activities=(ExtractedActivity(name="parkrun", surface="a parkrun", evidence="parkrun"),),
        moments=(
            ExtractedMoment(
                title="parkrun",
                summary="parkrun",
                status=MomentStatus.HAPPENED,
                evidence="did a parkrun",
                activities=("parkrun",),
            ),
        ),
        provider="t",
        model="t",
        prompt_version="t",
    )
    await _record(uow_factory, recorder, other, parkrun)
    async with uow_factory() as uow:
        by_name = {a.name: a for a in await uow.activities.list_for_user(user_id=note.user_id)}

    async with uow_factory() as uow:
        await uow.activities.merge(
            user_id=note.user_id, source_id=by_name["parkrun"].id, target_id=by_name["running"].id
        )
        await uow.commit()

    async with uow_factory() as uow:
        left = await uow.activities.list_for_user(user_id=note.user_id)
        occurrences = await uow.activities.occurrences(by_name["running"].id)
        merged_moment = (await uow.moments.for_note(other.id))[0]
    assert [a.name for a in left] == ["running"]
    assert {"parkrun", "a parkrun"} <= set(left[0].aliases)
    assert len(occurrences) == 2
    assert merged_moment.activities == ("running",)
    assert await _count(uow_factory, moment_activities) == 2


async def test_two_notes_of_one_user_recorded_at_once_create_one_activity(
    uow_factory, recorder
) -> None:
    notes = [await _user_and_note(uow_factory, body=f"ran {i}") for i in range(6)]

    await asyncio.gather(
        *(_record(uow_factory, recorder, note, _run_result("ran")) for note in notes)
    )

    assert await _count(uow_factory, activities) == 1
    assert await _count(uow_factory, activity_occurrences) == 6


async def test_context_builder_lists_candidates_by_index_without_ids(uow_factory, recorder) -> None:
    note = await _user_and_note(uow_factory, body="ran")
    await _record(uow_factory, recorder, note, _run_result("ran"))
    builder = NoteContextBuilder(uow_factory=uow_factory)

    context = await builder.build(note)

    assert [(c.idx, c.name) for c in context.activities] == [(0, "running")]
    assert context.created_at == note.created_at
    assert len(context.moments) == 1


async def test_merge_of_two_activities_in_one_note_leaves_one_occurrence_for_it(
    uow_factory, recorder
) -> None:
    note = await _user_and_note(uow_factory, body="ran, then a parkrun")
    both = RoboProcessingResult(
        activities=(
            ExtractedActivity(name="running", surface="ran", evidence="ran"),
            ExtractedActivity(name="parkrun", surface="parkrun", evidence="parkrun"),
        ),
        moments=(),
        provider="t",
        model="t",
        prompt_version="t",
    )
    await _record(uow_factory, recorder, note, both)
    async with uow_factory() as uow:
        by_name = {a.name: a for a in await uow.activities.list_for_user(user_id=note.user_id)}

    async with uow_factory() as uow:
        await uow.activities.merge(
            user_id=note.user_id, source_id=by_name["parkrun"].id, target_id=by_name["running"].id
        )
        await uow.commit()

    assert await _count(uow_factory, activity_occurrences) == 1


async def test_the_same_run_with_the_same_person_on_consecutive_days_is_two_moments(
    uow_factory, recorder
) -> None:
    monday = await _user_and_note(uow_factory, body="ran with Sam")
    tuesday = await _user_and_note(uow_factory, body="ran with Sam", at=T0 + timedelta(days=1))

    await _record(uow_factory, recorder, monday, _run_result("ran", people=("Sam",), start=T0))
    await _record(
        uow_factory,
        recorder,
        tuesday,
        _run_result("ran", people=("Sam",), start=T0 + timedelta(days=1)),
    )

    assert await _count(uow_factory, moments) == 2


async def test_a_moment_whose_activity_links_under_another_name_still_meets_its_twin(
    uow_factory, recorder
) -> None:
    first = await _user_and_note(uow_factory, body="ran with Sam")
    second = await _user_and_note(
        uow_factory, body="trail run with Sam", at=T0 + timedelta(hours=3)
    )
    await _record(uow_factory, recorder, first, _run_result("ran", people=("Sam",), start=T0))
    trail = _linked_to_running(
        "trail running",
        "trail run",
        ExtractedMoment(
            title="Trail run",
            summary="a trail run with Sam",
            status=MomentStatus.HAPPENED,
            evidence="trail run with Sam",
            time=MomentTime(text="this morning", start=T0),
            people=("Sam",),
            activities=("trail running",),
        ),
    )

    await _record(uow_factory, recorder, second, trail, RUNNING_CANDIDATE)

    assert await _count(uow_factory, activities) == 1
    assert await _count(uow_factory, moments) == 1


KAYAKING_AT = 40
"""Recent enough to be among the moments ranked, yet not among the ten most recent."""


def _many_result(index: int) -> RoboProcessingResult:
    letters = chr(ord("a") + index // 26) + chr(ord("a") + index % 26)
    name = "kayaking" if index == KAYAKING_AT else f"hobby {letters}"
    return RoboProcessingResult(
        activities=(ExtractedActivity(name=name, surface=name, evidence=name),),
        moments=(
            ExtractedMoment(
                title=f"A long afternoon of {name} " + "and more " * 30,
                summary=name,
                status=MomentStatus.HAPPENED,
                evidence=name,
                time=MomentTime(start=T0 + timedelta(days=index)),
                people=("Someone With A Long Name", "Another Long Name", "A Third", "A Fourth"),
                activities=(name,),
            ),
        ),
        provider="test",
        model="test",
        prompt_version="t1",
    )


async def test_context_puts_what_the_note_speaks_of_first_and_stays_within_its_budgets(
    uow_factory, recorder
) -> None:
    # 60 activities used once each: by count (ties by name) kayaking would come after the 40th.
    for index in range(60):
        note = await _user_and_note(uow_factory, body=f"note {index}")
        await _record(uow_factory, recorder, note, _many_result(index))
    today = await _user_and_note(uow_factory, body="Kayaked on the lake for an hour.")

    context = await NoteContextBuilder(uow_factory=uow_factory).build(today)

    assert context.activities[0].name == "kayaking"
    assert len(context.activities) <= 40
    assert sum(len(c.name) + sum(len(a) for a in c.aliases) for c in context.activities) <= 2_400
    assert 0 < len(context.moments) <= 10
    assert sum(len(m.title) + sum(len(p) for p in m.people) for m in context.moments) <= 1_200
    assert "kayaking" in context.moments[0].activities
