"""`robonotes demo`: a fresh SQLite database, two people, a sample journal, and what happened.

Each step is a small function so later issues can add theirs (run the worker, show the
extraction) between them.
"""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import UTC
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from robonotes.bootstrap import Container
from robonotes.cli.common import fail, out, run
from robonotes.cli.notes import ImportReport, import_file
from robonotes.cli.status import status_counts
from robonotes.config import DEFAULT_DATA_DIR, Settings
from robonotes.domain.notes import NoteData, User

DEMO_DIR = DEFAULT_DATA_DIR / "demo"
DEMO_DB_NAME = "robonotes.db"
DEMO_FILES = "robonotes"
"""Files in the demo directory whose names start so are the demo's own (db, -wal, -shm, logs)."""
DEMO_USERS = ("ana", "ben")


def sample_journal() -> Path:
    """The sample journal shipped in the package."""
    return Path(str(resources.files("robonotes") / "data" / "sample_journal.jsonl"))


def reset_directory(directory: Path) -> None:
    """Delete and recreate the demo directory; refuse one holding files the demo did not make."""
    if directory.exists():
        if not directory.is_dir():
            fail(f"{directory} is not a directory")
        strangers = [p.name for p in directory.iterdir() if not p.name.startswith(DEMO_FILES)]
        if strangers:
            fail(f"{directory} holds files the demo did not make ({', '.join(strangers[:3])})")
        shutil.rmtree(directory)
    directory.mkdir(parents=True)


def demo_settings(directory: Path) -> Settings:
    """Settings for the embedded default: SQLite in `directory`, the SQL queue, no Redis."""
    url = f"sqlite+aiosqlite:///{directory.resolve() / DEMO_DB_NAME}"
    return Settings(database_url=url, database_schema=None, redis_url=None)


def migrate(settings: Settings) -> str | None:
    """Create the schema; return its revision."""
    return Container(settings).migrate()


async def create_users(container: Container) -> dict[str, User]:
    """The demo's two people (their tokens are not needed here, so they are not shown)."""
    users: dict[str, User] = {}
    for name in DEMO_USERS:
        user, _token = await container.users.create(name=name)
        users[name] = user
    return users


async def import_journal(container: Container, users: dict[str, User]) -> ImportReport:
    """Import the sample journal, each line owned by the person its `user` field names."""
    return await import_file(
        container, sample_journal(), users_by_name={name: u.id for name, u in users.items()}
    )


def local_time(note: NoteData) -> str:
    """When the note was written, in its writer's time zone when known."""
    try:
        zone = ZoneInfo(note.time_zone) if note.time_zone else UTC
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    return note.created_at.astimezone(zone).strftime("%a %d %b %H:%M %Z")


def show_import(users: dict[str, User], report: ImportReport) -> None:
    """Print how many notes each person got, and the first few."""
    per_user = Counter(note.user_id for note in report.saved)
    names = {user.id: name for name, user in users.items()}
    table = Table("id", "who", "written", title="sample journal (first 8 notes)")
    table.add_column("note", no_wrap=True, overflow="ellipsis")
    for note in sorted(report.saved, key=lambda n: n.created_at)[:8]:
        first_line = (note.title or note.body).splitlines()[0]
        if len(first_line) > 48:
            first_line = first_line[:47] + "…"
        table.add_row(
            str(note.id),
            names.get(note.user_id, "?"),
            local_time(note),
            escape(first_line),
        )
    out.print(table)
    summary = ", ".join(f"{name}: {per_user[user.id]} notes" for name, user in users.items())
    out.print(f"imported {len(report.saved)} notes ({summary}); skipped {len(report.skipped)}")
    for line_no, reason in report.skipped:
        out.print(f"  line {line_no}: {escape(reason)}")


def show_status(counts: dict[str, int]) -> None:
    """Print the processing status counts."""
    busy = {state: count for state, count in counts.items() if count}
    out.print("processing status: " + ", ".join(f"{s} {c}" for s, c in busy.items()))


def demo(
    directory: Path = typer.Option(DEMO_DIR, "--dir", help="Where the demo database lives."),
) -> None:
    """Run the demo on a fresh embedded database (deleted and recreated each time)."""
    out.print(Panel.fit("Robo Notes demo: embedded SQLite, SQL queue", style="bold"))
    reset_directory(directory)
    settings = demo_settings(directory)
    revision = migrate(settings)
    out.print(
        f"[green]✓[/] database {escape(str(directory / DEMO_DB_NAME))} at revision {revision}"
    )

    async def work(container: Container) -> tuple[dict[str, User], ImportReport, dict[str, int]]:
        users = await create_users(container)
        out.print(f"[green]✓[/] created users {', '.join(users)}")
        report = await import_journal(container, users)
        return users, report, await status_counts(container)

    users, report, counts = run(work, settings=settings)
    show_import(users, report)
    show_status(counts)


def register(app: typer.Typer) -> None:
    """Add `demo` to the main app."""
    app.command("demo")(demo)
