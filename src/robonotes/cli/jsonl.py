"""Reading notes from JSON Lines: one object a line, each bad line reported by number, not fatal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import BinaryIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MIN_MAX_LINE_BYTES = 1_048_576
KNOWN_FIELDS = frozenset({"text", "title", "id", "created_at", "time_zone", "user"})


class LineError(ValueError):
    """One line cannot become a note; the message says why, without echoing the line."""


@dataclass(frozen=True, slots=True)
class NoteLine:
    """One note read from a JSONL line."""

    line_no: int
    text: str
    title: str | None = None
    source_id: str | None = None
    created_at: datetime | None = None
    time_zone: str | None = None
    user: str | None = None


def max_line_bytes(max_note_chars: int) -> int:
    """Longest line worth parsing: a note of the longest size even if every char is escaped."""
    return max(MIN_MAX_LINE_BYTES, 6 * max_note_chars + 65_536)


def iter_lines(stream: BinaryIO, *, limit_bytes: int) -> Iterator[tuple[int, bytes | None]]:
    """Yield (line number, bytes) per line; bytes is None for a line over `limit_bytes`.

    An over-long line is read past in chunks, so a huge line never sits in memory whole.
    """
    line_no = 0
    while True:
        chunk = stream.readline(limit_bytes + 1)
        if not chunk:
            return
        line_no += 1
        if len(chunk) > limit_bytes and not chunk.endswith(b"\n"):
            while chunk and not chunk.endswith(b"\n"):
                chunk = stream.readline(limit_bytes + 1)
            yield line_no, None
            continue
        yield line_no, chunk


def zone_for_offset(moment: datetime) -> str | None:
    """An IANA zone for a whole-hour UTC offset (Etc/GMT signs are inverted), else None."""
    offset = moment.utcoffset()
    if offset is None:
        return None
    if offset == timedelta(0):
        return "UTC"
    hours, rest = divmod(offset, timedelta(hours=1))
    if rest or not -12 <= hours <= 14:
        return None
    return f"Etc/GMT{-hours:+d}"


def _optional_str(data: dict[str, object], key: str, *, max_chars: int = 500) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise LineError(f"'{key}' must be a string")
    text = str(value)
    if len(text) > max_chars:
        raise LineError(f"'{key}' is longer than {max_chars} characters")
    return text


def _created_at(data: dict[str, object]) -> datetime | None:
    value = _optional_str(data, "created_at", max_chars=64)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise LineError("'created_at' is not an ISO 8601 date-time") from None
    # A time without an offset is read as UTC: the file cannot tell us its zone.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _time_zone(data: dict[str, object], created_at: datetime | None) -> str | None:
    name = _optional_str(data, "time_zone", max_chars=64)
    if name is None:
        return zone_for_offset(created_at) if created_at else None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise LineError("'time_zone' is not an IANA time zone such as Europe/Lisbon") from None
    return name


def parse_line(raw: bytes, *, line_no: int) -> NoteLine | None:
    """The note on one line, None for a blank line; LineError when the line is bad."""
    if line_no == 1 and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LineError(f"not valid UTF-8 (byte {exc.start + 1})") from None
    if not decoded.strip():
        return None
    try:
        data = json.loads(decoded)
    except RecursionError:
        raise LineError("JSON nested too deeply") from None
    except ValueError as exc:
        message = exc.msg if isinstance(exc, json.JSONDecodeError) else "invalid JSON"
        raise LineError(f"invalid JSON: {message}") from None
    if not isinstance(data, dict):
        raise LineError("expected a JSON object with a 'text' field")
    text = data.get("text")
    if not isinstance(text, str):
        raise LineError("'text' is missing or not a string")
    title = data.get("title")
    if title is not None and not isinstance(title, str):
        raise LineError("'title' must be a string")
    created_at = _created_at(data)
    return NoteLine(
        line_no=line_no,
        text=text,
        title=title or None,
        source_id=_optional_str(data, "id", max_chars=200),
        created_at=created_at,
        time_zone=_time_zone(data, created_at),
        user=_optional_str(data, "user", max_chars=100),
    )
