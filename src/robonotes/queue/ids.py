"""Job ids and fencing tokens: 32 hex characters, time-ordered so that ties in FIFO order break fairly."""

from __future__ import annotations

import secrets
import time


def new_job_id() -> str:
    """Nanosecond clock then 64 random bits: sorts by creation time within a process, never collides."""
    return f"{time.time_ns():016x}{secrets.randbits(64):016x}"


def new_token() -> str:
    """A random fencing token base for one claim."""
    return secrets.token_hex(16)
