"""Support for the queue contract suite: a backend under test and how to open queues on it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

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
