"""The NoteProcessingQueue contract, run against Redis, SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from queuesupport import MAX_ATTEMPTS, Backend

from robonotes.domain.jobs import FailKind, FailOutcome, Job, JobPayload, JobState

SHORT_LEASE_MS = 200
LONG_LEASE_MS = 60_000


def payload(note_id: int = 1, version: int = 1, user_id: int = 7) -> JobPayload:
    return JobPayload(note_id=note_id, version=version, user_id=user_id)


async def claim_one(queue: Any, *, worker_id: str = "w1", lease_ms: int = LONG_LEASE_MS) -> Job:
    jobs = await queue.claim(worker_id=worker_id, limit=1, lease_ms=lease_ms)
    assert len(jobs) == 1, jobs
    assert jobs[0].token
    return jobs[0]


async def fail_retry(
    queue: Any, job: Job, *, message: str = "boom", delay_ms: int = 0
) -> FailOutcome:
    assert job.token is not None
    return await queue.fail(
        job.id,
        token=job.token,
        kind=FailKind.RETRY,
        error_class="RoboUnavailable",
        message=message,
        delay_ms=delay_ms,
    )


async def test_enqueue_of_the_same_note_version_is_idempotent(queue: Any) -> None:
    first = await queue.enqueue(payload())
    second = await queue.enqueue(payload())
    other_version = await queue.enqueue(payload(version=2))

    assert first == second
    assert other_version != first
    assert (await queue.stats()).ready == 2


async def test_enqueue_returns_the_existing_id_while_the_job_is_leased_or_delayed(
    queue: Any,
) -> None:
    job_id = await queue.enqueue(payload())
    job = await claim_one(queue)
    assert await queue.enqueue(payload()) == job_id

    await fail_retry(queue, job, delay_ms=LONG_LEASE_MS)

    assert await queue.enqueue(payload()) == job_id
    assert (await queue.stats()).ready == 0


async def test_claim_leases_with_a_token_and_increments_attempts(queue: Any) -> None:
    job_id = await queue.enqueue(payload(note_id=5, version=3, user_id=9))

    job = await claim_one(queue, worker_id="worker-a")

    assert job.id == job_id
    assert job.payload == payload(note_id=5, version=3, user_id=9)
    assert job.attempts == 1
    assert job.max_attempts == MAX_ATTEMPTS
    assert job.state is JobState.LEASED
    assert job.worker == "worker-a"
    assert await queue.claim(worker_id="worker-b", limit=10, lease_ms=LONG_LEASE_MS) == []
    stored = await queue.get_job(job_id)
    assert stored is not None
    assert stored.state is JobState.LEASED
    assert stored.token == job.token


async def test_claim_takes_jobs_oldest_first_up_to_the_limit(queue: Any) -> None:
    ids = [await queue.enqueue(payload(note_id=n)) for n in range(1, 6)]

    first = await queue.claim(worker_id="w1", limit=3, lease_ms=LONG_LEASE_MS)
    rest = await queue.claim(worker_id="w1", limit=10, lease_ms=LONG_LEASE_MS)

    assert [j.id for j in first] == ids[:3]
    assert [j.id for j in rest] == ids[3:]
    assert len({j.token for j in first + rest}) == 5


async def test_complete_with_a_stale_token_is_refused(queue: Any) -> None:
    await queue.enqueue(payload())
    job = await claim_one(queue)

    assert await queue.complete(job.id, token="not-the-token") is False
    assert await queue.complete(job.id, token="") is False
    assert (await queue.get_job(job.id)) is not None
    assert await queue.complete(job.id, token=job.token) is True
    assert await queue.complete(job.id, token=job.token) is False
    assert await queue.get_job(job.id) is None


async def test_completed_note_version_can_be_enqueued_again(queue: Any) -> None:
    job_id = await queue.enqueue(payload())
    job = await claim_one(queue)
    await queue.complete(job.id, token=job.token)

    assert await queue.has_job(payload()) is False
    again = await queue.enqueue(payload())

    assert again != job_id
    assert await queue.has_job(payload()) is True


async def test_fail_with_a_stale_token_is_refused_and_changes_nothing(queue: Any) -> None:
    await queue.enqueue(payload())
    job = await claim_one(queue)

    for kind in FailKind:
        outcome = await queue.fail(
            job.id, token="stale", kind=kind, error_class="X", message="m", delay_ms=0
        )
        assert outcome is FailOutcome.STALE
    stored = await queue.get_job(job.id)

    assert stored is not None
    assert stored.state is JobState.LEASED
    assert stored.attempts == 1
    assert stored.errors == ()


async def test_expired_lease_comes_back_on_reap_and_counts_the_attempt(queue: Any) -> None:
    await queue.enqueue(payload())
    lost = await claim_one(queue, worker_id="dead-worker", lease_ms=SHORT_LEASE_MS)
    await asyncio.sleep(SHORT_LEASE_MS * 2 / 1000)

    assert (await queue.stats()).overdue_leases == 1
    assert await queue.reap() == (1, 0)
    again = await claim_one(queue, worker_id="live-worker")

    assert again.id == lost.id
    assert again.attempts == 2
    assert again.token != lost.token
    assert [e.error_class for e in again.errors] == ["LeaseExpired"]
    assert await queue.complete(lost.id, token=lost.token) is False
    assert await fail_retry(queue, lost) is FailOutcome.STALE
    assert await queue.complete(again.id, token=again.token) is True


async def test_reaped_job_with_no_attempts_left_goes_to_the_dlq(queue: Any) -> None:
    await queue.enqueue(payload())
    for attempt in range(1, MAX_ATTEMPTS + 1):
        job = await claim_one(queue, lease_ms=SHORT_LEASE_MS)
        assert job.attempts == attempt
        await asyncio.sleep(SHORT_LEASE_MS * 2 / 1000)
        expected = (0, 1) if attempt == MAX_ATTEMPTS else (1, 0)
        assert await queue.reap() == expected

    [dead] = await queue.dead_letters()
    assert dead.state is JobState.DEAD
    assert [e.attempt for e in dead.errors] == [1, 2, 3]


async def test_reap_leaves_live_leases_alone(queue: Any) -> None:
    await queue.enqueue(payload())
    job = await claim_one(queue, lease_ms=LONG_LEASE_MS)

    assert await queue.reap() == (0, 0)
    assert await queue.complete(job.id, token=job.token) is True


async def test_release_returns_the_job_without_costing_an_attempt(queue: Any) -> None:
    await queue.enqueue(payload(note_id=1))
    await queue.enqueue(payload(note_id=2))
    job = await claim_one(queue)

    assert await queue.release(job.id, token="stale") is False
    assert await queue.release(job.id, token=job.token) is True
    assert await queue.release(job.id, token=job.token) is False
    again = await claim_one(queue)

    assert again.id == job.id
    assert again.attempts == 1
    assert again.token != job.token


async def test_fail_retry_goes_to_delayed_and_promote_brings_it_back_when_due(queue: Any) -> None:
    await queue.enqueue(payload())
    job = await claim_one(queue)

    assert await fail_retry(queue, job, delay_ms=SHORT_LEASE_MS) is FailOutcome.RETRY_SCHEDULED
    stats = await queue.stats()
    assert (stats.ready, stats.delayed, stats.leased) == (0, 1, 0)
    assert await queue.promote() == 0
    assert await queue.claim(worker_id="w1", limit=5, lease_ms=LONG_LEASE_MS) == []

    await asyncio.sleep(SHORT_LEASE_MS * 2 / 1000)
    assert await queue.promote() == 1
    again = await claim_one(queue)

    assert again.id == job.id
    assert again.attempts == 2
    assert [(e.attempt, e.error_class, e.message) for e in again.errors] == [
        (1, "RoboUnavailable", "boom")
    ]


async def test_exhausted_attempts_land_in_the_dlq_with_every_attempts_error(queue: Any) -> None:
    await queue.enqueue(payload())
    outcomes = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        job = await claim_one(queue)
        assert job.attempts == attempt
        outcomes.append(await fail_retry(queue, job, message=f"attempt {attempt}"))

    assert outcomes == [FailOutcome.RETRY_SCHEDULED] * (MAX_ATTEMPTS - 1) + [
        FailOutcome.DEAD_LETTERED
    ]
    [dead] = await queue.dead_letters()
    assert dead.state is JobState.DEAD
    assert dead.token is None
    assert [(e.attempt, e.message) for e in dead.errors] == [
        (n, f"attempt {n}") for n in range(1, MAX_ATTEMPTS + 1)
    ]
    assert all(e.at_ms > 0 for e in dead.errors)
    assert await queue.has_job(payload()) is True
    assert await queue.enqueue(payload()) == dead.id
    stats = await queue.stats()
    assert (stats.ready, stats.delayed, stats.leased, stats.dead) == (0, 0, 0, 1)


async def test_dead_failure_goes_to_the_dlq_at_once(queue: Any) -> None:
    await queue.enqueue(payload())
    job = await claim_one(queue)

    outcome = await queue.fail(
        job.id, token=job.token, kind=FailKind.DEAD, error_class="RoboAuthError", message="401"
    )

    assert outcome is FailOutcome.DEAD_LETTERED
    [dead] = await queue.dead_letters()
    assert dead.id == job.id
    assert dead.attempts == 1
    assert [e.error_class for e in dead.errors] == ["RoboAuthError"]


async def test_defer_costs_no_attempt(queue: Any) -> None:
    await queue.enqueue(payload())
    for _ in range(MAX_ATTEMPTS + 2):
        job = await claim_one(queue)
        assert job.attempts == 1
        outcome = await queue.fail(
            job.id,
            token=job.token,
            kind=FailKind.DEFER,
            error_class="CircuitOpenError",
            message="open",
        )
        assert outcome is FailOutcome.RETRY_SCHEDULED

    assert (await queue.stats()).dead == 0


async def test_replay_restores_dlq_jobs_with_fresh_attempts(queue: Any) -> None:
    ids = [await queue.enqueue(payload(note_id=n)) for n in range(1, 4)]
    for _ in ids:
        job = await claim_one(queue)
        await queue.fail(job.id, token=job.token, kind=FailKind.DEAD, error_class="E", message="m")

    assert await queue.replay(["no-such-id", ids[1]]) == [ids[1]]
    assert sorted(await queue.replay(None, limit=10)) == sorted([ids[0], ids[2]])
    assert await queue.replay(None) == []
    claimed = await queue.claim(worker_id="w1", limit=10, lease_ms=LONG_LEASE_MS)

    assert sorted(j.id for j in claimed) == sorted(ids)
    assert all(j.attempts == 1 for j in claimed)
    assert all(len(j.errors) == 1 for j in claimed)


async def test_replay_honours_its_limit_oldest_first(queue: Any) -> None:
    ids = [await queue.enqueue(payload(note_id=n)) for n in range(1, 5)]
    for _ in ids:
        job = await claim_one(queue)
        await queue.fail(job.id, token=job.token, kind=FailKind.DEAD, error_class="E", message="m")
        await asyncio.sleep(0.005)

    first = await queue.replay(None, limit=2)
    by_id = await queue.replay(ids, limit=1)

    assert first == ids[:2]
    assert by_id == [ids[2]]
    assert [j.id for j in await queue.dead_letters()] == [ids[3]]
    assert (await queue.stats()).ready == 3


async def test_purge_deletes_dead_jobs_so_their_versions_can_be_enqueued_again(queue: Any) -> None:
    ids = [await queue.enqueue(payload(note_id=n)) for n in range(1, 4)]
    for _ in ids:
        job = await claim_one(queue)
        await queue.fail(job.id, token=job.token, kind=FailKind.DEAD, error_class="E", message="m")
    live_id = await queue.enqueue(payload(note_id=99))

    assert await queue.purge_dead([ids[0], live_id, "no-such-id"]) == 1
    assert await queue.purge_dead() == 2
    assert await queue.dead_letters() == []
    assert await queue.has_job(payload(note_id=1)) is False
    assert await queue.get_job(live_id) is not None
    assert await queue.enqueue(payload(note_id=1)) not in ids


async def test_stats_report_depths_ages_overdue_leases_and_live_workers(queue: Any) -> None:
    empty = await queue.stats()
    assert (empty.ready, empty.delayed, empty.leased, empty.dead) == (0, 0, 0, 0)
    assert empty.oldest_ready_age_s is None
    assert empty.live_workers == 0

    for n in range(1, 5):
        await queue.enqueue(payload(note_id=n))
    first = await claim_one(queue, worker_id="w-overdue", lease_ms=SHORT_LEASE_MS)
    second = await claim_one(queue, worker_id="w-live")
    await fail_retry(queue, second, delay_ms=LONG_LEASE_MS)
    await queue.heartbeat(worker_id="w-live", lease_ms=LONG_LEASE_MS)
    await asyncio.sleep(SHORT_LEASE_MS * 2 / 1000)

    stats = await queue.stats()
    assert (stats.ready, stats.delayed, stats.leased, stats.dead) == (2, 1, 1, 0)
    assert stats.pending_work == 4
    assert stats.oldest_ready_age_s is not None
    assert stats.oldest_ready_age_s > 0
    assert stats.overdue_leases == 1
    assert stats.live_workers == 1
    assert stats.measured_at is not None
    assert first.worker == "w-overdue"


async def test_has_job_sees_live_jobs_only(queue: Any) -> None:
    assert await queue.has_job(payload()) is False
    await queue.enqueue(payload())

    assert await queue.has_job(payload()) is True
    assert await queue.has_job(payload(version=2)) is False
    assert await queue.has_job(payload(note_id=2)) is False


async def test_heartbeat_extends_leases_so_they_are_not_reaped(queue: Any) -> None:
    await queue.enqueue(payload(note_id=1))
    await queue.enqueue(payload(note_id=2))
    await queue.enqueue(payload(note_id=3))
    mine = await queue.claim(worker_id="w1", limit=2, lease_ms=SHORT_LEASE_MS)
    other = await claim_one(queue, worker_id="w2", lease_ms=SHORT_LEASE_MS)

    for _ in range(4):
        await asyncio.sleep(SHORT_LEASE_MS / 4 / 1000)
        assert await queue.heartbeat(worker_id="w1", lease_ms=SHORT_LEASE_MS * 3) == 2
    await asyncio.sleep(SHORT_LEASE_MS * 1.2 / 1000)

    assert await queue.reap() == (1, 0)
    for job in mine:
        assert await queue.complete(job.id, token=job.token) is True
    assert await queue.complete(other.id, token=other.token) is False


async def test_heartbeat_of_a_worker_without_jobs_extends_nothing(queue: Any) -> None:
    assert await queue.heartbeat(worker_id="idle", lease_ms=LONG_LEASE_MS) == 0
    assert (await queue.stats()).live_workers == 1


async def test_concurrent_asyncio_claimers_never_get_the_same_job(backend: Backend) -> None:
    queues = [backend.open() for _ in range(4)]
    try:
        ids = {await queues[0].enqueue(payload(note_id=n)) for n in range(1, 61)}

        async def claimer(index: int) -> list[str]:
            got: list[str] = []
            q = queues[index % len(queues)]
            while True:
                jobs = await q.claim(worker_id=f"w{index}", limit=3, lease_ms=LONG_LEASE_MS)
                if not jobs:
                    return got
                got.extend(j.id for j in jobs)

        results = await asyncio.gather(*(claimer(i) for i in range(12)))
    finally:
        await backend.close_all()

    claimed = [job_id for result in results for job_id in result]
    assert len(claimed) == len(set(claimed))
    assert set(claimed) == ids


@pytest.mark.slow
async def test_concurrent_processes_never_get_the_same_job(backend: Backend) -> None:
    queue = backend.open()
    try:
        ids = {await queue.enqueue(payload(note_id=n)) for n in range(1, 121)}
    finally:
        await backend.close_all()
    script = Path(__file__).with_name("_claimer.py")
    args = [backend.name, backend.url, backend.schema_or_prefix or ""]
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            str(script),
            *args,
            f"proc{n}",
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        for n in range(3)
    ]
    for process in processes:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=120)
        assert line.strip() == b"ready"
    for process in processes:
        assert process.stdin is not None
        process.stdin.write(b"go\n")
        await process.stdin.drain()
    outputs = await asyncio.wait_for(
        asyncio.gather(*(p.communicate() for p in processes)), timeout=120
    )

    assert [p.returncode for p in processes] == [0, 0, 0]
    per_process = [json.loads(out.splitlines()[-1]) for out, _ in outputs]
    claimed = [job_id for ids_of_one in per_process for job_id in ids_of_one]
    assert len(claimed) == len(set(claimed))
    assert set(claimed) == ids
    assert sum(1 for ids_of_one in per_process if ids_of_one) >= 2, "the claimers did not overlap"


async def test_wait_for_work_returns_promptly_after_an_enqueue(backend: Backend) -> None:
    waiter_queue, producer_queue = backend.open(), backend.open()
    try:
        waiter = asyncio.create_task(waiter_queue.wait_for_work(30.0))
        await asyncio.sleep(0.1)
        assert not waiter.done()

        await producer_queue.enqueue(payload())

        await asyncio.wait_for(waiter, timeout=10.0)
        assert len(await waiter_queue.claim(worker_id="w1", limit=5, lease_ms=LONG_LEASE_MS)) == 1
    finally:
        await backend.close_all()


async def test_wait_for_work_returns_when_a_delayed_job_comes_due(queue: Any) -> None:
    await queue.enqueue(payload())
    job = await claim_one(queue)
    await fail_retry(queue, job, delay_ms=300)

    await asyncio.wait_for(queue.wait_for_work(30.0), timeout=10.0)
    again = await asyncio.wait_for(claim_one(queue), timeout=10.0)

    assert again.id == job.id


async def test_wait_for_work_returns_at_once_when_work_is_ready(queue: Any) -> None:
    await queue.enqueue(payload())

    await asyncio.wait_for(queue.wait_for_work(30.0), timeout=10.0)


async def test_unknown_job_ids_change_nothing(queue: Any) -> None:
    assert await queue.complete("no-such-job", token="t") is False
    assert await queue.release("no-such-job", token="t") is False
    outcome = await queue.fail(
        "no-such-job", token="t", kind=FailKind.DEAD, error_class="E", message="m"
    )
    assert outcome is FailOutcome.STALE
    assert await queue.get_job("no-such-job") is None
    assert await queue.replay(["no-such-job"]) == []
    assert await queue.purge_dead(["no-such-job"]) == 0


@pytest.mark.parametrize(
    "message",
    [
        "quote ' \" and backslash \\ and ]] and -- and ; DROP TABLE queue_jobs;",
        "unicode: Żółć 日本語 🏃‍♀️ \u202e reversed",
        "x" * 100_000,
        "",
        '{"attempt": 99, "class": "Forged"}',
        "nul \x00 and control \x01\x7f",
    ],
)
async def test_hostile_error_messages_are_stored_as_plain_data(queue: Any, message: str) -> None:
    await queue.enqueue(payload())
    job = await claim_one(queue)

    await queue.fail(
        job.id, token=job.token, kind=FailKind.DEAD, error_class="E\n' --", message=message
    )

    [dead] = await queue.dead_letters()
    [error] = dead.errors
    assert error.attempt == 1
    assert error.message == message[:2_000]
    assert error.error_class == "E\n' --"
    assert (await queue.stats()).dead == 1


async def test_large_ids_round_trip_through_the_payload(queue: Any) -> None:
    big = payload(note_id=2**62, version=2**31 - 1, user_id=2**62 + 1)
    await queue.enqueue(big)

    job = await claim_one(queue)

    assert job.payload == big
    assert await queue.has_job(big) is True


async def test_claim_with_a_zero_limit_leases_nothing(queue: Any) -> None:
    await queue.enqueue(payload())

    assert await queue.claim(worker_id="w1", limit=0, lease_ms=LONG_LEASE_MS) == []
    assert (await queue.stats()).ready == 1


async def test_ping_answers_on_a_live_backend(queue: Any) -> None:
    await queue.ping()


async def test_worker_ids_with_colons_do_not_collide(queue: Any) -> None:
    await queue.enqueue(payload(note_id=1))
    await queue.enqueue(payload(note_id=2))
    plain = await claim_one(queue, worker_id="host:42", lease_ms=SHORT_LEASE_MS)
    suffixed = await claim_one(queue, worker_id="host:42:jobs", lease_ms=SHORT_LEASE_MS)

    assert await queue.heartbeat(worker_id="host:42", lease_ms=LONG_LEASE_MS) == 1
    assert await queue.heartbeat(worker_id="host:42:jobs", lease_ms=LONG_LEASE_MS) == 1
    assert await queue.complete(plain.id, token=plain.token) is True
    assert await queue.complete(suffixed.id, token=suffixed.token) is True


@pytest.mark.parametrize("worker_id", ["", "with space", "new\nline", "x" * 201, "żółw", "tab\t"])
async def test_hostile_worker_ids_are_refused(queue: Any, worker_id: str) -> None:
    await queue.enqueue(payload())

    with pytest.raises(ValueError, match="worker id"):
        await queue.claim(worker_id=worker_id, limit=1, lease_ms=LONG_LEASE_MS)
    with pytest.raises(ValueError, match="worker id"):
        await queue.heartbeat(worker_id=worker_id, lease_ms=LONG_LEASE_MS)
    assert (await queue.stats()).ready == 1


@pytest.mark.parametrize("lease_ms", [0, -1])
async def test_a_lease_that_is_not_positive_is_refused(queue: Any, lease_ms: int) -> None:
    await queue.enqueue(payload())

    with pytest.raises(ValueError, match="lease_ms"):
        await queue.claim(worker_id="w1", limit=1, lease_ms=lease_ms)
    with pytest.raises(ValueError, match="lease_ms"):
        await queue.heartbeat(worker_id="w1", lease_ms=lease_ms)
    assert (await queue.stats()).ready == 1


async def test_fail_accepts_the_kind_as_its_string_value(queue: Any) -> None:
    await queue.enqueue(payload())
    job = await claim_one(queue)

    outcome = await queue.fail(job.id, token=job.token, kind="dead", error_class="E", message="m")

    assert outcome is FailOutcome.DEAD_LETTERED


async def test_a_retired_worker_no_longer_counts_as_alive(queue: Any) -> None:
    await queue.heartbeat(worker_id="leaving", lease_ms=LONG_LEASE_MS)
    await queue.heartbeat(worker_id="staying", lease_ms=LONG_LEASE_MS)

    await queue.retire(worker_id="leaving")

    assert (await queue.stats()).live_workers == 1
