"""The robo_calls ledger on SQLite and PostgreSQL: one row per attempt, each batch committed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from robonotes.domain.exceptions import StorageError
from robonotes.domain.results import CallOutcome, RoboCall, TokenUsage
from robonotes.storage.engine import create_engine
from robonotes.storage.ledger import SqlAlchemyRoboCallLedger

STARTED = datetime(2026, 3, 14, 19, 30, tzinfo=UTC)


def _call(attempt: int, outcome: CallOutcome, **fields: object) -> RoboCall:
    return RoboCall(
        provider="openai",
        model=str(fields.pop("model", "gpt-test")),
        purpose="extract",
        attempt=attempt,
        outcome=outcome,
        usage=TokenUsage(
            prompt_tokens=1200, cached_tokens=1024, completion_tokens=80, reasoning_tokens=16
        ),
        latency_ms=812.5,
        started_at=STARTED,
        request_id=fields.pop("request_id", f"req_{attempt}"),  # type: ignore[arg-type]
        error_class=fields.pop("error_class", None),  # type: ignore[arg-type]
        note_id=fields.pop("note_id", 7),  # type: ignore[arg-type]
        user_id=fields.pop("user_id", 3),  # type: ignore[arg-type]
        note_version=2,
    )


async def test_each_attempt_becomes_one_row_with_its_tokens(
    database: tuple[str, str | None],
) -> None:
    url, schema = database
    engine = create_engine(url, schema=schema)
    ledger = SqlAlchemyRoboCallLedger(engine)
    calls = [
        _call(1, CallOutcome.RETRIED, error_class="RoboUnavailable", request_id=None),
        _call(2, CallOutcome.OK),
    ]
    try:
        await ledger.append(calls)
        await ledger.append([_call(1, CallOutcome.FAILED, note_id=8, error_class="RoboAuthError")])
        await ledger.append([])

        rows = await ledger.list(note_id=7)
        everything = await ledger.list(user_id=3)
    finally:
        await engine.dispose()

    assert rows == calls
    assert len(everything) == 3
    assert everything[2].note_id == 8
    assert everything[2].error_class == "RoboAuthError"


async def test_appended_rows_are_committed_and_visible_to_another_engine(
    database: tuple[str, str | None],
) -> None:
    url, schema = database
    writer = create_engine(url, schema=schema)
    reader = create_engine(url, schema=schema)
    try:
        await SqlAlchemyRoboCallLedger(writer).append([_call(1, CallOutcome.OK)])
        rows = await SqlAlchemyRoboCallLedger(reader).list()
    finally:
        await writer.dispose()
        await reader.dispose()

    assert [row.request_id for row in rows] == ["req_1"]


async def test_hostile_provider_strings_are_clipped_not_fatal(
    database: tuple[str, str | None],
) -> None:
    url, schema = database
    engine = create_engine(url, schema=schema)
    ledger = SqlAlchemyRoboCallLedger(engine)
    try:
        await ledger.append(
            [_call(1, CallOutcome.OK, model="m" * 5000, request_id="r" * 5000, note_id=None)]
        )
        [row] = await ledger.list()
    finally:
        await engine.dispose()

    assert len(row.model) == 200
    assert row.request_id is not None
    assert len(row.request_id) == 200
    assert row.note_id is None


async def test_an_unmigrated_database_raises_storage_error(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        with pytest.raises(StorageError):
            await SqlAlchemyRoboCallLedger(engine).append([_call(1, CallOutcome.OK)])
    finally:
        await engine.dispose()
