"""`robonotes status`: how many note versions are in each processing state."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from robonotes.bootstrap import Container
from robonotes.cli.common import out, run
from robonotes.domain.status import ProcessingState


async def status_counts(container: Container) -> dict[str, int]:
    """Counts by state, every state present, in the status machine's order."""
    async with container.uow_factory() as uow:
        counts = await uow.statuses.counts()
    return {state.value: counts.get(state, 0) for state in ProcessingState}


def status(as_json: bool = typer.Option(False, "--json", help='Print {"counts": {...}}.')) -> None:
    """Show how many note versions are in each processing state."""
    counts = run(status_counts)
    if as_json:
        typer.echo(json.dumps({"counts": counts}))
        return
    table = Table("state", "notes")
    for state, count in counts.items():
        table.add_row(state, str(count))
    out.print(table)


def register(app: typer.Typer) -> None:
    """Add `status` to the main app."""
    app.command("status")(status)
