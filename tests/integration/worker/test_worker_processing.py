"""Worker + NoteProcessor on real storage and real queues: every note ends once, whatever fails."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from tests.conftest import PrivateRedis
from worker_stack import Stack, open_stack

from robonotes.config import Settings
from robonotes.domain.exceptions import (
    CircuitOpenError,
    RoboAuthError,
    RoboUnavailable,
)
from robonotes.domain.jobs import JobState
from robonotes.domain.status import ProcessingState
from robonotes.storage.migrate import upgrade_database

S = ProcessingState


async def test_burst_worker_completes_every_note_and_commits_each_result_once(
    stack: Stack,
) -> None:
    ids = await stack.add_notes(30)

    processed = await stack.worker().run()

    assert processed == 30
    assert await stack.states() == {S.COMPLETED: 30}
    assert await stack.occurrences_per_note() == dict.fromkeys(ids, 1)
    assert await stack.ledger_rows() == 30
    note = await stack.container.notes.get(user_id=stack.user_id, note_id=ids[0])
    assert note.robo_status is S.COMPLETED
    assert note.robo_processed_version == 1


async def test_transient_errors_are_retried_and_every_attempt_is_ledgered(stack: Stack) -> None:
    stack.robo.errors["flaky"] = [RoboUnavailable("502"), RoboUnavailable("503")]
    (note_id,) = await stack.add_notes(1, body="flaky note: I ran 5k")

    await stack.worker().run()

    async with stack.container.uow_factory() as uow:
        row = await uow.statuses.get(note_id, 1)
    assert row.state is S.COMPLETED
    assert row.attempts >= 3
    assert await stack.ledger_rows() == stack.robo.calls >= 3
    assert await stack.occurrences_per_note() == {note_id: 1}


async def test_permanent_error_dead_letters_and_replay_completes(lean_stack: Stack) -> None:
    stack = lean_stack
    stack.robo.errors["note"] = [RoboAuthError("401 invalid key") for _ in range(3)]
    ids = await stack.add_notes(3, body="a note: I ran 5k #{i}")

    await stack.worker().run()

    assert await stack.states() == {S.FAILED: 3}
    dead = await stack.container.dead_letters.list()
    assert sorted(job.payload.note_id for job in dead) == sorted(ids)
    assert {job.errors[-1].error_class for job in dead} == {"RoboAuthError"}
    note = await stack.container.notes.get(user_id=stack.user_id, note_id=ids[0])
    assert (note.robo_error or "").startswith("RoboAuthError")

    replayed = await stack.container.dead_letters.replay(rate_per_s=1000)
    await stack.worker().run()

    assert len(replayed) == 3
    assert await stack.states() == {S.COMPLETED: 3}
    assert await stack.container.dead_letters.list() == []


async def test_deferral_costs_no_attempt(lean_stack: Stack) -> None:
    stack = lean_stack
    stack.robo.errors["busy"] = [CircuitOpenError(retry_after_s=0.01)] * 2
    (note_id,) = await stack.add_notes(1, body="busy: I ran 5k")

    await stack.worker().run()

    async with stack.container.uow_factory() as uow:
        row = await uow.statuses.get(note_id, 1)
    assert row.state is S.COMPLETED
    assert row.attempts == 1


async def test_graceful_stop_releases_running_jobs_without_counting_an_attempt(
    lean_stack: Stack,
) -> None:
    stack = lean_stack
    stack.robo.delay_s = 30
    stack.robo.calls_expected = 4
    await stack.add_notes(4)
    worker = stack.worker(burst=False, grace_s=0.05)
    running = asyncio.create_task(worker.run())
    await asyncio.wait_for(stack.robo.calls_reached.wait(), timeout=10)

    worker.request_stop()
    await asyncio.wait_for(running, timeout=10)

    assert await stack.states() == {S.QUEUED: 4}
    stats = await stack.container.queue.stats()
    assert stats.ready == 4
    stack.robo.delay_s = 0
    await stack.worker().run()
    async with stack.container.uow_factory() as uow:
        rows = await uow.statuses.list_in_states(
            [S.COMPLETED], updated_before=stack.container.clock.now(), limit=10
        )
    assert [row.attempts for row in rows] == [1, 1, 1, 1]


async def test_crash_after_commit_before_ack_is_redelivered_without_duplicates(
    lean_stack: Stack,
) -> None:
    stack = lean_stack
    (note_id,) = await stack.add_notes(1)
    queue = stack.container.queue
    (job,) = await queue.claim(worker_id="dead-worker", limit=1, lease_ms=150)
    await stack.container.processor.handle(job)  # results committed, then the worker "dies"
    await asyncio.sleep(0.2)

    await stack.worker().run()

    assert stack.robo.calls == 1
    assert await stack.occurrences_per_note() == {note_id: 1}
    assert await stack.moments_per_note() == {note_id: 1}
    assert await stack.states() == {S.COMPLETED: 1}


async def test_job_of_a_dead_worker_comes_back_and_completes_once(lean_stack: Stack) -> None:
    stack = lean_stack
    ids = await stack.add_notes(3)
    queue = stack.container.queue
    claimed = await queue.claim(worker_id="dead-worker", limit=3, lease_ms=150)
    for job in claimed[:2]:  # it had moved two rows to PROCESSING when it died
        await stack.container.processor._start(job)
    await asyncio.sleep(0.2)

    await stack.worker().run()

    assert await stack.states() == {S.COMPLETED: 3}
    assert await stack.occurrences_per_note() == dict.fromkeys(ids, 1)


async def test_notes_survive_the_queue_losing_all_its_data(lean_stack: Stack) -> None:
    stack = lean_stack
    ids = await stack.add_notes(10)
    if stack.kind == "redis":
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(stack.container.settings.redis_url or "")
        keys = [
            key async for key in client.scan_iter(match=f"{stack.container.settings.redis_prefix}*")
        ]
        await client.delete(*keys)
        await client.aclose()
    else:
        async with stack.container.engine.begin() as conn:
            await conn.execute(sa.text("DELETE FROM queue_jobs"))
    assert (await stack.container.queue.stats()).pending_work == 0

    await stack.worker().run()

    assert await stack.states() == {S.COMPLETED: 10}
    assert await stack.occurrences_per_note() == dict.fromkeys(ids, 1)


async def test_worker_waits_out_a_redis_that_dies_and_comes_back_empty(
    private_redis: PrivateRedis, postgres_url: str, postgres_schema: str
) -> None:
    upgrade_database(postgres_url, schema=postgres_schema)
    settings = Settings(
        database_url=postgres_url,
        database_schema=postgres_schema,
        redis_url=private_redis.url,
        queue_max_attempts=4,
    )
    async for stack in open_stack(settings, "redis"):
        await stack.add_notes(5)
        await private_redis.stop()
        worker = stack.worker(reconcile_interval_s=0.2)
        running = asyncio.create_task(worker.run())
        await asyncio.sleep(1.0)  # the worker meets a dead Redis and backs off
        assert not running.done()

        await private_redis.start()  # back, but it lost every job
        await asyncio.wait_for(running, timeout=30)

        assert await stack.states() == {S.COMPLETED: 5}


async def test_edited_deleted_and_unprocessable_notes_end_in_their_own_states(
    lean_stack: Stack,
) -> None:
    stack = lean_stack
    notes = stack.container.notes
    edited = await notes.create(user_id=stack.user_id, body="I ran 5k")
    await notes.update(user_id=stack.user_id, note_id=edited.id, body="I ran 10k actually")
    deleted = await notes.create(user_id=stack.user_id, body="I ran 5k, delete me")
    await notes.delete(user_id=stack.user_id, note_id=deleted.id)
    blank = await notes.create(user_id=stack.user_id, body=" \n\t ")
    binary = await notes.create(user_id=stack.user_id, body="\x01\x02\x03\x04\x05\x06ab")

    await stack.worker().run()

    async with stack.container.uow_factory() as uow:
        assert (await uow.statuses.get(edited.id, 1)).state is S.SUPERSEDED
        assert (await uow.statuses.get(edited.id, 2)).state is S.COMPLETED
        assert (await uow.statuses.get(deleted.id, 1)).state is S.CANCELLED
        assert (await uow.statuses.get(blank.id, 1)).state is S.SKIPPED
        assert (await uow.statuses.get(binary.id, 1)).skip_reason.startswith("binary")  # type: ignore[union-attr]
    assert set(await stack.occurrences_per_note()) == {edited.id}
    assert (await stack.container.queue.stats()).pending_work == 0
    job_states = [
        (await stack.container.queue.get_job(job.id))
        for job in await stack.container.dead_letters.list()
    ]
    assert all(job is None or job.state is not JobState.DEAD for job in job_states)


async def test_a_note_processed_again_by_edits_replay_and_redelivery_keeps_one_set_of_results(
    lean_stack: Stack,
) -> None:
    stack = lean_stack
    notes = stack.container.notes
    (note_id,) = await stack.add_notes(1, body="I ran 5k with Sam.")
    await stack.worker().run()
    # Edit it and edit it back: two more versions, each processed.
    await notes.update(user_id=stack.user_id, note_id=note_id, body="I ran 5k with Sam and Lea.")
    await stack.worker().run()
    await notes.update(user_id=stack.user_id, note_id=note_id, body="I ran 5k with Sam.")
    await stack.worker().run()
    # Reprocess into the DLQ, then replay it.
    stack.robo.errors["Sam"] = [RoboAuthError("401 invalid key")]
    await notes.reprocess(user_id=stack.user_id, note_id=note_id)
    await stack.worker().run()
    assert await stack.states() == {S.COMPLETED: 2, S.FAILED: 1}  # v1 and v2 stay done
    await stack.container.dead_letters.replay(rate_per_s=1000)
    await stack.worker().run()
    # Reprocess once more and let the worker "die" after its commit: the job is redelivered.
    await notes.reprocess(user_id=stack.user_id, note_id=note_id)
    (job,) = await stack.container.queue.claim(worker_id="dead-worker", limit=1, lease_ms=150)
    await stack.container.processor.handle(job)
    await asyncio.sleep(0.2)

    await stack.worker().run()

    assert stack.robo.calls == 6
    assert await stack.states() == {S.COMPLETED: 3}
    assert await stack.occurrences_per_note() == {note_id: 1}
    assert await stack.moments_per_note() == {note_id: 1}
    assert await stack.scalar_rows("SELECT COUNT(*) FROM activities") == [(1,)]
    assert await stack.scalar_rows("SELECT COUNT(*) FROM moments") == [(1,)]
    note = await notes.get(user_id=stack.user_id, note_id=note_id)
    assert note.robo_processed_version == 3


async def test_a_job_over_its_timeout_is_failed_and_ends_in_the_dlq_as_a_timeout(
    lean_stack: Stack,
) -> None:
    stack = lean_stack
    stack.robo.delay_s = 5.0
    await stack.add_notes(1)

    await asyncio.wait_for(stack.worker(job_timeout_s=0.2).run(), timeout=30)

    assert await stack.states() == {S.FAILED: 1}
    (dead,) = await stack.container.dead_letters.list()
    assert [error.error_class for error in dead.errors] == ["TimeoutError"] * 4
    # The timeout covers the whole job: under load one may expire before Robo is even called.
    assert 1 <= stack.robo.calls <= 4


async def test_heartbeats_keep_a_job_longer_than_its_lease_from_being_reclaimed(
    lean_stack: Stack,
) -> None:
    stack = lean_stack
    stack.robo.delay_s = 2.0  # more than three leases of 0.6 s
    (note_id,) = await stack.add_notes(1)

    await stack.worker(lease_ms=600).run()

    async with stack.container.uow_factory() as uow:
        row = await uow.statuses.get(note_id, 1)
    assert row.state is S.COMPLETED
    assert row.attempts == 1
    assert stack.robo.calls == 1
