"""The migration 0003 and queue/sql_tables.py describe the same tables, and 0003 can be undone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from robonotes.queue.sql_tables import metadata
from robonotes.storage.migrate import downgrade_database, upgrade_database


def _describe(url: str) -> dict[str, Any]:
    engine = sa.create_engine(url.replace("+aiosqlite", ""))
    try:
        inspector = sa.inspect(engine)
        names = set(inspector.get_table_names())
        return {
            table: {
                "columns": sorted(c["name"] for c in inspector.get_columns(table)),
                "indexes": sorted(i["name"] for i in inspector.get_indexes(table)),
            }
            for table in ("queue_jobs", "queue_workers")
            if table in names
        }
    finally:
        engine.dispose()


def test_migration_creates_exactly_the_tables_the_queue_uses(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'schema.db'}"
    upgrade_database(url)

    described = _describe(url)

    for table in metadata.sorted_tables:
        assert described[table.name]["columns"] == sorted(c.name for c in table.columns)
        expected_indexes = sorted(str(i.name) for i in table.indexes)
        assert described[table.name]["indexes"] == expected_indexes


def test_downgrading_below_0003_drops_the_queue_tables(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'schema.db'}"
    upgrade_database(url)

    downgrade_database(url, revision="0002")

    assert _describe(url) == {}
    upgrade_database(url)
    assert set(_describe(url)) == {"queue_jobs", "queue_workers"}
