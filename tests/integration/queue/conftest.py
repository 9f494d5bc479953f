"""Queue backends for the contract suite: a real Redis, a SQLite file and a PostgreSQL schema."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from queuesupport import Backend


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated to head, copied by each SQLite test."""
    from robonotes.storage.migrate import upgrade_database

    path = tmp_path_factory.mktemp("queue-template") / "template.db"
    upgrade_database(f"sqlite+aiosqlite:///{path}")
    assert not path.with_name(path.name + "-wal").exists(), "the template must be checkpointed"
    return path


@pytest.fixture(params=["redis", "sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each contract test runs once per backend."""
    if request.param == "redis":
        prefix = request.getfixturevalue("redis_prefix")
        return Backend("redis", request.getfixturevalue("redis_url"), prefix)
    if request.param == "sqlite":
        # A copy of one migrated file per test: as isolated as migrating each time, faster.
        template: Path = request.getfixturevalue("migrated_sqlite_template")
        target: Path = request.getfixturevalue("tmp_path") / "queue.db"
        shutil.copyfile(template, target)
        return Backend("sqlite", f"sqlite+aiosqlite:///{target}", None)
    from robonotes.storage.migrate import upgrade_database

    url = request.getfixturevalue("postgres_url")
    schema = request.getfixturevalue("postgres_schema")
    upgrade_database(url, schema=schema)
    return Backend("postgresql", url, schema)


@pytest.fixture
async def queue(backend: Backend) -> AsyncIterator[Any]:
    """A queue on the backend with max_attempts = 3; closed after the test."""
    yield backend.open()
    await backend.close_all()
