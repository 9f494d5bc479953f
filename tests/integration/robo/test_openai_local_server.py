"""OpenAIService over real HTTP against the project's dev server: every fault kind, retries, ledger.

Acceptance of issue 3: each fault maps to its documented class, only transient faults are
retried (counted by the server), and the ledger gets one row per HTTP attempt with its tokens.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from robonotes.devserver.control import LocalOpenAI
from robonotes.domain.context import CandidateActivity, ExtractionContext
from robonotes.domain.exceptions import (
    RoboAuthError,
    RoboBadRequest,
    RoboContentRejected,
    RoboError,
    RoboInvalidResponse,
    RoboOutputTruncated,
    RoboRateLimited,
    RoboTimeout,
    RoboUnavailable,
)
from robonotes.domain.notes import NoteData, content_hash
from robonotes.domain.results import CallOutcome, RoboCall
from robonotes.robo.openai_service import OpenAIService
from robonotes.robo.prompts import PROMPT_VERSION
from robonotes.robo.rate_limit import InProcessRateLimiter
from robonotes.storage.engine import create_engine
from robonotes.storage.ledger import SqlAlchemyRoboCallLedger
from robonotes.storage.migrate import upgrade_database

NOTE_TIME = datetime(2026, 3, 14, 19, 30, tzinfo=UTC)
BODY = "Ran 5 km with Sam along the river this morning, felt great. Then read two chapters of Dune."


def _note(body: str = BODY) -> NoteData:
    return NoteData(
        id=41,
        user_id=5,
        title=None,
        body=body,
        version=3,
        content_hash=content_hash(None, body),
        created_at=NOTE_TIME,
        updated_at=NOTE_TIME,
    )


CONTEXT = ExtractionContext(
    created_at=NOTE_TIME, activities=(CandidateActivity(idx=0, name="running"),)
)


@pytest.fixture(scope="module")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test gets a copy (migrating per test costs seconds)."""
    path = tmp_path_factory.mktemp("ledger") / "template.db"
    upgrade_database(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
async def ledger(
    migrated_template: Path, tmp_path: Path
) -> AsyncIterator[SqlAlchemyRoboCallLedger]:
    path = tmp_path / "ledger.db"
    shutil.copyfile(migrated_template, path)
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    yield SqlAlchemyRoboCallLedger(engine)
    await engine.dispose()


def _service(server: LocalOpenAI, **overrides: Any) -> OpenAIService:
    options: dict[str, Any] = {
        "api_key": "sk-devserver",
        "model": "gpt-4o-mini",
        "base_url": server.base_url,
        "timeout_s": 5.0,
        "connect_timeout_s": 0.5,
        "quick_retry_min_s": 0.01,
        "quick_retry_max_s": 0.05,
        "rate_limiter": InProcessRateLimiter(10_000, 10_000_000),
    }
    options.update(overrides)
    return OpenAIService(**options)


async def _run(server: LocalOpenAI, **overrides: Any) -> tuple[Any, tuple[RoboCall, ...]]:
    service = _service(server, **overrides)
    try:
        result = await service.extract(_note(), CONTEXT)
    except RoboError as error:
        return error, error.calls
    finally:
        await service.aclose()
    return result, result.calls


async def test_plausible_extraction_over_real_http(
    local_openai: LocalOpenAI, ledger: SqlAlchemyRoboCallLedger
) -> None:
    result, calls = await _run(local_openai)
    await ledger.append(calls)

    assert result.prompt_version == PROMPT_VERSION
    assert result.activities, "the dev server should find activities in this note"
    assert all(a.evidence.lower() in BODY.lower() for a in result.activities)
    [row] = await ledger.list(note_id=41)
    assert row.outcome is CallOutcome.OK
    assert row.request_id
    assert row.usage.prompt_tokens == local_openai.stats()["prompt_tokens"]
    assert row.usage.prompt_tokens > 0


@pytest.mark.parametrize(
    ("fault", "error_class", "attempts"),
    [
        ("server_error", RoboUnavailable, 3),
        ("bad_gateway", RoboUnavailable, 3),
        ("unavailable", RoboUnavailable, 3),
        ("hang", RoboTimeout, 3),
        ("unauthorized", RoboAuthError, 1),
        ("forbidden", RoboAuthError, 1),
        ("bad_request", RoboBadRequest, 1),
        ("not_found", RoboBadRequest, 1),
        ("refusal", RoboContentRejected, 1),
        ("content_filter", RoboContentRejected, 1),
        ("truncated", RoboOutputTruncated, 1),
        ("malformed", RoboInvalidResponse, 2),
        ("invalid_json", RoboInvalidResponse, 2),
        ("schema_violation", RoboInvalidResponse, 2),
    ],
)
async def test_each_fault_maps_to_its_class_and_only_transient_ones_are_retried(
    local_openai: LocalOpenAI,
    ledger: SqlAlchemyRoboCallLedger,
    fault: str,
    error_class: type[RoboError],
    attempts: int,
) -> None:
    local_openai.set_faults(fault=fault, hang_s=5)

    error, calls = await _run(local_openai, timeout_s=0.3 if fault == "hang" else 5.0)
    await ledger.append(calls)

    assert type(error) is error_class
    assert local_openai.stats()["requests"] == attempts
    rows = await ledger.list(note_id=41)
    assert len(rows) == attempts
    assert [row.attempt for row in rows] == list(range(1, attempts + 1))
    assert rows[-1].error_class == error_class.__name__
    assert sum(row.usage.prompt_tokens for row in rows) == local_openai.stats()["prompt_tokens"]


async def test_long_retry_after_goes_to_tier_two_with_the_hint(local_openai: LocalOpenAI) -> None:
    local_openai.set_faults(fault="rate_limit", retry_after_s=30)

    error, calls = await _run(local_openai)

    assert isinstance(error, RoboRateLimited)
    assert error.retry_after_s == pytest.approx(30)
    assert len(calls) == 1


async def test_a_rate_limit_with_a_short_hint_still_goes_to_tier_two(
    local_openai: LocalOpenAI,
) -> None:
    local_openai.set_faults(script=["rate_limit", "ok"], retry_after_s=0.05)

    error, calls = await _run(local_openai)

    assert isinstance(error, RoboRateLimited)
    assert error.retry_after_s == pytest.approx(0.05)
    assert [call.outcome for call in calls] == [CallOutcome.FAILED]


async def test_a_refused_connection_is_unavailable_after_the_quick_retries(
    local_openai: LocalOpenAI,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]

    error, calls = await _run(local_openai, base_url=f"http://127.0.0.1:{closed_port}/v1")

    assert type(error) is RoboUnavailable
    assert [call.outcome for call in calls] == [
        CallOutcome.RETRIED,
        CallOutcome.RETRIED,
        CallOutcome.FAILED,
    ]


async def test_recovery_after_transient_faults_ledgers_every_attempt(
    local_openai: LocalOpenAI, ledger: SqlAlchemyRoboCallLedger
) -> None:
    local_openai.set_faults(script=["server_error", "schema_violation", "ok"])

    result, calls = await _run(local_openai)
    await ledger.append(calls)

    assert not isinstance(result, RoboError)
    rows = await ledger.list(note_id=41)
    assert [row.outcome for row in rows] == [
        CallOutcome.RETRIED,
        CallOutcome.INVALID,
        CallOutcome.OK,
    ]
    assert rows[1].usage.prompt_tokens > 0  # the invalid answer still cost tokens
    assert result.usage.prompt_tokens == sum(row.usage.prompt_tokens for row in rows)


async def test_reasoning_and_cached_tokens_are_recorded(local_openai: LocalOpenAI) -> None:
    local_openai.set_faults(reasoning_tokens=64)
    service = _service(local_openai)
    try:
        await service.extract(_note(), CONTEXT)
        second = await service.extract(_note(), CONTEXT)
    finally:
        await service.aclose()

    assert second.usage.reasoning_tokens == 64
    # The static prompt prefix is the same on every call, so the server's prefix cache hits.
    assert second.usage.cached_tokens >= 1024


async def test_a_cancelled_extraction_hands_its_attempts_to_the_ledger(
    local_openai: LocalOpenAI,
) -> None:
    local_openai.set_faults(script=["server_error", "hang"], hang_s=5)
    service = _service(local_openai)
    task = asyncio.ensure_future(service.extract(_note(), CONTEXT))
    for _ in range(500):  # until the second request hangs on the server
        if local_openai.stats()["requests"] >= 2:
            break
        await asyncio.sleep(0.01)

    task.cancel()
    try:
        with pytest.raises(asyncio.CancelledError) as caught:
            await task
    finally:
        await service.aclose()

    calls = caught.value.calls  # type: ignore[attr-defined]
    assert [(call.outcome, call.error_class) for call in calls] == [
        (CallOutcome.RETRIED, "RoboUnavailable"),
        (CallOutcome.FAILED, "CancelledError"),
    ]
