"""RedisRateLimiter against a real Redis: one budget shared by clients and OS processes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import textwrap
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from redis.exceptions import RedisError
from tests.conftest import PrivateRedis

from robonotes.domain.exceptions import RoboUnavailable
from robonotes.robo.rate_limit import (
    RateLimiterUnavailable,
    RedisRateLimiter,
    ReservationTooLarge,
    TimedReservation,
    audit_windows,
)


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url)
    yield client
    await client.aclose()


class FakeTime:
    """Epoch seconds that only move when told to, so windows can be crossed without sleeping."""

    def __init__(self) -> None:
        self.now_s = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now_s


async def test_reservations_share_one_budget_across_clients(
    redis_url: str, redis_prefix: str
) -> None:
    clients = [aioredis.Redis.from_url(redis_url) for _ in range(2)]
    time = FakeTime()
    limiters = [
        RedisRateLimiter(client, prefix=redis_prefix, rpm=3, tpm=1000, clock=time)
        for client in clients
    ]
    try:
        await limiters[0].acquire(tokens=100)
        await limiters[1].acquire(tokens=100)
        await limiters[0].acquire(tokens=100)

        outcome = await limiters[1].try_acquire(tokens=100)

        assert outcome == pytest.approx(60_000.0)
        assert await limiters[1].usage() == (3, 300)
    finally:
        for client in clients:
            await client.aclose()


async def test_keys_live_under_the_prefix_and_rate_limit_hash_tag(
    redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    limiter = RedisRateLimiter(redis_client, prefix=redis_prefix, rpm=10, tpm=1000)

    await limiter.acquire(tokens=5)
    await limiter.observe_limits(
        remaining_requests=9, remaining_tokens=900, reset_requests_s=1, reset_tokens_s=1
    )

    keys = sorted(key.decode() for key in await redis_client.keys(f"{redis_prefix}*"))
    assert keys == [
        f"{redis_prefix}:{{rl}}:log",
        f"{redis_prefix}:{{rl}}:obs:req",
        f"{redis_prefix}:{{rl}}:obs:tok",
    ]
    assert 0 < await redis_client.pttl(f"{redis_prefix}:{{rl}}:log") <= 120_000


async def test_tokens_wait_for_the_oldest_reservations_to_expire(
    redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    time = FakeTime()
    limiter = RedisRateLimiter(redis_client, prefix=redis_prefix, rpm=100, tpm=100, clock=time)
    await limiter.acquire(tokens=60)
    time.now_s += 10
    await limiter.acquire(tokens=30)
    time.now_s += 10

    waiting = await limiter.try_acquire(tokens=50)
    time.now_s += 40
    reserved = await limiter.try_acquire(tokens=50)

    assert waiting == pytest.approx(40_000.0)
    assert isinstance(reserved, TimedReservation)
    assert await limiter.usage() == (2, 80)


async def test_settle_replaces_the_estimate_in_place(
    redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    time = FakeTime()
    limiter = RedisRateLimiter(redis_client, prefix=redis_prefix, rpm=100, tpm=100, clock=time)
    reservation = await limiter.acquire(tokens=90)

    await limiter.settle(reservation, actual_tokens=15)
    await limiter.settle(reservation, actual_tokens=70)  # a repeat finds nothing to replace
    after_settle = await limiter.try_acquire(tokens=85)

    assert isinstance(after_settle, TimedReservation)
    assert await limiter.usage() == (2, 100)


async def test_acquire_really_sleeps_until_the_window_frees(
    redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    limiter = RedisRateLimiter(redis_client, prefix=redis_prefix, rpm=1, tpm=100, window_s=0.3)
    first = await limiter.acquire(tokens=1)

    second = await limiter.acquire(tokens=1)

    assert second.reserved_at_ms - first.reserved_at_ms >= 300


async def test_zero_remaining_requests_header_blocks_until_reset(
    redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    limiter = RedisRateLimiter(redis_client, prefix=redis_prefix, rpm=100, tpm=1000)
    await limiter.observe_limits(
        remaining_requests=0, remaining_tokens=None, reset_requests_s=30, reset_tokens_s=None
    )

    outcome = await limiter.try_acquire(tokens=1)

    assert isinstance(outcome, float)
    assert 25_000 < outcome <= 30_000


async def test_remaining_tokens_header_counts_down_with_each_reservation(
    redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    limiter = RedisRateLimiter(redis_client, prefix=redis_prefix, rpm=100, tpm=10_000)
    await limiter.observe_limits(
        remaining_requests=None, remaining_tokens=250, reset_requests_s=None, reset_tokens_s=30
    )

    first = await limiter.try_acquire(tokens=200)
    second = await limiter.try_acquire(tokens=100)

    assert isinstance(first, TimedReservation)
    assert isinstance(second, float)


async def test_reservation_larger_than_tpm_raises_before_touching_redis(
    redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    limiter = RedisRateLimiter(redis_client, prefix=redis_prefix, rpm=10, tpm=100)

    with pytest.raises(ReservationTooLarge):
        await limiter.acquire(tokens=101)

    assert await redis_client.keys(f"{redis_prefix}*") == []


async def test_unreachable_redis_raises_a_transient_error_naming_the_limiter() -> None:
    client = aioredis.Redis.from_url(
        "redis://127.0.0.1:1/0", socket_connect_timeout=0.2, socket_timeout=0.2
    )
    limiter = RedisRateLimiter(client, prefix="nowhere", rpm=10, tpm=100)
    try:
        with pytest.raises(RateLimiterUnavailable, match="rate limiter's Redis") as caught:
            await limiter.acquire(tokens=1)
        with pytest.raises(RateLimiterUnavailable):
            await limiter.settle(TimedReservation(id="x", tokens=1), actual_tokens=1)
    finally:
        await client.aclose()

    assert isinstance(caught.value, RoboUnavailable)


async def test_hostile_prefix_characters_stay_inside_the_key(
    redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    prefix = f"{redis_prefix}:we|ird {{x}} \u00e9\u0000"
    limiter = RedisRateLimiter(redis_client, prefix=prefix, rpm=2, tpm=100)

    reservation = await limiter.acquire(tokens=7)
    await limiter.settle(reservation, actual_tokens=3)

    assert await limiter.usage() == (1, 3)


_HAMMER = textwrap.dedent(
    """
    import asyncio, json, os, random, sys
    import redis.asyncio as aioredis
    from robonotes.robo.rate_limit import RedisRateLimiter

    url, prefix, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rpm, tpm, per_task = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[7])
    window_s = float(sys.argv[6])

    async def task(limiter, client, rng):
        for _ in range(per_task):
            estimate = rng.randint(50, 350)
            reservation = await limiter.acquire(tokens=estimate)
            actual = rng.randint(estimate // 2, estimate)
            await limiter.settle(reservation, actual_tokens=actual)
            record = [reservation.reserved_at_ms, actual, os.getpid()]
            await client.rpush(prefix + ":records", json.dumps(record))

    async def main():
        client = aioredis.Redis.from_url(url)
        limiter = RedisRateLimiter(client, prefix=prefix, rpm=rpm, tpm=tpm, window_s=window_s)
        await client.rpush(prefix + ":ready", os.getpid())
        # short blocking pops: redis-py's default socket timeout (5 s) would cut a long one
        for _ in range(120):
            if await client.blpop([prefix + ":go"], timeout=0.5):
                break
        rngs = [random.Random(seed * 10 + i) for i in range(2)]
        await asyncio.gather(*(task(limiter, client, rng) for rng in rngs))
        await client.aclose()

    asyncio.run(main())
    """
)


async def test_four_processes_never_exceed_the_limits_over_any_window(
    redis_client: aioredis.Redis, redis_url: str, redis_prefix: str
) -> None:
    processes, per_task, rpm, tpm, window_s = 4, 3, 8, 1200, 2.0
    args = [redis_url, redis_prefix]
    limits = [str(rpm), str(tpm), str(window_s), str(per_task)]
    children = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", _HAMMER, *args, str(seed), *limits
        )
        for seed in range(processes)
    ]
    try:
        ready = 0
        for _ in range(240):  # up to 120 s for the children to start on a loaded machine
            if ready == processes:
                break
            if await redis_client.blpop([f"{redis_prefix}:ready"], timeout=0.5):
                ready += 1
        assert ready == processes
        await redis_client.rpush(f"{redis_prefix}:go", *["go"] * processes)
        codes = [await asyncio.wait_for(child.wait(), timeout=60) for child in children]
    finally:
        for child in children:
            if child.returncode is None:
                child.kill()
                await child.wait()

    raw = await redis_client.lrange(f"{redis_prefix}:records", 0, -1)
    records = [json.loads(item) for item in raw]
    pairs = [(at_ms, tokens) for at_ms, tokens, _ in records]
    assert codes == [0] * processes
    assert len(records) == processes * 2 * per_task
    assert len({pid for _, _, pid in records}) == processes
    assert audit_windows(pairs, window_ms=int(window_s * 1000), rpm=rpm, tpm=tpm) == []
    # 24 calls at 8 per window cannot fit in fewer than 3 windows: the limiter made callers wait
    span_ms = max(at for at, _ in pairs) - min(at for at, _ in pairs)
    assert span_ms >= (len(pairs) // rpm - 1) * window_s * 1000


async def test_scripts_reload_after_a_flush_and_the_limiter_survives_a_redis_restart(
    private_redis: PrivateRedis,
) -> None:
    url, restart = private_redis.url, private_redis.restart
    client = aioredis.Redis.from_url(url, socket_connect_timeout=0.3, socket_timeout=0.3)
    limiter = RedisRateLimiter(client, prefix="rl", rpm=10, tpm=1000)
    try:
        await limiter.acquire(tokens=1)
        await client.script_flush()
        after_flush = await limiter.acquire(tokens=2)
        await restart()  # a restarted Redis has no scripts and no data
        await client.connection_pool.disconnect()
        after_restart = await limiter.acquire(tokens=3)
        usage = await limiter.usage()
    finally:
        await client.aclose()

    assert after_flush.tokens == 2
    assert after_restart.tokens == 3
    assert usage == (1, 3)


async def test_a_redis_that_dies_mid_run_raises_rate_limiter_unavailable(
    private_redis: PrivateRedis,
) -> None:
    url = private_redis.url
    client = aioredis.Redis.from_url(url, socket_connect_timeout=0.3, socket_timeout=0.3)
    limiter = RedisRateLimiter(client, prefix="rl", rpm=10, tpm=1000)
    try:
        await limiter.acquire(tokens=1)
        with contextlib.suppress(RedisError):
            await client.shutdown(nosave=True)

        with pytest.raises(RateLimiterUnavailable, match="rate limiter's Redis"):
            await limiter.acquire(tokens=1)
    finally:
        await client.aclose()


async def test_very_large_token_counts_round_trip_exactly(
    redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    tpm = 10**15
    limiter = RedisRateLimiter(redis_client, prefix=redis_prefix, rpm=5, tpm=tpm)

    reservation = await limiter.acquire(tokens=tpm - 1)
    await limiter.settle(reservation, actual_tokens=tpm - 7)

    assert await limiter.usage() == (1, tpm - 7)
    wait_ms = await limiter.try_acquire(tokens=8)
    assert isinstance(wait_ms, float)
    assert 50_000 < wait_ms <= 60_000
