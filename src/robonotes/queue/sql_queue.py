"""SqlQueue: the processing queue in one table of the storage database (SQLite or PostgreSQL).

The same semantics as RedisQueue. Claims are one `UPDATE ... WHERE id IN (SELECT ... FOR UPDATE
SKIP LOCKED) RETURNING` statement: on PostgreSQL concurrent claimers skip each other's rows, on
SQLite the single write statement is serialised by the database's write lock. Every other change
starts with a write (a token-guarded UPDATE, or a no-op UPDATE on SQLite) so that SQLite takes its
write lock first and never fails to upgrade a read lock; the rest runs under that lock.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from robonotes.domain.exceptions import QueueUnavailable
from robonotes.domain.jobs import (
    DEFAULT_MAX_ATTEMPTS,
    FailKind,
    FailOutcome,
    Job,
    JobError,
    JobPayload,
    JobState,
    QueueStats,
)
from robonotes.queue.ids import check_claim, check_worker_id, new_job_id, new_token
from robonotes.queue.sql_tables import queue_jobs, queue_workers

MAX_ERRORS_KEPT = 50
MAX_ERROR_CLASS_CHARS = 200
MAX_ERROR_MESSAGE_CHARS = 2_000
LEASE_EXPIRED = "LeaseExpired"
CLOSE_WAIT_S = 5.0
REAP_BATCH = 1_000

_jobs = queue_jobs
_workers = queue_workers


def _wall_ms() -> int:
    return int(time.time() * 1000)


def _errors_of(raw: str | None) -> list[dict[str, Any]]:
    try:
        value = json.loads(raw or "[]")
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def _with_error(
    raw: str | None, *, attempt: int, error_class: str, message: str, at_ms: int
) -> str:
    errors = _errors_of(raw)
    errors.append({"attempt": attempt, "class": error_class, "message": message, "at_ms": at_ms})
    return json.dumps(errors[-MAX_ERRORS_KEPT:])


def _job_of(row: sa.Row[Any]) -> Job:
    m = row._mapping
    return Job(
        id=m["id"],
        payload=JobPayload(note_id=m["note_id"], version=m["version"], user_id=m["user_id"]),
        attempts=m["attempts"],
        max_attempts=m["max_attempts"],
        state=JobState(m["state"]),
        token=m["token"],
        worker=m["worker"],
        enqueued_at_ms=m["enqueued_at_ms"],
        updated_at_ms=m["updated_at_ms"],
        errors=tuple(
            JobError(
                attempt=int(e.get("attempt", 0)),
                error_class=str(e.get("class", "")),
                message=str(e.get("message", "")),
                at_ms=int(e.get("at_ms", 0)),
            )
            for e in _errors_of(m["errors"])
            if isinstance(e, dict)
        ),
    )


class SqlQueue:
    """NoteProcessingQueue on the storage engine: the embedded default and the PostgreSQL option."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        poll_min_s: float = 0.05,
        poll_max_s: float = 1.0,
        now_ms: Callable[[], int] = _wall_ms,
    ) -> None:
        self._engine = engine
        self._max_attempts = max_attempts
        self._poll_min_s = poll_min_s
        self._poll_max_s = poll_max_s
        self._now_ms = now_ms
        self._is_sqlite = engine.dialect.name == "sqlite"
        # Wakes waiters of this process at once; other processes find the work by polling.
        self._local_wake: asyncio.Event | None = None
        self._pending: set[asyncio.Future[Any]] = set()

    # --- helpers ----------------------------------------------------------------------
    def _insert(self, table: sa.Table) -> Any:
        return sqlite.insert(table) if self._is_sqlite else postgresql.insert(table)

    async def _lock_for_write(self, conn: AsyncConnection) -> None:
        """On SQLite take the write lock before reading (PostgreSQL locks rows instead)."""
        if self._is_sqlite:
            await conn.execute(sa.update(_jobs).where(sa.false()).values(id=_jobs.c.id))

    @staticmethod
    def _claimable(now: int) -> Any:
        """Ready jobs, and delayed ones already due (claim promotes them, as on Redis)."""
        return sa.or_(
            _jobs.c.state == JobState.READY.value,
            sa.and_(_jobs.c.state == JobState.DELAYED.value, _jobs.c.available_at_ms <= now),
        )

    def _wake(self) -> None:
        if self._local_wake is not None:
            self._local_wake.set()

    async def _run(self, fn: Callable[[AsyncConnection], Any]) -> Any:
        """Run `fn` in one transaction, shielded from the caller's cancellation.

        Workers cancel idle waits and heartbeats routinely; a transaction cut off half-way
        could leave its connection checked out and its locks held (on PostgreSQL an "idle in
        transaction" session blocks DDL). Shielded, it always commits or rolls back; a
        cancelled caller just never sees the result (a lease it took then expires as usual).
        """
        task = asyncio.ensure_future(self._transaction(fn))
        self._pending.add(task)
        task.add_done_callback(self._forget)
        return await asyncio.shield(task)

    def _forget(self, task: asyncio.Future[Any]) -> None:
        self._pending.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved here, so an abandoned failure is not reported twice

    async def _transaction(self, fn: Callable[[AsyncConnection], Any]) -> Any:
        """Run `fn` in one transaction; translate connection failures to QueueUnavailable."""
        try:
            async with self._engine.begin() as conn:
                return await fn(conn)
        except (OperationalError, OSError, ConnectionError) as exc:
            raise QueueUnavailable(f"SQL queue unavailable: {type(exc).__name__}: {exc}") from exc
        except DBAPIError as exc:
            if exc.connection_invalidated:
                raise QueueUnavailable(f"SQL queue connection lost: {exc}") from exc
            raise

    # --- enqueue ----------------------------------------------------------------------
    async def enqueue(self, payload: JobPayload) -> str:
        """Add a ready job; the same note version returns the id of its live job instead."""
        now = self._now_ms()
        new_id = new_job_id()

        async def tx(conn: AsyncConnection) -> str:
            insert = (
                self._insert(_jobs)
                .values(
                    id=new_id,
                    note_id=payload.note_id,
                    version=payload.version,
                    user_id=payload.user_id,
                    state=JobState.READY.value,
                    attempts=0,
                    max_attempts=self._max_attempts,
                    available_at_ms=now,
                    errors="[]",
                    enqueued_at_ms=now,
                    updated_at_ms=now,
                )
                .on_conflict_do_nothing(index_elements=["note_id", "version"])
            )
            await conn.execute(insert)
            existing = await conn.execute(
                sa.select(_jobs.c.id).where(
                    _jobs.c.note_id == payload.note_id, _jobs.c.version == payload.version
                )
            )
            return str(existing.scalar_one())

        job_id: str = await self._run(tx)
        self._wake()
        return job_id

    # --- claim, heartbeat -------------------------------------------------------------
    async def claim(self, *, worker_id: str, limit: int, lease_ms: int) -> list[Job]:
        """Lease up to `limit` ready jobs (oldest first), each with a new token and attempts + 1."""
        check_worker_id(worker_id)
        limit = check_claim(limit=limit, lease_ms=lease_ms)
        if limit <= 0:
            return []
        now = self._now_ms()
        batch = new_token()

        async def tx(conn: AsyncConnection) -> list[Job]:
            # A materialised CTE: as a plain IN (subquery) PostgreSQL may rescan it and
            # lease more than `limit` rows.
            picked = (
                sa.select(_jobs.c.id)
                .where(self._claimable(now))
                .order_by(_jobs.c.available_at_ms, _jobs.c.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
                .cte("picked")
                .prefix_with("MATERIALIZED", dialect="postgresql")
            )
            stmt = (
                sa.update(_jobs)
                .where(_jobs.c.id.in_(sa.select(picked.c.id)), self._claimable(now))
                .values(
                    state=JobState.LEASED.value,
                    attempts=_jobs.c.attempts + 1,
                    worker=worker_id,
                    token=sa.literal(batch + ".", sa.String) + _jobs.c.id,
                    lease_until_ms=now + lease_ms,
                    updated_at_ms=now,
                )
                .returning(*_jobs.c)
            )
            rows = (await conn.execute(stmt)).all()
            return sorted((_job_of(r) for r in rows), key=lambda j: (j.enqueued_at_ms, j.id))

        jobs: list[Job] = await self._run(tx)
        return jobs

    async def heartbeat(self, *, worker_id: str, lease_ms: int) -> int:
        """Extend every lease the worker holds and mark the worker alive for `lease_ms`."""
        check_worker_id(worker_id)
        check_claim(limit=0, lease_ms=lease_ms)
        now = self._now_ms()

        async def tx(conn: AsyncConnection) -> int:
            result = await conn.execute(
                sa.update(_jobs)
                .where(_jobs.c.worker == worker_id, _jobs.c.state == JobState.LEASED.value)
                .values(lease_until_ms=now + lease_ms, updated_at_ms=now)
            )
            upsert = self._insert(_workers).values(
                worker_id=worker_id, seen_at_ms=now, expires_at_ms=now + lease_ms
            )
            upsert = upsert.on_conflict_do_update(
                index_elements=["worker_id"],
                set_={"seen_at_ms": now, "expires_at_ms": now + lease_ms},
            )
            await conn.execute(upsert)
            await conn.execute(
                sa.delete(_workers).where(_workers.c.expires_at_ms < now - 3_600_000)
            )
            return int(result.rowcount or 0)

        count: int = await self._run(tx)
        return count

    async def retire(self, *, worker_id: str) -> None:
        """Forget the worker's heartbeat: it stopped, so it no longer counts as alive."""
        check_worker_id(worker_id)

        async def tx(conn: AsyncConnection) -> None:
            await conn.execute(sa.delete(_workers).where(_workers.c.worker_id == worker_id))

        await self._run(tx)

    # --- token-guarded changes --------------------------------------------------------
    def _guard(self, job_id: str, token: str) -> Any:
        return sa.and_(
            _jobs.c.id == job_id, _jobs.c.token == token, _jobs.c.state == JobState.LEASED.value
        )

    async def complete(self, job_id: str, *, token: str) -> bool:
        """Delete the finished job (and so its idempotency); False when the token is stale."""

        async def tx(conn: AsyncConnection) -> bool:
            result = await conn.execute(sa.delete(_jobs).where(self._guard(job_id, token)))
            return bool(result.rowcount)

        done: bool = await self._run(tx)
        return done

    async def fail(
        self,
        job_id: str,
        *,
        token: str,
        kind: FailKind,
        error_class: str,
        message: str,
        delay_ms: int = 0,
    ) -> FailOutcome:
        """Record the error; RETRY/DEFER go to delayed (DEFER costs no attempt), DEAD to the DLQ."""
        kind = FailKind(kind)
        now = self._now_ms()

        async def tx(conn: AsyncConnection) -> FailOutcome:
            # The guarded write first: it refuses a stale token and locks the row (and SQLite).
            touched = await conn.execute(
                sa.update(_jobs).where(self._guard(job_id, token)).values(updated_at_ms=now)
            )
            if not touched.rowcount:
                return FailOutcome.STALE
            row = (await conn.execute(sa.select(_jobs).where(_jobs.c.id == job_id))).one()
            attempts, max_attempts = row.attempts, row.max_attempts
            errors = _with_error(
                row.errors,
                attempt=attempts,
                error_class=error_class[:MAX_ERROR_CLASS_CHARS],
                message=message[:MAX_ERROR_MESSAGE_CHARS],
                at_ms=now,
            )
            values: dict[str, Any] = {
                "errors": errors,
                "token": None,
                "worker": None,
                "lease_until_ms": None,
            }
            dead = kind is FailKind.DEAD or (kind is FailKind.RETRY and attempts >= max_attempts)
            if dead:
                values.update(state=JobState.DEAD.value, dead_at_ms=now)
                outcome = FailOutcome.DEAD_LETTERED
            else:
                if kind is FailKind.DEFER:
                    values["attempts"] = max(0, attempts - 1)
                values.update(state=JobState.DELAYED.value, available_at_ms=now + max(0, delay_ms))
                outcome = FailOutcome.RETRY_SCHEDULED
            await conn.execute(sa.update(_jobs).where(_jobs.c.id == job_id).values(**values))
            return outcome

        outcome: FailOutcome = await self._run(tx)
        return outcome

    async def release(self, job_id: str, *, token: str) -> bool:
        """Back to the front of ready without counting the attempt (graceful shutdown)."""
        now = self._now_ms()

        async def tx(conn: AsyncConnection) -> bool:
            result = await conn.execute(
                sa.update(_jobs)
                .where(self._guard(job_id, token))
                .values(
                    state=JobState.READY.value,
                    attempts=sa.case((_jobs.c.attempts > 0, _jobs.c.attempts - 1), else_=0),
                    token=None,
                    worker=None,
                    lease_until_ms=None,
                    available_at_ms=_jobs.c.enqueued_at_ms,
                    updated_at_ms=now,
                )
            )
            return bool(result.rowcount)

        released: bool = await self._run(tx)
        if released:
            self._wake()
        return released

    # --- housekeeping -----------------------------------------------------------------
    async def promote(self) -> int:
        """Move due delayed jobs to ready."""
        now = self._now_ms()

        async def tx(conn: AsyncConnection) -> int:
            result = await conn.execute(
                sa.update(_jobs)
                .where(_jobs.c.state == JobState.DELAYED.value, _jobs.c.available_at_ms <= now)
                .values(state=JobState.READY.value, available_at_ms=now, updated_at_ms=now)
            )
            return int(result.rowcount or 0)

        count: int = await self._run(tx)
        if count:
            self._wake()
        return count

    async def reap(self) -> tuple[int, int]:
        """Expired leases back to ready (the attempt stays counted) or to the DLQ when used up."""
        now = self._now_ms()

        async def tx(conn: AsyncConnection) -> tuple[int, int]:
            await self._lock_for_write(conn)
            rows = (
                await conn.execute(
                    sa.select(_jobs)
                    .where(_jobs.c.state == JobState.LEASED.value, _jobs.c.lease_until_ms <= now)
                    .limit(REAP_BATCH)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            requeued = dead = 0
            for row in rows:
                errors = _with_error(
                    row.errors,
                    attempt=row.attempts,
                    error_class=LEASE_EXPIRED,
                    message=f"lease of worker {row.worker} expired",
                    at_ms=now,
                )
                values: dict[str, Any] = {
                    "errors": errors,
                    "token": None,
                    "worker": None,
                    "lease_until_ms": None,
                    "updated_at_ms": now,
                }
                if row.attempts >= row.max_attempts:
                    values.update(state=JobState.DEAD.value, dead_at_ms=now)
                    dead += 1
                else:
                    values.update(state=JobState.READY.value, available_at_ms=now)
                    requeued += 1
                await conn.execute(sa.update(_jobs).where(_jobs.c.id == row.id).values(**values))
            return requeued, dead

        requeued = dead = 0
        while True:
            batch: tuple[int, int] = await self._run(tx)
            requeued, dead = requeued + batch[0], dead + batch[1]
            if sum(batch) < REAP_BATCH:
                break
        if requeued:
            self._wake()
        return requeued, dead

    async def replay(self, job_ids: Sequence[str] | None = None, *, limit: int = 100) -> list[str]:
        """DLQ jobs (the oldest `limit`, or those of `job_ids`) back to ready, attempts reset."""
        now = self._now_ms()

        async def tx(conn: AsyncConnection) -> list[str]:
            await self._lock_for_write(conn)
            query = sa.select(_jobs.c.id).where(_jobs.c.state == JobState.DEAD.value)
            if job_ids is not None:
                query = query.where(_jobs.c.id.in_(list(job_ids)))
            query = query.order_by(_jobs.c.dead_at_ms, _jobs.c.id).limit(max(0, limit))
            ids = [str(i) for i in (await conn.execute(query.with_for_update())).scalars()]
            if ids:
                await conn.execute(
                    sa.update(_jobs)
                    .where(_jobs.c.id.in_(ids), _jobs.c.state == JobState.DEAD.value)
                    .values(
                        state=JobState.READY.value,
                        attempts=0,
                        dead_at_ms=None,
                        available_at_ms=now,
                        updated_at_ms=now,
                    )
                )
            return ids

        ids: list[str] = await self._run(tx)
        if ids:
            self._wake()
        return ids

    async def purge_dead(self, job_ids: Sequence[str] | None = None) -> int:
        """Delete DLQ jobs (all when None); their note versions can be enqueued again."""

        async def tx(conn: AsyncConnection) -> int:
            stmt = sa.delete(_jobs).where(_jobs.c.state == JobState.DEAD.value)
            if job_ids is not None:
                stmt = stmt.where(_jobs.c.id.in_(list(job_ids)))
            return int((await conn.execute(stmt)).rowcount or 0)

        count: int = await self._run(tx)
        return count

    # --- reads ------------------------------------------------------------------------
    async def dead_letters(self, *, limit: int = 100) -> list[Job]:
        """DLQ jobs, oldest death first."""

        async def tx(conn: AsyncConnection) -> list[Job]:
            rows = await conn.execute(
                sa.select(_jobs)
                .where(_jobs.c.state == JobState.DEAD.value)
                .order_by(_jobs.c.dead_at_ms, _jobs.c.id)
                .limit(max(0, limit))
            )
            return [_job_of(r) for r in rows]

        jobs: list[Job] = await self._run(tx)
        return jobs

    async def get_job(self, job_id: str) -> Job | None:
        """The job, or None once completed or purged (the name says find; the port says get_job)."""

        async def tx(conn: AsyncConnection) -> Job | None:
            row = (await conn.execute(sa.select(_jobs).where(_jobs.c.id == job_id))).first()
            return _job_of(row) if row is not None else None

        job: Job | None = await self._run(tx)
        return job

    async def has_job(self, payload: JobPayload) -> bool:
        """Whether a live job (ready, delayed, leased or dead) exists for this note version."""

        async def tx(conn: AsyncConnection) -> bool:
            found = await conn.execute(
                sa.select(_jobs.c.id).where(
                    _jobs.c.note_id == payload.note_id, _jobs.c.version == payload.version
                )
            )
            return found.first() is not None

        exists: bool = await self._run(tx)
        return exists

    async def stats(self) -> QueueStats:
        """Depth by state, oldest ready age, overdue leases and live workers."""
        now = self._now_ms()

        async def tx(conn: AsyncConnection) -> QueueStats:
            counts = {
                state: int(n)
                for state, n in await conn.execute(
                    sa.select(_jobs.c.state, sa.func.count()).group_by(_jobs.c.state)
                )
            }
            oldest = (
                await conn.execute(
                    sa.select(sa.func.min(_jobs.c.available_at_ms)).where(
                        _jobs.c.state == JobState.READY.value
                    )
                )
            ).scalar()
            overdue = (
                await conn.execute(
                    sa.select(sa.func.count()).where(
                        _jobs.c.state == JobState.LEASED.value, _jobs.c.lease_until_ms < now
                    )
                )
            ).scalar_one()
            live = (
                await conn.execute(sa.select(sa.func.count()).where(_workers.c.expires_at_ms > now))
            ).scalar_one()
            return QueueStats(
                ready=counts.get(JobState.READY.value, 0),
                delayed=counts.get(JobState.DELAYED.value, 0),
                leased=counts.get(JobState.LEASED.value, 0),
                dead=counts.get(JobState.DEAD.value, 0),
                oldest_ready_age_s=None if oldest is None else max(0.0, (now - oldest) / 1000),
                overdue_leases=int(overdue),
                live_workers=int(live),
                measured_at=datetime.fromtimestamp(now / 1000, tz=UTC),
            )

        stats: QueueStats = await self._run(tx)
        return stats

    async def _has_ready_work(self) -> bool:
        now = self._now_ms()

        async def tx(conn: AsyncConnection) -> bool:
            found = await conn.execute(sa.select(_jobs.c.id).where(self._claimable(now)).limit(1))
            return found.first() is not None

        ready: bool = await self._run(tx)
        return ready

    async def wait_for_work(self, timeout_s: float) -> None:
        """Return once work is ready or `timeout_s` passed: in-process wake, else polling."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, timeout_s)
        if self._local_wake is None:
            self._local_wake = asyncio.Event()
        wake = self._local_wake
        delay_s = self._poll_min_s
        while True:
            if wake.is_set() or await self._has_ready_work():
                wake.clear()
                return
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            try:
                await asyncio.wait_for(wake.wait(), timeout=min(delay_s, remaining))
            except TimeoutError:
                delay_s = min(self._poll_max_s, delay_s * 2)

    async def ping(self) -> None:
        """Raise QueueUnavailable when the database does not answer."""

        async def tx(conn: AsyncConnection) -> None:
            await conn.execute(sa.select(sa.literal(1)))

        await self._run(tx)

    async def close(self) -> None:
        """Let abandoned (shielded) transactions finish; the engine itself belongs to storage."""
        if self._pending:
            await asyncio.wait(set(self._pending), timeout=CLOSE_WAIT_S)
