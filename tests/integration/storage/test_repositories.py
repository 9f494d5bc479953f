"""The repository suite, once on SQLite and once on PostgreSQL (the `database` fixture)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from robonotes.domain.exceptions import (
    DomainError,
    InvalidStatusTransition,
    NoteNotFound,
    StorageError,
)
from robonotes.domain.notes import NoteData, User
from robonotes.domain.status import ProcessingState as S
from robonotes.services.ports import NewNote
from robonotes.storage.engine import create_engine
from robonotes.storage.uow import SqlAlchemyUnitOfWorkFactory

T0 = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)


@pytest.fixture
async def uow_factory(
    database: tuple[str, str | None],
) -> AsyncIterator[SqlAlchemyUnitOfWorkFactory]:
    url, schema = database
    engine = create_engine(url, schema=schema)
    yield SqlAlchemyUnitOfWorkFactory(engine)
    await engine.dispose()


async def add_user(factory: SqlAlchemyUnitOfWorkFactory, name: str = "ana") -> User:
    async with factory() as uow:
        user = await uow.users.add(name=name, created_at=T0)
        await uow.commit()
    return user


async def add_note(
    factory: SqlAlchemyUnitOfWorkFactory, user: User, body: str = "ran 5k", *, status: bool = True
) -> NoteData:
    async with factory() as uow:
        note = await uow.notes.add(
            NewNote(
                user_id=user.id, title="t", body=body, created_at=T0, time_zone="Europe/Berlin"
            ),
            content_hash="h" * 64,
        )
        if status:
            await uow.statuses.add(note_id=note.id, version=1, user_id=user.id, now=T0)
        await uow.commit()
    return note


# --- users -------------------------------------------------------------------------------


async def test_user_round_trip_and_token_lookup(uow_factory: SqlAlchemyUnitOfWorkFactory) -> None:
    user = await add_user(uow_factory)
    async with uow_factory() as uow:
        await uow.users.add_token(user_id=user.id, token_hash="a" * 64, created_at=T0)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.users.get_by_name("ana") == user
        assert await uow.users.find_by_token_hash("a" * 64) == user
        assert await uow.users.find_by_token_hash("b" * 64) is None
        assert await uow.users.find_by_name("nobody") is None
        with pytest.raises(DomainError):
            await uow.users.get_by_name("nobody")
    assert user.created_at == T0


async def test_duplicate_user_name_is_a_storage_error_and_the_transaction_survives(
    uow_factory: SqlAlchemyUnitOfWorkFactory,
) -> None:
    await add_user(uow_factory, "ana")

    async with uow_factory() as uow:
        with pytest.raises(StorageError, match="already exists"):
            await uow.users.add(name="ana", created_at=T0)
        other = await uow.users.add(name="ben", created_at=T0)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.users.find_by_name("ben") == other


# --- notes -------------------------------------------------------------------------------


async def test_note_round_trip_keeps_text_and_utc_times(
    uow_factory: SqlAlchemyUnitOfWorkFactory,
) -> None:
    user = await add_user(uow_factory)
    text = "Emoji 🏃‍♀️, 日本語, quotes ' \" and a backslash \\ and\nnewlines"
    berlin = datetime(2026, 11, 16, 9, 0, tzinfo=timezone(timedelta(hours=1)))
    async with uow_factory() as uow:
        note = await uow.notes.add(
            NewNote(user_id=user.id, title=None, body=text, created_at=berlin), content_hash="x"
        )
        await uow.commit()

    async with uow_factory() as uow:
        stored = await uow.notes.get(note.id, user_id=user.id)

    assert stored.body == text
    assert stored.created_at == T0
    assert stored.created_at.tzinfo is not None
    assert stored.created_at.utcoffset() == timedelta(0)
    assert (stored.version, stored.robo_status, stored.title) == (1, S.PENDING, None)


async def test_get_hides_other_users_deleted_and_missing_notes(
    uow_factory: SqlAlchemyUnitOfWorkFactory,
) -> None:
    ana, ben = await add_user(uow_factory, "ana"), await add_user(uow_factory, "ben")
    note = await add_note(uow_factory, ana)
    async with uow_factory() as uow:
        with pytest.raises(NoteNotFound):
            await uow.notes.get(note.id, user_id=ben.id)
        for missing in (0, -1, 10**6, 2**63, 10**30):
            with pytest.raises(NoteNotFound):
                await uow.notes.get(missing)
        await uow.notes.soft_delete(note.id, deleted_at=T0 + timedelta(hours=1))
        await uow.commit()

    async with uow_factory() as uow:
        with pytest.raises(NoteNotFound):
            await uow.notes.get(note.id)
        deleted = await uow.notes.find(note.id, include_deleted=True)
    assert deleted is not None
    assert deleted.deleted_at == T0 + timedelta(hours=1)


async def test_update_bumps_version_and_refuses_a_deleted_note(
    uow_factory: SqlAlchemyUnitOfWorkFactory,
) -> None:
    user = await add_user(uow_factory)
    note = await add_note(uow_factory, user)
    async with uow_factory() as uow:
        updated = await uow.notes.update(
            note.id, title=None, body="new", content_hash="n", updated_at=T0 + timedelta(1)
        )
        await uow.notes.soft_delete(note.id, deleted_at=T0 + timedelta(2))
        with pytest.raises(NoteNotFound):
            await uow.notes.update(note.id, title=None, body="x", content_hash="x", updated_at=T0)
        await uow.commit()

    assert (updated.version, updated.body, updated.title) == (2, "new", None)
    assert updated.created_at == T0
    assert updated.updated_at == T0 + timedelta(1)


async def test_list_pages_newest_first_per_user(uow_factory: SqlAlchemyUnitOfWorkFactory) -> None:
    ana, ben = await add_user(uow_factory, "ana"), await add_user(uow_factory, "ben")
    mine = [await add_note(uow_factory, ana, f"n{i}", status=False) for i in range(5)]
    await add_note(uow_factory, ben, "theirs", status=False)
    async with uow_factory() as uow:
        await uow.notes.soft_delete(mine[2].id, deleted_at=T0)
        first = await uow.notes.list(user_id=ana.id, limit=2)
        rest = await uow.notes.list(user_id=ana.id, after_id=first[-1].id, limit=10)
        beyond = await uow.notes.list(user_id=ana.id, after_id=2**70, limit=1)

    assert [n.id for n in first + rest] == [mine[4].id, mine[3].id, mine[1].id, mine[0].id]
    assert [n.id for n in beyond] == [mine[4].id]


async def test_set_robo_fields_mirrors_status_and_keeps_processed_version_unless_given(
    uow_factory: SqlAlchemyUnitOfWorkFactory,
) -> None:
    user = await add_user(uow_factory)
    note = await add_note(uow_factory, user)
    async with uow_factory() as uow:
        await uow.notes.set_robo_fields(note.id, status=S.COMPLETED, processed_version=1)
        await uow.notes.set_robo_fields(note.id, status=S.FAILED, error="RoboTimeout: slow")
        await uow.commit()

    async with uow_factory() as uow:
        stored = await uow.notes.get(note.id)
    assert (stored.robo_status, stored.robo_processed_version) == (S.FAILED, 1)
    assert stored.robo_error == "RoboTimeout: slow"


# --- statuses ----------------------------------------------------------------------------


async def test_transition_walks_the_happy_path_and_clears_the_token(
    uow_factory: SqlAlchemyUnitOfWorkFactory,
) -> None:
    user = await add_user(uow_factory)
    note = await add_note(uow_factory, user)
    async with uow_factory() as uow:
        queued = await uow.statuses.transition(note.id, 1, S.QUEUED, now=T0, job_id="j1")
        claimed = await uow.statuses.transition(
            note.id, 1, S.PROCESSING, now=T0, expected_state=S.QUEUED, token="tok", attempts=1
        )
        done = await uow.statuses.transition(
            note.id, 1, S.COMPLETED, now=T0 + timedelta(seconds=5), expected_token="tok"
        )
        await uow.commit()

    assert queued is not None
    assert queued.job_id == "j1"
    assert claimed is not None
    assert (claimed.token, claimed.attempts) == ("tok", 1)
    assert done is not None
    assert (done.state, done.token, done.job_id, done.attempts) == (S.COMPLETED, None, "j1", 1)
    assert done.updated_at == T0 + timedelta(seconds=5)


async def test_transition_refuses_illegal_moves(uow_factory: SqlAlchemyUnitOfWorkFactory) -> None:
    user = await add_user(uow_factory)
    note = await add_note(uow_factory, user)
    async with uow_factory() as uow:
        with pytest.raises(InvalidStatusTransition):
            await uow.statuses.transition(note.id, 1, S.COMPLETED, now=T0)
        with pytest.raises(InvalidStatusTransition):
            await uow.statuses.transition(note.id, 1, S.COMPLETED, now=T0, expected_state=S.QUEUED)
        with pytest.raises(NoteNotFound):
            await uow.statuses.transition(note.id, 99, S.QUEUED, now=T0)
        assert (await uow.statuses.get(note.id, 1)).state is S.PENDING


async def test_stale_token_or_state_writes_nothing(
    uow_factory: SqlAlchemyUnitOfWorkFactory,
) -> None:
    user = await add_user(uow_factory)
    note = await add_note(uow_factory, user)
    async with uow_factory() as uow:
        await uow.statuses.transition(note.id, 1, S.QUEUED, now=T0)
        await uow.statuses.transition(note.id, 1, S.PROCESSING, now=T0, token="new")
        stale = await uow.statuses.transition(
            note.id, 1, S.COMPLETED, now=T0, expected_token="old", last_error="x"
        )
        wrong_state = await uow.statuses.transition(
            note.id, 1, S.PROCESSING, now=T0, expected_state=S.QUEUED, token="other"
        )
        current = await uow.statuses.get(note.id, 1)

    assert stale is None
    assert wrong_state is None
    assert (current.state, current.token, current.last_error) == (S.PROCESSING, "new", None)


async def test_two_workers_racing_to_claim_only_one_wins(
    uow_factory: SqlAlchemyUnitOfWorkFactory,
) -> None:
    user = await add_user(uow_factory)
    note = await add_note(uow_factory, user)
    async with uow_factory() as uow:
        await uow.statuses.transition(note.id, 1, S.QUEUED, now=T0)
        await uow.commit()

    async def claim(token: str) -> bool:
        async with uow_factory() as uow:
            moved = await uow.statuses.transition(
                note.id, 1, S.PROCESSING, now=T0, expected_state=S.QUEUED, token=token
            )
            await uow.commit()
            return moved is not None

    results = await asyncio.gather(*(claim(f"w{i}") for i in range(6)))

    assert sorted(results) == [False] * 5 + [True]


async def test_retry_fields_are_written_and_kept(uow_factory: SqlAlchemyUnitOfWorkFactory) -> None:
    user = await add_user(uow_factory)
    note = await add_note(uow_factory, user)
    due = T0 + timedelta(seconds=30)
    async with uow_factory() as uow:
        await uow.statuses.transition(note.id, 1, S.QUEUED, now=T0)
        await uow.statuses.transition(note.id, 1, S.PROCESSING, now=T0, token="t", attempts=1)
        retry = await uow.statuses.transition(
            note.id,
            1,
            S.RETRY_SCHEDULED,
            now=T0,
            error_class="RoboTimeout",
            last_error="timed out",
            next_attempt_at=due,
            expected_token="t",
        )
        listed = await uow.statuses.list_in_states(
            [S.RETRY_SCHEDULED], updated_before=T0 + timedelta(1), limit=10
        )
        requeued = await uow.statuses.transition(note.id, 1, S.QUEUED, now=T0)

    assert retry is not None
    assert (retry.token, retry.error_class, retry.next_attempt_at) == (None, "RoboTimeout", due)
    assert [r.note_id for r in listed] == [note.id]
    assert requeued is not None
    assert requeued.last_error == "timed out"


async def test_supersede_and_cancel_touch_only_rows_that_may_move(
    uow_factory: SqlAlchemyUnitOfWorkFactory,
) -> None:
    user = await add_user(uow_factory)
    note = await add_note(uow_factory, user)
    async with uow_factory() as uow:
        await uow.statuses.transition(note.id, 1, S.QUEUED, now=T0)
        await uow.statuses.add(note_id=note.id, version=2, user_id=user.id, now=T0)
        superseded = await uow.statuses.supersede_older(note.id, below_version=2, now=T0)
        await uow.statuses.add(note_id=note.id, version=3, user_id=user.id, now=T0)
        await uow.statuses.transition(note.id, 3, S.QUEUED, now=T0)
        await uow.statuses.transition(note.id, 3, S.PROCESSING, now=T0, token="t")
        await uow.statuses.transition(note.id, 3, S.COMPLETED, now=T0)
        cancelled = await uow.statuses.cancel_all(note.id, now=T0)
        states = {v: (await uow.statuses.get(note.id, v)).state for v in (1, 2, 3)}
        latest = await uow.statuses.find_latest(note.id)

    assert superseded == 1
    assert cancelled == 2
    assert states == {1: S.CANCELLED, 2: S.CANCELLED, 3: S.COMPLETED}
    assert latest is not None
    assert latest.version == 3


async def test_counts_list_every_state(uow_factory: SqlAlchemyUnitOfWorkFactory) -> None:
    user = await add_user(uow_factory)
    await add_note(uow_factory, user)
    await add_note(uow_factory, user)

    async with uow_factory() as uow:
        counts = await uow.statuses.counts()

    assert set(counts) == set(S)
    assert counts[S.PENDING] == 2
    assert sum(counts.values()) == 2


async def test_delete_terminal_is_bounded_old_only_and_spares_failed(
    uow_factory: SqlAlchemyUnitOfWorkFactory,
) -> None:
    user = await add_user(uow_factory)
    notes = [await add_note(uow_factory, user, f"n{i}") for i in range(5)]
    async with uow_factory() as uow:
        for note in notes[:3]:
            await uow.statuses.transition(note.id, 1, S.CANCELLED, now=T0)
        await uow.statuses.transition(notes[3].id, 1, S.QUEUED, now=T0)
        await uow.statuses.transition(notes[3].id, 1, S.PROCESSING, now=T0)
        await uow.statuses.transition(notes[3].id, 1, S.FAILED, now=T0)
        await uow.commit()
    cutoff = T0 + timedelta(seconds=1)

    async with uow_factory() as uow:
        counted = await uow.statuses.count_terminal(updated_before=cutoff)
        nothing_before = await uow.statuses.count_terminal(updated_before=T0)
        first = await uow.statuses.delete_terminal(updated_before=cutoff, limit=2)
        second = await uow.statuses.delete_terminal(updated_before=cutoff, limit=2)
        removed_failed = await uow.statuses.delete(notes[3].id, 1)
        removed_again = await uow.statuses.delete(notes[3].id, 1)
        await uow.commit()

    async with uow_factory() as uow:
        left = await uow.statuses.counts()
    assert (counted, nothing_before, first, second) == (3, 0, 2, 1)
    assert (removed_failed, removed_again) == (True, False)
    assert left[S.PENDING] == 1
    assert sum(left.values()) == 1


# --- unit of work ------------------------------------------------------------------------


async def test_unit_of_work_rolls_back_unless_committed(
    uow_factory: SqlAlchemyUnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        await uow.users.add(name="forgotten", created_at=T0)

    async def crash() -> None:
        async with uow_factory() as uow:
            await uow.users.add(name="crashed", created_at=T0)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await crash()

    async with uow_factory() as uow:
        assert await uow.users.find_by_name("forgotten") is None
        assert await uow.users.find_by_name("crashed") is None


async def test_work_after_a_commit_is_rolled_back_on_exit(
    uow_factory: SqlAlchemyUnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        await uow.users.add(name="kept", created_at=T0)
        await uow.commit()
        await uow.users.add(name="dropped", created_at=T0)

    async with uow_factory() as uow:
        assert await uow.users.find_by_name("kept") is not None
        assert await uow.users.find_by_name("dropped") is None


async def test_foreign_keys_are_enforced(uow_factory: SqlAlchemyUnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        with pytest.raises(StorageError):
            await uow.notes.add(
                NewNote(user_id=424242, title=None, body="orphan", created_at=T0), content_hash="x"
            )


async def test_an_unreachable_database_is_a_storage_error() -> None:
    engine = create_engine("postgresql+asyncpg://postgres@127.0.0.1:1/none")
    try:
        with pytest.raises(StorageError):
            async with SqlAlchemyUnitOfWorkFactory(engine)() as uow:
                await uow.users.find_by_name("ana")
    finally:
        await engine.dispose()


async def test_text_the_driver_cannot_encode_is_a_storage_error(
    uow_factory: SqlAlchemyUnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        with pytest.raises(StorageError):
            await uow.users.find_by_name("lone \udcff surrogate")
