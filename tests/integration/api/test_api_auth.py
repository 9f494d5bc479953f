"""Bearer auth: no or wrong token is 401 with a challenge; another person's note is a plain 404."""

from __future__ import annotations

import httpx
import pytest
from apisupport import Person, assert_problem

ROUTES = [
    ("GET", "/v1/notes/{id}", None),
    ("PATCH", "/v1/notes/{id}", {"body": "overwritten by bob"}),
    ("DELETE", "/v1/notes/{id}", None),
    ("GET", "/v1/notes/{id}/robo", None),
]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-real-token"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic YWxpY2U6c2VjcmV0"},
        {"Authorization": "Bearer " + "x" * 5000},
        {"Authorization": "token-without-scheme"},
    ],
    ids=["none", "wrong", "empty", "basic", "huge", "no-scheme"],
)
@pytest.mark.parametrize(("method", "path"), [("GET", "/v1/notes"), ("POST", "/v1/notes")])
async def test_missing_or_wrong_token_is_401_with_a_challenge(
    client: httpx.AsyncClient, alice: Person, headers: dict[str, str], method: str, path: str
) -> None:
    response = await client.request(method, path, headers=headers, json={"body": "x"})

    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_token_of_one_person_authenticates_only_that_person(
    client: httpx.AsyncClient, alice: Person, bob: Person
) -> None:
    created = await client.post("/v1/notes", json={"body": "mine"}, headers=alice.headers)

    listed = await client.get("/v1/notes", headers=alice.headers)

    assert created.status_code == 201
    assert [item["body"] for item in listed.json()["items"]] == ["mine"]


@pytest.mark.parametrize(("method", "template", "body"), ROUTES, ids=[r[0] + r[1] for r in ROUTES])
async def test_another_persons_note_is_404_and_never_shows_its_content(
    client: httpx.AsyncClient,
    alice: Person,
    bob: Person,
    method: str,
    template: str,
    body: dict | None,
) -> None:
    secret = "alice's secret diary entry"
    note = (await client.post("/v1/notes", json={"body": secret}, headers=alice.headers)).json()

    response = await client.request(
        method, template.format(id=note["id"]), json=body, headers=bob.headers
    )

    assert_problem(response, 404)
    assert secret not in response.text
    unchanged = await client.get(f"/v1/notes/{note['id']}", headers=alice.headers)
    assert unchanged.status_code == 200
    assert unchanged.json()["body"] == secret
    assert unchanged.json()["version"] == 1


async def test_another_persons_note_and_a_missing_note_look_the_same(
    client: httpx.AsyncClient, alice: Person, bob: Person
) -> None:
    note = (await client.post("/v1/notes", json={"body": "x"}, headers=alice.headers)).json()

    foreign = await client.get(f"/v1/notes/{note['id']}", headers=bob.headers)
    missing = await client.get(f"/v1/notes/{note['id'] + 1000}", headers=bob.headers)

    foreign_problem, missing_problem = assert_problem(foreign, 404), assert_problem(missing, 404)
    assert foreign_problem["type"] == missing_problem["type"]
    assert foreign_problem["title"] == missing_problem["title"]
