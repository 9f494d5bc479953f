"""The API's own JSON reading and cursors, checked against reference behaviour (pure, no I/O)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from robonotes.api.cursor import decode_cursor, encode_cursor
from robonotes.api.jsonbody import deeper_than, is_json_media_type, parse_json
from robonotes.api.problems import ProblemError

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='ab[]{}"\\ ,:'),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(alphabet='k[]{}"\\', max_size=3), children, max_size=3)
    ),
    max_leaves=40,
)


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(item) for item in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(item) for item in value.values()), default=0)
    return 0


@given(json_values, st.integers(min_value=0, max_value=6))
def test_deeper_than_agrees_with_the_parsed_structure(value: Any, limit: int) -> None:
    raw = json.dumps(value).encode()

    assert deeper_than(raw, limit) == (_depth(value) > limit)


@given(st.integers(min_value=1, max_value=2**63 - 1))
def test_cursor_round_trips_every_int64_id(note_id: int) -> None:
    assert decode_cursor(encode_cursor(note_id)) == note_id


@pytest.mark.parametrize(
    "raw",
    [b'"\\' * 50_000, b'"' * 100_001, b"\\" * 100_000, b'"' + b"\\" * 99_999],
    ids=["quote-backslash-pairs", "odd-quotes", "backslashes", "one-open-string"],
)
def test_pathological_strings_are_rejected_as_invalid_json(raw: bytes) -> None:
    with pytest.raises(ProblemError) as caught:
        parse_json(raw)

    assert caught.value.status == 400


def test_valid_surrogate_pairs_and_escaped_backslash_u_are_accepted() -> None:
    value = parse_json(b'{"body": "\\ud83c\\udfc3 and \\\\u0000 as text"}')

    assert value == {"body": "🏃 and \\u0000 as text"}


def test_exactly_max_depth_is_accepted_and_one_more_is_not() -> None:
    assert parse_json(b"[" * 32 + b"]" * 32) is not None
    with pytest.raises(ProblemError):
        parse_json(b"[" * 33 + b"]" * 33)


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("application/json", True),
        ("Application/JSON; charset=utf-8", True),
        ("application/merge-patch+json", True),
        ("application/jsonp", False),
        ("text/json", False),
        ("", False),
        (None, False),
    ],
)
def test_json_media_types(content_type: str | None, expected: bool) -> None:
    assert is_json_media_type(content_type) is expected
