"""RFC 9457 problem details: the one shape of every error response, and the handlers that make it.

Every error the API answers is `application/problem+json` with `type`, `title`, `status`,
`detail` and `instance`. Problem types are tag URIs (RFC 4151): stable identifiers clients can
match on, which need no server to dereference.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from robonotes.domain.exceptions import (
    DomainError,
    EntityNotFound,
    NoteNotFound,
    NoteValidationError,
    QueueUnavailable,
    StorageError,
)

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "tag:robonotes,2026:problems/"
MAX_LISTED_ERRORS = 20
"""A hostile body can break thousands of rules; the first few say enough."""

_SLUG_BY_STATUS = {
    400: "bad-request",
    401: "unauthorized",
    404: "not-found",
    405: "method-not-allowed",
    413: "request-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    500: "internal-error",
    503: "service-unavailable",
}

STORAGE_DOWN_ERRORS: tuple[type[Exception], ...] = (
    StorageError,
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
    ConnectionError,
    TimeoutError,
    OSError,
)
"""Errors meaning the database (or the network to it) is down: 503, try again later."""


MAX_NAME_CHARS = 120


def safe_name(text: str) -> str:
    """A client-sent name fit to quote in a message: ASCII-escaped and cut short."""
    escaped = text.encode("ascii", "backslashreplace").decode("ascii")
    return escaped if len(escaped) <= MAX_NAME_CHARS else escaped[:MAX_NAME_CHARS] + "..."


class ProblemResponse(JSONResponse):
    """JSONResponse as problem+json, rendered as ASCII so no client text can break encoding."""

    media_type = PROBLEM_MEDIA_TYPE

    def render(self, content: Any) -> bytes:
        """Serialise the problem document."""
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


class ProblemError(Exception):
    """Raised anywhere in the API to answer with one problem+json response."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        slug: str | None = None,
        title: str | None = None,
        headers: Mapping[str, str] | None = None,
        extensions: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.slug = slug or _SLUG_BY_STATUS.get(status, "error")
        self.title = title or HTTPStatus(status).phrase
        self.headers = dict(headers or {})
        self.extensions = dict(extensions or {})


class RequestTooLargeError(ProblemError):
    """The body outgrew the limit (declared or while streaming): 413."""

    def __init__(self, limit_bytes: int) -> None:
        super().__init__(413, f"the request body is larger than {limit_bytes} bytes")
        self.limit_bytes = limit_bytes


def problem_body(
    *,
    status: int,
    detail: str,
    instance: str,
    slug: str | None = None,
    title: str | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The problem document as a dict (shared by handlers and the raw ASGI middlewares)."""
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + (slug or _SLUG_BY_STATUS.get(status, "error")),
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    body.update(extensions or {})
    return body


def problem_bytes(*, status: int, detail: str, instance: str, slug: str | None = None) -> bytes:
    """The problem document serialised, for middlewares that answer before any route runs."""
    document = problem_body(status=status, detail=detail, instance=instance, slug=slug)
    return json.dumps(document, ensure_ascii=True).encode("ascii")


def problem_response(
    request: Request,
    *,
    status: int,
    detail: str,
    slug: str | None = None,
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> JSONResponse:
    """A problem+json response whose `instance` is the request's path."""
    return ProblemResponse(
        problem_body(
            status=status,
            detail=detail,
            instance=request.url.path,
            slug=slug,
            title=title,
            extensions=extensions,
        ),
        status_code=status,
        headers=dict(headers or {}),
    )


def field_errors(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Pydantic errors as `{field, message}` pairs, without echoing the (maybe huge) input."""
    listed = []
    for error in errors[:MAX_LISTED_ERRORS]:
        location = [safe_name(str(part)) for part in error.get("loc", ())]
        if len(location) > 1 and location[0] == "body":
            location = location[1:]  # a field of the JSON body: name it as the client wrote it
        message = safe_name(str(error.get("msg")))
        listed.append({"field": ".".join(location) or "(body)", "message": message})
    return listed


def validation_problem(request: Request, errors: Sequence[Mapping[str, Any]]) -> JSONResponse:
    """422 naming every field that broke a rule."""
    listed = field_errors(errors)
    names = ", ".join(dict.fromkeys(item["field"] for item in listed))
    return problem_response(
        request,
        status=422,
        detail=f"the request is not valid: check {names}",
        extensions={"errors": listed},
    )


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(
        request,
        status=exc.status,
        detail=exc.detail,
        slug=exc.slug,
        title=exc.title,
        headers=exc.headers,
        extensions=exc.extensions,
    )


async def _on_request_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return validation_problem(request, list(exc.errors()))


async def _on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"there is no resource at {safe_name(request.url.path)}"
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        detail = f"{safe_name(request.method)} is not allowed on {safe_name(request.url.path)}"
        headers["Allow"] = ", ".join(_allowed_methods(request))
    return problem_response(request, status=exc.status_code, detail=detail, headers=headers)


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette names only the first route's)."""
    methods: set[str] = set()
    probe = {**request.scope, "method": "GET"}
    pending: list[Any] = list(request.app.router.routes)
    while pending:
        route = pending.pop()
        # Included routers nest (FastAPI keeps the router it included as `original_router`).
        nested = getattr(route, "original_router", None) or route
        children = getattr(nested, "routes", None)
        if children is not None and nested is not request.app.router:
            pending.extend(children)
            continue
        match, _ = route.matches(probe)
        if match is not Match.NONE:
            methods.update(getattr(route, "methods", None) or ())
    return sorted(methods)


async def _on_note_not_found(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NoteNotFound)
    return problem_response(request, status=404, detail=str(exc), slug="note-not-found")


async def _on_entity_not_found(request: Request, exc: Exception) -> JSONResponse:
    # Someone else's activity or moment answers exactly like a missing one.
    assert isinstance(exc, EntityNotFound)
    return problem_response(request, status=404, detail=str(exc), slug="not-found")


async def _on_note_invalid(request: Request, exc: Exception) -> JSONResponse:
    return problem_response(request, status=422, detail=str(exc))


async def _on_domain_error(request: Request, exc: Exception) -> JSONResponse:
    # A domain rule the request broke that has no more specific mapping, e.g. an illegal move.
    return problem_response(request, status=409, detail=str(exc), slug="conflict")


async def _on_storage_down(request: Request, exc: Exception) -> JSONResponse:
    log.error(
        "storage unavailable",
        extra={"path": request.url.path, "error_class": type(exc).__name__},
    )
    return problem_response(
        request,
        status=503,
        detail="the database is unavailable; try again shortly",
        headers={"Retry-After": "5"},
    )


async def _on_queue_down(request: Request, exc: Exception) -> JSONResponse:
    log.error("queue unavailable", extra={"path": request.url.path})
    return problem_response(
        request,
        status=503,
        detail="the processing queue is unavailable; try again shortly",
        headers={"Retry-After": "5"},
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Map every expected error to its problem+json status; the rest is CatchAllMiddleware's."""
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_request_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(NoteNotFound, _on_note_not_found)
    app.add_exception_handler(EntityNotFound, _on_entity_not_found)
    app.add_exception_handler(NoteValidationError, _on_note_invalid)
    app.add_exception_handler(DomainError, _on_domain_error)
    app.add_exception_handler(QueueUnavailable, _on_queue_down)
    for error_type in STORAGE_DOWN_ERRORS:
        app.add_exception_handler(error_type, _on_storage_down)
