"""Helpers of the worker tests: a real stack (database, queue, ledger, linking), scripted Robo.

Only the LLM is scripted (`ScriptedRobo`); storage, queue, ledger and linking are the real ones.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa

from robonotes.bootstrap import Container
from robonotes.config import Settings
from robonotes.domain.context import ExtractionContext
from robonotes.domain.notes import NoteData
from robonotes.domain.results import (
    CallOutcome,
    ExtractedActivity,
    ExtractedMoment,
    MomentStatus,
    RoboCall,
    RoboProcessingResult,
    TokenUsage,
)
from robonotes.domain.status import ProcessingState
from robonotes.queue.worker import Worker, WorkerConfig
from robonotes.services.retry_policy import classify_failure
from robonotes.storage.ledger import SqlAlchemyRoboCallLedger


def robo_call(attempt: int, outcome: CallOutcome, error_class: str | None = None) -> RoboCall:
    """One HTTP attempt as the ledger records it."""
    return RoboCall(
        provider="scripted",
        model="m1",
        purpose="extract",
        attempt=attempt,
        outcome=outcome,
        usage=TokenUsage(prompt_tokens=50, completion_tokens=20),
        latency_ms=1.0,
        started_at=datetime.now(UTC),
        error_class=error_class,
    )


@dataclass
class ScriptedRobo:
    """A RoboService whose answers are scripted per note body marker; only the LLM is fake."""

    name: str = "scripted"
    model: str = "m1"
    delay_s: float = 0.0
    errors: dict[str, list[BaseException]] = field(default_factory=dict)
    calls: int = 0
    calls_reached: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once `calls` reaches `calls_expected`."""
    calls_expected: int = 0

    async def extract(self, note: NoteData, context: ExtractionContext) -> RoboProcessingResult:
        self.calls += 1
        if self.calls_expected and self.calls >= self.calls_expected:
            self.calls_reached.set()
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        for marker, queue in self.errors.items():
            if marker in note.body and queue:
                error = queue.pop(0)
                error.calls = (robo_call(1, CallOutcome.FAILED, type(error).__name__),)  # type: ignore[attr-defined]
                raise error
        evidence = "ran 5k"
        return RoboProcessingResult(
            activities=(ExtractedActivity(name="running", surface="ran", evidence=evidence),),
            moments=(
                ExtractedMoment(
                    title="A run",
                    summary="ran 5k",
                    status=MomentStatus.HAPPENED,
                    evidence=evidence,
                    activities=("running",),
                    people=("Sam",),
                ),
            ),
            provider="scripted",
            model="m1",
            prompt_version="t1",
            calls=(robo_call(1, CallOutcome.OK),),
        )


@dataclass
class Stack:
    """A container on a real database and queue, and helpers to look inside."""

    container: Container
    robo: ScriptedRobo
    kind: str
    user_id: int = 0

    def worker(self, **config: object) -> Worker:
        defaults: dict[str, object] = {
            "concurrency": 8,
            "claim_batch": 8,
            "lease_ms": 2_000,
            "grace_s": 2.0,
            "idle_wait_s": 0.1,
            "maintenance_interval_s": 0.1,
            "reconcile_interval_s": 0.5,
            "burst": True,
        }
        defaults.update(config)
        return Worker(
            queue=self.container.queue,
            handler=self.container.processor,
            policy=functools.partial(classify_failure, base_s=0.02, cap_s=0.1),
            config=WorkerConfig(**defaults),  # type: ignore[arg-type]
            reconcile=self.container.reconciler,
        )

    async def add_notes(self, count: int, body: str = "I ran 5k with Sam. #{i}") -> list[int]:
        ids = []
        for i in range(count):
            note = await self.container.notes.create(user_id=self.user_id, body=body.format(i=i))
            ids.append(note.id)
        return ids

    async def states(self) -> dict[ProcessingState, int]:
        async with self.container.uow_factory() as uow:
            counts = await uow.statuses.counts()
        return {state: n for state, n in counts.items() if n}

    async def scalar_rows(self, sql: str) -> list[tuple[object, ...]]:
        async with self.container.engine.connect() as conn:
            return [tuple(row) for row in (await conn.execute(sa.text(sql))).all()]

    async def occurrences_per_note(self) -> dict[int, int]:
        rows = await self.scalar_rows(
            "SELECT note_id, COUNT(*) FROM activity_occurrences GROUP BY note_id"
        )
        return {int(n): int(c) for n, c in rows}  # type: ignore[call-overload]

    async def moments_per_note(self) -> dict[int, int]:
        rows = await self.scalar_rows("SELECT note_id, COUNT(*) FROM moment_notes GROUP BY note_id")
        return {int(n): int(c) for n, c in rows}  # type: ignore[call-overload]

    async def ledger_rows(self) -> int:
        rows = await self.scalar_rows("SELECT COUNT(*) FROM robo_calls")
        return int(rows[0][0])  # type: ignore[call-overload]


async def open_stack(settings: Settings, kind: str) -> AsyncIterator[Stack]:
    """A Stack on these settings with the scripted Robo and the user ana; closed after."""
    container = Container(settings)
    robo = ScriptedRobo()
    container.robo = robo  # type: ignore[misc]
    container.ledger = SqlAlchemyRoboCallLedger(container.engine)  # type: ignore[attr-defined]
    stack = Stack(container=container, robo=robo, kind=kind)
    user, _ = await container.users.create(name="ana")
    stack.user_id = user.id
    try:
        yield stack
    finally:
        await container.aclose()
