"""API fixtures: the real app over httpx's ASGI transport, on a real migrated SQLite database."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from apisupport import Person, make_person, settings_for

from robonotes.api.app import create_app
from robonotes.bootstrap import Container


@pytest.fixture(scope="session")
def _migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated to head; each test copies it instead of migrating again."""
    from robonotes.storage.migrate import upgrade_database

    path = tmp_path_factory.mktemp("api-template") / "template.db"
    upgrade_database(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def migrated_sqlite_url(_migrated_template: Path, tmp_path: Path) -> str:
    """A SQLite database of this test's own, migrated to head (a copy of the template)."""
    path = tmp_path / "robonotes.db"
    shutil.copyfile(_migrated_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def container(migrated_sqlite_url: str) -> AsyncIterator[Container]:
    """The Container the app under test uses."""
    built = Container(settings_for(migrated_sqlite_url))
    yield built
    await built.aclose()


@pytest.fixture
async def client(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client speaking to the app in process."""
    transport = httpx.ASGITransport(app=create_app(container))
    async with httpx.AsyncClient(transport=transport, base_url="http://robonotes.test") as http:
        yield http


@pytest.fixture
async def alice(container: Container) -> Person:
    return await make_person(container, "alice")


@pytest.fixture
async def bob(container: Container) -> Person:
    return await make_person(container, "bob")
