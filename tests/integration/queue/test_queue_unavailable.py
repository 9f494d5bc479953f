"""A queue backend that is down or hangs raises QueueUnavailable within its timeouts, not a hang."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from robonotes.domain.exceptions import QueueUnavailable
from robonotes.domain.jobs import JobPayload
from robonotes.domain.status import ProcessingState
from robonotes.queue.redis_pool import create_redis_clients
from robonotes.queue.redis_queue import RedisQueue

# Far above the 0.2 s socket timeouts used below, far below pytest's own timeout: the bound
# proves "does not hang", it is not a speed assertion.
HANG_BOUND_S = 10.0
SOCKET_TIMEOUT_S = 0.2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def refused_url() -> str:
    """A Redis URL on a port where nothing listens (connection refused)."""
    return f"redis://127.0.0.1:{_free_port()}/0"


@asynccontextmanager
async def silent_redis() -> AsyncIterator[str]:
    """A Redis URL whose server accepts connections and never answers (a hung Redis)."""
    held: list[asyncio.StreamWriter] = []

    async def swallow(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


def _queue(url: str) -> RedisQueue:
    clients = create_redis_clients(
        url=url, socket_timeout_s=SOCKET_TIMEOUT_S, connect_timeout_s=SOCKET_TIMEOUT_S
    )
    return RedisQueue(clients, prefix="unavailable-test")


@pytest.fixture(params=["refused", "silent"])
async def unreachable_url(request: pytest.FixtureRequest, refused_url: str) -> AsyncIterator[str]:
    """Once a Redis that refuses connections, once one that never answers."""
    if request.param == "refused":
        yield refused_url
        return
    async with silent_redis() as url:
        yield url


async def test_every_queue_call_raises_queue_unavailable_instead_of_hanging(
    unreachable_url: str,
) -> None:
    queue = _queue(unreachable_url)
    calls = [
        lambda: queue.enqueue(JobPayload(note_id=1, version=1, user_id=1)),
        lambda: queue.claim(worker_id="w1", limit=5, lease_ms=1000),
        lambda: queue.complete("job", token="t"),
        lambda: queue.heartbeat(worker_id="w1", lease_ms=1000),
        lambda: queue.stats(),
        lambda: queue.has_job(JobPayload(note_id=1, version=1, user_id=1)),
        lambda: queue.wait_for_work(1.0),
        lambda: queue.ping(),
    ]
    try:
        for call in calls:
            with pytest.raises(QueueUnavailable):
                await asyncio.wait_for(call(), timeout=HANG_BOUND_S)
    finally:
        await queue.close()


async def test_api_saves_the_note_while_redis_is_down(refused_url: str, tmp_path: Path) -> None:
    from robonotes.bootstrap import Container
    from robonotes.config import Settings
    from robonotes.storage.migrate import upgrade_database

    database_url = f"sqlite+aiosqlite:///{tmp_path / 'api.db'}"
    upgrade_database(database_url)
    container = Container(
        Settings(
            database_url=database_url,
            redis_url=refused_url,
            redis_socket_timeout_s=SOCKET_TIMEOUT_S,
            redis_connect_timeout_s=SOCKET_TIMEOUT_S,
        )
    )
    try:
        assert isinstance(container.queue, RedisQueue)
        async with container.uow_factory() as uow:
            user = await uow.users.add(name="ada", created_at=datetime.now(UTC))
            await uow.commit()

        note = await asyncio.wait_for(
            container.notes.create(user_id=user.id, body="ran 5k with Sam"), timeout=HANG_BOUND_S
        )

        async with container.uow_factory() as uow:
            status = await uow.statuses.get(note.id, note.version)
        assert status.state is ProcessingState.PENDING
    finally:
        await container.aclose()


async def test_container_uses_the_sql_queue_without_a_redis_url(tmp_path: Path) -> None:
    from robonotes.bootstrap import Container
    from robonotes.config import Settings
    from robonotes.queue.sql_queue import SqlQueue
    from robonotes.storage.migrate import upgrade_database

    database_url = f"sqlite+aiosqlite:///{tmp_path / 'embedded.db'}"
    upgrade_database(database_url)
    container = Container(Settings(database_url=database_url, redis_url=None))
    try:
        assert isinstance(container.queue, SqlQueue)
        job_id = await container.queue.enqueue(JobPayload(note_id=1, version=1, user_id=1))
        assert await container.queue.enqueue(JobPayload(note_id=1, version=1, user_id=1)) == job_id
    finally:
        await container.aclose()


async def test_sql_queue_on_a_dead_postgresql_raises_queue_unavailable() -> None:
    from robonotes.queue.sql_queue import SqlQueue
    from robonotes.storage.engine import create_engine

    engine = create_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{_free_port()}/test")
    queue = SqlQueue(engine)
    try:
        for call in (
            lambda: queue.enqueue(JobPayload(note_id=1, version=1, user_id=1)),
            lambda: queue.claim(worker_id="w1", limit=5, lease_ms=1000),
            lambda: queue.ping(),
        ):
            with pytest.raises(QueueUnavailable):
                await asyncio.wait_for(call(), timeout=HANG_BOUND_S)
    finally:
        await engine.dispose()
