"""Fixtures of the worker tests: the stack on SQLite, PostgreSQL and PostgreSQL + Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from worker_stack import Stack, open_stack

from robonotes.config import Settings
from robonotes.storage.migrate import upgrade_database


def _settings_for(request: pytest.FixtureRequest, kind: str) -> Settings:
    if kind == "sqlite":
        url, schema = request.getfixturevalue("sqlite_url"), None
    else:
        url = request.getfixturevalue("postgres_url")
        schema = request.getfixturevalue("postgres_schema")
    upgrade_database(url, schema=schema)
    redis: dict[str, object] = {}
    if kind == "redis":
        redis = {
            "redis_url": request.getfixturevalue("redis_url"),
            "redis_prefix": request.getfixturevalue("redis_prefix"),
        }
    return Settings(
        database_url=url,
        database_schema=schema,
        queue_max_attempts=4,
        **redis,  # type: ignore[arg-type]
    )


@pytest.fixture(params=["sqlite", "postgresql", "redis"])
def stack_settings(request: pytest.FixtureRequest) -> tuple[Settings, str]:
    """Settings of a migrated database (and Redis prefix) for each of the three stacks."""
    return _settings_for(request, request.param), request.param


@pytest.fixture(params=["sqlite", "redis"])
def lean_settings(request: pytest.FixtureRequest) -> tuple[Settings, str]:
    """The embedded default and the production pair, for the slower scenarios."""
    return _settings_for(request, request.param), request.param


@pytest.fixture
async def stack(stack_settings: tuple[Settings, str]) -> AsyncIterator[Stack]:
    """The stack on SQLite + SqlQueue, PostgreSQL + SqlQueue and PostgreSQL + RedisQueue."""
    async for value in open_stack(*stack_settings):
        yield value


@pytest.fixture
async def lean_stack(lean_settings: tuple[Settings, str]) -> AsyncIterator[Stack]:
    """SQLite + SqlQueue and PostgreSQL + RedisQueue."""
    async for value in open_stack(*lean_settings):
        yield value
