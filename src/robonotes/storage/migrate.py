"""Run the Alembic migrations shipped in the package (`robonotes db upgrade`, the demo, tests)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from robonotes.domain.exceptions import StorageError
from robonotes.storage.engine import create_engine


def alembic_config(url: str, *, schema: str | None = None) -> Config:
    """The Alembic config of the package, aimed at `url` (and `schema` on PostgreSQL)."""
    ini = Path(str(resources.files("robonotes.storage") / "alembic.ini"))
    config = Config(str(ini))
    config.attributes["url"] = url
    config.attributes["schema"] = schema
    return config


def _off_the_loop(function: Any, *args: Any) -> Any:
    """Call `function` here, or in a worker thread when an event loop already runs here.

    env.py uses asyncio.run(), which refuses to start inside a running loop.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="alembic") as pool:
        return pool.submit(function, *args).result()


def upgrade_database(url: str, *, schema: str | None = None, revision: str = "head") -> None:
    """Bring the database at `url` up to `revision` (default: the newest)."""
    try:
        _off_the_loop(command.upgrade, alembic_config(url, schema=schema), revision)
    except (SQLAlchemyError, OSError) as exc:
        original = getattr(exc, "orig", None) or exc
        raise StorageError(
            f"cannot migrate the database: {type(original).__name__}: {original}"
        ) from exc


def downgrade_database(url: str, *, schema: str | None = None, revision: str = "base") -> None:
    """Revert the database at `url` down to `revision` (default: empty)."""
    _off_the_loop(command.downgrade, alembic_config(url, schema=schema), revision)


def _read_revision(connection: Connection, schema: str | None) -> str | None:
    context = MigrationContext.configure(connection, opts={"version_table_schema": schema})
    return context.get_current_revision()


async def _current_revision(url: str, schema: str | None) -> str | None:
    engine = create_engine(url, schema=schema)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_read_revision, schema)
    finally:
        await engine.dispose()


def current_revision(url: str, *, schema: str | None = None) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    result: str | None = _off_the_loop(asyncio.run, _current_revision(url, schema))
    return result


def head_revision() -> str | None:
    """The newest revision shipped in the package."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return script.get_current_head()
