"""Shared harness: scenarios, the in-worker recorder, one bounded child run a measurement, medians.

Every measurement runs in a child process of its own (`python -m bench.child`), so each system
gets one fresh worker process, a crash or hang of one peer cannot take the run down, and a
timeout kills the child's whole process group.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path

REDIS_HOST = "127.0.0.1"
REDIS_PORT = 6379
REDIS_DB = 14
REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"
RESULT_ENV = "BENCH_RESULT_PATH"
ENQUEUE_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Scenario:
    """One workload: `jobs` jobs that each await `sleep_s`, run with `concurrency` in flight."""

    name: str
    jobs: int
    sleep_s: float
    concurrency: int

    @property
    def ideal_jobs_per_s(self) -> float | None:
        """Throughput of a perfect worker; None for no-op jobs (no ceiling but the machine)."""
        return self.concurrency / self.sleep_s if self.sleep_s > 0 else None

    def to_argv(self) -> list[str]:
        """The scenario as command-line arguments of bench.child."""
        return [self.name, str(self.jobs), str(self.sleep_s), str(self.concurrency)]

    @classmethod
    def from_argv(cls, argv: list[str]) -> Scenario:
        """Inverse of to_argv."""
        name, jobs, sleep_s, concurrency = argv
        return cls(name=name, jobs=int(jobs), sleep_s=float(sleep_s), concurrency=int(concurrency))


class Recorder:
    """Counts finished jobs inside the worker process; writes the drain time once all are done.

    Thread-safe (Celery and Dramatiq run jobs on threads). The drain is first job started to
    last job finished, measured with one process-local clock.
    """

    def __init__(self, *, expected: int, result_path: str | None = None) -> None:
        self.expected = expected
        self.result_path = result_path or os.environ.get(RESULT_ENV)
        self.done = threading.Event()
        self._lock = threading.Lock()
        self._first_start_s: float | None = None
        self._last_end_s = 0.0
        self._finished = 0

    def started(self) -> None:
        """Call at the start of every job."""
        if self._first_start_s is None:
            with self._lock:
                if self._first_start_s is None:
                    self._first_start_s = time.perf_counter()

    def finished(self) -> None:
        """Call at the end of every job; the last one writes the result."""
        with self._lock:
            self._finished += 1
            self._last_end_s = time.perf_counter()
            if self._finished != self.expected:
                return
            first_s = self._first_start_s if self._first_start_s is not None else self._last_end_s
            result = {"jobs": self._finished, "drain_s": self._last_end_s - first_s}
        if self.result_path:
            Path(self.result_path).write_text(json.dumps(result), "utf-8")
        self.done.set()

    @property
    def count(self) -> int:
        """Jobs finished so far."""
        return self._finished


async def enqueue_in_chunks(enqueue: Callable[[int], Awaitable[object]], jobs: int) -> None:
    """Call `enqueue(i)` for every job, ENQUEUE_CHUNK concurrent calls at a time (not timed)."""
    for start in range(0, jobs, ENQUEUE_CHUNK):
        await asyncio.gather(*(enqueue(i) for i in range(start, min(jobs, start + ENQUEUE_CHUNK))))


@dataclass(frozen=True, slots=True)
class Measurement:
    """One child run: jobs per second, or why it failed."""

    jobs_per_s: float | None
    jobs: int = 0
    drain_s: float = 0.0
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Summary:
    """The median of the repeats of one system on one scenario."""

    system: str
    scenario: str
    jobs: int
    median_jobs_per_s: float | None
    runs: list[float]
    error: str | None = None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return asdict(self)


def flush_bench_db() -> None:
    """Empty db 14 only (never FLUSHALL): every peer starts from the same empty database."""
    import redis  # the harness's only third-party import; kept local so importing is free

    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB)
    try:
        client.flushdb()
    finally:
        client.close()


def run_child(
    system: str,
    scenario: Scenario,
    *,
    timeout_s: float,
    python: str | None = None,
    cwd: Path | None = None,
) -> Measurement:
    """Run one measurement with `python` in a fresh process group; kill it at `timeout_s`."""
    if python is not None and not Path(python).exists():
        return Measurement(None, error=f"no interpreter {python} (run `make bench`)")
    flush_bench_db()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        result_path = Path(tmp) / "result.json"
        env = {**os.environ, RESULT_ENV: str(result_path), "PYTHONUNBUFFERED": "1"}
        argv = [python or sys.executable, "-m", "bench.child", system, *scenario.to_argv()]
        log_path = Path(tmp) / "child.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                argv,
                env=env,
                cwd=cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                return Measurement(None, error=f"timeout after {timeout_s:.0f} s")
            finally:
                _kill_group(proc)
        if not result_path.exists():
            tail = log_path.read_text("utf-8", errors="replace").strip().splitlines()[-3:]
            return Measurement(None, error=f"exit {proc.returncode}: " + " | ".join(tail)[-300:])
        data = json.loads(result_path.read_text("utf-8"))
        drain_s = max(float(data["drain_s"]), 1e-9)
        return Measurement(int(data["jobs"]) / drain_s, jobs=int(data["jobs"]), drain_s=drain_s)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the child's process group (workers may have spawned their own children)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def summarise(system: str, scenario: Scenario, runs: list[Measurement]) -> Summary:
    """Median over the successful repeats; failed when none succeeded (first reason kept)."""
    good = [m.jobs_per_s for m in runs if m.jobs_per_s is not None]
    errors = [m.error for m in runs if m.error]
    if not good:
        return Summary(system, scenario.name, scenario.jobs, None, [], errors[0] if errors else "?")
    return Summary(
        system,
        scenario.name,
        scenario.jobs,
        statistics.median(good),
        good,
        f"{len(errors)} of {len(runs)} runs failed: {errors[0]}" if errors else None,
    )
