"""`robonotes demo`: a fresh SQLite database, two people, a sample journal, and what happened.

Each step is a small function so later issues can add theirs (run the worker, show the
extraction) between them.
"""

from __future__ import annotations

import asyncio
import shutil
from collections import Counter
from datetime import UTC
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.markup import escape
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from robonotes.bootstrap import Container
from robonotes.cli.common import fail, out, run
from robonotes.cli.entities import activities_table, moments_table
from robonotes.cli.notes import ImportReport, import_file
from robonotes.cli.status import status_counts
from robonotes.config import DEFAULT_DATA_DIR, Settings
from robonotes.domain.entities import Moment, Occurrence
from robonotes.domain.notes import NoteData, User

DEMO_DIR = DEFAULT_DATA_DIR / "demo"
DEMO_DB_NAME = "robonotes.db"
DEMO_FILES = "robonotes"
"""Files in the demo directory whose names start so are the demo's own (db, -wal, -shm, logs)."""
DEMO_USERS = ("ana", "ben")
SETTLED = ("COMPLETED", "SKIPPED", "FAILED", "SUPERSEDED", "CANCELLED")
PROGRESS_POLL_S = 0.2


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
    # The demo is the embedded default everywhere: no Redis, and the offline provider even when
    # an OpenAI key is in the environment (a demo should not spend money or need a network).
    return Settings(database_url=url, database_schema=None, redis_url=None, robo_provider="offline")


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


async def process_all(container: Container, total: int) -> dict[str, int]:
    """Run one worker in burst mode, with a progress bar, until every note is settled."""
    worker = container.worker(burst=True)
    task = asyncio.create_task(worker.run())
    with Progress(
        TextColumn("Robo is reading"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=out,
        transient=False,
    ) as progress:
        bar = progress.add_task("notes", total=total)
        while not task.done():
            counts = await status_counts(container)
            progress.update(bar, completed=sum(counts.get(state, 0) for state in SETTLED))
            await asyncio.wait({task}, timeout=PROGRESS_POLL_S)
        counts = await status_counts(container)
        progress.update(bar, completed=sum(counts.get(state, 0) for state in SETTLED))
    await task
    return counts


def _found_cell(occurrences: list[Occurrence]) -> str:
    parts = []
    for occurrence in occurrences:
        detail = [
            text
            for text in (
                occurrence.quantity_text,
                f"{occurrence.duration_minutes:g} min" if occurrence.duration_minutes else None,
                occurrence.object,
            )
            if text
        ]
        extra = f" ({', '.join(detail)})" if detail else ""
        parts.append(f"[bold]{escape(occurrence.activity_name)}[/]{escape(extra)}")
    return "\n".join(parts) or "[dim]-[/]"


def _moments_cell(moments: list[Moment]) -> str:
    lines = []
    for moment in moments:
        facts = [f for f in (moment.part_of_day, ", ".join(moment.people), moment.place) if f]
        lines.append(
            escape(moment.title) + (f" [dim]{escape(' · '.join(facts))}[/]" if facts else "")
        )
    return "\n".join(lines) or "[dim]-[/]"


async def show_extraction(
    container: Container, users: dict[str, User], notes: list[NoteData]
) -> None:
    """Per person, per note: what Robo found (activities and moments)."""
    for name, user in users.items():
        table = Table(title=f"What Robo found in {name}'s notes", show_lines=True)
        table.add_column("written", no_wrap=True)
        table.add_column("note", ratio=3)
        table.add_column("activities", ratio=2)
        table.add_column("moments (when · who · where)", ratio=3)
        for note in sorted((n for n in notes if n.user_id == user.id), key=lambda n: n.created_at):
            occurrences = await container.activities.for_note(user_id=user.id, note_id=note.id)
            moments = await container.moments.for_note(user_id=user.id, note_id=note.id)
            text = note.body if len(note.body) <= 160 else note.body[:159] + "…"
            table.add_row(
                local_time(note), escape(text), _found_cell(occurrences), _moments_cell(moments)
            )
        out.print(table)


async def show_history(container: Container, users: dict[str, User]) -> None:
    """Each person's activities (count, total time, last seen) and a timeline of moments."""
    for name, user in users.items():
        summaries = await container.activities.list(user_id=user.id, limit=500)
        out.print(activities_table(summaries, title=f"{name}'s activities"))
        moments, _ = await container.moments.list(user_id=user.id, limit=200)
        out.print(moments_table(moments, title=f"{name}'s timeline"))


def demo(
    directory: Path = typer.Option(DEMO_DIR, "--dir", help="Where the demo database lives."),
) -> None:
    """Run the demo on a fresh embedded database (deleted and recreated each time)."""
    out.print(Panel.fit("Robo Notes demo: embedded SQLite, SQL queue, offline Robo", style="bold"))
    reset_directory(directory)
    settings = demo_settings(directory)
    revision = migrate(settings)
    out.print(
        f"[green]✓[/] database {escape(str(directory / DEMO_DB_NAME))} at revision {revision}"
    )

    async def work(container: Container) -> dict[str, int]:
        users = await create_users(container)
        out.print(f"[green]✓[/] created users {', '.join(users)}")
        report = await import_journal(container, users)
        show_import(users, report)
        show_status(await status_counts(container))
        counts = await process_all(container, total=len(report.saved))
        show_status(counts)
        await show_extraction(container, users, report.saved)
        await show_history(container, users)
        return counts

    counts = run(work, settings=settings)
    unsettled = sum(counts.get(state, 0) for state in counts if state not in SETTLED)
    if unsettled:
        fail(f"{unsettled} notes were not processed; see `robonotes status`")


def register(app: typer.Typer) -> None:
    """Add `demo` to the main app."""
    app.command("demo")(demo)
