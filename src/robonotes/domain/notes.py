"""Notes as the person writes them, and as stored with their Robo fields."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from robonotes.domain.status import ProcessingState

MAX_TITLE_CHARS = 500
"""A title is a line, not a second body."""


def content_hash(title: str | None, body: str) -> str:
    """SHA-256 of title and body, so an edit that changes nothing is recognisable."""
    digest = hashlib.sha256()
    digest.update((title or "").encode("utf-8", "surrogatepass"))
    digest.update(b"\x00")
    digest.update(body.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class User:
    """A person who owns notes."""

    id: int
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NoteData:
    """A note as stored: text, version, and where Robo processing of it stands."""

    id: int
    user_id: int
    title: str | None
    body: str
    version: int
    content_hash: str
    created_at: datetime
    updated_at: datetime
    time_zone: str | None = None
    deleted_at: datetime | None = None
    robo_status: ProcessingState = ProcessingState.PENDING
    robo_processed_version: int | None = None
    robo_error: str | None = None

    @property
    def is_deleted(self) -> bool:
        """Soft-deleted notes stay in the table but are gone for every reader."""
        return self.deleted_at is not None

    @property
    def text(self) -> str:
        """What Robo reads: the title (when there is one) and the body."""
        return f"{self.title}\n\n{self.body}" if self.title else self.body
