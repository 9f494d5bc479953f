"""JSONL note lines: good ones parse, hostile ones say why, huge ones are streamed past."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone

import pytest

from robonotes.cli.jsonl import LineError, iter_lines, parse_line, zone_for_offset


def test_a_full_line_parses() -> None:
    raw = (
        b'{"id": "a-1", "user": "ana", "title": "Run", "text": "5k with Sam",'
        b' "created_at": "2026-11-16T07:40:00+01:00", "time_zone": "Europe/Berlin"}\n'
    )

    line = parse_line(raw, line_no=3)

    assert line is not None
    assert (line.line_no, line.text, line.title, line.source_id) == (
        3,
        "5k with Sam",
        "Run",
        "a-1",
    )
    assert line.created_at == datetime(2026, 11, 16, 6, 40, tzinfo=UTC)
    assert line.time_zone == "Europe/Berlin"


def test_a_naive_created_at_is_read_as_utc_and_an_offset_gives_a_zone() -> None:
    naive = parse_line(b'{"text": "x", "created_at": "2026-11-16T07:40:00"}', line_no=1)
    offset = parse_line(b'{"text": "x", "created_at": "2026-11-16T07:40:00-06:00"}', line_no=1)

    assert naive is not None
    assert naive.created_at is not None
    assert naive.created_at.tzinfo is UTC
    assert offset is not None
    assert offset.time_zone == "Etc/GMT+6"


@pytest.mark.parametrize(
    ("offset", "zone"),
    [(0, "UTC"), (60, "Etc/GMT-1"), (-300, "Etc/GMT+5"), (330, None), (14 * 60, "Etc/GMT-14")],
)
def test_zone_for_offset(offset: int, zone: str | None) -> None:
    moment = datetime(2026, 1, 1, tzinfo=timezone(timedelta(minutes=offset)))

    assert zone_for_offset(moment) == zone


@pytest.mark.parametrize("raw", [b"", b"   \n", b"\r\n"])
def test_blank_lines_are_ignored(raw: bytes) -> None:
    assert parse_line(raw, line_no=2) is None


def test_a_utf8_bom_on_the_first_line_is_ignored() -> None:
    line = parse_line(b'\xef\xbb\xbf{"text": "hi"}', line_no=1)

    assert line is not None
    assert line.text == "hi"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"not json", "invalid JSON"),
        (b'{"text": "unterminated', "invalid JSON"),
        (b'{"text": "a"}{"text": "b"}', "invalid JSON"),
        (b"\x00\x00\x00", "invalid JSON"),
        (b'{"text": "caf\xe9"}', "not valid UTF-8"),
        (b"\xff\xfe{}", "not valid UTF-8"),
        (b'["text"]', "expected a JSON object"),
        (b"42", "expected a JSON object"),
        (b"null", "expected a JSON object"),
        (b"{}", "'text' is missing"),
        (b'{"text": null}', "'text' is missing"),
        (b'{"text": 5}', "'text' is missing"),
        (b'{"text": "x", "title": 5}', "'title' must be a string"),
        (b'{"text": "x", "title": {"a": 1}}', "'title' must be a string"),
        (b'{"text": "x", "created_at": "yesterday"}', "ISO 8601"),
        (b'{"text": "x", "created_at": 17}', "ISO 8601"),
        (b'{"text": "x", "created_at": true}', "'created_at' must be a string"),
        (b'{"text": "x", "time_zone": "Mars/Olympus"}', "IANA"),
        (b'{"text": "x", "time_zone": "../../etc/passwd"}', "IANA"),
        (b'{"text": "x", "id": ["a"]}', "'id' must be a string"),
        (b'{"text": "x", "id": "' + b"i" * 300 + b'"}', "'id' is longer"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
)
def test_hostile_lines_give_a_clear_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(LineError, match=reason):
        parse_line(raw, line_no=7)


def test_json_escaped_nul_and_lone_surrogates_reach_the_text_for_the_service_to_refuse() -> None:
    line = parse_line(b'{"text": "a\\u0000b \\ud800"}', line_no=1)

    assert line is not None
    assert line.text == "a\x00b \ud800"


def test_iter_lines_streams_past_a_line_over_the_limit() -> None:
    stream = io.BytesIO(b"short\n" + b"x" * 10_000 + b"\nafter\nlast-without-newline")

    lines = list(iter_lines(stream, limit_bytes=100))

    assert lines == [
        (1, b"short\n"),
        (2, None),
        (3, b"after\n"),
        (4, b"last-without-newline"),
    ]


def test_iter_lines_flags_a_final_huge_line_without_newline() -> None:
    lines = list(iter_lines(io.BytesIO(b"ok\n" + b"y" * 500), limit_bytes=100))

    assert lines == [(1, b"ok\n"), (2, None)]
