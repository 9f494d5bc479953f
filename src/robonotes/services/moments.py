"""MomentService: a person's moments, filtered by time, activity, person and place.

Moments are written, and merged across notes, by `extraction.LinkingExtractionRecorder` in the
note's own transaction; this service reads them for the API and the CLI.
"""

from __future__ import annotations

import builtins

from robonotes.domain.entities import Moment, MomentFilter
from robonotes.services.ports import UnitOfWorkFactory

MAX_PAGE = 200


class MomentService:
    """Read a person's moments; they are written by the extraction recorder."""

    def __init__(self, *, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def list(
        self,
        *,
        user_id: int,
        filters: MomentFilter | None = None,
        cursor: int | None = None,
        limit: int = 50,
    ) -> tuple[list[Moment], int | None]:
        """A page of moments, newest first, and the cursor of the next page."""
        limit = max(1, min(limit, MAX_PAGE))
        async with self._uow_factory() as uow:
            found = await uow.moments.list(
                user_id=user_id, filters=filters or MomentFilter(), after_id=cursor, limit=limit + 1
            )
        next_cursor = found[limit - 1].id if len(found) > limit else None
        return found[:limit], next_cursor

    async def get(self, *, user_id: int, moment_id: int) -> Moment:
        """The person's moment; EntityNotFound when missing or someone else's."""
        async with self._uow_factory() as uow:
            return await uow.moments.get(moment_id, user_id=user_id)

    async def for_note(self, *, user_id: int, note_id: int) -> builtins.list[Moment]:
        """The moments the note tells of; NoteNotFound when the note is not the user's."""
        async with self._uow_factory() as uow:
            await uow.notes.get(note_id, user_id=user_id)
            return await uow.moments.for_note(note_id)
