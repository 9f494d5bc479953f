"""RedisQueue specifics beyond the contract: key layout, lost scripts, lost data, corrupt jobs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from redis.crc import key_slot

from robonotes.domain.jobs import FailKind, JobPayload
from robonotes.queue.redis_pool import create_redis_clients
from robonotes.queue.redis_queue import CorruptJobError, RedisQueue

LEASE_MS = 60_000


@pytest.fixture
async def queue(redis_url: str, redis_prefix: str) -> AsyncIterator[RedisQueue]:
    """A RedisQueue under this test's own prefix."""
    q = RedisQueue(create_redis_clients(url=redis_url, socket_timeout_s=2), prefix=redis_prefix)
    yield q
    await q.close()


@pytest.fixture
async def raw(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    """A plain client for looking at and damaging the queue's keys."""
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    await client.aclose()


async def _keys(raw: aioredis.Redis, prefix: str) -> list[str]:
    return sorted([key async for key in raw.scan_iter(match=f"{prefix}*", count=1000)])


async def test_every_key_starts_with_the_prefix_and_one_hash_tag(
    queue: RedisQueue, raw: aioredis.Redis, redis_prefix: str
) -> None:
    await queue.enqueue(JobPayload(note_id=1, version=1, user_id=1))
    await queue.enqueue(JobPayload(note_id=2, version=1, user_id=1))
    [job] = await queue.claim(worker_id="host:1:a", limit=1, lease_ms=LEASE_MS)
    await queue.heartbeat(worker_id="host:1:a", lease_ms=LEASE_MS)
    await queue.fail(job.id, token=str(job.token), kind=FailKind.DEAD, error_class="E", message="m")

    keys = await _keys(raw, redis_prefix)

    assert keys
    assert all(key.startswith(f"{redis_prefix}:{{notes}}:") for key in keys)
    assert len({key_slot(key.encode()) for key in keys}) == 1


async def test_scripts_are_reloaded_after_redis_forgets_them(
    queue: RedisQueue, raw: aioredis.Redis
) -> None:
    await queue.enqueue(JobPayload(note_id=1, version=1, user_id=1))

    await raw.script_flush()

    [job] = await queue.claim(worker_id="w1", limit=1, lease_ms=LEASE_MS)
    assert job.payload.note_id == 1


async def test_lost_data_fences_the_worker_and_lets_the_version_be_enqueued_again(
    queue: RedisQueue, raw: aioredis.Redis, redis_prefix: str
) -> None:
    payload = JobPayload(note_id=1, version=1, user_id=1)
    first_id = await queue.enqueue(payload)
    [job] = await queue.claim(worker_id="w1", limit=1, lease_ms=LEASE_MS)

    await raw.delete(*await _keys(raw, redis_prefix))

    assert await queue.complete(job.id, token=str(job.token)) is False
    assert await queue.has_job(payload) is False
    assert await queue.enqueue(payload) != first_id
    assert (await queue.stats()).ready == 1


async def test_an_id_in_ready_without_its_hash_is_skipped(
    queue: RedisQueue, raw: aioredis.Redis
) -> None:
    await raw.rpush(queue.keys.ready, "ghost")
    await queue.enqueue(JobPayload(note_id=1, version=1, user_id=1))

    jobs = await queue.claim(worker_id="w1", limit=5, lease_ms=LEASE_MS)

    assert [j.payload.note_id for j in jobs] == [1]


@pytest.mark.parametrize(
    "payload_json",
    ["not json", '{"note_id": "x", "version": 1, "user_id": 1}', "{}", "[1, 2]", "null"],
)
async def test_a_corrupt_job_goes_to_the_dlq_and_does_not_block_the_others(
    queue: RedisQueue, raw: aioredis.Redis, payload_json: str
) -> None:
    bad_id = await queue.enqueue(JobPayload(note_id=1, version=1, user_id=1))
    await raw.hset(queue.keys.job(bad_id), "payload", payload_json)
    await queue.enqueue(JobPayload(note_id=2, version=1, user_id=1))

    jobs = await queue.claim(worker_id="w1", limit=5, lease_ms=LEASE_MS)

    assert [j.payload.note_id for j in jobs] == [2]
    assert (await queue.stats()).dead == 1
    with pytest.raises(CorruptJobError):
        await queue.get_job(bad_id)
    assert await queue.dead_letters() == []
    assert await queue.purge_dead() == 1


async def test_the_wake_up_list_stays_small_when_nobody_waits(
    queue: RedisQueue, raw: aioredis.Redis
) -> None:
    for note_id in range(1, 101):
        await queue.enqueue(JobPayload(note_id=note_id, version=1, user_id=1))

    assert await raw.llen(queue.keys.wake) <= 16


async def test_more_concurrent_calls_than_connections_wait_for_a_free_one(
    redis_url: str, redis_prefix: str
) -> None:
    clients = create_redis_clients(url=redis_url, socket_timeout_s=2, max_connections=4)
    small = RedisQueue(clients, prefix=redis_prefix)
    try:
        ids = await asyncio.gather(
            *(small.enqueue(JobPayload(note_id=n, version=1, user_id=1)) for n in range(1, 201))
        )
    finally:
        await small.close()

    assert len(set(ids)) == 200
