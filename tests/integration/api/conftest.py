"""API fixtures: the real app over httpx's ASGI transport, on a real migrated SQLite database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from apisupport import Person, make_person, settings_for

from robonotes.api.app import create_app
from robonotes.bootstrap import Container


@pytest.fixture
def migrated_sqlite_url(sqlite_url: str) -> str:
    """A SQLite database of this test's own, migrated to head."""
    from robonotes.storage.migrate import upgrade_database

    upgrade_database(sqlite_url)
    return sqlite_url


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
