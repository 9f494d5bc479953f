"""Error mapping: 404/405, 503 when storage is down, a leak-free 500, body limits, lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from functools import cached_property
from pathlib import Path

import httpx
import pytest
from apisupport import Person, assert_problem, make_person, settings_for

from robonotes.api.app import create_app
from robonotes.bootstrap import Container
from robonotes.domain.notes import User

UNREACHABLE_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:1/test"
SECRET = "hunter2-internal-detail"


def _client(container: Container) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(container))
    return httpx.AsyncClient(transport=transport, base_url="http://robonotes.test")


@pytest.fixture
async def down_container() -> AsyncIterator[Container]:
    """A container whose database does not listen."""
    built = Container(settings_for(UNREACHABLE_POSTGRES))
    yield built
    await built.aclose()


class _ExplodingUsers:
    async def authenticate(self, *, token: str) -> User | None:
        raise RuntimeError(f"bug with {SECRET} at /srv/app/secret.py")


class _BuggyContainer(Container):
    @cached_property
    def users(self) -> _ExplodingUsers:  # type: ignore[override]
        return _ExplodingUsers()


async def test_method_not_allowed_is_405_listing_allowed_methods(
    client: httpx.AsyncClient,
) -> None:
    response = await client.put("/v1/notes")

    assert_problem(response, 405)
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}


async def test_unknown_route_is_a_404_problem(client: httpx.AsyncClient) -> None:
    problem = assert_problem(await client.get("/v2/anything"), 404)

    assert problem["instance"] == "/v2/anything"


async def test_storage_down_is_503_without_internals(down_container: Container) -> None:
    async with _client(down_container) as client:
        response = await client.get("/v1/notes", headers={"Authorization": "Bearer some-token"})

    problem = assert_problem(response, 503)
    assert response.headers["retry-after"]
    assert "127.0.0.1" not in response.text
    assert "asyncpg" not in response.text.lower()
    assert "database" in str(problem["detail"])


async def test_unopenable_sqlite_file_is_503(tmp_path: Path) -> None:
    container = Container(settings_for(f"sqlite+aiosqlite:///{tmp_path}/missing/dir/x.db"))
    try:
        async with _client(container) as client:
            response = await client.post(
                "/v1/notes", json={"body": "x"}, headers={"Authorization": "Bearer t"}
            )
    finally:
        await container.aclose()

    assert_problem(response, 503)


async def test_unexpected_error_is_a_500_problem_that_leaks_nothing_and_is_logged(
    migrated_sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    container = _BuggyContainer(settings_for(migrated_sqlite_url))
    try:
        async with _client(container) as client:
            with caplog.at_level(logging.ERROR):
                response = await client.get("/v1/notes", headers={"Authorization": "Bearer t"})
            health = await client.get("/healthz")
    finally:
        await container.aclose()

    problem = assert_problem(response, 500)
    assert SECRET not in response.text
    assert "RuntimeError" not in response.text
    assert "Traceback" not in response.text
    assert problem["instance"] == "/v1/notes"
    assert any(SECRET in (record.exc_text or "") for record in caplog.records)
    assert health.status_code == 200


async def test_healthz_answers_even_when_the_database_is_down(down_container: Container) -> None:
    async with _client(down_container) as client:
        response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_readyz_is_ready_when_database_and_queue_answer(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "queue": "ok"}


async def test_readyz_names_the_database_when_it_is_down(down_container: Container) -> None:
    async with _client(down_container) as client:
        response = await client.get("/readyz")

    problem = assert_problem(response, 503)
    assert problem["checks"]["database"] != "ok"  # type: ignore[index]
    assert "database" in str(problem["detail"])


async def test_readyz_names_the_queue_when_redis_is_down(migrated_sqlite_url: str) -> None:
    container = Container(settings_for(migrated_sqlite_url, redis_url="redis://127.0.0.1:1/0"))
    try:
        async with _client(container) as client:
            response = await client.get("/readyz")
    finally:
        await container.aclose()

    problem = assert_problem(response, 503)
    assert problem["checks"] == {"database": "ok", "queue": problem["checks"]["queue"]}  # type: ignore[index]
    assert problem["checks"]["queue"] != "ok"  # type: ignore[index]


@pytest.fixture
async def small_limit(migrated_sqlite_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, Person]]:
    """The app with a 200-byte body limit."""
    container = Container(settings_for(migrated_sqlite_url, max_request_bytes=200))
    async with _client(container) as client:
        yield client, await make_person(container, "limited")
    await container.aclose()


async def test_body_at_the_limit_is_accepted(
    small_limit: tuple[httpx.AsyncClient, Person],
) -> None:
    client, person = small_limit
    raw = b'{"body": "' + b"a" * (200 - 12) + b'"}'
    assert len(raw) == 200

    response = await client.post(
        "/v1/notes", content=raw, headers={**person.headers, "Content-Type": "application/json"}
    )

    assert response.status_code == 201


async def test_body_one_byte_over_the_limit_is_413(
    small_limit: tuple[httpx.AsyncClient, Person],
) -> None:
    client, person = small_limit
    raw = b'{"body": "' + b"a" * (201 - 12) + b'"}'

    response = await client.post(
        "/v1/notes", content=raw, headers={**person.headers, "Content-Type": "application/json"}
    )

    assert_problem(response, 413)


async def test_chunked_body_over_the_limit_is_413_while_streaming(
    small_limit: tuple[httpx.AsyncClient, Person],
) -> None:
    client, person = small_limit
    chunks_sent = 0

    async def stream() -> AsyncIterator[bytes]:
        nonlocal chunks_sent
        for _ in range(1000):
            chunks_sent += 1
            yield b"a" * 50

    response = await client.post(
        "/v1/notes",
        content=stream(),
        headers={**person.headers, "Content-Type": "application/json"},
    )

    assert_problem(response, 413)
    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert chunks_sent < 1000, "the app must stop reading once the limit is passed"


async def test_lifespan_builds_the_container_from_settings_and_closes_it(
    migrated_sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROBONOTES_DATABASE_URL", migrated_sqlite_url)
    monkeypatch.delenv("ROBONOTES_REDIS_URL", raising=False)
    app = create_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://robonotes.test") as client:
        before = await client.get("/readyz")
        async with app.router.lifespan_context(app):
            during = await client.get("/readyz")
        after = await client.get("/readyz")

    assert_problem(before, 503)
    assert during.status_code == 200
    assert_problem(after, 503)
