"""NoteService with fake ports: saves are immediate, versions supersede, deletes cancel."""

from __future__ import annotations

from datetime import timedelta

import pytest
from storefakes import FakeClock, FakeQueue, FakeUnitOfWorkFactory

from robonotes.domain.exceptions import NoteNotFound, NoteValidationError
from robonotes.domain.status import ProcessingState as S
from robonotes.services.notes import MAX_PAGE_SIZE, NoteService

USER = 1
OTHER_USER = 2


def make_service(*, queue: FakeQueue | None = None, max_note_chars: int = 1000):
    factory = FakeUnitOfWorkFactory()
    clock = FakeClock()
    service = NoteService(
        uow_factory=factory, queue=queue or FakeQueue(), clock=clock, max_note_chars=max_note_chars
    )
    return service, factory.db, clock


async def test_create_saves_note_and_queues_it() -> None:
    service, db, _ = make_service()

    note = await service.create(user_id=USER, body="ran 5k", title="Run")

    assert note.version == 1
    assert note.robo_status is S.QUEUED
    status = db.statuses[(note.id, 1)]
    assert status.state is S.QUEUED
    assert status.job_id == f"job-{note.id}-1"


async def test_create_keeps_the_save_and_stays_pending_when_the_queue_is_down() -> None:
    service, db, _ = make_service(queue=FakeQueue(down=True))

    note = await service.create(user_id=USER, body="ran 5k")

    assert note.robo_status is S.PENDING
    assert db.notes[note.id].body == "ran 5k"
    assert db.statuses[(note.id, 1)].state is S.PENDING


@pytest.mark.parametrize(
    ("title", "body", "message"),
    [
        (None, "x" * 1001, "body is longer"),
        ("t" * 501, "ok", "title is longer"),
        (None, "a\x00b", "NUL"),
        ("a\x00", "ok", "NUL"),
        (None, "lone \ud800 surrogate", "not valid Unicode"),
    ],
)
async def test_create_rejects_hostile_text_and_writes_nothing(
    title: str | None, body: str, message: str
) -> None:
    service, db, _ = make_service()

    with pytest.raises(NoteValidationError, match=message):
        await service.create(user_id=USER, body=body, title=title)

    assert db.notes == {}
    assert db.statuses == {}


async def test_update_bumps_version_and_supersedes_the_old_status() -> None:
    service, db, clock = make_service()
    note = await service.create(user_id=USER, body="first")
    clock.advance(timedelta(minutes=1))

    updated = await service.update(user_id=USER, note_id=note.id, body="second")

    assert updated.version == 2
    assert updated.body == "second"
    assert db.statuses[(note.id, 1)].state is S.SUPERSEDED
    assert db.statuses[(note.id, 2)].state is S.QUEUED
    assert updated.updated_at == clock.now()


async def test_update_with_the_same_text_keeps_the_version() -> None:
    service, db, _ = make_service()
    note = await service.create(user_id=USER, body="same", title="t")

    again = await service.update(user_id=USER, note_id=note.id, body="same")

    assert again.version == 1
    assert set(db.statuses) == {(note.id, 1)}


async def test_update_can_clear_the_title() -> None:
    service, _, _ = make_service()
    note = await service.create(user_id=USER, body="body", title="title")

    updated = await service.update(user_id=USER, note_id=note.id, clear_title=True)

    assert updated.title is None
    assert updated.version == 2


async def test_update_of_another_users_note_is_not_found_and_changes_nothing() -> None:
    service, db, _ = make_service()
    note = await service.create(user_id=USER, body="mine")

    with pytest.raises(NoteNotFound):
        await service.update(user_id=OTHER_USER, note_id=note.id, body="theirs")

    assert db.notes[note.id].body == "mine"


async def test_delete_soft_deletes_and_cancels_processing() -> None:
    service, db, _ = make_service()
    note = await service.create(user_id=USER, body="gone soon")

    await service.delete(user_id=USER, note_id=note.id)

    assert db.notes[note.id].is_deleted
    assert db.statuses[(note.id, 1)].state is S.CANCELLED
    with pytest.raises(NoteNotFound):
        await service.get(user_id=USER, note_id=note.id)


async def test_delete_of_another_users_note_is_not_found() -> None:
    service, db, _ = make_service()
    note = await service.create(user_id=USER, body="mine")

    with pytest.raises(NoteNotFound):
        await service.delete(user_id=OTHER_USER, note_id=note.id)

    assert not db.notes[note.id].is_deleted


async def test_get_of_another_users_note_is_not_found() -> None:
    service, _, _ = make_service()
    note = await service.create(user_id=USER, body="mine")

    with pytest.raises(NoteNotFound):
        await service.get(user_id=OTHER_USER, note_id=note.id)


async def test_list_pages_newest_first_without_gaps_or_repeats() -> None:
    service, _, _ = make_service()
    created = [await service.create(user_id=USER, body=f"note {i}") for i in range(7)]
    await service.create(user_id=OTHER_USER, body="not mine")

    seen, cursor = [], None
    while True:
        page = await service.list(user_id=USER, cursor=cursor, limit=3)
        seen.extend(note.id for note in page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor

    assert seen == [note.id for note in reversed(created)]


async def test_list_clamps_page_size() -> None:
    service, _, _ = make_service()
    for i in range(3):
        await service.create(user_id=USER, body=f"note {i}")

    tiny = await service.list(user_id=USER, limit=0)
    huge = await service.list(user_id=USER, limit=10**9)

    assert len(tiny.items) == 1
    assert tiny.next_cursor is not None
    assert len(huge.items) == 3
    assert MAX_PAGE_SIZE == 200


async def test_robo_view_shows_the_current_versions_status() -> None:
    service, _, _ = make_service()
    note = await service.create(user_id=USER, body="v1")
    await service.update(user_id=USER, note_id=note.id, body="v2")

    view = await service.robo_view(user_id=USER, note_id=note.id)

    assert view.note.version == 2
    assert view.status is not None
    assert (view.status.version, view.status.state) == (2, S.QUEUED)
