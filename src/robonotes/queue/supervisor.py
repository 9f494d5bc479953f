"""Supervisor: N worker processes, restarted with backoff when one crashes.

Each child is a full worker process (its own event loop, pools and metrics port), forked from
this process to run `target(index)`: the parent imports the heavy modules once, so a restart
takes milliseconds instead of seconds of imports (as gunicorn's --preload). The parent opens no
connection and runs no event loop, so a fork inherits nothing it could share by mistake. SIGTERM
and SIGINT are forwarded to every child, which drains and releases its jobs; the supervisor then
waits for them and exits. In burst mode a child that exits 0 (no work left) is not restarted,
and the supervisor exits 0 once every child has. A child that dies any other way (a crash, a
SIGKILL) is restarted, in burst mode too, after a backoff that grows while it keeps crashing.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

POLL_S = 0.1
STOP_SIGNALS = frozenset({signal.SIGTERM, signal.SIGINT})
BACKOFF_START_S = 0.2
BACKOFF_MAX_S = 30.0
HEALTHY_AFTER_S = 30.0
"""A child that lived this long is healthy again: its next crash restarts it at once."""


class _Forked:
    """The Popen-like handle of a forked child."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(POLL_S / 2)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


@dataclass(slots=True)
class _Slot:
    index: int
    process: _Forked | None = None
    started_at: float = 0.0
    backoff_s: float = 0.0
    restart_at: float | None = None
    done: bool = False
    restarts: int = 0
    pids: list[int] = field(default_factory=list)


class Supervisor:
    """Forks `processes` children that run `target(index)` and keeps them up."""

    def __init__(
        self,
        *,
        processes: int,
        target: Callable[[int], int],
        burst: bool = False,
        stop_timeout_s: float = 60.0,
        backoff_max_s: float = BACKOFF_MAX_S,
    ) -> None:
        if processes < 1:
            raise ValueError("processes must be at least 1")
        self.target = target
        self.burst = burst
        self.stop_timeout_s = stop_timeout_s
        self.backoff_max_s = backoff_max_s
        self.slots = [_Slot(index) for index in range(processes)]
        self._stop_signal: int | None = None

    def child_pids(self) -> list[int]:
        """Pids of the children alive now."""
        return [s.process.pid for s in self.slots if s.process and s.process.poll() is None]

    def run(self) -> int:
        """Supervise until stopped or (burst) done; return the exit code for the shell."""
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            for slot in self.slots:
                self._start(slot)
            while self._stop_signal is None:
                if self._tick():
                    return 0
                time.sleep(POLL_S)
            return self._stop_all()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _on_signal(self, signum: int, _frame: object) -> None:
        if self._stop_signal is not None:
            # A second signal is forwarded too: children then release their jobs at once.
            self._forward(signum)
        self._stop_signal = signum

    def _start(self, slot: _Slot) -> None:
        slot.process = self._fork(slot.index, self.target)
        slot.started_at = time.monotonic()
        slot.restart_at = None
        slot.pids.append(slot.process.pid)
        log.info("worker process started", extra={"index": slot.index, "pid": slot.process.pid})

    @staticmethod
    def _fork(index: int, target: Callable[[int], int]) -> _Forked:
        pid = os.fork()
        if pid:
            return _Forked(pid)
        # The child: default signal handling, then never return. SIGTERM and SIGINT stay
        # blocked until the worker has its own handlers (it unblocks them), so a stop sent
        # while it starts up is a graceful stop, not a kill.
        code = 1
        try:
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
            os.environ["ROBONOTES_WORKER_INDEX"] = str(index)
            code = target(index)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            log.exception("worker process crashed", extra={"index": index})
        finally:
            logging.shutdown()
            os._exit(code)

    def _tick(self) -> bool:
        """Reap and restart children; True once burst mode has finished."""
        now = time.monotonic()
        for slot in self.slots:
            if slot.done:
                continue
            if slot.process is None:
                if slot.restart_at is not None and now >= slot.restart_at:
                    self._start(slot)
                continue
            code = slot.process.poll()
            if code is None:
                continue
            slot.process = None
            if code == 0 and self.burst:
                slot.done = True
                log.info("worker process finished its burst", extra={"index": slot.index})
                continue
            lived_s = now - slot.started_at
            slot.backoff_s = (
                BACKOFF_START_S
                if lived_s >= HEALTHY_AFTER_S or not slot.backoff_s
                else min(self.backoff_max_s, slot.backoff_s * 2)
            )
            slot.restart_at = now + slot.backoff_s
            slot.restarts += 1
            log.warning(
                "worker process died; restarting",
                extra={
                    "index": slot.index,
                    "exit_code": code,
                    "lived_s": round(lived_s, 1),
                    "restart_in_s": slot.backoff_s,
                },
            )
        return all(slot.done for slot in self.slots)

    def _forward(self, signum: int) -> None:
        for slot in self.slots:
            if slot.process is not None and slot.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    slot.process.send_signal(signum)

    def _stop_all(self) -> int:
        signum = self._stop_signal or signal.SIGTERM
        self._forward(signum)
        deadline = time.monotonic() + self.stop_timeout_s
        codes: list[int] = []
        for slot in self.slots:
            if slot.process is None:
                continue
            try:
                codes.append(slot.process.wait(timeout=max(0.0, deadline - time.monotonic())))
            except subprocess.TimeoutExpired:
                log.error("worker process ignored the stop; killing", extra={"index": slot.index})
                slot.process.kill()
                codes.append(slot.process.wait())
        log.info("supervisor stopped", extra={"signal": signum})
        return 0 if all(code in (0, -signum, 128 + signum) for code in codes) else 1
