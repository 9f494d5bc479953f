"""Activities, aliases and occurrences on SQLAlchemy Core, upserted under unique constraints."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, delete, exists, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from robonotes.domain.entities import Activity, ActivitySummary, NewOccurrence, Occurrence
from robonotes.domain.exceptions import EntityNotFound
from robonotes.storage.entity_tables import (
    activities,
    activity_aliases,
    activity_occurrences,
    moment_activities,
)
from robonotes.storage.errors import as_utc, as_utc_or_none, translate_errors
from robonotes.storage.repositories.notes import MAX_ID

SORTS = {"count", "name", "last_seen", "total_duration"}


def _insert(connection: AsyncConnection, table: Any) -> Any:
    """An INSERT that knows ON CONFLICT DO NOTHING on both SQLite and PostgreSQL."""
    if connection.dialect.name == "postgresql":
        return pg_insert(table)
    return sqlite_insert(table)


def occurrence_from_row(row: Any) -> Occurrence:
    """An Occurrence from a row of activity_occurrences joined with the activity name."""
    return Occurrence(
        id=row.id,
        activity_id=row.activity_id,
        activity_name=row.name,
        note_id=row.note_id,
        moment_id=row.moment_id,
        occurred_at=as_utc(row.occurred_at),
        evidence=row.evidence,
        surface=row.surface,
        duration_minutes=row.duration_minutes,
        quantity_value=row.quantity_value,
        quantity_unit=row.quantity_unit,
        quantity_text=row.quantity_text,
        object=row.object,
    )


class SqlAlchemyActivityRepository:
    """ActivityRepository over one connection (the unit of work's transaction)."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def _aliases(self, activity_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
        if not activity_ids:
            return {}
        rows = await self._connection.execute(
            select(activity_aliases.c.activity_id, activity_aliases.c.alias)
            .where(activity_aliases.c.activity_id.in_(list(activity_ids)))
            .order_by(activity_aliases.c.id)
        )
        found: dict[int, list[str]] = defaultdict(list)
        for activity_id, alias in rows:
            found[activity_id].append(alias)
        return {key: tuple(value) for key, value in found.items()}

    async def _activities(self, query: Select[Any]) -> list[Activity]:
        rows = (await self._connection.execute(query)).all()
        aliases = await self._aliases([row.id for row in rows])
        return [
            Activity(
                id=row.id,
                user_id=row.user_id,
                name=row.name,
                category=row.category,
                aliases=aliases.get(row.id, ()),
                created_at=as_utc(row.created_at),
            )
            for row in rows
        ]

    @translate_errors
    async def list_for_user(self, *, user_id: int) -> list[Activity]:
        """Every activity of the person, oldest first."""
        return await self._activities(
            select(activities).where(activities.c.user_id == user_id).order_by(activities.c.id)
        )

    @translate_errors
    async def get(self, activity_id: int, *, user_id: int) -> Activity:
        """The person's activity; EntityNotFound when missing or someone else's."""
        if not 0 < activity_id <= MAX_ID:
            raise EntityNotFound("activity", activity_id)
        found = await self._activities(
            select(activities).where(
                activities.c.id == activity_id, activities.c.user_id == user_id
            )
        )
        if not found:
            raise EntityNotFound("activity", activity_id)
        return found[0]

    @translate_errors
    async def upsert(
        self, *, user_id: int, name: str, category: str | None, now: datetime
    ) -> Activity:
        """Insert the activity or, when another transaction already did, return that row."""
        await self._connection.execute(
            _insert(self._connection, activities)
            .values(user_id=user_id, name=name, category=category, created_at=as_utc(now))
            .on_conflict_do_nothing(index_elements=["user_id", "name"])
        )
        found = await self._activities(
            select(activities).where(activities.c.user_id == user_id, activities.c.name == name)
        )
        return found[0]

    @translate_errors
    async def add_alias(self, *, activity_id: int, user_id: int, alias: str) -> None:
        """Learn a surface form; one the person already has for another activity stays there."""
        await self._connection.execute(
            _insert(self._connection, activity_aliases)
            .values(activity_id=activity_id, user_id=user_id, alias=alias[:120])
            .on_conflict_do_nothing(index_elements=["user_id", "alias"])
        )

    @translate_errors
    async def add_occurrence(self, occurrence: NewOccurrence) -> int:
        """Write one time an activity happened."""
        result = await self._connection.execute(
            insert(activity_occurrences)
            .values(
                activity_id=occurrence.activity_id,
                user_id=occurrence.user_id,
                note_id=occurrence.note_id,
                moment_id=occurrence.moment_id,
                occurred_at=as_utc(occurrence.occurred_at),
                evidence=occurrence.evidence,
                surface=(occurrence.surface or "")[:200] or None,
                duration_minutes=occurrence.duration_minutes,
                quantity_value=occurrence.quantity_value,
                quantity_unit=(occurrence.quantity_unit or "")[:40] or None,
                quantity_text=(occurrence.quantity_text or "")[:200] or None,
                object=(occurrence.object or "")[:200] or None,
            )
            .returning(activity_occurrences.c.id)
        )
        return int(result.scalar_one())

    @translate_errors
    async def delete_for_note(self, note_id: int) -> list[int]:
        """Remove the note's occurrences; return the activities they belonged to."""
        result = await self._connection.execute(
            delete(activity_occurrences)
            .where(activity_occurrences.c.note_id == note_id)
            .returning(activity_occurrences.c.activity_id)
        )
        return sorted({row[0] for row in result})

    @translate_errors
    async def prune(self, activity_ids: Sequence[int]) -> int:
        """Delete those of `activity_ids` with no occurrence left (aliases go with them)."""
        if not activity_ids:
            return 0
        has_occurrence = exists().where(activity_occurrences.c.activity_id == activities.c.id)
        result = await self._connection.execute(
            delete(activities).where(activities.c.id.in_(list(activity_ids)), ~has_occurrence)
        )
        return int(result.rowcount or 0)

    def _occurrence_query(self) -> Select[Any]:
        return select(activity_occurrences, activities.c.name).join(
            activities, activities.c.id == activity_occurrences.c.activity_id
        )

    @translate_errors
    async def occurrences_for_note(self, note_id: int) -> list[Occurrence]:
        """The note's occurrences, in the order they were written."""
        rows = await self._connection.execute(
            self._occurrence_query()
            .where(activity_occurrences.c.note_id == note_id)
            .order_by(activity_occurrences.c.id)
        )
        return [occurrence_from_row(row) for row in rows]

    @translate_errors
    async def occurrences(self, activity_id: int, *, limit: int = 200) -> list[Occurrence]:
        """The activity's occurrences, newest first."""
        rows = await self._connection.execute(
            self._occurrence_query()
            .where(activity_occurrences.c.activity_id == activity_id)
            .order_by(activity_occurrences.c.occurred_at.desc(), activity_occurrences.c.id.desc())
            .limit(limit)
        )
        return [occurrence_from_row(row) for row in rows]

    @translate_errors
    async def summaries(
        self,
        *,
        user_id: int,
        sort: str = "count",
        query: str | None = None,
        category: str | None = None,
        activity_id: int | None = None,
        limit: int = 100,
    ) -> list[ActivitySummary]:
        """The person's activities with count, total duration, first and last seen."""
        occ = activity_occurrences
        count = func.count(occ.c.id).label("occurrence_count")
        total = func.coalesce(func.sum(occ.c.duration_minutes), 0.0).label("total_duration")
        first_seen = func.min(occ.c.occurred_at).label("first_seen")
        last_seen = func.max(occ.c.occurred_at).label("last_seen")
        statement = (
            select(activities.c.id, count, total, first_seen, last_seen)
            .select_from(activities.outerjoin(occ, occ.c.activity_id == activities.c.id))
            .where(activities.c.user_id == user_id)
            .group_by(activities.c.id)
        )
        if query:
            # autoescape: a client's % or _ is a character to find, not a wildcard
            folded = query.casefold()
            alias_hit = exists().where(
                and_(
                    activity_aliases.c.activity_id == activities.c.id,
                    activity_aliases.c.alias.contains(folded, autoescape=True),
                )
            )
            statement = statement.where(
                activities.c.name.contains(folded, autoescape=True) | alias_hit
            )
        if category:
            statement = statement.where(activities.c.category == category)
        if activity_id is not None:
            statement = statement.where(activities.c.id == activity_id)
        order = {
            "count": (count.desc(), activities.c.name),
            "name": (activities.c.name,),
            "last_seen": (last_seen.desc(), activities.c.name),
            "total_duration": (total.desc(), activities.c.name),
        }[sort if sort in SORTS else "count"]
        rows = (await self._connection.execute(statement.order_by(*order).limit(limit))).all()
        by_id = {
            activity.id: activity
            for activity in await self._activities(
                select(activities).where(activities.c.id.in_([row.id for row in rows]))
            )
        }
        return [
            ActivitySummary(
                activity=by_id[row.id],
                count=int(row.occurrence_count),
                total_duration_minutes=float(row.total_duration or 0.0),
                first_seen=as_utc_or_none(row.first_seen),
                last_seen=as_utc_or_none(row.last_seen),
            )
            for row in rows
        ]

    @translate_errors
    async def merge(self, *, user_id: int, source_id: int, target_id: int) -> None:
        """Move occurrences, moment links and aliases to the target; the source name turns alias."""
        source = await self.get(source_id, user_id=user_id)
        await self.get(target_id, user_id=user_id)
        connection = self._connection
        await connection.execute(
            update(activity_occurrences)
            .where(activity_occurrences.c.activity_id == source_id)
            .values(activity_id=target_id)
        )
        linked = select(moment_activities.c.moment_id).where(
            moment_activities.c.activity_id == target_id
        )
        await connection.execute(
            update(moment_activities)
            .where(
                moment_activities.c.activity_id == source_id,
                moment_activities.c.moment_id.not_in(linked),
            )
            .values(activity_id=target_id)
        )
        await connection.execute(
            delete(moment_activities).where(moment_activities.c.activity_id == source_id)
        )
        await connection.execute(
            update(activity_aliases)
            .where(activity_aliases.c.activity_id == source_id)
            .values(activity_id=target_id)
        )
        await connection.execute(delete(activities).where(activities.c.id == source_id))
        # A note that told of both is one occurrence of the merged activity, as extraction counts;
        # the one kept carries the note's whole duration, so merging loses no time.
        occ = activity_occurrences
        first_per_note = (
            select(func.min(occ.c.id)).where(occ.c.activity_id == target_id).group_by(occ.c.note_id)
        )
        same_note = occ.alias("same_note")
        note_minutes = (
            select(func.sum(same_note.c.duration_minutes))
            .where(same_note.c.activity_id == target_id, same_note.c.note_id == occ.c.note_id)
            .scalar_subquery()
        )
        await connection.execute(
            update(occ)
            .where(occ.c.activity_id == target_id, occ.c.id.in_(first_per_note))
            .values(duration_minutes=note_minutes)
        )
        await connection.execute(
            delete(occ).where(occ.c.activity_id == target_id, occ.c.id.not_in(first_per_note))
        )
        await self.add_alias(activity_id=target_id, user_id=user_id, alias=source.name)
