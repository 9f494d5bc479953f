"""Redis connections of one process: a fail-fast pool, a pool for blocking calls, ping and backoff.

Every redis error is translated to QueueUnavailable here, at the boundary. Short socket
timeouts and no retries inside redis-py, so an API request never waits on a slow or dead Redis;
a worker that meets one backs off and claims again on its own (`Worker._claim_loop`). Timeouts
are never retried inside redis-py: a command that timed out may have run, and only our callers
know whether repeating it is safe.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff, NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from robonotes.domain.exceptions import QueueUnavailable

BLOCK_MAX_S = 5.0
"""Longest single BLPOP; the blocking pool's socket timeout is this plus the normal timeout."""


@dataclass(frozen=True, slots=True)
class RedisClients:
    """The two clients of one process: `client` for commands, `blocking` for BLPOP."""

    client: aioredis.Redis
    blocking: aioredis.Redis
    socket_timeout_s: float

    async def aclose(self) -> None:
        """Close both clients and their pools."""
        await self.client.aclose()
        await self.blocking.aclose()


def _retry(retries: int) -> Retry:
    if retries <= 0:
        return Retry(NoBackoff(), 0)
    return Retry(
        ExponentialWithJitterBackoff(base=0.05, cap=2.0),
        retries,
        supported_errors=(RedisConnectionError,),
    )


def create_redis_clients(
    *,
    url: str,
    socket_timeout_s: float = 0.5,
    connect_timeout_s: float = 0.5,
    retries: int = 0,
    max_connections: int = 100,
) -> RedisClients:
    """Build the process's pools from settings; nothing connects until the first command.

    Blocking pools: when every connection is busy (64 jobs finishing at once, a burst of API
    requests) a caller waits briefly for one instead of failing with "Too many connections";
    the wait is bounded by the socket timeouts, so the API side still fails fast.
    """
    pool_wait_s = socket_timeout_s + connect_timeout_s
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        socket_timeout=socket_timeout_s,
        socket_connect_timeout=connect_timeout_s,
        max_connections=max_connections,
        timeout=pool_wait_s,
        retry=_retry(retries),
        health_check_interval=30,
        decode_responses=True,
    )
    blocking_pool = aioredis.BlockingConnectionPool.from_url(
        url,
        socket_timeout=BLOCK_MAX_S + socket_timeout_s,
        socket_connect_timeout=connect_timeout_s,
        max_connections=max_connections,
        timeout=pool_wait_s,
        retry=_retry(0),
        decode_responses=True,
    )
    return RedisClients(
        client=aioredis.Redis(connection_pool=pool),
        blocking=aioredis.Redis(connection_pool=blocking_pool),
        socket_timeout_s=socket_timeout_s,
    )


@asynccontextmanager
async def translated_errors(action: str) -> AsyncIterator[None]:
    """Turn any redis or socket error raised inside into QueueUnavailable."""
    try:
        yield
    except (RedisError, OSError) as exc:
        raise QueueUnavailable(
            f"Redis unavailable during {action}: {type(exc).__name__}: {exc}"
        ) from exc


async def ping(client: aioredis.Redis) -> float:
    """Round-trip time of a PING in seconds; QueueUnavailable when Redis does not answer."""
    started = time.perf_counter()
    async with translated_errors("ping"):
        await client.ping()
    return time.perf_counter() - started
