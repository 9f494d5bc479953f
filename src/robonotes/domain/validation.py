"""Rules that decide whether Robo may process a note at all (a failing rule gives SKIPPED)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

DEFAULT_MAX_NOTE_CHARS = 20_000
BINARY_SHARE_LIMIT = 0.3
"""Above this share of control or unassigned characters a note is treated as binary."""


@dataclass(frozen=True, slots=True)
class SkipReason:
    """Why Robo must not process a note; `code` is stable, `message` is for people."""

    code: str
    message: str


def _is_binaryish(char: str) -> bool:
    if char in "\n\r\t":
        return False
    category = unicodedata.category(char)
    return category in {"Cc", "Cs", "Co", "Cn"}


def skip_reason(text: str, *, max_chars: int = DEFAULT_MAX_NOTE_CHARS) -> SkipReason | None:
    """Return why `text` must be skipped, or None when Robo may process it."""
    if not text.strip():
        return SkipReason("empty", "the note has no text")
    if len(text) > max_chars:
        return SkipReason(
            "too_long", f"the note has {len(text)} characters, over the {max_chars} limit"
        )
    binaryish = sum(1 for char in text if _is_binaryish(char))
    if binaryish / len(text) > BINARY_SHARE_LIMIT:
        return SkipReason("binary", "the note is mostly binary or control characters")
    return None
