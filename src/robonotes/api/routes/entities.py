"""/v1/activities and /v1/moments: what Robo found in the notes, linked into a history."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from robonotes.api.auth import CurrentUser
from robonotes.api.cursor import decode_cursor, encode_cursor
from robonotes.api.deps import get_container
from robonotes.api.jsonbody import read_json_object
from robonotes.api.schemas import NoteOut
from robonotes.bootstrap import Container
from robonotes.domain.entities import ActivitySummary, Moment, MomentFilter, Occurrence

MAX_ID = 2**63 - 1
ContainerDep = Annotated[Container, Depends(get_container)]
EntityId = Annotated[int, Path(ge=1, le=MAX_ID)]
ShortText = Annotated[str, Query(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")]
"""A filter word: no control characters (PostgreSQL refuses NUL in text, so it must not get one)."""


class QuantityOut(BaseModel):
    """An amount as the person wrote it, with its value and unit where known."""

    value: float | None
    unit: str | None
    text: str | None


class OccurrenceOut(BaseModel):
    """One time an activity happened, from one note."""

    id: int
    activity_id: int
    activity: str
    note_id: int
    moment_id: int | None
    occurred_at: datetime
    evidence: str
    surface: str | None
    duration_minutes: float | None
    quantity: QuantityOut | None
    object: str | None

    @classmethod
    def from_occurrence(cls, item: Occurrence) -> OccurrenceOut:
        """The API shape of an occurrence."""
        has_quantity = item.quantity_text or item.quantity_value is not None
        return cls(
            id=item.id,
            activity_id=item.activity_id,
            activity=item.activity_name,
            note_id=item.note_id,
            moment_id=item.moment_id,
            occurred_at=item.occurred_at,
            evidence=item.evidence,
            surface=item.surface,
            duration_minutes=item.duration_minutes,
            quantity=QuantityOut(
                value=item.quantity_value, unit=item.quantity_unit, text=item.quantity_text
            )
            if has_quantity
            else None,
            object=item.object,
        )


class ActivityOut(BaseModel):
    """An activity with its history in figures."""

    id: int
    name: str
    category: str | None
    aliases: list[str]
    count: int
    total_duration_minutes: float
    first_seen: datetime | None
    last_seen: datetime | None

    @classmethod
    def from_summary(cls, summary: ActivitySummary) -> ActivityOut:
        """The API shape of an activity summary."""
        activity = summary.activity
        return cls(
            id=activity.id,
            name=activity.name,
            category=activity.category,
            aliases=list(activity.aliases),
            count=summary.count,
            total_duration_minutes=summary.total_duration_minutes,
            first_seen=summary.first_seen,
            last_seen=summary.last_seen,
        )


class ActivityListOut(BaseModel):
    """The person's activities."""

    items: list[ActivityOut]


class ActivityDetailOut(ActivityOut):
    """An activity with its occurrences, newest first."""

    occurrences: list[OccurrenceOut]


class MergeIn(BaseModel):
    """POST /v1/activities/{id}/merge: fold this activity into `into_id`."""

    model_config = ConfigDict(extra="forbid", strict=True)

    into_id: int = Field(ge=1, le=MAX_ID)


class MomentOut(BaseModel):
    """One specific experience, from one or more notes."""

    id: int
    title: str
    summary: str
    status: str
    start: datetime | None
    end: datetime | None
    part_of_day: str | None
    people: list[str]
    place: str | None
    emotions: list[str]
    valence: float | None
    activities: list[str]
    evidence: str
    note_ids: list[int]

    @classmethod
    def from_moment(cls, moment: Moment) -> MomentOut:
        """The API shape of a moment."""
        return cls(
            id=moment.id,
            title=moment.title,
            summary=moment.summary,
            status=moment.status,
            start=moment.start,
            end=moment.end,
            part_of_day=moment.part_of_day,
            people=list(moment.people),
            place=moment.place,
            emotions=list(moment.emotions),
            valence=moment.valence,
            activities=list(moment.activities),
            evidence=moment.evidence,
            note_ids=list(moment.note_ids),
        )


class MomentPageOut(BaseModel):
    """A page of moments, newest first; pass `next_cursor` back as `cursor`."""

    items: list[MomentOut]
    next_cursor: str | None


class NoteDetailOut(NoteOut):
    """GET /v1/notes/{id}: the note with the moments it tells of and its activity occurrences."""

    moments: list[MomentOut]
    activities: list[OccurrenceOut]


activities_router = APIRouter(prefix="/v1/activities", tags=["activities"])
moments_router = APIRouter(prefix="/v1/moments", tags=["moments"])


@activities_router.get("", response_model=ActivityListOut)
async def list_activities(
    user: CurrentUser,
    container: ContainerDep,
    sort: Literal["count", "name", "last_seen", "total_duration"] = "count",
    q: ShortText | None = None,
    category: ShortText | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ActivityListOut:
    """Activities with count, total duration and last seen; sort and filter by name or category."""
    found = await container.activities.list(
        user_id=user.id, sort=sort, query=q, category=category, limit=limit
    )
    return ActivityListOut(items=[ActivityOut.from_summary(s) for s in found])


@activities_router.get("/{activity_id}", response_model=ActivityDetailOut)
async def get_activity(
    activity_id: EntityId, user: CurrentUser, container: ContainerDep
) -> ActivityDetailOut:
    """One activity with its occurrences; someone else's answers 404."""
    detail = await container.activities.get(user_id=user.id, activity_id=activity_id)
    return ActivityDetailOut(
        **ActivityOut.from_summary(detail.summary).model_dump(),
        occurrences=[OccurrenceOut.from_occurrence(o) for o in detail.occurrences],
    )


@activities_router.post(
    "/{activity_id}/merge",
    response_model=ActivityDetailOut,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": MergeIn.model_json_schema()}},
        }
    },
)
async def merge_activity(
    request: Request, activity_id: EntityId, user: CurrentUser, container: ContainerDep
) -> ActivityDetailOut:
    """Fix a missed duplicate: this activity's occurrences and aliases move to `into_id`."""
    try:
        body = MergeIn.model_validate(await read_json_object(request))
    except ValidationError as exc:
        errors = [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
        raise RequestValidationError(errors) from None
    detail = await container.activities.merge(
        user_id=user.id, source_id=activity_id, target_id=body.into_id
    )
    return ActivityDetailOut(
        **ActivityOut.from_summary(detail.summary).model_dump(),
        occurrences=[OccurrenceOut.from_occurrence(o) for o in detail.occurrences],
    )


@moments_router.get("", response_model=MomentPageOut)
async def list_moments(
    user: CurrentUser,
    container: ContainerDep,
    from_: Annotated[datetime | None, Query(alias="from")] = None,
    to: datetime | None = None,
    activity: ShortText | None = None,
    person: ShortText | None = None,
    place: ShortText | None = None,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> MomentPageOut:
    """The person's moments, newest first, filtered by time, activity, person and place."""
    filters = MomentFilter(
        start_from=from_, start_to=to, activity=activity, person=person, place=place
    )
    after_id = decode_cursor(cursor) if cursor is not None else None
    items, next_id = await container.moments.list(
        user_id=user.id, filters=filters, cursor=after_id, limit=limit
    )
    return MomentPageOut(
        items=[MomentOut.from_moment(m) for m in items],
        next_cursor=encode_cursor(next_id) if next_id is not None else None,
    )


@moments_router.get("/{moment_id}", response_model=MomentOut)
async def get_moment(moment_id: EntityId, user: CurrentUser, container: ContainerDep) -> MomentOut:
    """One moment; someone else's answers 404."""
    return MomentOut.from_moment(await container.moments.get(user_id=user.id, moment_id=moment_id))
