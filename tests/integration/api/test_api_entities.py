"""/v1/activities, /v1/moments, note detail and reprocess over ASGI on real SQLite and PostgreSQL.

History is seeded by calling the linking recorder with hand-made RoboProcessingResults inside a
unit of work, so these tests do not depend on a worker or on any extractor.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from apisupport import Person, assert_problem, make_person, settings_for
from sqlalchemy import func, select

from robonotes.api.app import create_app
from robonotes.bootstrap import Container
from robonotes.domain.context import ExtractionContext
from robonotes.domain.results import (
    ExtractedActivity,
    ExtractedMoment,
    MomentStatus,
    MomentTime,
    PartOfDay,
    Quantity,
    RoboProcessingResult,
)
from robonotes.domain.status import ProcessingState
from robonotes.storage.entity_tables import (
    activities,
    activity_aliases,
    activity_occurrences,
    moment_activities,
    moments,
)

T0 = datetime(2026, 3, 16, 8, 0, tzinfo=UTC)
PROBLEM = "application/problem+json"


# --- seeding ------------------------------------------------------------------------------
def _activity(
    name: str,
    surface: str,
    *,
    minutes: float | None = None,
    category: str | None = None,
    quantity: Quantity | None = None,
    obj: str | None = None,
) -> ExtractedActivity:
    return ExtractedActivity(
        name=name,
        surface=surface,
        evidence=surface,
        category=category,
        duration_minutes=minutes,
        quantity=quantity,
        object=obj,
    )


def _moment(
    title: str,
    *,
    start: datetime,
    names: tuple[str, ...],
    people: tuple[str, ...] = (),
    place: str | None = None,
    part_of_day: PartOfDay | None = None,
) -> ExtractedMoment:
    return ExtractedMoment(
        title=title,
        summary=f"{title}.",
        status=MomentStatus.HAPPENED,
        evidence=title.lower(),
        time=MomentTime(text="that day", start=start, part_of_day=part_of_day),
        people=people,
        place=place,
        activities=names,
    )


def _result(
    found: tuple[ExtractedActivity, ...], told: tuple[ExtractedMoment, ...]
) -> RoboProcessingResult:
    return RoboProcessingResult(
        activities=found, moments=told, provider="test", model="hand-made", prompt_version="t1"
    )


async def _seed(
    container: Container, person: Person, body: str, *, at: datetime, result: RoboProcessingResult
) -> int:
    note = await container.notes.create(user_id=person.id, body=body, created_at=at)
    async with container.uow_factory() as uow:
        await container.recorder.replace(
            uow, note=note, result=result, context=ExtractionContext(created_at=at)
        )
        await uow.commit()
    return note.id


@dataclass(frozen=True)
class History:
    """Alice's seeded notes by what they tell of."""

    run: int
    jog: int
    reading: int
    cooking: int


async def _seed_history(container: Container, person: Person) -> History:
    """Two runs (one written "jogged"), one evening of reading, one dinner cooked with Ana."""
    run = await _seed(
        container,
        person,
        "ran 5k with Sam in Riverside Park",
        at=T0,
        result=_result(
            (
                _activity(
                    "running",
                    "ran",
                    minutes=30,
                    category="sport",
                    quantity=Quantity(value=5, unit="km", text="5k"),
                ),
            ),
            (
                _moment(
                    "Morning run",
                    start=T0,
                    names=("running",),
                    people=("Sam",),
                    place="Riverside Park",
                    part_of_day=PartOfDay.MORNING,
                ),
            ),
        ),
    )
    jog = await _seed(
        container,
        person,
        "jogged for 20 minutes",
        at=T0 + timedelta(days=1),
        result=_result(
            (_activity("running", "jogged", minutes=20, category="sport"),),
            (_moment("Quick jog", start=T0 + timedelta(days=1), names=("running",)),),
        ),
    )
    reading = await _seed(
        container,
        person,
        "read Dune at home before bed",
        at=T0 + timedelta(days=2),
        result=_result(
            (_activity("reading", "read", minutes=45, category="leisure", obj="Dune"),),
            (
                _moment(
                    "Reading Dune",
                    start=T0 + timedelta(days=2, hours=13),
                    names=("reading",),
                    place="home",
                    part_of_day=PartOfDay.EVENING,
                ),
            ),
        ),
    )
    cooking = await _seed(
        container,
        person,
        "cooked dinner at home with Ana",
        at=T0 + timedelta(days=3),
        result=_result(
            (_activity("cooking", "cooked", minutes=60, category="household"),),
            (
                _moment(
                    "Dinner with Ana",
                    start=T0 + timedelta(days=3, hours=11),
                    names=("cooking",),
                    people=("Ana",),
                    place="home",
                ),
            ),
        ),
    )
    return History(run=run, jog=jog, reading=reading, cooking=cooking)


async def _count(container: Container, table) -> int:
    async with container.uow_factory() as uow:
        statement = select(func.count()).select_from(table)
        return int((await uow.connection.execute(statement)).scalar_one())


async def _orphans(container: Container) -> dict[str, int]:
    """Rows pointing at an activity or moment that is gone (no FK would let them live on SQLite)."""
    live_activities = select(activities.c.id)
    live_moments = select(moments.c.id)
    checks = {
        "aliases": select(func.count())
        .select_from(activity_aliases)
        .where(activity_aliases.c.activity_id.not_in(live_activities)),
        "occurrences": select(func.count())
        .select_from(activity_occurrences)
        .where(activity_occurrences.c.activity_id.not_in(live_activities)),
        "moment_activities": select(func.count())
        .select_from(moment_activities)
        .where(
            moment_activities.c.activity_id.not_in(live_activities)
            | moment_activities.c.moment_id.not_in(live_moments)
        ),
    }
    async with container.uow_factory() as uow:
        return {
            name: int((await uow.connection.execute(query)).scalar_one())
            for name, query in checks.items()
        }


# --- fixtures: SQLite (the conftest's) and, for the core tests, PostgreSQL too --------------
@pytest.fixture
async def backend(database: tuple[str, str | None]) -> AsyncIterator[Container]:
    """A Container on a migrated database: once SQLite, once PostgreSQL in its own schema."""
    url, schema = database
    built = Container(settings_for(url, database_schema=schema))
    yield built
    await built.aclose()


@pytest.fixture
async def backend_client(backend: Container) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(backend))
    async with httpx.AsyncClient(transport=transport, base_url="http://robonotes.test") as http:
        yield http


async def _activities_by_name(client: httpx.AsyncClient, who: Person, **params) -> dict:
    response = await client.get("/v1/activities", params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    return {item["name"]: item for item in response.json()["items"]}


async def _names(client: httpx.AsyncClient, who: Person, **params) -> list[str]:
    response = await client.get("/v1/activities", params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


async def _moment_titles(client: httpx.AsyncClient, who: Person, **params) -> list[str]:
    response = await client.get("/v1/moments", params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    return [item["title"] for item in response.json()["items"]]


# --- both databases -----------------------------------------------------------------------
async def test_activities_list_gives_figures_and_honours_sort_and_filters(
    backend: Container, backend_client: httpx.AsyncClient
) -> None:
    alice = await make_person(backend, "alice")
    await _seed_history(backend, alice)

    by_name = await _activities_by_name(backend_client, alice)

    running = by_name["running"]
    assert set(by_name) == {"running", "reading", "cooking"}
    assert (running["count"], running["total_duration_minutes"]) == (2, 50.0)
    assert running["category"] == "sport"
    assert "jogged" in running["aliases"]
    assert datetime.fromisoformat(running["first_seen"]) == T0
    assert datetime.fromisoformat(running["last_seen"]) == T0 + timedelta(days=1)
    assert await _names(backend_client, alice) == ["running", "cooking", "reading"]
    assert await _names(backend_client, alice, sort="name") == ["cooking", "reading", "running"]
    assert await _names(backend_client, alice, sort="total_duration") == [
        "cooking",
        "running",
        "reading",
    ]
    assert await _names(backend_client, alice, sort="last_seen") == [
        "cooking",
        "reading",
        "running",
    ]
    assert await _names(backend_client, alice, q="jog") == ["running"]
    assert await _names(backend_client, alice, q="cook") == ["cooking"]
    assert await _names(backend_client, alice, category="leisure") == ["reading"]
    assert await _names(backend_client, alice, category="leisure", q="run") == []
    assert await _names(backend_client, alice, limit=1) == ["running"]


async def test_merge_moves_occurrences_and_aliases_and_leaves_no_orphan_rows(
    backend: Container, backend_client: httpx.AsyncClient
) -> None:
    alice = await make_person(backend, "alice")
    await _seed_history(backend, alice)
    mixed_note = await _seed(
        backend,
        alice,
        "went orienteering and ran home",
        at=T0 + timedelta(days=5),
        result=_result(
            (
                _activity("orienteering", "went orienteering", minutes=25),
                _activity("running", "ran home", minutes=10),
            ),
            (
                _moment(
                    "Saturday orienteering",
                    start=T0 + timedelta(days=5),
                    names=("orienteering", "running"),
                ),
            ),
        ),
    )
    by_name = await _activities_by_name(backend_client, alice)
    source, target = by_name["orienteering"], by_name["running"]
    links_before = await _count(backend, moment_activities)

    response = await backend_client.post(
        f"/v1/activities/{source['id']}/merge",
        json={"into_id": target["id"]},
        headers=alice.headers,
    )

    assert response.status_code == 200, response.text
    merged = response.json()
    assert merged["id"] == target["id"]
    # The mixed note told of both: one occurrence now, carrying both durations.
    assert merged["count"] == 3
    assert merged["total_duration_minutes"] == 85.0
    assert {"orienteering", "went orienteering", "jogged"} <= set(merged["aliases"])
    assert {o["activity"] for o in merged["occurrences"]} == {"running"}
    assert mixed_note in {o["note_id"] for o in merged["occurrences"]}
    gone = await backend_client.get(f"/v1/activities/{source['id']}", headers=alice.headers)
    assert_problem(gone, 404)
    assert await _orphans(backend) == {"aliases": 0, "occurrences": 0, "moment_activities": 0}
    assert await _count(backend, activities) == 3
    assert await _count(backend, activity_occurrences) == 5
    # The orienteering moment was linked to both; it keeps one link, to running.
    assert await _count(backend, moment_activities) == links_before - 1
    note = (await backend_client.get(f"/v1/notes/{mixed_note}", headers=alice.headers)).json()
    assert [m["activities"] for m in note["moments"]] == [["running"]]


async def test_moments_filter_by_from_to_activity_person_and_place(
    backend: Container, backend_client: httpx.AsyncClient
) -> None:
    alice = await make_person(backend, "alice")
    await _seed_history(backend, alice)

    everything = await _moment_titles(backend_client, alice)
    since = await _moment_titles(backend_client, alice, **{"from": "2026-03-17T00:00:00Z"})
    until = await _moment_titles(backend_client, alice, to="2026-03-17T23:59:59+00:00")
    window = await _moment_titles(
        backend_client, alice, **{"from": "2026-03-17T00:00:00Z", "to": "2026-03-18T23:00:00Z"}
    )
    running = await _moment_titles(backend_client, alice, activity="Running")
    jogged = await _moment_titles(backend_client, alice, activity="jogged")
    with_sam = await _moment_titles(backend_client, alice, person="sam")
    at_home = await _moment_titles(backend_client, alice, place="HOME")
    in_park = await _moment_titles(backend_client, alice, place="park")
    combined = await _moment_titles(backend_client, alice, activity="cooking", person="Ana")
    nobody = await _moment_titles(backend_client, alice, person="Sa")

    assert everything == ["Dinner with Ana", "Reading Dune", "Quick jog", "Morning run"]
    assert since == ["Dinner with Ana", "Reading Dune", "Quick jog"]
    assert until == ["Quick jog", "Morning run"]
    assert window == ["Reading Dune", "Quick jog"]
    assert running == ["Quick jog", "Morning run"]
    assert jogged == running  # by a name it was written as
    assert with_sam == ["Morning run"]
    assert at_home == ["Dinner with Ana", "Reading Dune"]
    assert in_park == ["Morning run"]
    assert combined == ["Dinner with Ana"]
    assert nobody == []


NUL_FILTERS = [
    ("/v1/activities", {"q": "run\x00ning"}),
    ("/v1/activities", {"category": "\x00"}),
    ("/v1/moments", {"person": "Sam\x00"}),
    ("/v1/moments", {"place": "home\x00"}),
    ("/v1/moments", {"activity": "\x00"}),
    ("/v1/moments", {"place": "tab\there"}),
]


async def test_control_characters_in_a_filter_are_a_client_error_on_every_database(
    backend: Container, backend_client: httpx.AsyncClient
) -> None:
    alice = await make_person(backend, "alice")

    answers = [
        await backend_client.get(path, params=params, headers=alice.headers)
        for path, params in NUL_FILTERS
    ]

    assert [(r.status_code, r.headers["content-type"]) for r in answers] == [(422, PROBLEM)] * len(
        NUL_FILTERS
    )


# --- SQLite: detail, ownership, note detail, reprocess, hostile input ----------------------
async def test_activity_detail_lists_occurrences_newest_first_with_their_figures(
    client: httpx.AsyncClient, container: Container, alice: Person
) -> None:
    history = await _seed_history(container, alice)
    running_id = (await _activities_by_name(client, alice))["running"]["id"]

    response = await client.get(f"/v1/activities/{running_id}", headers=alice.headers)

    assert response.status_code == 200
    detail = response.json()
    assert (detail["name"], detail["count"]) == ("running", 2)
    jog, run = detail["occurrences"]
    assert (jog["note_id"], run["note_id"]) == (history.jog, history.run)
    assert (jog["surface"], jog["duration_minutes"], jog["quantity"]) == ("jogged", 20.0, None)
    assert run["quantity"] == {"value": 5.0, "unit": "km", "text": "5k"}
    assert run["activity"] == "running"
    assert run["moment_id"] is not None
    assert datetime.fromisoformat(run["occurred_at"]) == T0


async def test_another_persons_activity_and_moment_answer_404(
    client: httpx.AsyncClient, container: Container, alice: Person, bob: Person
) -> None:
    await _seed_history(container, alice)
    activity_id = (await _activities_by_name(client, alice))["running"]["id"]
    moment_id = (await client.get("/v1/moments", headers=alice.headers)).json()["items"][0]["id"]

    activity = await client.get(f"/v1/activities/{activity_id}", headers=bob.headers)
    moment = await client.get(f"/v1/moments/{moment_id}", headers=bob.headers)
    own_moment = await client.get(f"/v1/moments/{moment_id}", headers=alice.headers)
    listed = await client.get("/v1/activities", headers=bob.headers)

    assert assert_problem(activity, 404)["type"].endswith("/not-found")
    assert assert_problem(moment, 404)["type"].endswith("/not-found")
    assert own_moment.status_code == 200
    assert own_moment.json()["id"] == moment_id
    assert listed.json() == {"items": []}


async def test_merge_into_another_persons_activity_is_404_and_moves_nothing(
    client: httpx.AsyncClient, container: Container, alice: Person, bob: Person
) -> None:
    await _seed_history(container, alice)
    await _seed(
        container,
        bob,
        "went swimming",
        at=T0,
        result=_result((_activity("swimming", "went swimming"),), ()),
    )
    alices = await _activities_by_name(client, alice)
    bobs = await _activities_by_name(client, bob)

    into_bob = await client.post(
        f"/v1/activities/{alices['reading']['id']}/merge",
        json={"into_id": bobs["swimming"]["id"]},
        headers=alice.headers,
    )
    from_bob = await client.post(
        f"/v1/activities/{bobs['swimming']['id']}/merge",
        json={"into_id": alices["reading"]["id"]},
        headers=alice.headers,
    )

    assert_problem(into_bob, 404)
    assert_problem(from_bob, 404)
    assert await _activities_by_name(client, alice) == alices
    assert await _activities_by_name(client, bob) == bobs


async def test_merging_an_activity_into_itself_is_422(
    client: httpx.AsyncClient, container: Container, alice: Person
) -> None:
    await _seed_history(container, alice)
    running_id = (await _activities_by_name(client, alice))["running"]["id"]

    response = await client.post(
        f"/v1/activities/{running_id}/merge", json={"into_id": running_id}, headers=alice.headers
    )

    assert_problem(response, 422)
    assert (await _activities_by_name(client, alice))["running"]["count"] == 2


async def test_moments_page_with_the_cursor_until_the_end(
    client: httpx.AsyncClient, container: Container, alice: Person
) -> None:
    await _seed_history(container, alice)

    first = (await client.get("/v1/moments?limit=3", headers=alice.headers)).json()
    second = (
        await client.get(
            "/v1/moments",
            params={"limit": 3, "cursor": first["next_cursor"]},
            headers=alice.headers,
        )
    ).json()

    assert [m["title"] for m in first["items"]] == ["Dinner with Ana", "Reading Dune", "Quick jog"]
    assert [m["title"] for m in second["items"]] == ["Morning run"]
    assert second["next_cursor"] is None


async def test_note_detail_includes_its_moments_and_activity_occurrences(
    client: httpx.AsyncClient, container: Container, alice: Person
) -> None:
    history = await _seed_history(container, alice)

    response = await client.get(f"/v1/notes/{history.run}", headers=alice.headers)

    assert response.status_code == 200
    note = response.json()
    assert note["body"] == "ran 5k with Sam in Riverside Park"
    (moment,) = note["moments"]
    assert (moment["title"], moment["people"], moment["place"]) == (
        "Morning run",
        ["Sam"],
        "Riverside Park",
    )
    assert moment["activities"] == ["running"]
    assert moment["note_ids"] == [history.run]
    (occurrence,) = note["activities"]
    assert (occurrence["activity"], occurrence["surface"]) == ("running", "ran")
    assert occurrence["moment_id"] == moment["id"]
    assert occurrence["note_id"] == history.run


async def test_note_without_extraction_has_empty_moments_and_activities(
    client: httpx.AsyncClient, container: Container, alice: Person, bob: Person
) -> None:
    created = await client.post("/v1/notes", json={"body": "nothing yet"}, headers=alice.headers)
    note_id = created.json()["id"]

    own = await client.get(f"/v1/notes/{note_id}", headers=alice.headers)
    theirs = await client.get(f"/v1/notes/{note_id}", headers=bob.headers)

    assert (own.json()["moments"], own.json()["activities"]) == ([], [])
    assert_problem(theirs, 404)


async def _finish(container: Container, note_id: int, state: ProcessingState) -> str:
    """Take the note's queued job as a worker would and end it COMPLETED or FAILED."""
    (job,) = await container.queue.claim(worker_id="test-worker", limit=10, lease_ms=30_000)
    assert job.payload.note_id == note_id
    now = container.clock.now()
    async with container.uow_factory() as uow:
        await uow.statuses.transition(
            note_id,
            1,
            ProcessingState.PROCESSING,
            now=now,
            expected_state=ProcessingState.QUEUED,
            token="t-1",
            attempts=1,
        )
        await uow.statuses.transition(
            note_id, 1, state, now=now, expected_token="t-1", error_class="RoboAuthError"
        )
        await uow.notes.set_robo_fields(note_id, status=state, processed_version=1)
        await uow.commit()
    assert job.token is not None
    await container.queue.complete(job.id, token=job.token)
    return job.id


@pytest.mark.parametrize("finished", [ProcessingState.COMPLETED, ProcessingState.SKIPPED])
async def test_reprocess_of_a_finished_note_answers_202_and_queues_a_new_job(
    client: httpx.AsyncClient, container: Container, alice: Person, finished: ProcessingState
) -> None:
    note_id = (await client.post("/v1/notes", json={"body": "ran"}, headers=alice.headers)).json()[
        "id"
    ]
    first_job = await _finish(container, note_id, finished)

    response = await client.post(f"/v1/notes/{note_id}/reprocess", headers=alice.headers)

    assert response.status_code == 202, response.text
    status = response.json()
    assert (status["note_id"], status["version"], status["status"]) == (note_id, 1, "QUEUED")
    assert status["processed_version"] == 1
    (job,) = await container.queue.claim(worker_id="test-worker", limit=10, lease_ms=30_000)
    assert (job.payload.note_id, job.payload.version) == (note_id, 1)
    assert job.id != first_job


async def test_reprocess_of_a_queued_note_changes_nothing(
    client: httpx.AsyncClient, container: Container, alice: Person
) -> None:
    note_id = (await client.post("/v1/notes", json={"body": "ran"}, headers=alice.headers)).json()[
        "id"
    ]

    response = await client.post(f"/v1/notes/{note_id}/reprocess", headers=alice.headers)

    assert response.status_code == 202
    assert response.json()["status"] == "QUEUED"
    jobs = await container.queue.claim(worker_id="test-worker", limit=10, lease_ms=30_000)
    assert len(jobs) == 1


async def test_reprocess_of_a_failed_note_is_409_pointing_at_the_dlq(
    client: httpx.AsyncClient, container: Container, alice: Person
) -> None:
    note_id = (await client.post("/v1/notes", json={"body": "ran"}, headers=alice.headers)).json()[
        "id"
    ]
    await _finish(container, note_id, ProcessingState.FAILED)

    response = await client.post(f"/v1/notes/{note_id}/reprocess", headers=alice.headers)

    problem = assert_problem(response, 409)
    assert "dead-letter" in str(problem["detail"])
    robo = (await client.get(f"/v1/notes/{note_id}/robo", headers=alice.headers)).json()
    assert robo["status"] == "FAILED"


async def test_reprocess_of_another_persons_or_a_deleted_note_is_404(
    client: httpx.AsyncClient, alice: Person, bob: Person
) -> None:
    note_id = (await client.post("/v1/notes", json={"body": "ran"}, headers=alice.headers)).json()[
        "id"
    ]
    theirs = await client.post(f"/v1/notes/{note_id}/reprocess", headers=bob.headers)
    await client.delete(f"/v1/notes/{note_id}", headers=alice.headers)
    deleted = await client.post(f"/v1/notes/{note_id}/reprocess", headers=alice.headers)
    anonymous = await client.post(f"/v1/notes/{note_id}/reprocess")

    assert_problem(theirs, 404)
    assert_problem(deleted, 404)
    assert_problem(anonymous, 401)


HUGE = str(2**63)
HOSTILE_GETS = [
    "/v1/activities/0",
    "/v1/activities/-1",
    "/v1/activities/abc",
    "/v1/activities/1.5",
    f"/v1/activities/{HUGE}",
    "/v1/activities/" + "9" * 5000,
    "/v1/activities/999999",
    "/v1/moments/0",
    f"/v1/moments/{HUGE}",
    "/v1/moments/%F0%9F%8F%83",
    "/v1/moments/999999",
    "/v1/activities?sort=popularity",
    "/v1/activities?sort=count;DROP TABLE activities",
    "/v1/activities?limit=0",
    "/v1/activities?limit=100000000000000000000000",
    "/v1/activities?q=" + "x" * 101,
    "/v1/activities?q=",
    "/v1/activities?category=" + "c" * 10_000,
    "/v1/moments?from=yesterday",
    "/v1/moments?from=2026-13-45",
    "/v1/moments?to=99999-01-01T00:00:00Z",
    "/v1/moments?from=1e308",
    "/v1/moments?to=" + "2" * 200,
    "/v1/moments?person=" + "p" * 101,
    "/v1/moments?place=" + "%25" * 500,
    "/v1/moments?activity=" + "a" * 101,
    "/v1/moments?cursor=not-a-cursor",
    "/v1/moments?cursor=" + "A" * 65,
    "/v1/moments?limit=-5",
    f"/v1/notes/{HUGE}",
    "/v1/notes/0/reprocess",
]


@pytest.mark.parametrize("path", HOSTILE_GETS)
async def test_hostile_paths_and_queries_answer_4xx_problem_json(
    client: httpx.AsyncClient, container: Container, alice: Person, path: str
) -> None:
    method = "POST" if path.endswith("/reprocess") else "GET"

    response = await client.request(method, path, headers=alice.headers)

    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["status"] == response.status_code


async def test_sql_wildcards_in_a_filter_do_not_match_everything(
    client: httpx.AsyncClient, container: Container, alice: Person
) -> None:
    await _seed_history(container, alice)

    place = await _moment_titles(client, alice, place="%")
    person = await _moment_titles(client, alice, person="%")
    query = await _names(client, alice, q="%")
    one_char = await _names(client, alice, q="_")
    literal = await _names(client, alice, q="in")

    assert place == []
    assert person == []
    assert query == []
    assert one_char == []
    assert literal == ["running", "cooking", "reading"]


def _deep(depth: int) -> str:
    return '{"into_id":' * depth + "1" + "}" * depth


HOSTILE_MERGE_BODIES: list[tuple[bytes | str, str]] = [
    ('{"into_id": "1"}', "application/json"),
    ('{"into_id": 1.0}', "application/json"),
    ('{"into_id": true}', "application/json"),
    ('{"into_id": null}', "application/json"),
    ('{"into_id": [1]}', "application/json"),
    ('{"into_id": {"id": 1}}', "application/json"),
    ('{"into_id": 0}', "application/json"),
    ('{"into_id": -7}', "application/json"),
    (f'{{"into_id": {HUGE}}}', "application/json"),
    ('{"into_id": ' + "9" * 5000 + "}", "application/json"),
    ('{"into_id": 1e400}', "application/json"),
    ('{"into_id": NaN}', "application/json"),
    ('{"into_id": 1, "force": true}', "application/json"),
    ('{"target": 1}', "application/json"),
    ("{}", "application/json"),
    ("[]", "application/json"),
    ('"into_id"', "application/json"),
    ("", "application/json"),
    ("{", "application/json"),
    (_deep(5000), "application/json"),
    (b'{"into_id": "\xff\xfe"}', "application/json"),
    ('{"into_id": 1}', "text/plain"),
    ("into_id=1", "application/x-www-form-urlencoded"),
]


@pytest.mark.parametrize(("body", "content_type"), HOSTILE_MERGE_BODIES)
async def test_hostile_merge_bodies_answer_4xx_problem_json_and_merge_nothing(
    client: httpx.AsyncClient,
    container: Container,
    alice: Person,
    body: bytes | str,
    content_type: str,
) -> None:
    await _seed(
        container, alice, "read", at=T0, result=_result((_activity("reading", "read"),), ())
    )
    before = await _activities_by_name(client, alice)

    response = await client.post(
        f"/v1/activities/{before['reading']['id']}/merge",
        content=body,
        headers={**alice.headers, "Content-Type": content_type},
    )

    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith(PROBLEM)
    assert await _activities_by_name(client, alice) == before
