"""ActivityService: a person's activities with their history, and merging missed duplicates.

Activities are created and linked while a note's extraction is recorded, inside that note's
transaction under its fencing token: that is `extraction.LinkingExtractionRecorder` with the
resolver of `linking.py`. This service is what people (the API, the CLI) do with them after.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass

from robonotes.domain.entities import ActivitySummary, Occurrence
from robonotes.domain.exceptions import NoteValidationError
from robonotes.services.ports import UnitOfWorkFactory

MAX_LIST = 500
MAX_OCCURRENCES = 500


@dataclass(frozen=True, slots=True)
class ActivityDetail:
    """One activity with its figures and its occurrences, newest first."""

    summary: ActivitySummary
    occurrences: list[Occurrence]


class ActivityService:
    """Read a person's activities and let them merge two that are one."""

    def __init__(self, *, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def list(
        self,
        *,
        user_id: int,
        sort: str = "count",
        query: str | None = None,
        category: str | None = None,
        limit: int = 100,
    ) -> list[ActivitySummary]:
        """Activities with count, total duration and last seen, sorted and filtered."""
        async with self._uow_factory() as uow:
            return await uow.activities.summaries(
                user_id=user_id,
                sort=sort,
                query=query,
                category=category,
                limit=max(1, min(limit, MAX_LIST)),
            )

    async def get(self, *, user_id: int, activity_id: int) -> ActivityDetail:
        """The activity with its occurrences; EntityNotFound when missing or someone else's."""
        async with self._uow_factory() as uow:
            activity = await uow.activities.get(activity_id, user_id=user_id)
            summaries = await uow.activities.summaries(user_id=user_id, activity_id=activity.id)
            occurrences = await uow.activities.occurrences(activity.id, limit=MAX_OCCURRENCES)
        return ActivityDetail(summary=summaries[0], occurrences=occurrences)

    async def for_note(self, *, user_id: int, note_id: int) -> builtins.list[Occurrence]:
        """The note's occurrences with their activity names; NoteNotFound when not the user's."""
        async with self._uow_factory() as uow:
            await uow.notes.get(note_id, user_id=user_id)
            return await uow.activities.occurrences_for_note(note_id)

    async def merge(self, *, user_id: int, source_id: int, target_id: int) -> ActivityDetail:
        """Fold `source_id` into `target_id`: occurrences and aliases move, the source goes."""
        if source_id == target_id:
            raise NoteValidationError("an activity cannot be merged into itself")
        async with self._uow_factory() as uow:
            await uow.activities.merge(user_id=user_id, source_id=source_id, target_id=target_id)
            await uow.commit()
        return await self.get(user_id=user_id, activity_id=target_id)
