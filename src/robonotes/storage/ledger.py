"""SqlAlchemyRoboCallLedger: the append-only robo_calls ledger, one transaction per batch.

The ledger is written outside the unit of work on purpose (DESIGN.md, processing step 4): tokens
that were spent are recorded at once, whatever happens to the extraction's own transaction.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import UTC
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from robonotes.domain.results import CallOutcome, RoboCall, TokenUsage
from robonotes.storage.errors import as_utc, translate_errors

metadata = sa.MetaData()
"""Its own MetaData, like the queue's tables: migration 0002 creates the same schema."""

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

robo_calls = sa.Table(
    "robo_calls",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("note_id", sa.BigInteger, nullable=True),
    sa.Column("note_version", sa.Integer, nullable=True),
    sa.Column("user_id", sa.BigInteger, nullable=True),
    sa.Column("purpose", sa.String(32), nullable=False),
    sa.Column("provider", sa.String(32), nullable=False),
    sa.Column("model", sa.String(200), nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("error_class", sa.String(100), nullable=True),
    sa.Column("request_id", sa.String(200), nullable=True),
    sa.Column("prompt_tokens", sa.Integer, nullable=False),
    sa.Column("cached_tokens", sa.Integer, nullable=False),
    sa.Column("completion_tokens", sa.Integer, nullable=False),
    sa.Column("reasoning_tokens", sa.Integer, nullable=False),
    sa.Column("latency_ms", sa.Float, nullable=False),
    sa.Index("ix_robo_calls_user_id_created_at", "user_id", "created_at"),
    sa.Index("ix_robo_calls_note_id", "note_id"),
)

MAX_MODEL_CHARS = 200
MAX_REQUEST_ID_CHARS = 200
MAX_ERROR_CLASS_CHARS = 100


def _clip(value: str | None, limit: int) -> str | None:
    # Provider-supplied strings (request ids, model names) are clipped, never allowed to fail
    # the insert: a ledger row that cannot be written is spend that goes unrecorded.
    return None if value is None else value[:limit]


def _row(call: RoboCall) -> dict[str, Any]:
    started_at = call.started_at if call.started_at.tzinfo else call.started_at.replace(tzinfo=UTC)
    return {
        "created_at": started_at.astimezone(UTC),
        "note_id": call.note_id,
        "note_version": call.note_version,
        "user_id": call.user_id,
        "purpose": call.purpose[:32],
        "provider": call.provider[:32],
        "model": _clip(call.model, MAX_MODEL_CHARS),
        "attempt": call.attempt,
        "outcome": call.outcome.value,
        "error_class": _clip(call.error_class, MAX_ERROR_CLASS_CHARS),
        "request_id": _clip(call.request_id, MAX_REQUEST_ID_CHARS),
        "prompt_tokens": max(0, call.usage.prompt_tokens),
        "cached_tokens": max(0, call.usage.cached_tokens),
        "completion_tokens": max(0, call.usage.completion_tokens),
        "reasoning_tokens": max(0, call.usage.reasoning_tokens),
        "latency_ms": max(0.0, float(call.latency_ms)),
    }


def _call(row: sa.Row[Any]) -> RoboCall:
    return RoboCall(
        provider=row.provider,
        model=row.model,
        purpose=row.purpose,
        attempt=row.attempt,
        outcome=CallOutcome(row.outcome),
        usage=TokenUsage(
            prompt_tokens=row.prompt_tokens,
            cached_tokens=row.cached_tokens,
            completion_tokens=row.completion_tokens,
            reasoning_tokens=row.reasoning_tokens,
        ),
        latency_ms=row.latency_ms,
        started_at=as_utc(row.created_at),
        request_id=row.request_id,
        error_class=row.error_class,
        note_id=row.note_id,
        user_id=row.user_id,
        note_version=row.note_version,
    )


class SqlAlchemyRoboCallLedger:
    """RoboCallLedger on SQLite or PostgreSQL; every `append` is its own committed transaction."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @translate_errors
    async def append(self, calls: Sequence[RoboCall]) -> None:
        """Insert one row per call attempt, all or none, committed before returning."""
        if not calls:
            return
        async with self._engine.begin() as connection:
            await connection.execute(sa.insert(robo_calls), [_row(call) for call in calls])

    @translate_errors
    async def list(
        self, *, note_id: int | None = None, user_id: int | None = None, limit: int = 1000
    ) -> builtins.list[RoboCall]:
        """Rows in the order they were written, optionally for one note or one user."""
        query = sa.select(robo_calls).order_by(robo_calls.c.id).limit(limit)
        if note_id is not None:
            query = query.where(robo_calls.c.note_id == note_id)
        if user_id is not None:
            query = query.where(robo_calls.c.user_id == user_id)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [_call(row) for row in rows]
