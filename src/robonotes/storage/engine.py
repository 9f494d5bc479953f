"""Async engines for SQLite (aiosqlite, WAL) and PostgreSQL (asyncpg), tuned for this app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from robonotes.domain.exceptions import StorageError

SQLITE_BUSY_TIMEOUT_MS = 5_000
PG_POOL_SIZE = 10
PG_MAX_OVERFLOW = 20
PG_POOL_RECYCLE_S = 1_800
PG_COMMAND_TIMEOUT_S = 30.0


def is_sqlite(url: str | URL) -> bool:
    """Whether the URL names a SQLite database."""
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_file(url: str | URL) -> Path | None:
    """The database file of a SQLite URL, or None for an in-memory database."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def normalise_url(url: str) -> str:
    """The URL with its async driver: `postgresql://` gets asyncpg, `sqlite://` aiosqlite.

    StorageError for anything else; the message never repeats the URL, which may hold a
    password.
    """
    try:
        parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    except ArgumentError:
        raise StorageError(
            "the database URL cannot be parsed; use sqlite+aiosqlite:///path/to/file.db"
            " or postgresql+asyncpg://user@host/db"
        ) from None
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    wanted = ASYNC_DRIVERS.get(backend)
    if wanted is None:
        raise StorageError(f"unsupported database {backend!r}: use SQLite or PostgreSQL")
    if parsed.drivername not in (backend, wanted):
        raise StorageError(f"unsupported driver {driver!r} for {backend}: use {wanted}")
    return parsed.set(drivername=wanted).render_as_string(hide_password=False)


def create_engine(url: str, *, schema: str | None = None) -> AsyncEngine:
    """Build the async engine for `url`; `schema` sets PostgreSQL's search_path."""
    url = normalise_url(url)
    if is_sqlite(url):
        return _sqlite_engine(url)
    return _postgres_engine(url, schema=schema)


def _sqlite_engine(url: str) -> AsyncEngine:
    path = sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own implicit BEGIN is switched off so that SQLAlchemy's "begin" event
        # below decides how a transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock at BEGIN: a deferred transaction that reads and then
        # writes can fail at once with SQLITE_BUSY (busy_timeout cannot help), while an
        # IMMEDIATE one waits its turn. WAL readers outside transactions are not blocked.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _postgres_engine(url: str, *, schema: str | None) -> AsyncEngine:
    server_settings = {"application_name": "robonotes"}
    if schema:
        server_settings["search_path"] = schema
    return create_async_engine(
        url,
        pool_size=PG_POOL_SIZE,
        max_overflow=PG_MAX_OVERFLOW,
        pool_pre_ping=True,
        pool_recycle=PG_POOL_RECYCLE_S,
        connect_args={"server_settings": server_settings, "command_timeout": PG_COMMAND_TIMEOUT_S},
    )
