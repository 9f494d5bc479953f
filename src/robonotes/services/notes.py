"""NoteService: saving a note is immediate and never depends on Robo, the queue or the LLM."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from robonotes.domain.exceptions import (
    InvalidStatusTransition,
    NoteAlreadyImported,
    NoteValidationError,
    RoboNotesError,
)
from robonotes.domain.jobs import JobPayload
from robonotes.domain.notes import MAX_TITLE_CHARS, NoteData, content_hash
from robonotes.domain.status import ACTIVE_STATES, ProcessingState, StatusRecord
from robonotes.services.ports import Clock, NewNote, NoteEnqueuer, UnitOfWorkFactory

log = logging.getLogger(__name__)

MAX_PAGE_SIZE = 200


@dataclass(frozen=True, slots=True)
class NotePage:
    """One page of a person's notes, newest first, with the cursor of the next page."""

    items: list[NoteData]
    next_cursor: int | None


@dataclass(frozen=True, slots=True)
class NoteRoboView:
    """What `GET /v1/notes/{id}/robo` shows: the note's Robo fields and its latest status row."""

    note: NoteData
    status: StatusRecord | None


def _check_text(title: str | None, body: str, *, max_note_chars: int) -> None:
    if title is not None and len(title) > MAX_TITLE_CHARS:
        raise NoteValidationError(f"title is longer than {MAX_TITLE_CHARS} characters")
    if len(body) > max_note_chars:
        raise NoteValidationError(f"body is longer than {max_note_chars} characters")
    for field_name, value in (("title", title or ""), ("body", body)):
        if "\x00" in value:
            raise NoteValidationError(f"{field_name} contains a NUL character")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise NoteValidationError(f"{field_name} is not valid Unicode text") from exc


class NoteService:
    """Create, edit, delete and read notes; hand each new version to the queue after commit."""

    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        queue: NoteEnqueuer,
        clock: Clock,
        max_note_chars: int,
    ) -> None:
        self._uow_factory = uow_factory
        self._queue = queue
        self._clock = clock
        self._max_note_chars = max_note_chars

    async def create(
        self,
        *,
        user_id: int,
        body: str,
        title: str | None = None,
        created_at: datetime | None = None,
        time_zone: str | None = None,
        source_id: str | None = None,
    ) -> NoteData:
        """Write the note and its PENDING status in one transaction, then try to enqueue it.

        A `source_id` (the id a note had where it was imported from) makes the save idempotent:
        a second note with the same one raises NoteAlreadyImported, so an import can be re-run.
        """
        _check_text(title, body, max_note_chars=self._max_note_chars)
        now = self._clock.now()
        async with self._uow_factory() as uow:
            if source_id is not None:
                existing = await uow.notes.find_id_by_source_id(
                    user_id=user_id, source_id=source_id
                )
                if existing is not None:
                    raise NoteAlreadyImported(source_id, existing)
            note = await uow.notes.add(
                NewNote(
                    user_id=user_id,
                    title=title,
                    body=body,
                    created_at=created_at or now,
                    time_zone=time_zone,
                    source_id=source_id,
                ),
                content_hash=content_hash(title, body),
            )
            await uow.statuses.add(note_id=note.id, version=note.version, user_id=user_id, now=now)
            await uow.commit()
        return await self._enqueue(note)

    async def update(
        self,
        *,
        user_id: int,
        note_id: int,
        body: str | None = None,
        title: str | None = None,
        clear_title: bool = False,
    ) -> NoteData:
        """Save new text as a new version; the old version's status becomes SUPERSEDED."""
        now = self._clock.now()
        async with self._uow_factory() as uow:
            current = await uow.notes.get(note_id, user_id=user_id)
            new_title = None if clear_title else (title if title is not None else current.title)
            new_body = body if body is not None else current.body
            _check_text(new_title, new_body, max_note_chars=self._max_note_chars)
            new_hash = content_hash(new_title, new_body)
            if new_hash == current.content_hash:
                return current
            note = await uow.notes.update(
                note_id, title=new_title, body=new_body, content_hash=new_hash, updated_at=now
            )
            await uow.statuses.supersede_older(note_id, below_version=note.version, now=now)
            await uow.statuses.add(note_id=note_id, version=note.version, user_id=user_id, now=now)
            await uow.notes.set_robo_fields(note_id, status=ProcessingState.PENDING)
            await uow.commit()
        return await self._enqueue(note)

    async def delete(self, *, user_id: int, note_id: int) -> None:
        """Soft-delete the note and cancel whatever processing it still had."""
        now = self._clock.now()
        async with self._uow_factory() as uow:
            await uow.notes.get(note_id, user_id=user_id)
            await uow.notes.soft_delete(note_id, deleted_at=now)
            await uow.statuses.cancel_all(note_id, now=now)
            await uow.commit()

    async def get(self, *, user_id: int, note_id: int) -> NoteData:
        """The person's note; NoteNotFound when missing, deleted or someone else's."""
        async with self._uow_factory() as uow:
            return await uow.notes.get(note_id, user_id=user_id)

    async def list(self, *, user_id: int, cursor: int | None = None, limit: int = 50) -> NotePage:
        """A page of the person's notes, newest first."""
        limit = max(1, min(limit, MAX_PAGE_SIZE))
        async with self._uow_factory() as uow:
            items = await uow.notes.list(user_id=user_id, after_id=cursor, limit=limit + 1)
        next_cursor = items[limit - 1].id if len(items) > limit else None
        return NotePage(items=items[:limit], next_cursor=next_cursor)

    async def robo_view(self, *, user_id: int, note_id: int) -> NoteRoboView:
        """The note's Robo status, attempts and last error."""
        async with self._uow_factory() as uow:
            note = await uow.notes.get(note_id, user_id=user_id)
            status = await uow.statuses.find(note_id, note.version)
        return NoteRoboView(note=note, status=status)

    async def reprocess(self, *, user_id: int, note_id: int) -> NoteRoboView:
        """Ask Robo to read the current version again (a COMPLETED or SKIPPED one).

        The status moves to QUEUED before the job exists, so a worker never mistakes the new
        job for a redelivery of the finished one; if the enqueue fails the reconciler sends it.
        """
        now = self._clock.now()
        async with self._uow_factory() as uow:
            note = await uow.notes.get(note_id, user_id=user_id)
            status = await uow.statuses.find(note_id, note.version)
            if status is None:  # purged after retention: start the version's record afresh
                await uow.statuses.add(
                    note_id=note_id, version=note.version, user_id=user_id, now=now
                )
            elif status.state in ACTIVE_STATES:
                return NoteRoboView(note=note, status=status)
            elif status.state not in (ProcessingState.COMPLETED, ProcessingState.SKIPPED):
                raise InvalidStatusTransition(status.state, ProcessingState.QUEUED)
            else:
                await uow.statuses.transition(
                    note_id, note.version, ProcessingState.QUEUED, now=now
                )
                await uow.notes.set_robo_fields(note_id, status=ProcessingState.QUEUED)
            await uow.commit()
        await self._enqueue(note)
        return await self.robo_view(user_id=user_id, note_id=note_id)

    async def _enqueue(self, note: NoteData) -> NoteData:
        """Ask the queue for processing; on failure the note stays PENDING for the reconciler."""
        payload = JobPayload(note_id=note.id, version=note.version, user_id=note.user_id)
        try:
            job_id = await self._queue.enqueue(payload)
        except RoboNotesError as exc:
            log.warning(
                "enqueue failed; the reconciler will retry",
                extra={
                    "note_id": note.id,
                    "version": note.version,
                    "error_class": type(exc).__name__,
                },
            )
            return note
        now = self._clock.now()
        async with self._uow_factory() as uow:
            moved = await uow.statuses.transition(
                note.id,
                note.version,
                ProcessingState.QUEUED,
                now=now,
                job_id=job_id,
                expected_state=ProcessingState.PENDING,
            )
            if moved is not None:
                await uow.notes.set_robo_fields(note.id, status=ProcessingState.QUEUED)
            await uow.commit()
        return await self.get(user_id=note.user_id, note_id=note.id)
