"""One measurement in its own process: `python -m bench.child SYSTEM NAME JOBS SLEEP_S CONCURRENCY`.

Enqueues every job first, then runs ONE worker of that system in this process until the
Recorder has seen all jobs finish (it writes the result file the harness reads).
"""

from __future__ import annotations

import importlib
import os
import sys
import threading

from bench.harness import Recorder, Scenario

SYSTEMS = ("robonotes", "arq", "saq", "taskiq", "dramatiq", "rq", "celery")


def _exit_when_done(recorder: Recorder) -> None:
    """End the process once the result is written: peers' workers run until stopped."""
    recorder.done.wait()
    sys.stdout.flush()
    os._exit(0)


def main(argv: list[str]) -> int:
    """Run the named system's peer module on the scenario."""
    system, scenario = argv[0], Scenario.from_argv(argv[1:5])
    if system not in SYSTEMS:
        print(f"unknown system {system!r}; one of {', '.join(SYSTEMS)}", file=sys.stderr)
        return 2
    module = importlib.import_module(f"bench.peer_{system}")
    recorder = Recorder(expected=scenario.jobs)
    threading.Thread(target=_exit_when_done, args=(recorder,), daemon=True).start()
    module.run(scenario, recorder)
    if not recorder.done.is_set():
        print(f"worker stopped after {recorder.count} of {scenario.jobs} jobs", file=sys.stderr)
        return 1
    sys.stdout.flush()
    # Thread-based workers may leave non-daemon threads behind; the result is written already.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
