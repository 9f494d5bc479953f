"""Opaque pagination cursors: clients pass them back unchanged and never build them."""

from __future__ import annotations

import base64
import binascii
import re

from robonotes.api.problems import ProblemError

_PREFIX = "n1:"
_MAX_CURSOR_CHARS = 64
_MAX_ID = 2**63 - 1
_ID = re.compile(r"[1-9][0-9]{0,18}")


def encode_cursor(note_id: int) -> str:
    """The cursor that continues after `note_id` (newest first)."""
    raw = f"{_PREFIX}{note_id}".encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The note id inside a cursor; ProblemError(400) for anything this API did not hand out."""
    bad = ProblemError(400, "the cursor is not one this API handed out", slug="invalid-cursor")
    if not cursor or len(cursor) > _MAX_CURSOR_CHARS or not cursor.isascii():
        raise bad
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        raise bad from None
    if not raw.startswith(_PREFIX) or not _ID.fullmatch(raw[len(_PREFIX) :]):
        raise bad
    note_id = int(raw[len(_PREFIX) :])
    if note_id > _MAX_ID:
        raise bad
    return note_id
