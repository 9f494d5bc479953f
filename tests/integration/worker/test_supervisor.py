"""The supervisor over real forked processes: restarts after crashes, burst exit, signals."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path


def _sigterm_once(script: str, *, ready: Callable[[], bool]) -> int:
    """Run a supervisor script, SIGTERM it once `ready()` holds; its exit code."""
    proc = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 30
    while not ready() and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=30)


def test_crashed_child_is_restarted_and_burst_exits_zero_once_all_finish(tmp_path: Path) -> None:
    # In a fresh interpreter, as `robonotes worker` forks: never fork the threaded test runner.
    script = textwrap.dedent(
        f"""
        import json, os, signal, sys
        from pathlib import Path
        from robonotes.queue.supervisor import Supervisor

        log = Path("{tmp_path}/starts")

        def child(index):
            with log.open("a") as out:
                out.write(f"{{index}}\\n")
            # Child 0 dies on its first two starts: a SIGKILL, then an exception.
            starts = log.read_text().splitlines().count("0")
            if index == 0 and starts == 1:
                os.kill(os.getpid(), signal.SIGKILL)
            if index == 0 and starts == 2:
                raise RuntimeError("boom")
            return 0

        supervisor = Supervisor(processes=2, target=child, burst=True, backoff_max_s=0.5)
        code = supervisor.run()
        Path("{tmp_path}/restarts").write_text(json.dumps([s.restarts for s in supervisor.slots]))
        sys.exit(code)
        """
    )

    result = subprocess.run([sys.executable, "-c", script], timeout=60, check=False)

    assert result.returncode == 0
    assert sorted((tmp_path / "starts").read_text().splitlines()) == ["0", "0", "0", "1"]
    assert json.loads((tmp_path / "restarts").read_text()) == [2, 0]


def test_sigterm_is_forwarded_and_every_child_drains_before_the_supervisor_exits(
    tmp_path: Path,
) -> None:
    script = textwrap.dedent(
        f"""
        import signal, sys, time
        from pathlib import Path
        from robonotes.queue.supervisor import Supervisor

        def child(index):
            stopped = []
            signal.signal(signal.SIGTERM, lambda *_: stopped.append(1))
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {{signal.SIGTERM}})  # as Worker does
            Path("{tmp_path}/started-%d" % index).write_text("")
            while not stopped:
                time.sleep(0.02)
            Path("{tmp_path}/drained-%d" % index).write_text("")
            return 0

        sys.exit(Supervisor(processes=3, target=child).run())
        """
    )
    code = _sigterm_once(script, ready=lambda: len(list(tmp_path.glob("started-*"))) == 3)

    assert code == 0
    assert sorted(p.name for p in tmp_path.glob("drained-*")) == [
        "drained-0",
        "drained-1",
        "drained-2",
    ]


def test_a_child_that_ignores_the_stop_is_killed_after_the_timeout(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import signal, sys, time
        from pathlib import Path
        from robonotes.queue.supervisor import Supervisor

        def child(index):
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            Path("{tmp_path}/started").write_text("")
            while True:
                time.sleep(1)

        sys.exit(Supervisor(processes=1, target=child, stop_timeout_s=0.5).run())
        """
    )
    code = _sigterm_once(script, ready=(tmp_path / "started").exists)

    assert code == 1


def test_a_stop_sent_while_a_child_starts_up_waits_for_its_handlers(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import signal, sys, time
        from pathlib import Path
        from robonotes.queue.supervisor import Supervisor

        def child(index):
            Path("{tmp_path}/forked").write_text("")
            time.sleep(1.0)  # imports, pools: the handlers are not installed yet
            stopped = []
            signal.signal(signal.SIGTERM, lambda *_: stopped.append(1))
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {{signal.SIGTERM}})
            if stopped:
                Path("{tmp_path}/drained").write_text("")
            return 0

        sys.exit(Supervisor(processes=1, target=child).run())
        """
    )
    code = _sigterm_once(script, ready=(tmp_path / "forked").exists)

    assert code == 0
    assert (tmp_path / "drained").exists()
