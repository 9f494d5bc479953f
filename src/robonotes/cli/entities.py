"""`robonotes activities list` and `robonotes moments list`: a person's linked history."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from robonotes.bootstrap import Container
from robonotes.cli.common import EXIT_USAGE, fail, out, run
from robonotes.domain.entities import ActivitySummary, Moment

activities_app = typer.Typer(help="A person's activities and their history.", no_args_is_help=True)
moments_app = typer.Typer(help="A person's moments.", no_args_is_help=True)

UserOption = typer.Option(..., "--user", help="The person's name.")
JsonOption = typer.Option(False, "--json", help="Print JSON instead of a table.")
ACTIVITY_SORTS = ("count", "name", "last_seen", "total_duration")


def register(app: typer.Typer) -> None:
    """Add the `activities` and `moments` groups."""
    app.add_typer(activities_app, name="activities")
    app.add_typer(moments_app, name="moments")


def activity_json(summary: ActivitySummary) -> dict[str, Any]:
    """The JSON form of one activity, as `activities list --json` prints it."""
    activity = summary.activity
    return {
        "id": activity.id,
        "name": activity.name,
        "category": activity.category,
        "aliases": list(activity.aliases),
        "count": summary.count,
        "total_duration_minutes": summary.total_duration_minutes,
        "first_seen": summary.first_seen.isoformat() if summary.first_seen else None,
        "last_seen": summary.last_seen.isoformat() if summary.last_seen else None,
    }


def moment_json(moment: Moment) -> dict[str, Any]:
    """The JSON form of one moment, as `moments list --json` prints it."""
    return {
        "id": moment.id,
        "title": moment.title,
        "summary": moment.summary,
        "status": moment.status,
        "start": moment.start.isoformat() if moment.start else None,
        "part_of_day": moment.part_of_day,
        "people": list(moment.people),
        "place": moment.place,
        "emotions": list(moment.emotions),
        "valence": moment.valence,
        "activities": list(moment.activities),
        "evidence": moment.evidence,
        "note_ids": list(moment.note_ids),
    }


def activities_table(summaries: list[ActivitySummary], *, title: str) -> Table:
    """A rich table of activities: count, total time, last seen, aliases."""
    table = Table(title=title)
    for column in ("activity", "count", "total time", "last seen", "also written as"):
        table.add_column(column)
    for summary in summaries:
        minutes = summary.total_duration_minutes
        table.add_row(
            escape(summary.activity.name),
            str(summary.count),
            f"{minutes / 60:.1f} h" if minutes else "-",
            summary.last_seen.strftime("%Y-%m-%d") if summary.last_seen else "-",
            escape(", ".join(summary.activity.aliases[:5])),
        )
    return table


def moments_table(moments: list[Moment], *, title: str) -> Table:
    """A rich timeline of moments, oldest first."""
    table = Table(title=title)
    for column in ("when", "moment", "activities", "with", "where"):
        table.add_column(column)
    for moment in sorted(moments, key=lambda m: (m.start is None, m.start, m.id)):
        when = moment.start.strftime("%a %d %b") if moment.start else "-"
        if moment.part_of_day:
            when = f"{when} {moment.part_of_day}"
        if moment.status != "happened":  # a plan or a habit has no place on the calendar yet
            when = moment.status if moment.start is None else f"{when} ({moment.status})"
        table.add_row(
            escape(when),
            escape(moment.title),
            escape(", ".join(moment.activities)),
            escape(", ".join(moment.people)),
            escape(moment.place or ""),
        )
    return table


@activities_app.command("list")
def list_activities(
    user: str = UserOption,
    as_json: bool = JsonOption,
    sort: str = typer.Option("count", help="count, name, last_seen or total_duration."),
) -> None:
    """List a person's activities with count, total duration and last seen."""
    if sort not in ACTIVITY_SORTS:
        fail(f"unknown sort {sort!r}: use one of {', '.join(ACTIVITY_SORTS)}", code=EXIT_USAGE)

    async def work(container: Container) -> list[ActivitySummary]:
        owner = await container.users.get_by_name(name=user)
        return await container.activities.list(user_id=owner.id, sort=sort, limit=500)

    summaries = run(work)
    if as_json:
        typer.echo(json.dumps([activity_json(s) for s in summaries], ensure_ascii=False))
    else:
        out.print(activities_table(summaries, title=f"Activities of {escape(user)}"))


@moments_app.command("list")
def list_moments(
    user: str = UserOption,
    as_json: bool = JsonOption,
    limit: int = typer.Option(200, min=1, max=200, help="How many, newest first."),
) -> None:
    """List a person's moments, newest first."""

    async def work(container: Container) -> list[Moment]:
        owner = await container.users.get_by_name(name=user)
        moments, _ = await container.moments.list(user_id=owner.id, limit=limit)
        return moments

    moments = run(work)
    if as_json:
        typer.echo(json.dumps([moment_json(m) for m in moments], ensure_ascii=False))
    else:
        out.print(moments_table(moments, title=f"Moments of {escape(user)}"))
