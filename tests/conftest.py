"""Shared fixtures: real Redis and PostgreSQL (never stand-ins), a prefix or schema per test.

With CI=true a service that does not answer fails the test; elsewhere it skips with a loud reason.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

pytest_plugins = ["tests._local_openai"]

TEST_REDIS_URL = os.environ.get("ROBONOTES_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
TEST_DATABASE_URL = os.environ.get(
    "ROBONOTES_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def service_missing(what: str, error: BaseException) -> None:
    """Fail under CI=true, else skip loudly: a test whose service is missing never passes."""
    message = f"{what} does not answer ({type(error).__name__}: {error})"
    if IN_CI:
        pytest.fail(f"{message}; CI=true, so this is a failure, not a skip", pytrace=False)
    pytest.skip(f"SKIPPED LOUDLY: {message}; start it (see DESIGN.md) to run this test")


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The test Redis URL, after checking that it answers."""
    import redis

    client = redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        service_missing(f"Redis at {TEST_REDIS_URL}", exc)
    finally:
        client.close()
    return TEST_REDIS_URL


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    import redis

    prefix = f"test-{uuid.uuid4().hex[:12]}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The test PostgreSQL URL, after checking that it answers."""
    import asyncpg

    dsn = TEST_DATABASE_URL.replace("postgresql+asyncpg://", "postgresql://")

    async def probe() -> None:
        connection = await asyncpg.connect(dsn, timeout=2)
        await connection.close()

    try:
        asyncio.run(probe())
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        service_missing(f"PostgreSQL at {TEST_DATABASE_URL}", exc)
    return TEST_DATABASE_URL


@pytest.fixture
def postgres_schema(postgres_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL schema of this test's own, dropped afterwards."""
    import asyncpg

    dsn = postgres_url.replace("postgresql+asyncpg://", "postgresql://")
    schema = f"t_{uuid.uuid4().hex[:12]}"

    async def run(sql: str) -> None:
        connection = await asyncpg.connect(dsn, timeout=5)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(run(f'CREATE SCHEMA "{schema}"'))
    yield schema
    asyncio.run(run(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite database file of this test's own."""
    return f"sqlite+aiosqlite:///{tmp_path / 'robonotes.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> tuple[str, str | None]:
    """(url, schema) of a migrated database, once on SQLite and once on PostgreSQL."""
    from robonotes.storage.migrate import upgrade_database

    if request.param == "sqlite":
        url, schema = request.getfixturevalue("sqlite_url"), None
    else:
        url, schema = (
            request.getfixturevalue("postgres_url"),
            request.getfixturevalue("postgres_schema"),
        )
    upgrade_database(url, schema=schema)
    return url, schema


@pytest.fixture
async def anyio_backend() -> str:
    """Run anyio-marked tests on asyncio only."""
    return "asyncio"


class PrivateRedis:
    """A throwaway redis-server of one test's own, on a free port, that it may stop and restart.

    It keeps nothing on disk, so a restart comes back empty, as a Redis that lost its data.
    """

    def __init__(self, directory: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            service_missing("redis-server, to start a private Redis", FileNotFoundError())
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._argv = [str(binary), "--port", str(self.port), "--bind", "127.0.0.1"]
        self._argv += ["--save", "", "--appendonly", "no", "--dir", str(directory)]
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        """Start it and wait until it answers."""
        import redis.asyncio as aioredis
        from redis.exceptions import RedisError

        self._process = await asyncio.create_subprocess_exec(
            *self._argv, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
        )
        probe = aioredis.Redis(port=self.port, socket_connect_timeout=0.2)
        try:
            for _ in range(100):
                try:
                    await probe.ping()
                    return
                except RedisError:
                    await asyncio.sleep(0.05)
            raise TimeoutError("private redis-server did not start")
        finally:
            await probe.aclose()

    async def stop(self) -> None:
        """Kill it (as a crash would)."""
        if self._process is not None and self._process.returncode is None:
            self._process.kill()
            await self._process.wait()

    async def restart(self) -> None:
        """Kill it and start it again, empty."""
        await self.stop()
        await self.start()


@pytest.fixture
async def private_redis(tmp_path: Path) -> AsyncIterator[PrivateRedis]:
    """A redis-server of this test's own; see PrivateRedis."""
    server = PrivateRedis(tmp_path)
    await server.start()
    yield server
    await server.stop()
