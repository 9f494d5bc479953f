"""Notes on SQLAlchemy Core: versioned, content-hashed, soft-deleted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from robonotes.domain.exceptions import NoteNotFound
from robonotes.domain.notes import NoteData
from robonotes.domain.status import ProcessingState
from robonotes.services.ports import NewNote
from robonotes.storage.errors import as_utc, as_utc_or_none, translate_errors
from robonotes.storage.tables import notes

MAX_ID = 2**63 - 1
"""Ids beyond a bigint cannot exist; they are answered as missing instead of a driver error."""


def note_from_row(row: Any) -> NoteData:
    """A NoteData from a row of `notes`."""
    return NoteData(
        id=row.id,
        user_id=row.user_id,
        title=row.title,
        body=row.body,
        version=row.version,
        content_hash=row.content_hash,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
        time_zone=row.time_zone,
        deleted_at=as_utc_or_none(row.deleted_at),
        robo_status=ProcessingState(row.robo_status),
        robo_processed_version=row.robo_processed_version,
        robo_error=row.robo_error,
    )


class SqlAlchemyNoteRepository:
    """NoteRepository over one connection (the unit of work's transaction)."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    @translate_errors
    async def add(self, note: NewNote, *, content_hash: str) -> NoteData:
        """Insert version 1 of a note."""
        created_at = as_utc(note.created_at)
        result = await self._connection.execute(
            insert(notes)
            .values(
                user_id=note.user_id,
                title=note.title,
                body=note.body,
                version=1,
                content_hash=content_hash,
                created_at=created_at,
                updated_at=created_at,
                time_zone=note.time_zone,
                source_id=note.source_id,
                robo_status=ProcessingState.PENDING.value,
            )
            .returning(*notes.c)
        )
        return note_from_row(result.one())

    async def get(self, note_id: int, *, user_id: int | None = None) -> NoteData:
        """The live note; NoteNotFound when missing, deleted, or not this user's."""
        note = await self.find(note_id)
        if note is None or (user_id is not None and note.user_id != user_id):
            raise NoteNotFound(note_id)
        return note

    @translate_errors
    async def find(self, note_id: int, *, include_deleted: bool = False) -> NoteData | None:
        """The note, or None; deleted ones only with `include_deleted`."""
        if not 0 < note_id <= MAX_ID:
            return None
        query = select(notes).where(notes.c.id == note_id)
        if not include_deleted:
            query = query.where(notes.c.deleted_at.is_(None))
        row = (await self._connection.execute(query)).first()
        return None if row is None else note_from_row(row)

    @translate_errors
    async def find_id_by_source_id(self, *, user_id: int, source_id: str) -> int | None:
        """The id of the person's note imported with `source_id` (deleted ones too), or None."""
        query = select(notes.c.id).where(notes.c.user_id == user_id, notes.c.source_id == source_id)
        found = (await self._connection.execute(query)).scalar_one_or_none()
        return None if found is None else int(found)

    @translate_errors
    async def list(
        self, *, user_id: int, after_id: int | None = None, limit: int = 50
    ) -> list[NoteData]:
        """The person's live notes newest first: ids below `after_id`, at most `limit`."""
        query = (
            select(notes)
            .where(notes.c.user_id == user_id, notes.c.deleted_at.is_(None))
            .order_by(notes.c.id.desc())
            .limit(max(0, limit))
        )
        if after_id is not None:
            query = query.where(notes.c.id < min(after_id, MAX_ID))
        return [note_from_row(row) for row in await self._connection.execute(query)]

    @translate_errors
    async def update(
        self, note_id: int, *, title: str | None, body: str, content_hash: str, updated_at: datetime
    ) -> NoteData:
        """Write new text and bump `version` in one statement; NoteNotFound when gone."""
        if not 0 < note_id <= MAX_ID:
            raise NoteNotFound(note_id)
        result = await self._connection.execute(
            update(notes)
            .where(notes.c.id == note_id, notes.c.deleted_at.is_(None))
            .values(
                title=title,
                body=body,
                content_hash=content_hash,
                version=notes.c.version + 1,
                updated_at=as_utc(updated_at),
            )
            .returning(*notes.c)
        )
        row = result.first()
        if row is None:
            raise NoteNotFound(note_id)
        return note_from_row(row)

    @translate_errors
    async def soft_delete(self, note_id: int, *, deleted_at: datetime) -> None:
        """Mark the note deleted; it stays in the table for the history of its extraction."""
        await self._connection.execute(
            update(notes)
            .where(notes.c.id == note_id, notes.c.deleted_at.is_(None))
            .values(deleted_at=as_utc(deleted_at), updated_at=as_utc(deleted_at))
        )

    @translate_errors
    async def set_robo_fields(
        self,
        note_id: int,
        *,
        status: ProcessingState,
        processed_version: int | None = None,
        error: str | None = None,
    ) -> None:
        """Mirror the newest status onto the note (processed_version only when given)."""
        values: dict[str, Any] = {"robo_status": status.value, "robo_error": error}
        if processed_version is not None:
            values["robo_processed_version"] = processed_version
        await self._connection.execute(update(notes).where(notes.c.id == note_id).values(**values))
