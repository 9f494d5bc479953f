"""`robonotes cleanup`: delete terminal processing status rows older than the retention."""

from __future__ import annotations

import json

import typer

from robonotes.bootstrap import Container
from robonotes.cli.common import EXIT_USAGE, fail, out, run
from robonotes.config import parse_duration
from robonotes.services.cleanup import DEFAULT_BATCH_SIZE, CleanupReport


def cleanup(
    older_than: str | None = typer.Option(
        None, "--older-than", help="Age such as 7d, 12h, 30m (default: the status retention)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only count what would be deleted."),
    batch_size: int = typer.Option(DEFAULT_BATCH_SIZE, "--batch-size", min=1, max=100_000),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Delete COMPLETED, SKIPPED, SUPERSEDED, CANCELLED (and DLQ-purged FAILED) status rows."""
    try:
        age = parse_duration(older_than) if older_than is not None else None
    except ValueError as exc:
        fail(str(exc), code=EXIT_USAGE)

    async def work(container: Container) -> CleanupReport:
        return await container.cleanup.run(older_than=age, dry_run=dry_run, batch_size=batch_size)

    report = run(work)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "dry_run": report.dry_run,
                    "older_than_s": report.older_than.total_seconds(),
                    "terminal_rows": report.terminal_rows,
                    "failed_rows": report.failed_rows,
                    "total_rows": report.total_rows,
                }
            )
        )
        return
    verb = "would delete" if report.dry_run else "deleted"
    out.print(
        f"{verb} {report.total_rows} status rows older than {report.older_than} "
        f"({report.terminal_rows} terminal, {report.failed_rows} failed and out of the DLQ)"
    )


def register(app: typer.Typer) -> None:
    """Add `cleanup` to the main app."""
    app.command("cleanup")(cleanup)
