"""Hostile requests: each gets a 4xx problem+json (never a 5xx), and the app keeps serving."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from apisupport import Person, assert_problem, make_person, settings_for

from robonotes.api.app import create_app
from robonotes.bootstrap import Container

MIB = 1024 * 1024
JSON = {"Content-Type": "application/json"}


def _nested(depth: int, opener: str = "[", closer: str = "]") -> bytes:
    return (opener * depth + closer * depth).encode()


def _deep_objects(depth: int) -> bytes:
    return ('{"a":' * depth + "1" + "}" * depth).encode()


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _chunks(total_bytes: int, chunk_bytes: int = 64 * 1024) -> Any:
    async def stream() -> AsyncIterator[bytes]:
        yield b'{"body": "'
        sent = 0
        while sent < total_bytes:
            yield b"a" * chunk_bytes
            sent += chunk_bytes
        yield b'"}'

    return stream()


def post(
    content: bytes | Callable[[], bytes] | None = None,
    *,
    headers: dict[str, str] | None = None,
    **kw: Any,
) -> dict:
    return {"method": "POST", "path": "/v1/notes", "content": content, "headers": headers, **kw}


Body = bytes | str | Callable[[], bytes]
"""Big bodies are thunks, built only when their case runs, not at collection."""


def post_json(raw: Body) -> dict:
    return post(_bytes(raw), headers=JSON)


def post_value(value: Any) -> dict:
    if callable(value):
        return post(lambda: json.dumps(value()).encode(), headers=JSON)
    return post(json.dumps(value).encode(), headers=JSON)


def patch_json(raw: Body, headers: dict[str, str] | None = None) -> dict:
    return {
        "method": "PATCH",
        "path": "/v1/notes/{note}",
        "content": _bytes(raw),
        "headers": headers or JSON,
    }


def _bytes(raw: Body) -> bytes | Callable[[], bytes]:
    return raw.encode() if isinstance(raw, str) else raw


def get(path: str, **params: Any) -> dict:
    return {"method": "GET", "path": path, "params": params or None}


def call(method: str, path: str) -> dict:
    return {"method": method, "path": path}


CASES = [
    # empty and oversized bodies
    pytest.param(post_json(""), 400, id="empty-body"),
    pytest.param(post_json("   \n\t "), 400, id="whitespace-body"),
    pytest.param(post_json(lambda: b'{"body": "' + b"a" * (10 * MIB) + b'"}'), 413, id="10MB-body"),
    pytest.param(post(None, headers=JSON, stream=10 * MIB), 413, id="10MB-chunked-body"),
    pytest.param(post_json(lambda: b'{"body": "' + b"a" * MIB + b'"}'), 413, id="just-over-1MiB"),
    pytest.param(
        patch_json(lambda: b'{"body": "' + b"a" * (10 * MIB) + b'"}'), 413, id="10MB-patch"
    ),
    # broken JSON
    pytest.param(post_json("{"), 400, id="truncated-json"),
    pytest.param(post_json('{"body": "x",}'), 400, id="trailing-comma"),
    pytest.param(post_json("{'body': 'x'}"), 400, id="single-quotes"),
    pytest.param(post_json('{"body": NaN}'), 400, id="nan"),
    pytest.param(post_json('{"body": Infinity}'), 400, id="infinity"),
    pytest.param(post_json('{"body": "x"} {"body": "y"}'), 400, id="two-documents"),
    pytest.param(post_json('{"body": 1' + "0" * 5000 + "}"), 400, id="5000-digit-number"),
    pytest.param(post_json("[]"), 400, id="array-not-object"),
    pytest.param(post_json('"just a string"'), 400, id="string-not-object"),
    pytest.param(post_json("null"), 400, id="null-not-object"),
    pytest.param(post_json("42"), 400, id="number-not-object"),
    pytest.param(patch_json("{oops"), 400, id="patch-invalid-json"),
    # encodings, NUL and surrogates
    pytest.param(post_json(b'{"body": "a\x00b"}'), 400, id="raw-nul-in-string"),
    pytest.param(post_json(b'\x00{"body": "x"}'), 400, id="raw-nul-outside-string"),
    pytest.param(post_json('{"body": "a\\u0000b"}'), 400, id="escaped-nul-in-body"),
    pytest.param(post_json('{"title": "\\u0000", "body": "x"}'), 400, id="escaped-nul-in-title"),
    pytest.param(post_json('{"body": "\\ud800"}'), 400, id="lone-high-surrogate"),
    pytest.param(post_json('{"title": "a\\udfffb", "body": "x"}'), 400, id="lone-low-surrogate"),
    pytest.param(post_json('{"\\ud83d": "x", "body": "x"}'), 400, id="surrogate-in-key"),
    pytest.param(patch_json('{"body": "\\udc00"}'), 400, id="patch-lone-surrogate"),
    pytest.param(post_json(b'{"body": "\xff\xfe"}'), 400, id="invalid-utf8"),
    pytest.param(post_json('{"body": "x"}'.encode("utf-16")), 400, id="utf16-json"),
    pytest.param(post_json(b'{"body": "\xed\xa0\x80"}'), 400, id="utf8-encoded-surrogate"),
    # nesting
    pytest.param(post_json(_nested(10_000)), 400, id="10000-deep-arrays"),
    pytest.param(post_json(_deep_objects(10_000)), 400, id="10000-deep-objects"),
    pytest.param(post_json(b'{"body": "x", "extra": ' + _nested(100) + b"}"), 400, id="deep-field"),
    pytest.param(post_json(lambda: _nested(200_000)), 400, id="200000-deep-arrays"),
    # wrong types, sizes and fields
    pytest.param(post_value(lambda: {"title": "t" * 1_000_000, "body": "x"}), 422, id="1MB-title"),
    pytest.param(post_value({"title": "t" * 501, "body": "x"}), 422, id="501-char-title"),
    pytest.param(post_value({"body": "b" * 20_001}), 422, id="body-over-max-chars"),
    pytest.param(post_value({"body": 123}), 422, id="body-int"),
    pytest.param(post_value({"body": ["a", "b"]}), 422, id="body-list"),
    pytest.param(post_value({"body": {"text": "x"}}), 422, id="body-object"),
    pytest.param(post_value({"body": True}), 422, id="body-bool"),
    pytest.param(post_value({"body": None}), 422, id="body-null"),
    pytest.param(post_value({"body": 1e308}), 422, id="body-float"),
    pytest.param(post_value({"title": "x"}), 422, id="body-missing"),
    pytest.param(post_value({"title": 5, "body": "x"}), 422, id="title-int"),
    pytest.param(post_value({"title": {"a": 1}, "body": "x"}), 422, id="title-object"),
    pytest.param(post_value({"body": "x", "user_id": 2}), 422, id="unknown-field-user-id"),
    pytest.param(post_value({"body": "x", "id": 1, "version": 9}), 422, id="unknown-fields-id"),
    pytest.param(
        post_value(lambda: {"body": "x", **{f"f{n}": n for n in range(5000)}}),
        422,
        id="5000-fields",
    ),
    pytest.param(post_value(lambda: {"body": "x", "k" * 100_000: 1}), 422, id="100k-field-name"),
    pytest.param(patch_json('{"body": 5}'), 422, id="patch-body-int"),
    pytest.param(patch_json('{"body": null}'), 422, id="patch-body-null"),
    pytest.param(patch_json('{"robo_status": "COMPLETED"}'), 422, id="patch-unknown-field"),
    pytest.param(patch_json("{}"), 422, id="patch-empty-object"),
    # media types
    pytest.param(post(b'{"body": "x"}', headers={"Content-Type": "text/plain"}), 415, id="text"),
    pytest.param(post(b'{"body": "x"}', headers={}), 415, id="no-content-type"),
    pytest.param(post(data={"body": "x"}), 415, id="form-urlencoded"),
    pytest.param(post(files={"body": ("a.txt", b"x")}), 415, id="multipart"),
    pytest.param(post(b"<note/>", headers={"Content-Type": "application/xml"}), 415, id="xml"),
    pytest.param(
        post(b'{"body": "x"}', headers={"Content-Type": "application/jsonp"}), 415, id="jsonp"
    ),
    pytest.param(
        patch_json('{"body": "x"}', headers={"Content-Type": "text/csv"}), 415, id="patch-csv"
    ),
    # bad headers
    pytest.param(
        post(b'{"body": "x"}', headers={**JSON, "Content-Length": "abc"}), 400, id="cl-not-a-number"
    ),
    pytest.param(
        post(b'{"body": "x"}', headers={**JSON, "Content-Length": "-5"}), 400, id="cl-negative"
    ),
    pytest.param(post(b"", headers={**JSON, "Content-Length": str(10**30)}), 413, id="cl-enormous"),
    # page sizes and cursors
    pytest.param(get("/v1/notes", limit=0), 422, id="limit-zero"),
    pytest.param(get("/v1/notes", limit=201), 422, id="limit-201"),
    pytest.param(get("/v1/notes", limit=10**30), 422, id="limit-huge"),
    pytest.param(get("/v1/notes", limit=-1), 422, id="limit-negative"),
    pytest.param(get("/v1/notes", limit="ten"), 422, id="limit-word"),
    pytest.param(get("/v1/notes", limit="1e3"), 422, id="limit-float-text"),
    pytest.param(get("/v1/notes", cursor=""), 400, id="cursor-empty"),
    pytest.param(get("/v1/notes", cursor="!!!not-base64!!!"), 400, id="cursor-garbage"),
    pytest.param(get("/v1/notes", cursor="5"), 400, id="cursor-bare-id"),
    pytest.param(get("/v1/notes", cursor=_cursor("n1:-5")), 400, id="cursor-negative-id"),
    pytest.param(get("/v1/notes", cursor=_cursor("n1:" + "9" * 30)), 400, id="cursor-huge-id"),
    pytest.param(get("/v1/notes", cursor=_cursor("n1:0")), 400, id="cursor-zero-id"),
    pytest.param(get("/v1/notes", cursor=_cursor("x" * 30)), 400, id="cursor-foreign"),
    pytest.param(get("/v1/notes", cursor="A" * 10_000), 400, id="cursor-10k-chars"),
    pytest.param(get("/v1/notes", cursor="é☃\u0000"), 400, id="cursor-unicode-nul"),
    pytest.param(get("/v1/notes", cursor="' OR 1=1 --"), 400, id="cursor-sql"),
    # ids
    pytest.param(get("/v1/notes/-1"), 422, id="id-negative"),
    pytest.param(get("/v1/notes/0"), 422, id="id-zero"),
    pytest.param(get(f"/v1/notes/{2**63}"), 422, id="id-over-int64"),
    pytest.param(get("/v1/notes/" + "9" * 40), 422, id="id-40-digits"),
    pytest.param(get("/v1/notes/" + "9" * 5000), 422, id="id-5000-digits"),
    pytest.param(get("/v1/notes/abc"), 422, id="id-word"),
    pytest.param(get("/v1/notes/1.5"), 422, id="id-float"),
    pytest.param(get("/v1/notes/%00"), 422, id="id-nul"),
    pytest.param(get("/v1/notes/1%20OR%201=1"), 422, id="id-sql"),
    pytest.param(get(f"/v1/notes/{2**63}/robo"), 422, id="robo-id-over-int64"),
    pytest.param(call("DELETE", "/v1/notes/-7"), 422, id="delete-negative-id"),
    pytest.param(get("/v1/notes/9223372036854775807"), 404, id="id-max-int64-missing"),
    # routes and methods
    pytest.param(call("PUT", "/v1/notes"), 405, id="put-collection"),
    pytest.param(call("DELETE", "/v1/notes"), 405, id="delete-collection"),
    pytest.param(call("POST", "/v1/notes/1/robo"), 405, id="post-robo"),
    pytest.param(call("GET", "/v1/nothing-here"), 404, id="unknown-route"),
    pytest.param(call("GET", "/v1/notes/1/robo/extra"), 404, id="unknown-subroute"),
]


@pytest.fixture(scope="module")
def hostile_db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One migrated database for the whole module: each case makes its own person."""
    from robonotes.storage.migrate import upgrade_database

    path: Path = tmp_path_factory.mktemp("hostile") / "robonotes.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade_database(url)
    return url


@pytest.fixture
async def hostile_app(hostile_db_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, Person, int]]:
    """(client, person, id of one of the person's notes) on the shared database."""
    container = Container(settings_for(hostile_db_url))
    transport = httpx.ASGITransport(app=create_app(container))
    async with httpx.AsyncClient(transport=transport, base_url="http://robonotes.test") as client:
        person = await make_person(container, f"p-{uuid.uuid4().hex[:10]}")
        note = await client.post("/v1/notes", json={"body": "keep me"}, headers=person.headers)
        assert note.status_code == 201
        yield client, person, note.json()["id"]
    await container.aclose()


async def _send(
    client: httpx.AsyncClient, person: Person, note_id: int, case: dict
) -> httpx.Response:
    headers = dict(person.headers)
    headers.update(case.get("headers") or {})
    kwargs: dict[str, Any] = {"headers": headers}
    if case.get("stream"):
        kwargs["content"] = _chunks(case["stream"])
    elif case.get("content") is not None:
        content = case["content"]
        kwargs["content"] = content() if callable(content) else content
    for key in ("params", "data", "files"):
        if case.get(key) is not None:
            kwargs[key] = case[key]
    return await client.request(case["method"], case["path"].format(note=note_id), **kwargs)


def test_the_suite_has_at_least_fifty_hostile_requests() -> None:
    assert len(CASES) >= 50


@pytest.mark.parametrize(("case", "status"), CASES)
async def test_hostile_request_gets_a_4xx_problem_and_the_app_keeps_serving(
    hostile_app: tuple[httpx.AsyncClient, Person, int], case: dict, status: int
) -> None:
    client, person, note_id = hostile_app

    response = await _send(client, person, note_id, case)

    problem = assert_problem(response, status)
    assert problem["type"].startswith("tag:robonotes")
    assert len(response.content) < 16 * 1024, "a problem must not echo the hostile input"
    after = await client.get(f"/v1/notes/{note_id}", headers=person.headers)
    assert after.status_code == 200
    assert (after.json()["body"], after.json()["version"]) == ("keep me", 1)


async def test_app_serves_normally_after_every_hostile_request_in_a_row(
    hostile_app: tuple[httpx.AsyncClient, Person, int],
) -> None:
    client, person, note_id = hostile_app
    statuses = []
    for param in CASES:
        case, _ = param.values
        statuses.append((await _send(client, person, note_id, case)).status_code)

    created = await client.post("/v1/notes", json={"body": "still fine"}, headers=person.headers)

    assert all(400 <= status < 500 for status in statuses), statuses
    assert created.status_code == 201
    assert created.json()["body"] == "still fine"
