"""Queue backends for the contract suite: a real Redis, a SQLite file and a PostgreSQL schema."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from queuesupport import Backend


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
