"""The `robonotes` command line end to end, in a temporary directory on its own SQLite file."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from robonotes.bootstrap import Container
from robonotes.cli.main import app
from robonotes.domain.status import ProcessingState

runner = CliRunner()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory whose database is a fresh, migrated SQLite file."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ROBONOTES_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    for name in ("ROBONOTES_REDIS_URL", "ROBONOTES_DATABASE_SCHEMA", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert invoke("db", "upgrade").exit_code == 0
    return tmp_path


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_db_upgrade_is_repeatable_and_reports_the_revision(cli_env: Path) -> None:
    result = invoke("db", "upgrade")

    assert result.exit_code == 0
    assert "revision 0" in result.stdout


def test_users_create_prints_a_working_token_once(cli_env: Path) -> None:
    result = invoke("users", "create", "ana")

    token = result.stdout.strip()
    assert result.exit_code == 0
    assert token.startswith("rn_")
    assert "shown once" in result.stderr
    assert asyncio.run(_authenticate(token)) == "ana"


async def _authenticate(token: str) -> str | None:
    container = Container()
    try:
        user = await container.users.authenticate(token=token)
        return None if user is None else user.name
    finally:
        await container.aclose()


def test_a_duplicate_or_hostile_user_name_is_a_clear_error(cli_env: Path) -> None:
    invoke("users", "create", "ana")

    duplicate = invoke("users", "create", "ana")
    control = invoke("users", "create", "bad\x1bname")

    assert duplicate.exit_code == 1
    assert "already exists" in duplicate.stderr
    assert control.exit_code == 1
    assert "control" in control.stderr


def test_notes_add_then_list_as_json(cli_env: Path) -> None:
    invoke("users", "create", "ana")

    added = invoke("notes", "add", "--user", "ana", "--title", "Run", "5k along the river")
    listed = invoke("notes", "list", "--user", "ana", "--json")

    assert added.exit_code == 0
    assert "saved note 1" in added.stdout
    notes = json.loads(listed.stdout)
    assert [(n["id"], n["title"], n["body"], n["version"]) for n in notes] == [
        (1, "Run", "5k along the river", 1)
    ]
    assert notes[0]["robo_status"] in {"PENDING", "QUEUED"}


def test_notes_for_an_unknown_user_are_refused(cli_env: Path) -> None:
    result = invoke("notes", "add", "--user", "nobody", "text")

    assert result.exit_code == 1
    assert "no user named 'nobody'" in result.stderr


def test_notes_list_renders_hostile_text_without_markup_injection(cli_env: Path) -> None:
    invoke("users", "create", "ana")
    invoke("notes", "add", "--user", "ana", "[bold red]not markup[/] \x1b[31m")

    result = invoke("notes", "list", "--user", "ana")

    assert result.exit_code == 0
    assert "[bold red]not markup[/]" in result.stdout


def test_import_saves_good_lines_and_reports_each_bad_one_by_number(cli_env: Path) -> None:
    invoke("users", "create", "ana")
    lines = [
        b'{"text": "first good", "title": "One", "created_at": "2026-11-16T07:40:00+01:00"}',
        b"this is not json",
        b'{"text": "caf\xe9 in latin-1"}',
        b'{"text": "raw \x00 NUL byte"}',
        b'{"text": "escaped \\u0000 NUL"}',
        b'{"text": "lone \\ud800 surrogate"}',
        b"",
        b'["not", "an", "object"]',
        b'{"text": "' + b"x" * 7_000_000 + b'"}',
        b'{"text": "' + b"y" * 30_000 + b'"}',
        b'{"text": "second good", "id": "n-11"}',
        b'{"title": "no text"}',
        b'{"text": "third good"}',
    ]
    path = cli_env / "notes.jsonl"
    path.write_bytes(b"\n".join(lines))

    result = invoke("notes", "import", "--user", "ana", str(path))
    listed = json.loads(invoke("notes", "list", "--user", "ana", "--json").stdout)

    assert result.exit_code == 0
    assert "imported 3 notes, skipped 9 lines" in result.stdout
    for line_no in (2, 3, 4, 5, 6, 8, 9, 10, 12):
        assert f"line {line_no}:" in result.stderr
    assert "line 7:" not in result.stderr
    assert [n["body"] for n in listed] == ["third good", "second good", "first good"]
    assert listed[-1]["created_at"] == "2026-11-16T06:40:00+00:00"


def test_importing_the_same_file_twice_saves_each_identified_note_once(cli_env: Path) -> None:
    invoke("users", "create", "ana")
    invoke("users", "create", "ben")
    path = cli_env / "notes.jsonl"
    path.write_text(
        '{"id": "a-1", "text": "ran 5k"}\n{"id": "a-2", "text": "read"}\n{"text": "no id"}\n'
    )
    invoke("notes", "import", "--user", "ana", str(path))

    again = invoke("notes", "import", "--user", "ana", str(path))
    other_person = invoke("notes", "import", "--user", "ben", str(path))
    listed = json.loads(invoke("notes", "list", "--user", "ana", "--json").stdout)

    assert again.exit_code == 0
    assert "imported 1 notes, skipped 2 lines" in again.stdout
    assert "line 1: id 'a-1' was imported before, as note 1" in again.stderr
    assert [n["body"] for n in listed] == ["no id", "no id", "read", "ran 5k"]
    assert "imported 3 notes" in other_person.stdout


def test_import_of_a_missing_file_says_so(cli_env: Path) -> None:
    invoke("users", "create", "ana")

    result = invoke("notes", "import", "--user", "ana", "missing.jsonl")

    assert result.exit_code == 2
    assert "no such file" in result.stderr


def test_import_of_a_directory_says_so(cli_env: Path) -> None:
    invoke("users", "create", "ana")

    result = invoke("notes", "import", "--user", "ana", str(cli_env))

    assert result.exit_code == 2
    assert "not a regular file" in result.stderr


def test_status_json_lists_every_state(cli_env: Path) -> None:
    invoke("users", "create", "ana")
    invoke("notes", "add", "--user", "ana", "one")
    invoke("notes", "add", "--user", "ana", "two")

    result = invoke("status", "--json")

    counts = json.loads(result.stdout)["counts"]
    assert list(counts) == [state.value for state in ProcessingState]
    assert sum(counts.values()) == 2


def test_cleanup_dry_run_and_bad_durations(cli_env: Path) -> None:
    dry = invoke("cleanup", "--dry-run", "--older-than", "0s", "--json")
    bad = invoke("cleanup", "--older-than", "soon")

    assert dry.exit_code == 0
    assert json.loads(dry.stdout)["dry_run"] is True
    assert bad.exit_code == 2
    assert "not a duration" in bad.stderr


def test_demo_builds_a_fresh_database_every_time(cli_env: Path) -> None:
    demo_dir = cli_env / "demo"

    first = invoke("demo", "--dir", str(demo_dir))
    second = invoke("demo", "--dir", str(demo_dir))

    assert first.exit_code == 0
    assert second.exit_code == 0
    assert "imported 36 notes (ana: 18 notes, ben: 18 notes); skipped 0" in second.stdout
    for person in ("ana", "ben"):  # each person's activities, then a timeline of moments
        assert f"{person}'s activities" in second.stdout
        assert f"{person}'s timeline" in second.stdout
    assert second.stdout.count("│ running ") >= 2


def test_demo_refuses_to_wipe_a_directory_it_did_not_make(cli_env: Path) -> None:
    precious = cli_env / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("do not delete")

    result = invoke("demo", "--dir", str(precious))

    assert result.exit_code == 1
    assert (precious / "thesis.tex").exists()


def test_the_installed_entry_point_runs(cli_env: Path) -> None:
    executable = Path(sys.executable).parent / "robonotes"

    result = subprocess.run(
        [str(executable), "status", "--json"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert "PENDING" in json.loads(result.stdout)["counts"]
