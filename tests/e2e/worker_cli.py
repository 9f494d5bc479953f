"""Helpers of the worker end-to-end tests: run `robonotes` as real processes on a real stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ACTIVITIES = ("ran 5k", "did yoga", "read a chapter of Dune", "cooked pasta", "swam 20 laps")


def base_env(**settings: str) -> dict[str, str]:
    """The environment of one test's processes: its own database and prefix, nothing inherited."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("ROBONOTES_") and key != "OPENAI_API_KEY"
    }
    env.update({"ROBONOTES_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"})
    env.update({f"ROBONOTES_{key.upper()}": value for key, value in settings.items()})
    return env


def robonotes(
    *args: str, env: dict[str, str], cwd: Path, timeout_s: float = 240, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run one `robonotes` command to its end."""
    result = subprocess.run(
        [sys.executable, "-m", "robonotes.cli.main", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"robonotes {' '.join(args)} exited {result.returncode}\n"
            f"stdout: {result.stdout[-2000:]}\nstderr: {result.stderr[-4000:]}"
        )
    return result


def write_notes(path: Path, count: int) -> Path:
    """A JSONL file of `count` varied journal notes."""
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            done = ACTIVITIES[i % len(ACTIVITIES)]
            text = f"Day {i}: this morning I {done} with Sam at the park. Felt great."
            out.write(json.dumps({"text": text, "created_at": "2026-11-20T08:00:00+00:00"}) + "\n")
    return path


def prepare(tmp: Path, env: dict[str, str], *, notes: int, user: str = "ana") -> None:
    """Migrate, create the user and import `notes` notes."""
    robonotes("db", "upgrade", env=env, cwd=tmp)
    robonotes("users", "create", user, env=env, cwd=tmp)
    robonotes(
        "notes",
        "import",
        "--user",
        user,
        str(write_notes(tmp / "notes.jsonl", notes)),
        env=env,
        cwd=tmp,
    )


def status_counts(tmp: Path, env: dict[str, str]) -> dict[str, int]:
    """`robonotes status --json` without the zero states."""
    result = robonotes("status", "--json", env=env, cwd=tmp)
    counts: dict[str, Any] = json.loads(result.stdout)["counts"]
    return {state: int(n) for state, n in counts.items() if n}
