"""`robonotes notes add | import | list`: write and read a person's notes from the shell."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from robonotes.bootstrap import Container
from robonotes.cli.common import EXIT_USAGE, err, fail, out, run
from robonotes.cli.jsonl import LineError, iter_lines, max_line_bytes, parse_line
from robonotes.domain.exceptions import NoteValidationError
from robonotes.domain.notes import NoteData

app = typer.Typer(help="Write and read notes.", no_args_is_help=True)

LIST_PAGE_SIZE = 200


@dataclass
class ImportReport:
    """What an import saved and which lines it skipped (line number, reason)."""

    saved: list[NoteData] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)


async def import_file(
    container: Container,
    path: Path,
    *,
    user_id: int | None = None,
    users_by_name: Mapping[str, int] | None = None,
    on_line: Callable[[int], None] | None = None,
    on_skip: Callable[[int, str], None] | None = None,
) -> ImportReport:
    """Save every good line of a JSONL file as a note; report and skip the bad ones.

    Each note is its own transaction, so a bad or failing line never loses the others. The
    owner is `user_id`, or else the line's `user` looked up in `users_by_name`.
    """
    report = ImportReport()
    limit = max_line_bytes(container.settings.max_note_chars)

    def skip(line_no: int, reason: str) -> None:
        report.skipped.append((line_no, reason))
        if on_skip is not None:
            on_skip(line_no, reason)

    with path.open("rb") as stream:
        for line_no, raw in iter_lines(stream, limit_bytes=limit):
            if on_line is not None:
                on_line(stream.tell())
            if raw is None:
                skip(line_no, f"line longer than {limit} bytes")
                continue
            try:
                line = parse_line(raw, line_no=line_no)
            except LineError as exc:
                skip(line_no, str(exc))
                continue
            if line is None:
                continue
            owner = user_id
            if owner is None:
                owner = (users_by_name or {}).get(line.user or "")
                if owner is None:
                    skip(line_no, "'user' is missing or names no known user")
                    continue
            try:
                note = await container.notes.create(
                    user_id=owner,
                    body=line.text,
                    title=line.title,
                    created_at=line.created_at,
                    time_zone=line.time_zone,
                    source_id=line.source_id,
                )
            except NoteValidationError as exc:
                skip(line_no, str(exc))
                continue
            report.saved.append(note)
    return report


def _open_checked(path: Path) -> None:
    if not path.exists():
        fail(f"no such file: {path}", code=EXIT_USAGE)
    if not path.is_file():
        fail(f"not a regular file: {path}", code=EXIT_USAGE)
    try:
        path.open("rb").close()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}", code=EXIT_USAGE)


@app.command("add")
def add(
    text: str = typer.Argument(..., help="The note's body (Markdown)."),
    user: str = typer.Option(..., "--user", "-u", help="Owner's name."),
    title: str | None = typer.Option(None, "--title", "-t", help="Optional title."),
) -> None:
    """Save one note; Robo processes it in the background."""

    async def work(container: Container) -> NoteData:
        owner = await container.users.get_by_name(name=user)
        return await container.notes.create(user_id=owner.id, body=text, title=title)

    note = run(work)
    out.print(f"saved note {note.id} (version {note.version}, robo {note.robo_status.value})")


@app.command("import")
def import_(
    path: Path = typer.Argument(..., help="JSONL: one object a line with text, title, created_at."),
    user: str = typer.Option(..., "--user", "-u", help="Owner of every imported note."),
) -> None:
    """Import notes from a JSONL file; bad lines are reported on stderr and skipped."""
    _open_checked(path)
    size = path.stat().st_size

    async def work(container: Container) -> ImportReport:
        owner = await container.users.get_by_name(name=user)
        with Progress(
            TextColumn("importing"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        ) as progress:
            task = progress.add_task("import", total=size or None)

            def skipped(line_no: int, reason: str) -> None:
                progress.console.print(f"[yellow]line {line_no}:[/] {escape(reason)} (skipped)")

            return await import_file(
                container,
                path,
                user_id=owner.id,
                on_line=lambda position: progress.update(task, completed=position),
                on_skip=skipped,
            )

    report = run(work)
    out.print(f"imported {len(report.saved)} notes, skipped {len(report.skipped)} lines")
    if report.skipped and not report.saved:
        raise typer.Exit(1)


def note_json(note: NoteData) -> dict[str, Any]:
    """The JSON form of a note for `notes list --json`."""
    return {
        "id": note.id,
        "title": note.title,
        "body": note.body,
        "version": note.version,
        "created_at": note.created_at.isoformat(),
        "updated_at": note.updated_at.isoformat(),
        "time_zone": note.time_zone,
        "robo_status": note.robo_status.value,
        "robo_processed_version": note.robo_processed_version,
    }


def _preview(note: NoteData, width: int = 60) -> str:
    text = (note.title or note.body).strip().splitlines()
    first = text[0] if text else ""
    return first if len(first) <= width else first[: width - 1] + "…"


@app.command("list")
def list_(
    user: str = typer.Option(..., "--user", "-u", help="Owner's name."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON array."),
    limit: int | None = typer.Option(
        None, "--limit", min=1, help="At most this many, newest first."
    ),
) -> None:
    """List a person's notes, newest first."""

    async def work(container: Container) -> list[NoteData]:
        owner = await container.users.get_by_name(name=user)
        notes: list[NoteData] = []
        cursor: int | None = None
        while limit is None or len(notes) < limit:
            page = await container.notes.list(user_id=owner.id, cursor=cursor, limit=LIST_PAGE_SIZE)
            notes.extend(page.items)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        return notes if limit is None else notes[:limit]

    notes = run(work)
    if as_json:
        typer.echo(json.dumps([note_json(note) for note in notes], ensure_ascii=False))
        return
    table = Table("id", "created", "version", "robo", "note")
    for note in notes:
        table.add_row(
            str(note.id),
            note.created_at.strftime("%Y-%m-%d %H:%M"),
            str(note.version),
            note.robo_status.value,
            escape(_preview(note)),
        )
    out.print(table)
