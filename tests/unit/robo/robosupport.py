"""Helpers for OpenAIService unit tests: notes, completions and a scripted httpx2 transport."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx2

from robonotes.domain.notes import NoteData, content_hash
from robonotes.domain.status import ProcessingState

NOTE_TIME = datetime(2026, 3, 14, 19, 30, tzinfo=UTC)


def make_note(body: str, *, note_id: int = 7, user_id: int = 3, version: int = 2) -> NoteData:
    """A stored note as the processor would hand it to Robo."""
    return NoteData(
        id=note_id,
        user_id=user_id,
        title=None,
        body=body,
        version=version,
        content_hash=content_hash(None, body),
        created_at=NOTE_TIME,
        updated_at=NOTE_TIME,
        robo_status=ProcessingState.PROCESSING,
    )


def activity(name: str, evidence: str, **fields: Any) -> dict[str, Any]:
    """One activity as the model would return it, every strict field present."""
    return {
        "name": name,
        "surface": fields.pop("surface", evidence),
        "category": fields.pop("category", None),
        "object": fields.pop("object", None),
        "duration_minutes": fields.pop("duration_minutes", None),
        "quantity": fields.pop("quantity", None),
        "evidence": evidence,
        "existing_activity_idx": fields.pop("existing_activity_idx", None),
        **fields,
    }


def moment(title: str, evidence: str, **fields: Any) -> dict[str, Any]:
    """One moment as the model would return it, every strict field present."""
    return {
        "title": title,
        "summary": fields.pop("summary", title),
        "status": fields.pop("status", "happened"),
        "time": fields.pop("time", {"text": None, "start": None, "end": None, "part_of_day": None}),
        "people": fields.pop("people", []),
        "place": fields.pop("place", None),
        "emotions": fields.pop("emotions", []),
        "valence": fields.pop("valence", None),
        "activities": fields.pop("activities", []),
        "evidence": evidence,
        "existing_moment_idx": fields.pop("existing_moment_idx", None),
        **fields,
    }


def completion_body(
    content: str | None,
    *,
    finish_reason: str = "stop",
    refusal: str | None = None,
    prompt_tokens: int = 1200,
    completion_tokens: int = 80,
    cached_tokens: int = 1024,
    reasoning_tokens: int = 0,
) -> dict[str, Any]:
    """A chat.completion JSON body with usage details."""
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "gpt-test",
        "choices": [
            {
                "index": 0,
                "finish_reason": finish_reason,
                "message": {"role": "assistant", "content": content, "refusal": refusal},
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": cached_tokens},
            "completion_tokens_details": {"reasoning_tokens": reasoning_tokens},
        },
    }


def extraction(activities: list[dict[str, Any]], moments: list[dict[str, Any]]) -> str:
    """The JSON text of an extraction reply."""
    return json.dumps({"activities": activities, "moments": moments})


Step = Callable[[httpx2.Request], httpx2.Response]


class ScriptedTransport:
    """Answers each request with the next step of a script and keeps every request it saw."""

    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps)
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        if not self.steps:
            raise AssertionError("the service made more HTTP attempts than the script allows")
        return self.steps.pop(0)(request)

    def bodies(self) -> list[dict[str, Any]]:
        """The JSON bodies of the requests sent."""
        return [json.loads(request.content) for request in self.requests]

    def client(self) -> httpx2.AsyncClient:
        """An httpx2 client that routes through this script."""
        return httpx2.AsyncClient(transport=httpx2.MockTransport(self))


def ok(content: str, *, headers: dict[str, str] | None = None, **usage: Any) -> Step:
    """A 200 with a completion carrying `content`."""
    return lambda request: httpx2.Response(
        200,
        json=completion_body(content, **usage),
        headers={"x-request-id": "req_ok", **(headers or {})},
    )


def status(code: int, *, headers: dict[str, str] | None = None, body: Any = None) -> Step:
    """An HTTP error status with an OpenAI-style error body."""
    payload = body if body is not None else {"error": {"message": f"status {code}", "type": "x"}}
    return lambda request: httpx2.Response(
        code, json=payload, headers={"x-request-id": f"req_{code}", **(headers or {})}
    )


def raw(code: int, content: bytes, content_type: str = "application/json") -> Step:
    """A response with a raw body (malformed JSON, HTML from a proxy)."""
    return lambda request: httpx2.Response(
        code, content=content, headers={"content-type": content_type}
    )


def raises(exc_type: type[Exception]) -> Step:
    """A transport failure (connection refused, read timeout)."""

    def step(request: httpx2.Request) -> httpx2.Response:
        raise exc_type("simulated", request=request)  # type: ignore[call-arg]

    return step
