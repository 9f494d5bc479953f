"""Request and response bodies of the HTTP API (pydantic models; strict: no silent coercion)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from robonotes.domain.notes import MAX_TITLE_CHARS, NoteData
from robonotes.domain.status import ProcessingState, StatusRecord


class NoteCreate(BaseModel):
    """POST /v1/notes: a body and an optional title; nothing else."""

    model_config = ConfigDict(extra="forbid", strict=True)

    title: str | None = Field(default=None, max_length=MAX_TITLE_CHARS)
    body: str


class NotePatch(BaseModel):
    """PATCH /v1/notes/{id}: title and/or body; a null title removes it."""

    model_config = ConfigDict(extra="forbid", strict=True)

    title: str | None = Field(default=None, max_length=MAX_TITLE_CHARS)
    body: str | None = None


class NoteOut(BaseModel):
    """A note as the API shows it."""

    id: int
    version: int
    title: str | None
    body: str
    created_at: datetime
    updated_at: datetime
    robo_status: ProcessingState

    @classmethod
    def from_note(cls, note: NoteData) -> NoteOut:
        """Only the fields meant for the owner; no internal hashes or ids of others."""
        return cls(
            id=note.id,
            version=note.version,
            title=note.title,
            body=note.body,
            created_at=note.created_at,
            updated_at=note.updated_at,
            robo_status=note.robo_status,
        )


class NotePageOut(BaseModel):
    """One page of notes, newest first; pass `next_cursor` back as `cursor` for the next."""

    items: list[NoteOut]
    next_cursor: str | None


class RoboStatusOut(BaseModel):
    """Where Robo processing of the note's current version stands."""

    note_id: int
    version: int
    status: ProcessingState
    attempts: int
    last_error: str | None
    error_class: str | None
    skip_reason: str | None
    processed_version: int | None
    next_attempt_at: datetime | None
    updated_at: datetime

    @classmethod
    def from_view(cls, note: NoteData, status: StatusRecord | None) -> RoboStatusOut:
        """Merge the note's mirrored Robo fields with its status row (gone after retention)."""
        return cls(
            note_id=note.id,
            version=note.version,
            status=status.state if status else note.robo_status,
            attempts=status.attempts if status else 0,
            last_error=status.last_error if status else note.robo_error,
            error_class=status.error_class if status else None,
            skip_reason=status.skip_reason if status else None,
            processed_version=note.robo_processed_version,
            next_attempt_at=status.next_attempt_at if status else None,
            updated_at=status.updated_at if status else note.updated_at,
        )


class Problem(BaseModel):
    """RFC 9457 problem details, the body of every error response."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[dict[str, str]] | None = Field(
        default=None, description="422 only: each field that broke a rule, and how."
    )


class HealthOut(BaseModel):
    """/healthz and /readyz when all is well."""

    status: str
    checks: dict[str, str] = Field(default_factory=dict)
