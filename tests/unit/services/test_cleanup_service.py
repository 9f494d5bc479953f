"""CleanupService: old terminal rows go in batches; FAILED ones only once out of the DLQ."""

from __future__ import annotations

from datetime import timedelta

import pytest
from storefakes import FakeClock, FakeDb, FakeQueue, FakeUnitOfWorkFactory

from robonotes.domain.status import ProcessingState as S
from robonotes.domain.status import StatusRecord
from robonotes.services.cleanup import CleanupService

RETENTION = timedelta(days=7)


def seed(db: FakeDb, clock: FakeClock, state: S, *, age: timedelta, count: int = 1) -> None:
    for _ in range(count):
        note_id = len(db.statuses) + 1
        at = clock.now() - age
        db.statuses[(note_id, 1)] = StatusRecord(
            note_id=note_id,
            version=1,
            user_id=1,
            state=state,
            attempts=1,
            created_at=at,
            updated_at=at,
        )


def make(queue: FakeQueue | None = None) -> tuple[CleanupService, FakeDb, FakeClock]:
    factory, clock = FakeUnitOfWorkFactory(), FakeClock()
    service = CleanupService(uow_factory=factory, clock=clock, retention=RETENTION, queue=queue)
    return service, factory.db, clock


async def test_deletes_old_terminal_rows_in_batches_and_keeps_the_rest() -> None:
    service, db, clock = make()
    seed(db, clock, S.COMPLETED, age=timedelta(days=8), count=5)
    seed(db, clock, S.SKIPPED, age=timedelta(days=9))
    seed(db, clock, S.COMPLETED, age=timedelta(days=1))
    seed(db, clock, S.QUEUED, age=timedelta(days=30))

    report = await service.run(batch_size=2)

    assert report.terminal_rows == 6
    assert report.batches >= 3
    assert sorted(r.state for r in db.statuses.values()) == [S.COMPLETED, S.QUEUED]


async def test_dry_run_counts_and_deletes_nothing() -> None:
    service, db, clock = make()
    seed(db, clock, S.CANCELLED, age=timedelta(days=8), count=3)

    report = await service.run(dry_run=True)

    assert (report.dry_run, report.terminal_rows) == (True, 3)
    assert len(db.statuses) == 3


async def test_older_than_overrides_retention() -> None:
    service, db, clock = make()
    seed(db, clock, S.SUPERSEDED, age=timedelta(hours=2))

    report = await service.run(older_than=timedelta(hours=1))

    assert report.terminal_rows == 1
    assert db.statuses == {}


async def test_failed_rows_go_only_when_the_queue_no_longer_holds_their_job() -> None:
    queue = FakeQueue()
    service, db, clock = make(queue)
    seed(db, clock, S.FAILED, age=timedelta(days=8), count=2)
    queue.held.add((1, 1))

    report = await service.run()

    assert report.failed_rows == 1
    assert set(db.statuses) == {(1, 1)}


async def test_failed_rows_stay_when_the_queue_cannot_answer() -> None:
    service, db, clock = make(FakeQueue(down=True))
    seed(db, clock, S.FAILED, age=timedelta(days=8))

    report = await service.run()

    assert report.failed_rows == 0
    assert len(db.statuses) == 1


async def test_without_a_queue_failed_rows_are_never_deleted() -> None:
    service, db, clock = make(None)
    seed(db, clock, S.FAILED, age=timedelta(days=80))

    await service.run()

    assert len(db.statuses) == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"batch_size": 0}, "positive"), ({"older_than": timedelta(days=-1)}, "negative")],
)
async def test_bad_arguments_are_refused(kwargs: dict[str, object], message: str) -> None:
    service, _, _ = make()

    with pytest.raises(ValueError, match=message):
        await service.run(**kwargs)  # type: ignore[arg-type]
