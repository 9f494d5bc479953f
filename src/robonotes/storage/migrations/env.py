"""Alembic environment: runs migrations on an async engine (asyncpg or aiosqlite) in one schema."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from robonotes.storage.engine import create_engine, is_sqlite

config = context.config


def _target() -> tuple[str, str | None]:
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL given to Alembic (use robonotes db upgrade)")
    return str(url), config.attributes.get("schema")


def _run(connection: Connection, schema: str | None) -> None:
    context.configure(
        connection=connection,
        target_metadata=None,
        version_table_schema=schema,
        # SQLite cannot ALTER most things in place; batch mode copies the table instead.
        render_as_batch=is_sqlite(str(connection.engine.url)),
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str, schema: str | None) -> None:
    engine = create_engine(url, schema=schema)
    try:
        async with engine.connect() as connection:
            if schema and not is_sqlite(url):
                await connection.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
                await connection.commit()
            await connection.run_sync(_run, schema)
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    """Run every pending migration against the configured database."""
    url, schema = _target()
    asyncio.run(_run_async(url, schema))


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported; run them online")
run_migrations_online()
