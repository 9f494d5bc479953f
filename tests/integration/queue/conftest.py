"""Queue backends for the contract suite: a real Redis, a SQLite file and a PostgreSQL schema."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from robonotes.services.ports import NoteProcessingQueue

MAX_ATTEMPTS = 3


@dataclass
class Backend:
    """One backend under test: its name, where it lives, and a way to open more queues on it."""

    name: str
    url: str
    schema_or_prefix: str | None
    _opened: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def open(self, *, max_attempts: int = MAX_ATTEMPTS) -> NoteProcessingQueue:
        """A new queue object on the same data (as a second process would have)."""
        if self.name == "redis":
            from robonotes.queue.redis_pool import create_redis_clients
            from robonotes.queue.redis_queue import RedisQueue

            redis_queue = RedisQueue(
                create_redis_clients(url=self.url, socket_timeout_s=2, connect_timeout_s=2),
                prefix=str(self.schema_or_prefix),
                max_attempts=max_attempts,
            )
            self._opened.append(redis_queue.close)
            return redis_queue
        from robonotes.queue.sql_queue import SqlQueue
        from robonotes.storage.engine import create_engine

        engine = create_engine(self.url, schema=self.schema_or_prefix)
        self._opened.append(engine.dispose)
        return SqlQueue(engine, max_attempts=max_attempts, poll_min_s=0.02, poll_max_s=0.2)

    async def close_all(self) -> None:
        """Close every queue opened by this backend."""
        for close in reversed(self._opened):
            await close()


@pytest.fixture(params=["redis", "sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each contract test runs once per backend."""
    if request.param == "redis":
        return Backend("redis", request.getfixturevalue("redis_url"), request.getfixturevalue("redis_prefix"))
    from robonotes.storage.migrate import upgrade_database

    if request.param == "sqlite":
        url, schema = request.getfixturevalue("sqlite_url"), None
    else:
        url = request.getfixturevalue("postgres_url")
        schema = request.getfixturevalue("postgres_schema")
    upgrade_database(url, schema=schema)
    return Backend(request.param, url, schema)


@pytest.fixture
async def queue(backend: Backend) -> AsyncIterator[Any]:
    """A queue on the backend with max_attempts = 3; closed after the test."""
    yield backend.open()
    await backend.close_all()
