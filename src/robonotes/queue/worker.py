"""Worker: one asyncio process running up to `concurrency` jobs at once from the queue.

    claim loop  -> claims in batches up to the free slots; idle, it waits on `wait_for_work`
    heartbeat   -> every lease/3 extends the leases of all its jobs (long jobs stay leased)
    maintenance -> promote due retries, reap expired leases, refresh queue gauges, reconcile
    job task    -> handler.handle(job) under a per-job timeout, then complete or fail (fenced)
    shutdown    -> stop claiming, drain for `grace_s`, release the rest without counting an attempt

A queue outage never kills the worker: every loop backs off and resumes once the queue answers.
The handler (NoteProcessor) and the failure policy are injected, so this module knows only the
queue port and the JobHandler port.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import signal
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from robonotes import observability as obs
from robonotes.domain.jobs import DEFAULT_LEASE_MS, FailKind, FailOutcome, Job
from robonotes.services.ports import JobHandler, NoteProcessingQueue

log = logging.getLogger(__name__)

OUTAGE_BACKOFF_MAX_S = 5.0
T = TypeVar("T")


class FailureDecision(Protocol):
    """What the failure policy (services.retry_policy.RetryDecision) tells the worker."""

    @property
    def kind(self) -> FailKind: ...
    @property
    def delay_ms(self) -> int: ...
    @property
    def error_class(self) -> str: ...
    @property
    def message(self) -> str: ...


class FailurePolicy(Protocol):
    """Classifies an error of attempt `attempt` (services.retry_policy.classify_failure)."""

    def __call__(self, error: BaseException, *, attempt: int) -> FailureDecision: ...


Reconcile = Callable[[float], Awaitable[int]]
"""Enqueue again what the queue lost; the argument is the minimum age (s) of a status row."""


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    """Tuning of one worker process."""

    concurrency: int = 64
    claim_batch: int = 64
    lease_ms: int = DEFAULT_LEASE_MS
    job_timeout_s: float = 300.0
    grace_s: float = 20.0
    idle_wait_s: float = 1.0
    maintenance_interval_s: float = 1.0
    reconcile_interval_s: float = 30.0
    burst: bool = False


async def _cancel_and_wait(*futures: asyncio.Future[Any]) -> None:
    """Cancel helpers and wait for them: none may outlive the worker with a connection in hand."""
    for future in futures:
        future.cancel()
    await asyncio.gather(*futures, return_exceptions=True)


def new_worker_id() -> str:
    """Host, pid and a random suffix: unique across restarts of the same pid."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    """Runs jobs from a NoteProcessingQueue through a JobHandler until stopped (or, burst, done)."""

    def __init__(
        self,
        *,
        queue: NoteProcessingQueue,
        handler: JobHandler,
        policy: FailurePolicy,
        config: WorkerConfig | None = None,
        reconcile: Reconcile | None = None,
        worker_id: str | None = None,
    ) -> None:
        self.queue = queue
        self.handler = handler
        self.policy = policy
        self.config = config or WorkerConfig()
        self.reconcile = reconcile
        self.worker_id = worker_id or new_worker_id()
        self.processed = 0
        self._in_flight: dict[asyncio.Task[None], Job] = {}
        self._stopping = asyncio.Event()
        self._releasing = False
        self._signals = 0

    # --- lifecycle -------------------------------------------------------------------
    def request_stop(self) -> None:
        """Stop claiming and drain; a second request releases what is left at once."""
        self._signals += 1
        if self._signals > 1:
            self._releasing = True
            for task in self._in_flight:
                task.cancel()
        self._stopping.set()

    def install_signal_handlers(self) -> None:
        """SIGTERM and SIGINT ask for a graceful stop (must run inside the event loop)."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.request_stop)
        # A supervisor blocks them while a forked worker starts; one sent meanwhile lands now.
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})

    async def run(self) -> int:
        """Run until stopped (or, in burst mode, until no work is left); return jobs finished."""
        log.info(
            "worker started",
            extra={
                "worker_id": self.worker_id,
                "concurrency": self.config.concurrency,
                "burst": self.config.burst,
            },
        )
        background = [
            asyncio.create_task(self._heartbeat_loop(), name="heartbeat"),
            asyncio.create_task(self._maintenance_loop(), name="maintenance"),
        ]
        try:
            await self._claim_loop()
            await self._drain()
        finally:
            for task in background:
                task.cancel()
            for task in background:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await self._retire()
        log.info("worker stopped", extra={"worker_id": self.worker_id, "processed": self.processed})
        return self.processed

    async def _retire(self) -> None:
        try:
            await self.queue.retire(worker_id=self.worker_id)
        except Exception as exc:  # the queue is down: the heartbeat then simply expires
            log.warning("could not retire the worker", extra={"error_class": type(exc).__name__})

    # --- claiming --------------------------------------------------------------------
    async def _claim_loop(self) -> None:
        outage_s = 0.0
        while not self._stopping.is_set():
            free = self.config.concurrency - len(self._in_flight)
            if free <= 0:
                await self._wait_any(self._in_flight.keys(), timeout_s=None)
                continue
            try:
                jobs = await self.queue.claim(
                    worker_id=self.worker_id,
                    limit=min(free, self.config.claim_batch),
                    lease_ms=self.config.lease_ms,
                )
            except Exception as exc:
                outage_s = min(OUTAGE_BACKOFF_MAX_S, max(0.1, outage_s * 2))
                log.warning(
                    "claim failed; waiting for the queue",
                    extra={
                        "worker_id": self.worker_id,
                        "error_class": type(exc).__name__,
                        "retry_in_s": round(outage_s, 2),
                    },
                )
                await self._sleep(outage_s * random.uniform(0.5, 1.0))
                continue
            outage_s = 0.0
            for job in jobs:
                self._start_job(job)
            if jobs:
                continue
            if self.config.burst and not self._in_flight and await self._burst_done():
                return
            await self._idle_wait()

    async def _idle_wait(self) -> None:
        """Wait for a wake-up, a finished job (frees a slot), or a stop request."""
        waiter = asyncio.ensure_future(self._wait_for_work())
        stopper = asyncio.ensure_future(self._stopping.wait())
        waits: set[asyncio.Future[object]] = {waiter, stopper, *self._in_flight.keys()}  # type: ignore[arg-type]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            await _cancel_and_wait(waiter, stopper)

    async def _wait_for_work(self) -> None:
        try:
            await self.queue.wait_for_work(self.config.idle_wait_s)
        except Exception:
            await asyncio.sleep(self.config.idle_wait_s)

    async def _burst_done(self) -> bool:
        """Burst mode ends once nothing is ready, delayed or leased and nothing was lost."""
        try:
            await self.queue.promote()
            self._count_reaped(*await self.queue.reap())
            stats = await self.queue.stats()
            if stats.pending_work:
                return False
            if self.reconcile is not None and await self.reconcile(0.0):
                return False
        except Exception as exc:
            log.warning(
                "burst check failed",
                extra={"worker_id": self.worker_id, "error_class": type(exc).__name__},
            )
            return False
        return True

    # --- one job ---------------------------------------------------------------------
    def _start_job(self, job: Job) -> None:
        obs.JOBS_CLAIMED.inc()
        obs.JOB_ATTEMPTS.observe(job.attempts)
        task = asyncio.create_task(self._run_job(job), name=f"job-{job.id}")
        self._in_flight[task] = job
        obs.WORKER_IN_FLIGHT.set(len(self._in_flight))
        task.add_done_callback(self._job_done)

    def _job_done(self, task: asyncio.Task[None]) -> None:
        self._in_flight.pop(task, None)
        obs.WORKER_IN_FLIGHT.set(len(self._in_flight))
        if not task.cancelled() and task.exception() is not None:
            log.error(
                "job task crashed",
                exc_info=task.exception(),
                extra={"worker_id": self.worker_id},
            )

    async def _run_job(self, job: Job) -> None:
        started = time.perf_counter()
        context = {
            "note_id": job.payload.note_id,
            "job_id": job.id,
            "attempt": job.attempts,
            "worker_id": self.worker_id,
        }
        try:
            async with asyncio.timeout(self.config.job_timeout_s):
                await self.handler.handle(job)
        except asyncio.CancelledError:
            if self._releasing:
                await self._release(job, context)
            raise
        except Exception as exc:
            await self._fail(job, exc, context)
        else:
            await self._complete(job, context)
        finally:
            obs.PROCESSING_SECONDS.observe(time.perf_counter() - started)

    async def _complete(self, job: Job, context: dict[str, object]) -> None:
        token = job.token or ""
        acked = await self._with_queue_retries(lambda: self.queue.complete(job.id, token=token))
        self.processed += 1
        if acked:
            obs.JOBS_COMPLETED.inc()
        elif acked is None:
            # The queue stayed away: the lease expires and a redelivery finds it COMPLETED.
            log.warning("ack given up: the queue is unreachable", extra=context)
        else:
            # Results are committed under the status token; a lost ack only means a redelivery
            # that the processor recognises as already COMPLETED.
            obs.JOBS_STALE.inc()
            log.info("ack refused: the lease was lost", extra=context)

    async def _fail(self, job: Job, error: BaseException, context: dict[str, object]) -> None:
        decision = self.policy(error, attempt=job.attempts)
        obs.JOB_ERRORS.labels(error_class=decision.error_class).inc()
        token = job.token or ""
        outcome = await self._with_queue_retries(
            lambda: self.queue.fail(
                job.id,
                token=token,
                kind=decision.kind,
                error_class=decision.error_class,
                message=decision.message,
                delay_ms=decision.delay_ms,
            )
        )
        # Logged once the queue has said what became of the job (a retry may be a DLQ entry).
        log.warning(
            "job attempt failed",
            extra={
                **context,
                "error_class": decision.error_class,
                "outcome": "queue unreachable" if outcome is None else outcome.value,
                "delay_ms": decision.delay_ms if outcome is not FailOutcome.DEAD_LETTERED else 0,
                "error": decision.message,
            },
        )
        if outcome is None:
            return
        self.processed += 1
        if outcome is FailOutcome.DEAD_LETTERED:
            obs.JOBS_DEAD_LETTERED.inc()
        elif outcome is FailOutcome.STALE:
            obs.JOBS_STALE.inc()
        elif decision.kind is FailKind.DEFER:
            obs.JOBS_DEFERRED.inc()
        else:
            obs.JOBS_RETRIED.inc()
        try:
            await self.handler.record_failure(
                job,
                kind=decision.kind,
                outcome=outcome,
                error_class=decision.error_class,
                message=decision.message,
                delay_ms=decision.delay_ms,
            )
        except Exception as exc:
            # The queue already holds the truth; the reconciler repairs the status row later.
            log.warning(
                "could not record the failure on the status row",
                extra={**context, "error_class": type(exc).__name__},
            )

    async def _release(self, job: Job, context: dict[str, object]) -> None:
        token = job.token or ""
        try:
            released = await self.queue.release(job.id, token=token)
            if released:
                obs.JOBS_RELEASED.inc()
                await self.handler.record_release(job)
        except Exception as exc:
            log.warning(
                "release failed; the lease will expire",
                extra={**context, "error_class": type(exc).__name__},
            )

    async def _with_queue_retries(self, action: Callable[[], Awaitable[T]]) -> T | None:
        """Retry an ack or fail through a short outage; None when the queue stays away.

        Giving up is safe: the lease expires and the job comes back to a worker that sees the
        status row and does the right thing.
        """
        delay_s = 0.1
        for _ in range(6):
            try:
                return await action()
            except Exception as exc:
                log.warning(
                    "queue call failed; retrying",
                    extra={"worker_id": self.worker_id, "error_class": type(exc).__name__},
                )
                await asyncio.sleep(delay_s)
                delay_s = min(OUTAGE_BACKOFF_MAX_S, delay_s * 2)
        return None

    # --- background loops ------------------------------------------------------------
    async def _heartbeat_loop(self) -> None:
        interval_s = self.config.lease_ms / 3000
        while True:
            try:
                await self.queue.heartbeat(worker_id=self.worker_id, lease_ms=self.config.lease_ms)
            except Exception as exc:
                log.warning(
                    "heartbeat failed",
                    extra={"worker_id": self.worker_id, "error_class": type(exc).__name__},
                )
            await asyncio.sleep(interval_s)

    @staticmethod
    def _count_reaped(requeued: int, dead: int) -> None:
        obs.JOBS_RECLAIMED.inc(requeued)
        obs.JOBS_DEAD_LETTERED.inc(dead)

    async def _maintenance_loop(self) -> None:
        last_reconcile = time.monotonic()
        while True:
            try:
                await self.queue.promote()
                self._count_reaped(*await self.queue.reap())
                obs.observe_queue_stats(await self.queue.stats())
                if (
                    self.reconcile is not None
                    and time.monotonic() - last_reconcile >= self.config.reconcile_interval_s
                ):
                    last_reconcile = time.monotonic()
                    enqueued = await self.reconcile(self.config.reconcile_interval_s)
                    if enqueued:
                        obs.JOBS_RECONCILED.inc(enqueued)
            except Exception as exc:
                log.warning(
                    "maintenance failed",
                    extra={"worker_id": self.worker_id, "error_class": type(exc).__name__},
                )
            await asyncio.sleep(self.config.maintenance_interval_s)

    # --- shutdown --------------------------------------------------------------------
    async def _drain(self) -> None:
        """Let running jobs finish for `grace_s`, then release the rest."""
        if not self._in_flight:
            return
        log.info(
            "draining",
            extra={
                "worker_id": self.worker_id,
                "in_flight": len(self._in_flight),
                "grace_s": self.config.grace_s,
            },
        )
        await self._wait_all(timeout_s=self.config.grace_s)
        if self._in_flight:
            self._releasing = True
            for task in list(self._in_flight):
                task.cancel()
            await self._wait_all(timeout_s=None)

    async def _wait_all(self, *, timeout_s: float | None) -> None:
        tasks = list(self._in_flight)
        if tasks:
            await asyncio.wait(tasks, timeout=timeout_s)

    async def _wait_any(
        self, tasks: Iterable[asyncio.Task[None]], *, timeout_s: float | None
    ) -> None:
        stopper: asyncio.Future[object] = asyncio.ensure_future(self._stopping.wait())
        waits: list[asyncio.Future[object]] = [*tasks, stopper]  # type: ignore[list-item]
        try:
            await asyncio.wait(waits, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            await _cancel_and_wait(stopper)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
