"""Shared fixtures: real Redis and PostgreSQL (never stand-ins), a prefix or schema per test.

With CI=true a service that does not answer fails the test; elsewhere it skips with a loud reason.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
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
