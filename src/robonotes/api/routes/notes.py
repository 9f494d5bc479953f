"""/v1/notes: create, list, read, edit and delete a person's notes, and see Robo's progress."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from robonotes.api.auth import CurrentUser
from robonotes.api.cursor import decode_cursor, encode_cursor
from robonotes.api.deps import get_container
from robonotes.api.jsonbody import read_json_object
from robonotes.api.problems import PROBLEM_MEDIA_TYPE, ProblemError
from robonotes.api.routes.entities import MomentOut, NoteDetailOut, OccurrenceOut
from robonotes.api.schemas import (
    NoteCreate,
    NoteOut,
    NotePageOut,
    NotePatch,
    Problem,
    RoboStatusOut,
)
from robonotes.bootstrap import Container
from robonotes.domain.exceptions import InvalidStatusTransition

MAX_NOTE_ID = 2**63 - 1
"""Ids are 64-bit in every database; a larger one cannot exist and must not reach a driver."""
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200

ContainerDep = Annotated[Container, Depends(get_container)]
NoteId = Annotated[int, Path(ge=1, le=MAX_NOTE_ID, description="The note's id.")]


def _problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    content = {PROBLEM_MEDIA_TYPE: {"schema": Problem.model_json_schema()}}
    return {status: {"description": "problem details", "content": content} for status in statuses}


def _json_body_doc(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema()
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


M = TypeVar("M", bound=BaseModel)


def _validated(model: type[M], data: dict[str, Any]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
        raise RequestValidationError(errors) from None


router = APIRouter(prefix="/v1/notes", tags=["notes"])


@router.post(
    "",
    status_code=201,
    response_model=NoteOut,
    openapi_extra=_json_body_doc(NoteCreate),
    responses=_problem_responses(400, 401, 413, 415, 422, 503),
)
async def create_note(
    request: Request, response: Response, user: CurrentUser, container: ContainerDep
) -> NoteOut:
    """Save a note at once; Robo reads it later, so this never waits on the LLM or the queue."""
    payload = _validated(NoteCreate, await read_json_object(request))
    note = await container.notes.create(user_id=user.id, title=payload.title, body=payload.body)
    response.headers["Location"] = f"/v1/notes/{note.id}"
    return NoteOut.from_note(note)


@router.get("", response_model=NotePageOut, responses=_problem_responses(400, 401, 422, 503))
async def list_notes(
    user: CurrentUser,
    container: ContainerDep,
    cursor: Annotated[
        str | None, Query(description="`next_cursor` of the previous page, as given.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
) -> NotePageOut:
    """The person's notes, newest first, `limit` at a time."""
    after_id = decode_cursor(cursor) if cursor is not None else None
    page = await container.notes.list(user_id=user.id, cursor=after_id, limit=limit)
    next_cursor = encode_cursor(page.next_cursor) if page.next_cursor is not None else None
    return NotePageOut(items=[NoteOut.from_note(n) for n in page.items], next_cursor=next_cursor)


@router.get(
    "/{note_id}", response_model=NoteDetailOut, responses=_problem_responses(401, 404, 422, 503)
)
async def get_note(note_id: NoteId, user: CurrentUser, container: ContainerDep) -> NoteDetailOut:
    """One of the person's notes with its moments and activities; someone else's answers 404."""
    note = await container.notes.get(user_id=user.id, note_id=note_id)
    moments = await container.moments.for_note(user_id=user.id, note_id=note_id)
    occurrences = await container.activities.for_note(user_id=user.id, note_id=note_id)
    return NoteDetailOut(
        **NoteOut.from_note(note).model_dump(),
        moments=[MomentOut.from_moment(m) for m in moments],
        activities=[OccurrenceOut.from_occurrence(o) for o in occurrences],
    )


@router.patch(
    "/{note_id}",
    response_model=NoteOut,
    openapi_extra=_json_body_doc(NotePatch),
    responses=_problem_responses(400, 401, 404, 413, 415, 422, 503),
)
async def update_note(
    request: Request, note_id: NoteId, user: CurrentUser, container: ContainerDep
) -> NoteOut:
    """Change the title and/or body; a real change makes a new version for Robo to read."""
    patch = _validated(NotePatch, await read_json_object(request))
    if not patch.model_fields_set:
        raise RequestValidationError(
            [{"loc": ("body",), "msg": "send at least one of title and body", "type": "missing"}]
        )
    if "body" in patch.model_fields_set and patch.body is None:
        raise RequestValidationError(
            [{"loc": ("body", "body"), "msg": "body cannot be null", "type": "string_type"}]
        )
    clear_title = "title" in patch.model_fields_set and patch.title is None
    note = await container.notes.update(
        user_id=user.id,
        note_id=note_id,
        title=patch.title,
        body=patch.body,
        clear_title=clear_title,
    )
    return NoteOut.from_note(note)


@router.delete("/{note_id}", status_code=204, responses=_problem_responses(401, 404, 422, 503))
async def delete_note(note_id: NoteId, user: CurrentUser, container: ContainerDep) -> Response:
    """Delete the note (soft) and cancel whatever Robo processing it still had."""
    await container.notes.delete(user_id=user.id, note_id=note_id)
    return Response(status_code=204)


@router.get(
    "/{note_id}/robo",
    response_model=RoboStatusOut,
    responses=_problem_responses(401, 404, 422, 503),
)
async def get_robo_status(
    note_id: NoteId, user: CurrentUser, container: ContainerDep
) -> RoboStatusOut:
    """Robo's status for the note's current version: state, attempts, last error."""
    view = await container.notes.robo_view(user_id=user.id, note_id=note_id)
    return RoboStatusOut.from_view(view.note, view.status)


@router.post(
    "/{note_id}/reprocess",
    status_code=202,
    response_model=RoboStatusOut,
    responses=_problem_responses(401, 404, 409, 422, 503),
)
async def reprocess_note(
    note_id: NoteId, user: CurrentUser, container: ContainerDep
) -> RoboStatusOut:
    """Ask Robo to read the current version again; a FAILED note needs a DLQ replay (409)."""
    try:
        view = await container.notes.reprocess(user_id=user.id, note_id=note_id)
    except InvalidStatusTransition as exc:
        raise ProblemError(
            409,
            f"Robo cannot reprocess a note whose processing is {exc.from_state}; "
            "a FAILED note is replayed from the dead-letter queue (robonotes dlq replay)",
            slug="reprocess-conflict",
        ) from None
    return RoboStatusOut.from_view(view.note, view.status)
