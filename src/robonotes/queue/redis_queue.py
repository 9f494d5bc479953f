"""RedisQueue: the processing queue on Redis 7; every state change is one Lua script (lua/*.lua).

Scripts are registered once per client and called by SHA (redis-py's Script reloads them on
NOSCRIPT). Time comes from Redis (`TIME`) inside the scripts, so every process agrees on lease
deadlines whatever its own clock says. Fencing: each claim gives a job a new token; complete,
fail and release refuse any other token, and a reaped job has none, so a worker that lost its
lease can change nothing. Key names live in keys.py.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from redis.commands.core import AsyncScript

from robonotes.domain.exceptions import QueueError
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
from robonotes.queue.keys import DEFAULT_QUEUE_NAME, QueueKeys
from robonotes.queue.redis_pool import BLOCK_MAX_S, RedisClients, translated_errors
from robonotes.queue.redis_pool import ping as ping_redis

SCRIPT_NAMES = (
    "enqueue",
    "claim",
    "heartbeat",
    "retire",
    "complete",
    "fail",
    "release",
    "promote",
    "reap",
    "replay",
    "purge",
    "stats",
)
MAX_ERROR_CLASS_CHARS = 200
MAX_ERROR_MESSAGE_CHARS = 2_000
HOUSEKEEPING_BATCH = 1_000
ACK_BATCH = 500
"""Most acks in one complete script call (a script blocks Redis while it runs)."""


def load_script_source(name: str) -> str:
    """The text of one script with the shared prelude (lua/_lib.lua) in front."""
    lua = resources.files("robonotes.queue") / "lua"
    return (lua / "_lib.lua").read_text("utf-8") + "\n" + (lua / f"{name}.lua").read_text("utf-8")


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


class CorruptJobError(QueueError):
    """A job hash that cannot be read back (foreign writes, manual edits)."""


def _job_of(job_id: str, fields: dict[str, str]) -> Job:
    """Parse a job hash; CorruptJobError when it does not hold a valid job."""
    try:
        return _parse_job(job_id, fields)
    except (ValueError, TypeError, KeyError) as exc:
        raise CorruptJobError(f"job {job_id} is corrupt: {type(exc).__name__}: {exc}") from exc


def _parse_job(job_id: str, fields: dict[str, str]) -> Job:
    payload = json.loads(fields.get("payload") or "{}")
    try:
        raw_errors = json.loads(fields.get("errors") or "[]")
    except ValueError:
        raw_errors = []
    # cjson encodes an empty table as {}, so anything but a list means "no errors".
    errors = raw_errors if isinstance(raw_errors, list) else []
    state = fields.get("state") or JobState.READY.value
    return Job(
        id=job_id,
        payload=JobPayload(
            note_id=int(payload["note_id"]),
            version=int(payload["version"]),
            user_id=int(payload["user_id"]),
        ),
        attempts=_int(fields.get("attempts")),
        max_attempts=_int(fields.get("max_attempts"), DEFAULT_MAX_ATTEMPTS),
        state=JobState(state),
        token=fields.get("token") or None,
        worker=fields.get("worker") or None,
        enqueued_at_ms=_int(fields.get("enqueued_at")),
        updated_at_ms=_int(fields.get("updated_at")),
        errors=tuple(
            JobError(
                attempt=_int(e.get("attempt")),
                error_class=str(e.get("class", "")),
                message=str(e.get("message", "")),
                at_ms=_int(e.get("at_ms")),
            )
            for e in errors
            if isinstance(e, dict)
        ),
    )


def _pairs(flat: Sequence[Any]) -> dict[str, str]:
    return {str(flat[i]): str(flat[i + 1]) for i in range(0, len(flat) - 1, 2)}


class RedisQueue:
    """NoteProcessingQueue on Redis: job hashes, a ready list, delayed/lease/DLQ zsets, Lua."""

    def __init__(
        self,
        clients: RedisClients,
        *,
        prefix: str = "robonotes",
        queue_name: str = DEFAULT_QUEUE_NAME,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> None:
        self._clients = clients
        self._redis = clients.client
        self.keys = QueueKeys(prefix=prefix, queue=queue_name)
        self._max_attempts = max_attempts
        self._fixed_keys = [
            self.keys.ready,
            self.keys.delayed,
            self.keys.leases,
            self.keys.dlq,
            self.keys.stats,
            self.keys.wake,
            self.keys.workers,
        ]
        self._scripts: dict[str, AsyncScript] = {
            name: self._redis.register_script(load_script_source(name)) for name in SCRIPT_NAMES
        }
        self._acks: list[tuple[str, str, asyncio.Future[bool]]] = []
        self._ack_tasks: set[asyncio.Future[None]] = set()

    async def _call(self, name: str, *args: Any) -> Any:
        async with translated_errors(name):
            return await self._scripts[name](keys=self._fixed_keys, args=[self.keys.base, *args])

    # --- state changes ----------------------------------------------------------------
    async def enqueue(self, payload: JobPayload) -> str:
        """Add a ready job; while the note version has a live job, return that job's id instead."""
        body = json.dumps(
            {"note_id": payload.note_id, "version": payload.version, "user_id": payload.user_id}
        )
        result = await self._call(
            "enqueue",
            new_job_id(),
            int(payload.note_id),
            int(payload.version),
            self._max_attempts,
            body,
        )
        return str(result[0])

    async def claim(self, *, worker_id: str, limit: int, lease_ms: int) -> list[Job]:
        """Lease up to `limit` ready jobs, each with a new token and attempts + 1."""
        check_worker_id(worker_id)
        limit = check_claim(limit=limit, lease_ms=lease_ms)
        if limit <= 0:
            return []
        reply = await self._call("claim", worker_id, int(limit), int(lease_ms), new_token())
        jobs: list[Job] = []
        for entry in json.loads(reply):
            job_id, fields = str(entry[0]), _pairs(entry[1:])
            try:
                jobs.append(_job_of(job_id, fields))
            except CorruptJobError as exc:
                # Nobody can run it; the DLQ keeps it visible for `dlq purge`.
                await self.fail(
                    job_id,
                    token=fields.get("token", ""),
                    kind=FailKind.DEAD,
                    error_class=type(exc).__name__,
                    message=str(exc),
                )
        return jobs

    async def heartbeat(self, *, worker_id: str, lease_ms: int) -> int:
        """Extend all the worker's leases and its liveness key; return how many leases."""
        check_claim(limit=0, lease_ms=lease_ms)
        return int(await self._call("heartbeat", check_worker_id(worker_id), int(lease_ms)))

    async def retire(self, *, worker_id: str) -> None:
        """Forget the worker's heartbeat: it stopped, so it no longer counts as alive."""
        await self._call("retire", check_worker_id(worker_id))

    async def complete(self, job_id: str, *, token: str) -> bool:
        """Delete the finished job and its idempotency key; False when the token is stale.

        Acks made in the same event-loop turn share one script call: a wave of jobs that
        finish together costs one round trip, not one each.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        self._acks.append((job_id, token, future))
        if len(self._acks) == 1:
            loop.call_soon(self._flush_acks)
        return await future

    def _flush_acks(self) -> None:
        batch, self._acks = self._acks, []
        for start in range(0, len(batch), ACK_BATCH):
            task = asyncio.ensure_future(self._send_acks(batch[start : start + ACK_BATCH]))
            self._ack_tasks.add(task)
            task.add_done_callback(self._ack_tasks.discard)

    async def _send_acks(self, batch: list[tuple[str, str, asyncio.Future[bool]]]) -> None:
        args = [part for job_id, token, _ in batch for part in (job_id, token)]
        try:
            done = await self._call("complete", *args)
        except asyncio.CancelledError:
            for *_, future in batch:
                future.cancel()
            raise
        except Exception as exc:
            for *_, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (*_, future), acked in zip(batch, done, strict=True):
            if not future.done():
                future.set_result(bool(acked))

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
        outcome = await self._call(
            "fail",
            job_id,
            token,
            FailKind(kind).value,
            error_class[:MAX_ERROR_CLASS_CHARS],
            message[:MAX_ERROR_MESSAGE_CHARS],
            max(0, int(delay_ms)),
        )
        try:
            return FailOutcome(str(outcome))
        except ValueError as exc:
            raise QueueError(f"fail script answered {outcome!r}") from exc

    async def release(self, job_id: str, *, token: str) -> bool:
        """Back to the front of ready without counting the attempt (graceful shutdown)."""
        return bool(await self._call("release", job_id, token))

    async def promote(self) -> int:
        """Move due delayed jobs to ready; return how many."""
        total = 0
        while True:
            moved = int(await self._call("promote", HOUSEKEEPING_BATCH))
            total += moved
            if moved < HOUSEKEEPING_BATCH:
                return total

    async def reap(self) -> tuple[int, int]:
        """Expired leases back to ready (the attempt stays counted), or to the DLQ when used up."""
        requeued = dead = 0
        while True:
            batch = await self._call("reap", HOUSEKEEPING_BATCH)
            requeued, dead = requeued + int(batch[0]), dead + int(batch[1])
            if int(batch[0]) + int(batch[1]) < HOUSEKEEPING_BATCH:
                return requeued, dead

    async def replay(self, job_ids: Sequence[str] | None = None, *, limit: int = 100) -> list[str]:
        """DLQ jobs (the oldest `limit`, or those of `job_ids`) back to ready, attempts reset."""
        if limit <= 0 or (job_ids is not None and not job_ids):
            return []
        ids = [] if job_ids is None else [str(i) for i in job_ids]
        return [str(i) for i in await self._call("replay", int(limit), *ids)]

    async def purge_dead(self, job_ids: Sequence[str] | None = None) -> int:
        """Delete DLQ jobs (all when None) and their idempotency keys; return how many."""
        if job_ids is not None:
            if not job_ids:
                return 0
            return int(await self._call("purge", len(job_ids), *[str(i) for i in job_ids]))
        total = 0
        while True:
            count = int(await self._call("purge", HOUSEKEEPING_BATCH))
            total += count
            if count < HOUSEKEEPING_BATCH:
                return total

    # --- reads ------------------------------------------------------------------------
    async def get_job(self, job_id: str) -> Job | None:
        """The job, or None once completed or purged; CorruptJobError when unreadable."""
        async with translated_errors("get_job"):
            fields = await self._redis.hgetall(self.keys.job(job_id))
        return _job_of(job_id, {str(k): str(v) for k, v in fields.items()}) if fields else None

    async def dead_letters(self, *, limit: int = 100) -> list[Job]:
        """DLQ jobs, oldest death first."""
        if limit <= 0:
            return []
        async with translated_errors("dead_letters"):
            ids = [str(i) for i in await self._redis.zrange(self.keys.dlq, 0, limit - 1)]
            async with self._redis.pipeline(transaction=False) as pipe:
                for job_id in ids:
                    pipe.hgetall(self.keys.job(job_id))
                rows = await pipe.execute()
        jobs: list[Job] = []
        for job_id, fields in zip(ids, rows, strict=True):
            try:
                jobs.append(_job_of(job_id, {str(k): str(v) for k, v in fields.items()}))
            except CorruptJobError:
                continue  # counted in stats().dead and removed by purge_dead; nothing to show
        return jobs

    async def has_job(self, payload: JobPayload) -> bool:
        """Whether a live job (ready, delayed, leased or dead) exists for this note version."""
        async with translated_errors("has_job"):
            job_id = await self._redis.get(self.keys.idem(payload.note_id, payload.version))
            if job_id is None:
                return False
            return bool(await self._redis.exists(self.keys.job(str(job_id))))

    async def stats(self) -> QueueStats:
        """Depths, age of the oldest ready job, overdue leases and live workers, in one script."""
        ready, delayed, leased, dead, oldest, overdue, live, now = await self._call("stats")
        oldest_ms = _int(oldest, -1)
        return QueueStats(
            ready=int(ready),
            delayed=int(delayed),
            leased=int(leased),
            dead=int(dead),
            oldest_ready_age_s=None if oldest_ms < 0 else max(0.0, (int(now) - oldest_ms) / 1000),
            overdue_leases=int(overdue),
            live_workers=int(live),
            measured_at=datetime.fromtimestamp(int(now) / 1000, tz=UTC),
        )

    async def wait_for_work(self, timeout_s: float) -> None:
        """Block on the wake-up list until work is ready, a delayed job is due, or the timeout.

        A wake-up left over from earlier (nobody was waiting) only causes one more check.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, timeout_s)
        async with translated_errors("wait_for_work"):
            while True:
                block_s = min(deadline - loop.time(), BLOCK_MAX_S)
                if block_s <= 0:
                    return
                async with self._redis.pipeline(transaction=False) as pipe:
                    pipe.llen(self.keys.ready)
                    pipe.zrange(self.keys.delayed, 0, 0, withscores=True)
                    pipe.time()
                    ready, first_due, (now_s, now_us) = await pipe.execute()
                if int(ready):
                    return
                if first_due:
                    now_ms = int(now_s) * 1000 + int(now_us) // 1000
                    due_in_s = (float(first_due[0][1]) - now_ms) / 1000
                    if due_in_s <= 0:
                        return
                    block_s = min(block_s, due_in_s)
                # BLPOP's own timeout ends the call (0 would mean forever, hence the floor);
                # the blocking pool's socket timeout is longer than BLOCK_MAX_S.
                await self._clients.blocking.blpop([self.keys.wake], timeout=max(block_s, 0.01))

    async def ping(self) -> None:
        """Raise QueueUnavailable when Redis does not answer within its timeouts."""
        await ping_redis(self._redis)

    async def close(self) -> None:
        """Send the acks still waiting, then close the process's Redis pools."""
        if self._ack_tasks:
            await asyncio.gather(*self._ack_tasks, return_exceptions=True)
        await self._clients.aclose()


__all__ = ["CorruptJobError", "RedisQueue", "load_script_source"]
