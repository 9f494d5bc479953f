"""Job ids, fencing tokens and the checks on caller-given names and sizes, shared by both queues."""

from __future__ import annotations

import re
import secrets
import time

MAX_WORKER_ID_CHARS = 200
_WORKER_ID = re.compile(rf"^[!-~]{{1,{MAX_WORKER_ID_CHARS}}}$")


def new_job_id() -> str:
    """Nanosecond clock then 64 random bits: sorts by creation time, does not collide."""
    return f"{time.time_ns():016x}{secrets.randbits(64):016x}"


def new_token() -> str:
    """A random fencing token base for one claim."""
    return secrets.token_hex(16)


def check_worker_id(worker_id: str) -> str:
    """Return the id if it is 1-200 printable ASCII characters without spaces, else ValueError."""
    if not _WORKER_ID.match(worker_id):
        raise ValueError(f"a worker id is 1-200 printable ASCII characters: {worker_id!r}")
    return worker_id


MAX_CLAIM = 1_000


def check_claim(*, limit: int, lease_ms: int) -> int:
    """Return the claim limit capped at MAX_CLAIM; ValueError for a lease that is not positive."""
    if lease_ms <= 0:
        raise ValueError(f"lease_ms must be positive, not {lease_ms}")
    return min(int(limit), MAX_CLAIM)
