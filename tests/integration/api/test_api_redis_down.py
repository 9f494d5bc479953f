"""Acceptance: a save answers 201 while Redis does not listen; the note stays PENDING for later."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from apisupport import Person, make_person, settings_for

from robonotes.api.app import create_app
from robonotes.bootstrap import Container

NOTHING_LISTENS = "redis://127.0.0.1:1/0"


@pytest.fixture
async def redis_down(migrated_sqlite_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, Person]]:
    container = Container(settings_for(migrated_sqlite_url, redis_url=NOTHING_LISTENS))
    transport = httpx.ASGITransport(app=create_app(container))
    async with httpx.AsyncClient(transport=transport, base_url="http://robonotes.test") as client:
        yield client, await make_person(container, "alice")
    await container.aclose()


async def test_post_answers_201_while_redis_is_down_and_the_note_stays_pending(
    redis_down: tuple[httpx.AsyncClient, Person],
) -> None:
    client, alice = redis_down

    created = await client.post(
        "/v1/notes", json={"body": "ran 5k before work"}, headers=alice.headers
    )
    note_id = created.json()["id"]
    read = await client.get(f"/v1/notes/{note_id}", headers=alice.headers)
    robo = await client.get(f"/v1/notes/{note_id}/robo", headers=alice.headers)

    assert created.status_code == 201
    assert created.json()["robo_status"] == "PENDING"
    assert read.status_code == 200
    assert read.json()["body"] == "ran 5k before work"
    assert read.json()["robo_status"] == "PENDING"
    assert robo.json()["status"] == "PENDING"


async def test_patch_answers_200_while_redis_is_down(
    redis_down: tuple[httpx.AsyncClient, Person],
) -> None:
    client, alice = redis_down
    created = (await client.post("/v1/notes", json={"body": "a"}, headers=alice.headers)).json()

    patched = await client.patch(
        f"/v1/notes/{created['id']}", json={"body": "b"}, headers=alice.headers
    )

    assert patched.status_code == 200
    assert (patched.json()["version"], patched.json()["robo_status"]) == (2, "PENDING")


async def test_metrics_still_answer_while_redis_is_down(
    redis_down: tuple[httpx.AsyncClient, Person],
) -> None:
    client, _ = redis_down

    response = await client.get("/metrics")

    assert response.status_code == 200
    assert "robonotes_queue_scrape_errors_total" in response.text
