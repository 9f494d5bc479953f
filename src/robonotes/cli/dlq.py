"""`robonotes dlq list|show|replay|purge`: the dead letter queue, where failed jobs wait."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import typer
from rich.table import Table

from robonotes.bootstrap import Container
from robonotes.cli.common import fail, out, run
from robonotes.domain.jobs import Job

NAME = "dlq"
app = typer.Typer(help="Dead letter queue: jobs that failed for good.", no_args_is_help=True)


def _iso(ms: int) -> str | None:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat() if ms else None


def job_json(job: Job) -> dict[str, Any]:
    """A job as `dlq list --json` and `dlq show` print it."""
    return {
        "id": job.id,
        "note_id": job.payload.note_id,
        "version": job.payload.version,
        "user_id": job.payload.user_id,
        "state": job.state.value,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "enqueued_at": _iso(job.enqueued_at_ms),
        "updated_at": _iso(job.updated_at_ms),
        "error_class": job.errors[-1].error_class if job.errors else None,
        "errors": [
            {
                "attempt": e.attempt,
                "error_class": e.error_class,
                "message": e.message,
                "at": _iso(e.at_ms),
            }
            for e in job.errors
        ],
    }


@app.command("list")
def list_(
    as_json: bool = typer.Option(False, "--json", help="One JSON array."),
    limit: int = typer.Option(100, "--limit", min=1, max=10_000),
) -> None:
    """Dead jobs, oldest first, with their last error."""

    async def work(container: Container) -> list[Job]:
        return await container.dead_letters.list(limit=limit)

    jobs = run(work)
    if as_json:
        out.print(json.dumps([job_json(job) for job in jobs]), markup=False, soft_wrap=True)
        return
    table = Table("id", "note", "version", "attempts", "last error", "died at")
    for job in jobs:
        last = job.errors[-1] if job.errors else None
        table.add_row(
            job.id,
            str(job.payload.note_id),
            str(job.payload.version),
            str(job.attempts),
            f"{last.error_class}: {last.message}"[:120] if last else "",
            _iso(job.updated_at_ms) or "",
        )
    out.print(table)
    out.print(f"{len(jobs)} dead job(s)")


@app.command("show")
def show(job_id: str = typer.Argument(..., help="A job id from `dlq list`.")) -> None:
    """One job with every attempt's error class, message and time."""

    async def work(container: Container) -> Job | None:
        return await container.dead_letters.find(job_id)

    job = run(work)
    if job is None:
        fail(f"no job {job_id!r}")
    out.print(json.dumps(job_json(job), indent=2), markup=False, soft_wrap=True)


@app.command("replay")
def replay(
    job_ids: list[str] | None = typer.Argument(None, help="Job ids to replay."),
    all_: bool = typer.Option(False, "--all", help="Replay every dead job."),
    rate: float = typer.Option(
        10.0, "--rate", min=0.1, max=10_000, help="At most this many jobs per second."
    ),
) -> None:
    """Put dead jobs back to ready with fresh attempts, at a bounded rate."""
    if all_ == bool(job_ids):
        fail("give job ids or --all (not both)", code=2)

    async def work(container: Container) -> list[str]:
        return await container.dead_letters.replay(
            job_ids=None if all_ else list(job_ids or []), rate_per_s=rate
        )

    replayed = run(work)
    out.print(f"replayed {len(replayed)} job(s)")


@app.command("purge")
def purge(
    job_ids: list[str] | None = typer.Argument(None, help="Job ids to delete (default: all)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask."),
) -> None:
    """Delete dead jobs for good."""
    if not job_ids and not yes:
        typer.confirm("delete every job in the DLQ?", abort=True)

    async def work(container: Container) -> int:
        return await container.dead_letters.purge(job_ids=list(job_ids) if job_ids else None)

    out.print(f"purged {run(work)} job(s)")
