"""Translate SQLAlchemy and driver errors into the project's tree at the repository boundary."""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

from sqlalchemy.exc import SQLAlchemyError

from robonotes.domain.exceptions import StorageError

P = ParamSpec("P")
T = TypeVar("T")


def storage_error(exc: BaseException) -> StorageError:
    """A StorageError naming the failure without echoing SQL parameters (they hold note text)."""
    original = getattr(exc, "orig", None) or exc
    detail = str(original).splitlines()[0] if str(original) else ""
    return StorageError(f"database error: {type(original).__name__}: {detail}"[:500])


def translate_errors(
    function: Callable[P, Coroutine[Any, Any, T]],
) -> Callable[P, Coroutine[Any, Any, T]]:
    """Decorate a repository coroutine so no SQLAlchemy, driver or socket error escapes it."""

    @functools.wraps(function)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await function(*args, **kwargs)
        except (SQLAlchemyError, OSError, UnicodeError) as exc:
            # UnicodeError: text the driver cannot encode (lone surrogates) reached it.
            raise storage_error(exc) from exc

    return wrapper


def as_utc(value: datetime) -> datetime:
    """UTC-aware `value`: SQLite returns naive datetimes (stored as UTC), PostgreSQL aware ones."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def as_utc_or_none(value: datetime | None) -> datetime | None:
    """`as_utc` that lets None through."""
    return None if value is None else as_utc(value)
