"""Offline token estimates for rate-limit reservations: tiktoken when its encodings are cached.

The rate limiter reserves tokens before a call (prompt estimate plus the output cap) and settles
with the real usage after it, so the estimate must err high, never low, and must never touch the
network: tiktoken downloads encodings on first use, so it is used only when the encoding file is
already in its cache. Otherwise a character-class estimate with a safety margin stands in.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from pathlib import Path

DEFAULT_MAX_OUTPUT_TOKENS = 2048
"""The output cap sent as `max_completion_tokens` unless Settings says otherwise."""

SAFETY_MARGIN = 1.15
"""The heuristic runs this much above typical BPE counts, so reservations rarely fall short."""

MESSAGE_OVERHEAD_TOKENS = 4
"""Chat formatting tokens each message adds (role and separators)."""

REPLY_PRIMING_TOKENS = 3

_O200K_CACHE_KEY = "fb374d419588a4632f3f557e76b4b70aebbca790"
"""tiktoken's cache file name for o200k_base (sha1 of its download URL)."""


def _heuristic(text: str) -> int:
    ascii_chars = 0
    other_chars = 0
    for char in text:
        if ord(char) < 128:
            ascii_chars += 1
        else:
            other_chars += 1
    # ASCII prose runs near 4 characters a token; CJK and most other scripts near one token per
    # character or more, so they are counted one each.
    return math.ceil((ascii_chars / 4 + other_chars) * SAFETY_MARGIN)


def _tiktoken_cache_dir() -> Path:
    configured = os.environ.get("TIKTOKEN_CACHE_DIR") or os.environ.get("DATA_GYM_CACHE_DIR")
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "data-gym-cache"


@lru_cache(maxsize=1)
def _tiktoken_counter() -> Callable[[str], int] | None:
    if importlib.util.find_spec("tiktoken") is None:
        return None
    if not (_tiktoken_cache_dir() / _O200K_CACHE_KEY).is_file():
        return None
    try:
        tiktoken = importlib.import_module("tiktoken")
        encoding = tiktoken.get_encoding("o200k_base")
    except Exception:  # a corrupt cache or an old tiktoken: fall back, never fail a call
        return None

    def count(text: str) -> int:
        return len(encoding.encode(text, disallowed_special=()))

    return count


def estimate_tokens(text: str) -> int:
    """Tokens `text` will take: exact with cached tiktoken encodings, else a high estimate."""
    counter = _tiktoken_counter()
    return counter(text) if counter is not None else _heuristic(text)


def estimate_prompt_tokens(messages: Iterable[Mapping[str, str]]) -> int:
    """Tokens a list of chat messages will take as a prompt."""
    total = REPLY_PRIMING_TOKENS
    for message in messages:
        total += MESSAGE_OVERHEAD_TOKENS + estimate_tokens(message.get("content", ""))
    return total


def estimate_request_tokens(
    messages: Iterable[Mapping[str, str]], *, max_output_tokens: int = DEFAULT_MAX_OUTPUT_TOKENS
) -> int:
    """What to reserve before a call: the prompt estimate plus the whole output cap."""
    return estimate_prompt_tokens(messages) + max_output_tokens
