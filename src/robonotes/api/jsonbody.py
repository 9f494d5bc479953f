"""Reading a JSON request body ourselves: media type, size, UTF-8, nesting depth, NUL, surrogates.

FastAPI's own body parsing lets a 10,000-deep array become a RecursionError (a 500) and passes
lone surrogates through to the database driver; this module turns each of those into a 4xx
before any model sees the data. Every step is linear in C (json, re, bytes), so a hostile
megabyte costs milliseconds, not seconds, of the event loop.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from fastapi import Request

from robonotes.api.problems import ProblemError, safe_name

MAX_JSON_DEPTH = 32
"""A note is a flat object; 32 levels leave room for clients and none for stack exhaustion."""

# A string runs to its closing quote or, unterminated, as far as it can: possessive, so it is
# never retried from a later quote and the work stays linear even for '"\\"\\"\\...'.
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"?', re.DOTALL)
_INNERMOST_PAIR = re.compile(rb"\[\]|\{\}")
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")
_OFF_LOOP_BYTES = 64 * 1024
_RISKY_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89abcdefABCDEF])")
"""Only these escapes can put a NUL or a lone surrogate into a decoded string."""


def is_json_media_type(content_type: str | None) -> bool:
    """application/json or any application/*+json, with or without parameters."""
    if not content_type:
        return False
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def deeper_than(raw: bytes, limit: int) -> bool:
    """Whether well-formed JSON `raw` nests arrays/objects more than `limit` deep.

    Each pass removes the innermost bracket pairs, all in C: at most `limit` linear passes,
    with no per-character Python loop for a hostile megabyte to exploit.
    """
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    for _ in range(limit):
        brackets, removed = _INNERMOST_PAIR.subn(b"", brackets)
        if not brackets or not removed:
            break
    return bool(brackets)


_JSON_TYPE_NAMES = {
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}


def _check_strings(value: Any, path: str) -> None:
    if isinstance(value, str):
        where = f"field {path!r}" if path else "the body"
        if "\x00" in value:
            raise ProblemError(400, f"{where} contains a NUL character", slug="invalid-text")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ProblemError(
                400, f"{where} contains a lone surrogate (U+D800..U+DFFF)", slug="invalid-text"
            ) from None
    elif isinstance(value, dict):
        for key, item in value.items():
            name = safe_name(key)
            child = f"{path}.{name}" if path else name
            _check_strings(key, f"{child} (its name)")
            _check_strings(item, child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_strings(item, f"{path}[{index}]")


def parse_json(raw: bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Decode a JSON document; ProblemError(400) for anything that is not clean JSON text."""
    if not raw.strip():
        raise ProblemError(400, "the request body is empty; send a JSON object", slug="empty-body")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProblemError(
            400, f"the request body is not UTF-8 (byte {exc.start})", slug="invalid-json"
        ) from None
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ProblemError(
            400,
            f"the request body is not valid JSON: {exc.msg} (line {exc.lineno}, col {exc.colno})",
            slug="invalid-json",
        ) from None
    except RecursionError:
        raise _too_deep(max_depth) from None
    except ValueError as exc:
        # NaN/Infinity, or an integer beyond Python's digit limit.
        detail = str(exc) if isinstance(exc, _ConstantRejectedError) else "a number is too long"
        raise ProblemError(
            400, f"the request body is not valid JSON: {detail}", slug="invalid-json"
        ) from None
    if deeper_than(raw, max_depth):
        raise _too_deep(max_depth)
    if _RISKY_ESCAPE.search(raw):
        _check_strings(value, "")
    return value


def _too_deep(max_depth: int) -> ProblemError:
    return ProblemError(
        400, f"the JSON is nested deeper than {max_depth} levels", slug="json-too-deep"
    )


class _ConstantRejectedError(ValueError):
    """NaN and Infinity are not JSON (RFC 8259), though Python's decoder accepts them."""


def _reject_constant(name: str) -> Any:
    raise _ConstantRejectedError(f"{name} is not a JSON value")


async def read_json_object(request: Request) -> dict[str, Any]:
    """The request's JSON object: 415 for another media type, 400 for broken JSON or no object."""
    if not is_json_media_type(request.headers.get("content-type")):
        accept_header = "Accept-Patch" if request.method == "PATCH" else "Accept-Post"
        raise ProblemError(
            415, "send the body as application/json", headers={accept_header: "application/json"}
        )
    raw = await request.body()
    # A big body takes a noticeable slice of CPU to decode; off the loop, others keep being served.
    value = (
        await asyncio.to_thread(parse_json, raw) if len(raw) > _OFF_LOOP_BYTES else parse_json(raw)
    )
    if not isinstance(value, dict):
        raise ProblemError(
            400,
            f"the body must be a JSON object, not {_JSON_TYPE_NAMES.get(type(value), 'that')}",
            slug="not-an-object",
        )
    return value
