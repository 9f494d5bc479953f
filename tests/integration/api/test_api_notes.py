"""The notes routes end to end over ASGI on a real SQLite database."""

from __future__ import annotations

import httpx
from apisupport import Person, assert_problem

NOTE_FIELDS = {"id", "version", "title", "body", "created_at", "updated_at", "robo_status"}


async def _create(client: httpx.AsyncClient, person: Person, **fields: object) -> dict:
    response = await client.post("/v1/notes", json=fields, headers=person.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_create_answers_201_with_the_note_and_its_location(
    client: httpx.AsyncClient, alice: Person
) -> None:
    response = await client.post(
        "/v1/notes", json={"title": "Run", "body": "5k with Sam"}, headers=alice.headers
    )

    assert response.status_code == 201
    note = response.json()
    assert set(note) == NOTE_FIELDS
    assert (note["title"], note["body"], note["version"]) == ("Run", "5k with Sam", 1)
    assert note["robo_status"] in {"PENDING", "QUEUED"}
    assert response.headers["location"] == f"/v1/notes/{note['id']}"


async def test_created_note_reads_back_unchanged(client: httpx.AsyncClient, alice: Person) -> None:
    created = await _create(client, alice, body="Ünïcode ✓ and emoji 🏃\nline two")

    response = await client.get(f"/v1/notes/{created['id']}", headers=alice.headers)

    assert response.status_code == 200
    assert response.json()["body"] == "Ünïcode ✓ and emoji 🏃\nline two"
    assert response.json()["title"] is None


async def test_patch_body_bumps_version_and_keeps_title(
    client: httpx.AsyncClient, alice: Person
) -> None:
    created = await _create(client, alice, title="Day", body="first")

    response = await client.patch(
        f"/v1/notes/{created['id']}", json={"body": "second"}, headers=alice.headers
    )

    assert response.status_code == 200
    note = response.json()
    assert (note["title"], note["body"], note["version"]) == ("Day", "second", 2)


async def test_patch_with_null_title_removes_the_title(
    client: httpx.AsyncClient, alice: Person
) -> None:
    created = await _create(client, alice, title="Day", body="text")

    response = await client.patch(
        f"/v1/notes/{created['id']}", json={"title": None}, headers=alice.headers
    )

    assert response.status_code == 200
    assert response.json()["title"] is None
    assert response.json()["body"] == "text"


async def test_patch_that_changes_nothing_keeps_the_version(
    client: httpx.AsyncClient, alice: Person
) -> None:
    created = await _create(client, alice, title="Day", body="text")

    response = await client.patch(
        f"/v1/notes/{created['id']}", json={"body": "text"}, headers=alice.headers
    )

    assert response.status_code == 200
    assert response.json()["version"] == 1


async def test_patch_with_no_fields_is_422(client: httpx.AsyncClient, alice: Person) -> None:
    created = await _create(client, alice, body="text")

    response = await client.patch(f"/v1/notes/{created['id']}", json={}, headers=alice.headers)

    assert_problem(response, 422)


async def test_delete_answers_204_and_the_note_is_gone(
    client: httpx.AsyncClient, alice: Person
) -> None:
    created = await _create(client, alice, body="to delete")

    deleted = await client.delete(f"/v1/notes/{created['id']}", headers=alice.headers)
    after = await client.get(f"/v1/notes/{created['id']}", headers=alice.headers)
    again = await client.delete(f"/v1/notes/{created['id']}", headers=alice.headers)

    assert deleted.status_code == 204
    assert deleted.content == b""
    assert_problem(after, 404)
    assert_problem(again, 404)


async def test_list_pages_through_every_note_newest_first(
    client: httpx.AsyncClient, alice: Person
) -> None:
    ids = [(await _create(client, alice, body=f"note {n}"))["id"] for n in range(5)]

    seen: list[int] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": 2}
        if cursor is not None:
            params["cursor"] = cursor
        response = await client.get("/v1/notes", params=params, headers=alice.headers)
        assert response.status_code == 200
        page = response.json()
        seen.extend(item["id"] for item in page["items"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == sorted(ids, reverse=True)
    assert pages == 3


async def test_list_cursor_is_opaque_not_a_bare_id(
    client: httpx.AsyncClient, alice: Person
) -> None:
    for n in range(3):
        await _create(client, alice, body=f"note {n}")

    page = (await client.get("/v1/notes", params={"limit": 1}, headers=alice.headers)).json()

    assert isinstance(page["next_cursor"], str)
    assert not page["next_cursor"].isdigit()


async def test_list_shows_only_the_callers_notes(
    client: httpx.AsyncClient, alice: Person, bob: Person
) -> None:
    await _create(client, alice, body="alice's")
    await _create(client, bob, body="bob's")

    page = (await client.get("/v1/notes", headers=bob.headers)).json()

    assert [item["body"] for item in page["items"]] == ["bob's"]
    assert page["next_cursor"] is None


async def test_robo_route_shows_status_attempts_and_versions(
    client: httpx.AsyncClient, alice: Person
) -> None:
    created = await _create(client, alice, body="walked the dog")

    response = await client.get(f"/v1/notes/{created['id']}/robo", headers=alice.headers)

    assert response.status_code == 200
    robo = response.json()
    assert robo["note_id"] == created["id"]
    assert robo["version"] == 1
    assert robo["status"] in {"PENDING", "QUEUED"}
    assert robo["attempts"] == 0
    assert robo["last_error"] is None
    assert robo["processed_version"] is None


async def test_openapi_documents_every_route_and_docs_page_serves(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/openapi.json")).json()
    docs = await client.get("/docs")

    assert {"/v1/notes", "/v1/notes/{note_id}", "/v1/notes/{note_id}/robo", "/healthz"} <= set(
        schema["paths"]
    )
    assert "requestBody" in schema["paths"]["/v1/notes"]["post"]
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
