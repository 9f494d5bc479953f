"""Migrations and engines: in-package Alembic, schema isolation, SQLite pragmas, the indices."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from robonotes.storage.engine import create_engine
from robonotes.storage.migrate import (
    current_revision,
    downgrade_database,
    head_revision,
    upgrade_database,
)


def test_a_fresh_database_reports_no_revision_then_head(sqlite_url: str) -> None:
    assert current_revision(sqlite_url) is None

    upgrade_database(sqlite_url)
    upgrade_database(sqlite_url)

    assert current_revision(sqlite_url) == head_revision()


async def test_upgrade_works_from_inside_a_running_event_loop(sqlite_url: str) -> None:
    upgrade_database(sqlite_url)

    assert current_revision(sqlite_url) == head_revision()


def test_the_foundation_revision_goes_down_and_up_again(sqlite_url: str) -> None:
    upgrade_database(sqlite_url, revision="0001")
    downgrade_database(sqlite_url, revision="base")
    assert current_revision(sqlite_url) is None

    upgrade_database(sqlite_url, revision="0001")

    assert current_revision(sqlite_url) == "0001"


def test_sqlite_parent_directory_is_created(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'deep' / 'er' / 'db.sqlite'}"

    upgrade_database(url)

    assert (tmp_path / "deep" / "er" / "db.sqlite").exists()


async def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        async with engine.connect() as connection:
            pragmas = {
                name: (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "busy_timeout", "foreign_keys")
            }
    finally:
        await engine.dispose()

    assert pragmas == {"journal_mode": "wal", "busy_timeout": 5000, "foreign_keys": 1}


async def test_postgres_schema_isolates_tables(postgres_url: str, postgres_schema: str) -> None:
    upgrade_database(postgres_url, schema=postgres_schema)
    engine = create_engine(postgres_url, schema=postgres_schema)
    try:
        async with engine.connect() as connection:
            tables = set(
                (
                    await connection.execute(
                        sa.text("SELECT tablename FROM pg_tables WHERE schemaname = :s"),
                        {"s": postgres_schema},
                    )
                ).scalars()
            )
            partial = (
                await connection.execute(
                    sa.text(
                        "SELECT indexdef FROM pg_indexes WHERE schemaname = :s"
                        " AND indexname = 'ix_robo_processing_status_retry_due'"
                    ),
                    {"s": postgres_schema},
                )
            ).scalar_one()
    finally:
        await engine.dispose()

    assert {"users", "api_tokens", "notes", "robo_processing_status", "alembic_version"} <= tables
    assert "RETRY_SCHEDULED" in partial
    assert current_revision(postgres_url, schema=postgres_schema) == head_revision()


async def test_status_indices_exist(database: tuple[str, str | None]) -> None:
    url, schema = database
    engine = create_engine(url, schema=schema)
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(
                lambda sync: {
                    index["name"]
                    for index in sa.inspect(sync).get_indexes("robo_processing_status")
                }
            )
    finally:
        await engine.dispose()

    assert {
        "ix_robo_processing_status_state_updated_at",
        "ix_robo_processing_status_user_id_state",
        "ix_robo_processing_status_retry_due",
    } <= names


async def test_the_migrated_schema_matches_the_table_definitions(
    database: tuple[str, str | None],
) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from robonotes.queue.sql_tables import metadata as queue_metadata
    from robonotes.storage import entity_tables  # noqa: F401  (registers its tables)
    from robonotes.storage.ledger import metadata as ledger_metadata
    from robonotes.storage.tables import metadata as core_metadata

    url, schema = database
    engine = create_engine(url, schema=schema)

    combined = sa.MetaData()
    for metadata in (core_metadata, queue_metadata, ledger_metadata):
        for table in metadata.tables.values():
            table.to_metadata(combined)

    def differences(sync: sa.Connection) -> list[object]:
        context = MigrationContext.configure(sync, opts={"compare_type": True})
        return [
            diff
            for diff in compare_metadata(context, combined)
            if not (diff[0] == "remove_table" and diff[1].name == "alembic_version")
        ]

    try:
        async with engine.connect() as connection:
            found = await connection.run_sync(differences)
    finally:
        await engine.dispose()

    assert found == [], "\n".join(map(repr, found))
