"""`robonotes health`: exit non-zero when no worker heartbeat is fresh or a lease is overdue."""

from __future__ import annotations

import json

import typer

from robonotes.bootstrap import Container
from robonotes.cli.common import out, run
from robonotes.domain.jobs import QueueStats


def _problems(stats: QueueStats) -> list[str]:
    problems = []
    if stats.live_workers == 0:
        problems.append("no worker heartbeat is fresh")
    if stats.overdue_leases:
        problems.append(f"{stats.overdue_leases} lease(s) are overdue")
    return problems


def health(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Check the queue answers, a worker is alive, and no lease is overdue."""

    async def work(container: Container) -> QueueStats:
        await container.queue.ping()
        return await container.queue.stats()

    stats = run(work)
    problems = _problems(stats)
    report = {
        "healthy": not problems,
        "problems": problems,
        "live_workers": stats.live_workers,
        "overdue_leases": stats.overdue_leases,
        "ready": stats.ready,
        "delayed": stats.delayed,
        "leased": stats.leased,
        "dead": stats.dead,
        "oldest_ready_age_s": stats.oldest_ready_age_s,
    }
    if as_json:
        out.print(json.dumps(report), markup=False, soft_wrap=True)
    else:
        verdict = (
            "[green]healthy[/]" if not problems else "[red]unhealthy[/]: " + "; ".join(problems)
        )
        out.print(
            f"{verdict}  workers={stats.live_workers} ready={stats.ready} delayed={stats.delayed} "
            f"leased={stats.leased} dead={stats.dead} overdue={stats.overdue_leases}"
        )
    if problems:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add `robonotes health`."""
    app.command("health")(health)
