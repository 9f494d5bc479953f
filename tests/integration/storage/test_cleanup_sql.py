"""Cleanup on a real database with the SQL queue: FAILED rows wait for the queue to let go."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from robonotes.bootstrap import Container
from robonotes.config import Settings
from robonotes.domain.status import ProcessingState as S


@pytest.fixture
async def container(database: tuple[str, str | None]) -> AsyncIterator[Container]:
    url, schema = database
    built = Container(Settings(database_url=url, database_schema=schema, redis_url=None))
    yield built
    await built.aclose()


async def test_failed_row_is_kept_while_the_queue_holds_its_job_then_cleaned(
    container: Container,
) -> None:
    user, _ = await container.users.create(name="ana")
    done = await container.notes.create(user_id=user.id, body="finished")
    failed = await container.notes.create(user_id=user.id, body="failed")
    [first, second] = await container.queue.claim(worker_id="w1", limit=2, lease_ms=60_000)
    tokens = {job.payload.note_id: job.token for job in (first, second)}
    now = container.clock.now()
    async with container.uow_factory() as uow:
        for note_id, end in ((done.id, S.COMPLETED), (failed.id, S.FAILED)):
            await uow.statuses.transition(note_id, 1, S.PROCESSING, now=now, token="t")
            await uow.statuses.transition(note_id, 1, end, now=now)
        await uow.commit()

    dry = await container.cleanup.run(older_than=timedelta(0), dry_run=True)
    while_held = await container.cleanup.run(older_than=timedelta(0))
    for job in (first, second):
        token = tokens[job.payload.note_id]
        assert token is not None
        assert await container.queue.complete(job.id, token=token)
    released = await container.cleanup.run(older_than=timedelta(0))

    assert (dry.terminal_rows, dry.failed_rows) == (1, 0)
    assert (while_held.terminal_rows, while_held.failed_rows) == (1, 0)
    assert (released.terminal_rows, released.failed_rows) == (0, 1)
    async with container.uow_factory() as uow:
        assert sum((await uow.statuses.counts()).values()) == 0
        kept = await uow.notes.get(failed.id)
    assert kept.body == "failed"
