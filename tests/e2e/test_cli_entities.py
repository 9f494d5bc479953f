"""`robonotes activities list` and `robonotes moments list` end to end on a real SQLite file.

History is seeded through the linking recorder with hand-made results, so no worker or extractor
is involved; the commands then read it as a person would.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from robonotes.bootstrap import Container
from robonotes.cli.main import app
from robonotes.domain.context import ExtractionContext
from robonotes.domain.results import (
    ExtractedActivity,
    ExtractedMoment,
    MomentStatus,
    MomentTime,
    RoboProcessingResult,
)

runner = CliRunner()
T0 = datetime(2026, 3, 16, 8, 0, tzinfo=UTC)
ACTIVITY_KEYS = {"id", "name", "aliases", "count", "total_duration_minutes", "last_seen"}


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory whose database is a fresh, migrated SQLite file."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ROBONOTES_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    for name in ("ROBONOTES_REDIS_URL", "ROBONOTES_DATABASE_SCHEMA", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert invoke("db", "upgrade").exit_code == 0
    return tmp_path


def _note_result(
    name: str, surface: str, *, minutes: float, at: datetime, title: str, people: tuple[str, ...]
) -> RoboProcessingResult:
    return RoboProcessingResult(
        activities=(
            ExtractedActivity(
                name=name, surface=surface, evidence=surface, duration_minutes=minutes
            ),
        ),
        moments=(
            ExtractedMoment(
                title=title,
                summary=title,
                status=MomentStatus.HAPPENED,
                evidence=surface,
                time=MomentTime(start=at),
                people=people,
                activities=(name,),
            ),
        ),
        provider="test",
        model="hand-made",
        prompt_version="t1",
    )


async def _seed(user_name: str) -> None:
    """Three notes of one person: two runs written differently, one [bold]reading[/] session."""
    notes = [
        ("ran 5k", _note_result("running", "ran", minutes=30, at=T0, title="Run", people=("Sam",))),
        (
            "jogged",
            _note_result(
                "running",
                "jogged",
                minutes=20,
                at=T0 + timedelta(days=1),
                title="Jog",
                people=(),
            ),
        ),
        (
            "read",
            _note_result(
                "reading",
                "read",
                minutes=45,
                at=T0 + timedelta(days=2),
                title="[bold]Dune[/] at night",
                people=(),
            ),
        ),
    ]
    container = Container()
    try:
        user = await container.users.get_by_name(name=user_name)
        for day, (body, result) in enumerate(notes):
            note = await container.notes.create(
                user_id=user.id, body=body, created_at=T0 + timedelta(days=day)
            )
            async with container.uow_factory() as uow:
                await container.recorder.replace(
                    uow, note=note, result=result, context=ExtractionContext(created_at=T0)
                )
                await uow.commit()
    finally:
        await container.aclose()


@pytest.fixture
def seeded(cli_env: Path) -> Path:
    assert invoke("users", "create", "ana").exit_code == 0
    assert invoke("users", "create", "bo").exit_code == 0
    asyncio.run(_seed("ana"))
    return cli_env


def test_activities_list_json_gives_each_activity_with_its_figures(seeded: Path) -> None:
    result = invoke("activities", "list", "--user", "ana", "--json")

    assert result.exit_code == 0, result.stderr
    listed = json.loads(result.stdout)
    assert [item["name"] for item in listed] == ["running", "reading"]
    running = listed[0]
    assert running.keys() >= ACTIVITY_KEYS
    assert isinstance(running["id"], int)
    assert (running["count"], running["total_duration_minutes"]) == (2, 50.0)
    assert "jogged" in running["aliases"]
    assert datetime.fromisoformat(running["last_seen"]) == T0 + timedelta(days=1)


def test_activities_list_sorts_by_name_and_refuses_an_unknown_sort(seeded: Path) -> None:
    by_name = invoke("activities", "list", "--user", "ana", "--json", "--sort", "name")
    unknown = invoke("activities", "list", "--user", "ana", "--sort", "popularity")

    assert [item["name"] for item in json.loads(by_name.stdout)] == ["reading", "running"]
    assert unknown.exit_code == 2
    assert "unknown sort 'popularity'" in unknown.stderr


def test_activities_of_a_person_with_none_is_an_empty_list(seeded: Path) -> None:
    result = invoke("activities", "list", "--user", "bo", "--json")

    assert result.exit_code == 0
    assert json.loads(result.stdout) == []


def test_moments_list_json_gives_the_timeline_newest_first(seeded: Path) -> None:
    result = invoke("moments", "list", "--user", "ana", "--json")

    assert result.exit_code == 0, result.stderr
    listed = json.loads(result.stdout)
    assert [m["title"] for m in listed] == ["[bold]Dune[/] at night", "Jog", "Run"]
    assert listed[2]["people"] == ["Sam"]
    assert listed[2]["activities"] == ["running"]
    assert datetime.fromisoformat(listed[2]["start"]) == T0
    assert all(len(m["note_ids"]) == 1 for m in listed)


def test_tables_show_the_history_and_print_user_text_literally(seeded: Path) -> None:
    activities = invoke("activities", "list", "--user", "ana")
    moments = invoke("moments", "list", "--user", "ana")

    assert activities.exit_code == moments.exit_code == 0
    assert "running" in activities.stdout
    assert "jogged" in activities.stdout
    assert "[bold]Dune[/]" in moments.stdout


def test_an_unknown_or_hostile_user_is_a_clear_error(cli_env: Path) -> None:
    names = ["nobody", "", "bad\x1bname", "x" * 10_000]

    results = [
        invoke(command, "list", "--user", name, "--json")
        for command in ("activities", "moments")
        for name in names
    ]

    assert [r.exit_code for r in results] == [1] * len(results)
    assert all("no user named" in r.stderr for r in results)
    assert all(r.stdout == "" for r in results)


def test_the_installed_command_prints_pure_json_on_stdout(seeded: Path) -> None:
    executable = Path(sys.executable).parent / "robonotes"

    result = subprocess.run(
        [str(executable), "activities", "list", "--user", "ana", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ.copy(),
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert [item["name"] for item in json.loads(result.stdout)] == ["running", "reading"]
