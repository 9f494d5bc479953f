"""Moments on SQLAlchemy Core, with the notes that tell of them and their activities."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, exists, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from robonotes.domain.entities import Moment, MomentFilter, NewMoment
from robonotes.domain.exceptions import EntityNotFound
from robonotes.storage.entity_tables import (
    activities,
    activity_aliases,
    moment_activities,
    moment_notes,
    moments,
)
from robonotes.storage.errors import as_utc, as_utc_or_none, translate_errors
from robonotes.storage.repositories.notes import MAX_ID


def people_key(people: Sequence[str]) -> str:
    """People folded into one searchable string, "|sam|ana|": a LIKE works on every database."""
    return "|" + "".join(f"{person.casefold().replace('|', ' ')}|" for person in people)


class SqlAlchemyMomentRepository:
    """MomentRepository over one connection (the unit of work's transaction)."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def _moments(self, query: Select[Any]) -> list[Moment]:
        rows = (await self._connection.execute(query)).all()
        ids = [row.id for row in rows]
        names: dict[int, list[str]] = defaultdict(list)
        notes: dict[int, list[int]] = defaultdict(list)
        if ids:
            for moment_id, name in await self._connection.execute(
                select(moment_activities.c.moment_id, activities.c.name)
                .join(activities, activities.c.id == moment_activities.c.activity_id)
                .where(moment_activities.c.moment_id.in_(ids))
                .order_by(activities.c.name)
            ):
                names[moment_id].append(name)
            for moment_id, note_id in await self._connection.execute(
                select(moment_notes.c.moment_id, moment_notes.c.note_id)
                .where(moment_notes.c.moment_id.in_(ids))
                .order_by(moment_notes.c.note_id)
            ):
                notes[moment_id].append(note_id)
        return [
            Moment(
                id=row.id,
                user_id=row.user_id,
                source_note_id=row.source_note_id,
                title=row.title,
                summary=row.summary,
                status=row.status,
                evidence=row.evidence,
                start=as_utc_or_none(row.start_at),
                end=as_utc_or_none(row.end_at),
                part_of_day=row.part_of_day,
                people=tuple(row.people or ()),
                place=row.place,
                emotions=tuple(row.emotions or ()),
                valence=row.valence,
                activities=tuple(names.get(row.id, ())),
                note_ids=tuple(notes.get(row.id, ())),
                created_at=as_utc(row.created_at),
            )
            for row in rows
        ]

    async def _link(self, moment_id: int, activity_ids: Sequence[int]) -> None:
        present = set(
            (
                await self._connection.execute(
                    select(moment_activities.c.activity_id).where(
                        moment_activities.c.moment_id == moment_id
                    )
                )
            ).scalars()
        )
        missing = [aid for aid in dict.fromkeys(activity_ids) if aid not in present]
        if missing:
            await self._connection.execute(
                insert(moment_activities),
                [{"moment_id": moment_id, "activity_id": aid} for aid in missing],
            )

    @translate_errors
    async def add(self, moment: NewMoment, *, activity_ids: Sequence[int], now: datetime) -> int:
        """Write a new moment told of by its source note, linked to its activities."""
        result = await self._connection.execute(
            insert(moments)
            .values(
                user_id=moment.user_id,
                source_note_id=moment.source_note_id,
                title=moment.title[:200],
                summary=moment.summary,
                status=moment.status,
                evidence=moment.evidence,
                start_at=as_utc_or_none(moment.start),
                end_at=as_utc_or_none(moment.end),
                part_of_day=moment.part_of_day,
                people=list(moment.people),
                people_key=people_key(moment.people),
                place=(moment.place or "")[:200] or None,
                emotions=list(moment.emotions),
                valence=moment.valence,
                created_at=as_utc(now),
            )
            .returning(moments.c.id)
        )
        moment_id = int(result.scalar_one())
        await self._connection.execute(
            insert(moment_notes).values(
                moment_id=moment_id, note_id=moment.source_note_id, evidence=moment.evidence
            )
        )
        await self._link(moment_id, activity_ids)
        return moment_id

    @translate_errors
    async def attach(
        self, moment_id: int, *, note_id: int, evidence: str, activity_ids: Sequence[int]
    ) -> None:
        """Record that another note tells of an existing moment."""
        already = await self._connection.execute(
            select(moment_notes.c.note_id).where(
                moment_notes.c.moment_id == moment_id, moment_notes.c.note_id == note_id
            )
        )
        if already.first() is None:
            await self._connection.execute(
                insert(moment_notes).values(moment_id=moment_id, note_id=note_id, evidence=evidence)
            )
        await self._link(moment_id, activity_ids)

    @translate_errors
    async def delete_for_note(self, note_id: int) -> None:
        """Remove the note's part of every moment, and moments no note tells of any more."""
        told = (
            await self._connection.execute(
                delete(moment_notes)
                .where(moment_notes.c.note_id == note_id)
                .returning(moment_notes.c.moment_id)
            )
        ).scalars()
        touched = sorted(set(told))
        if not touched:
            return
        still_told = exists().where(moment_notes.c.moment_id == moments.c.id)
        await self._connection.execute(
            delete(moments).where(moments.c.id.in_(touched), ~still_told)
        )
        # A moment that other notes still tell of keeps living under its oldest remaining note.
        oldest = (
            select(func.min(moment_notes.c.note_id))
            .where(moment_notes.c.moment_id == moments.c.id)
            .scalar_subquery()
        )
        await self._connection.execute(
            update(moments)
            .where(moments.c.id.in_(touched), moments.c.source_note_id == note_id)
            .values(source_note_id=oldest)
        )

    @translate_errors
    async def in_window(
        self, *, user_id: int, start_from: datetime, start_to: datetime, limit: int = 50
    ) -> list[Moment]:
        """Happened moments whose start lies in [start_from, start_to), newest first by id."""
        return await self._moments(
            select(moments)
            .where(
                moments.c.user_id == user_id,
                moments.c.status == "happened",
                moments.c.start_at >= as_utc(start_from),
                moments.c.start_at < as_utc(start_to),
            )
            .order_by(moments.c.id.desc())
            .limit(limit)
        )

    @translate_errors
    async def recent(self, *, user_id: int, limit: int) -> list[Moment]:
        """The person's newest moments."""
        return await self._moments(
            select(moments)
            .where(moments.c.user_id == user_id)
            .order_by(moments.c.start_at.desc(), moments.c.id.desc())
            .limit(limit)
        )

    @translate_errors
    async def get(self, moment_id: int, *, user_id: int) -> Moment:
        """The person's moment; EntityNotFound when missing or someone else's."""
        if not 0 < moment_id <= MAX_ID:
            raise EntityNotFound("moment", moment_id)
        found = await self._moments(
            select(moments).where(moments.c.id == moment_id, moments.c.user_id == user_id)
        )
        if not found:
            raise EntityNotFound("moment", moment_id)
        return found[0]

    @translate_errors
    async def for_note(self, note_id: int) -> list[Moment]:
        """Moments the note tells of."""
        return await self._moments(
            select(moments)
            .where(
                exists().where(
                    moment_notes.c.moment_id == moments.c.id, moment_notes.c.note_id == note_id
                )
            )
            .order_by(moments.c.id)
        )

    @translate_errors
    async def list(
        self, *, user_id: int, filters: MomentFilter, after_id: int | None = None, limit: int = 50
    ) -> list[Moment]:
        """The person's moments, newest first by id, filtered."""
        query = select(moments).where(moments.c.user_id == user_id)
        if after_id is not None:
            query = query.where(moments.c.id < after_id)
        if filters.start_from is not None:
            query = query.where(moments.c.start_at >= as_utc(filters.start_from))
        if filters.start_to is not None:
            query = query.where(moments.c.start_at <= as_utc(filters.start_to))
        if filters.place:
            query = query.where(
                func.lower(moments.c.place).contains(filters.place.casefold(), autoescape=True)
            )
        if filters.activity:
            # By the activity's name or any name it was written as ("jogging" finds running).
            wanted = " ".join(filters.activity.casefold().split())
            aliased = select(activity_aliases.c.activity_id).where(
                activity_aliases.c.user_id == user_id, activity_aliases.c.alias == wanted
            )
            query = query.where(
                exists().where(
                    moment_activities.c.moment_id == moments.c.id,
                    moment_activities.c.activity_id == activities.c.id,
                    or_(activities.c.name == wanted, activities.c.id.in_(aliased)),
                )
            )
        if filters.person:
            escaped = filters.person.casefold().replace("|", " ")
            query = query.where(moments.c.people_key.contains(f"|{escaped}|", autoescape=True))
        return await self._moments(query.order_by(moments.c.id.desc()).limit(limit))
