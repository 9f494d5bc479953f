"""`robonotes db upgrade`: run the migrations shipped in the package."""

from __future__ import annotations

import typer

from robonotes.bootstrap import Container
from robonotes.cli.common import fail, out
from robonotes.domain.exceptions import RoboNotesError

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade() -> None:
    """Bring the database up to the newest schema (safe to run again)."""
    container = Container()
    try:
        revision = container.migrate()
    except RoboNotesError as exc:
        fail(str(exc))
    out.print(f"database at revision [bold]{revision}[/]")
