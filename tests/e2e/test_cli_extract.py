"""`robonotes extract` as a real process against the dev server (openai) and offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from robonotes.cli.main import app
from robonotes.devserver.control import LocalOpenAI

ACTIVITY_KEYS = [
    "name",
    "surface",
    "category",
    "object",
    "duration_minutes",
    "quantity",
    "evidence",
]
MOMENT_KEYS = [
    "title",
    "summary",
    "status",
    "time",
    "people",
    "place",
    "emotions",
    "valence",
    "activities",
    "evidence",
]
LINES = [
    {
        "id": "run",
        "text": "Ran 5 km with Sam this morning, felt great.",
        "created_at": "2026-03-14T19:30:00+01:00",
    },
    "this line is not JSON",
    {"id": 3, "text": ""},
    {"id": 4},
    {"id": "denied", "text": "Read two chapters of Dune.", "created_at": "2026-03-14T22:00:00Z"},
    {
        "id": "cook",
        "text": "Cooked pasta for dinner with Ana.",
        "created_at": "2026-03-14T20:00:00Z",
        "user": "ana",
    },
]


def _write_input(path: Path) -> Path:
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in LINES)
    path.write_text(text + "\n\n", encoding="utf-8")
    return path


def _run(args: list[str], *, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "robonotes.cli.main", "extract", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("ROBONOTES_") and key != "OPENAI_API_KEY"
    }
    env["ROBONOTES_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}"
    env.update(extra)
    return env


def _invoke(args: list[str], *, env: dict[str, str], stdin: str | None = None) -> Any:
    """Run the command in this process (no interpreter start-up), with only `env` as settings."""
    cleared = {key: None for key in os.environ if key.startswith("ROBONOTES_")}
    return CliRunner().invoke(
        app, ["extract", *args], env={**cleared, **env}, input=stdin, catch_exceptions=False
    )


def _objects(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_openai_provider_against_the_dev_server_prints_one_object_per_line(
    local_openai: LocalOpenAI, tmp_path: Path
) -> None:
    source = _write_input(tmp_path / "notes.jsonl")
    env = _env(
        tmp_path,
        ROBONOTES_OPENAI_BASE_URL=local_openai.base_url,
        ROBONOTES_OPENAI_API_KEY="sk-devserver",
    )
    local_openai.set_faults(script=["ok", "unauthorized", "ok"])

    done = _run(["--provider", "openai", "--concurrency", "1", str(source)], env=env, cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    objects = _objects(done.stdout)
    assert [obj["id"] for obj in objects] == ["run", None, 3, 4, "denied", "cook"]
    good = [objects[0], objects[5]]
    for obj in good:
        assert list(obj) == ["id", "activities", "moments", "usage"]
        assert all(list(a) == ACTIVITY_KEYS for a in obj["activities"])
        assert all(list(m) == MOMENT_KEYS for m in obj["moments"])
        assert all(
            list(m["time"]) == ["text", "start", "end", "part_of_day"] for m in obj["moments"]
        )
        assert obj["usage"]["provider"] == "openai"
        assert obj["usage"]["prompt_tokens"] > 0
        assert obj["usage"]["calls"] == 1
    assert "running" in {a["name"] for a in objects[0]["activities"]}
    assert objects[1]["error"]["type"] == "invalid_line"
    assert objects[2]["error"]["type"] == "skipped"
    assert objects[3]["error"]["type"] == "invalid_line"
    assert objects[4]["error"]["type"] == "RoboAuthError"
    assert objects[4]["usage"]["calls"] == 1
    assert local_openai.stats()["requests"] == 3


def test_output_is_identical_for_identical_input_and_answers(
    local_openai: LocalOpenAI, tmp_path: Path
) -> None:
    source = _write_input(tmp_path / "notes.jsonl")
    env = _env(
        tmp_path,
        ROBONOTES_OPENAI_BASE_URL=local_openai.base_url,
        ROBONOTES_OPENAI_API_KEY="sk-devserver",
    )

    first = _invoke(["--provider", "openai", str(source)], env=env)
    local_openai.reset()
    second = _invoke(["--provider", "openai", str(source)], env=env)

    assert first.exit_code == second.exit_code == 0
    assert len(first.stdout.splitlines()) == 6
    assert first.stdout == second.stdout


def test_offline_provider_reads_stdin(tmp_path: Path) -> None:
    source = _write_input(tmp_path / "notes.jsonl")

    done = _invoke(["--provider", "offline", "-"], env=_env(tmp_path), stdin=source.read_text())

    assert done.exit_code == 0
    objects = _objects(done.stdout)
    assert len(objects) == 6
    assert objects[0]["usage"]["provider"] == "offline"


def test_hostile_input_lines_give_error_objects_and_exit_zero(tmp_path: Path) -> None:
    source = tmp_path / "hostile.jsonl"
    source.write_bytes(
        b"\xff\xfe not utf-8\n"
        + b"[" * 100_000
        + b"\n"
        + b'{"id": "huge", "text": "'
        + b"a" * 200_000
        + b'"}\n'
        + b'{"id": ["list"], "text": 5}\n'
        + b'{"id": "nul", "text": "Ran\\u0000 3 km."}\n'
        + b'{"id": "ok", "text": "Ran 3 km."}\n'
    )

    done = _invoke(["--provider", "offline", str(source)], env=_env(tmp_path))

    assert done.exit_code == 0
    objects = _objects(done.stdout)
    assert len(objects) == 6
    assert all("error" in obj for obj in objects[:4])
    assert objects[2]["id"] == "huge"
    assert objects[-1]["id"] == "ok"
    assert "activities" in objects[-1]


def test_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    done = _invoke(["--provider", "offline", str(tmp_path / "nope.jsonl")], env=_env(tmp_path))

    assert done.exit_code == 2
    assert "does not exist" in done.stderr
