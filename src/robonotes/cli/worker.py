"""`robonotes worker`: process notes in the background, in one or several processes."""

from __future__ import annotations

import asyncio

import typer

from robonotes.bootstrap import Container
from robonotes.cli.common import fail


async def run_worker(
    container: Container, *, concurrency: int | None, burst: bool, metrics_port: int | None
) -> int:
    """One worker in this process until SIGTERM/SIGINT (or, burst, until no work is left)."""
    from robonotes.observability import configure_logging, serve_metrics

    settings = container.settings
    configure_logging(level=settings.log_level, json=settings.log_json)
    if metrics_port is not None:
        serve_metrics(metrics_port)
    worker = container.worker(concurrency=concurrency, burst=burst)
    worker.install_signal_handlers()
    return await worker.run()


def _run_in_process(*, concurrency: int | None, burst: bool, metrics_port: int | None) -> None:
    async def main() -> None:
        container = Container()
        try:
            await run_worker(
                container, concurrency=concurrency, burst=burst, metrics_port=metrics_port
            )
        finally:
            await container.aclose()

    asyncio.run(main())


def worker(
    processes: int = typer.Option(1, "--processes", "-p", min=1, max=256, help="Worker processes."),
    concurrency: int | None = typer.Option(
        None, "--concurrency", "-c", min=1, max=10_000, help="Jobs in flight per process (64)."
    ),
    burst: bool = typer.Option(
        False, "--burst", help="Exit 0 once nothing is ready, delayed or leased."
    ),
    metrics_port: int | None = typer.Option(
        None,
        "--metrics-port",
        min=1,
        max=65535,
        help="Serve Prometheus metrics here (process i of N uses port + i).",
    ),
) -> None:
    """Claim and process notes; N processes are supervised and restarted when they crash."""
    if processes == 1:
        try:
            _run_in_process(concurrency=concurrency, burst=burst, metrics_port=metrics_port)
        except Exception as exc:  # a crash must exit non-zero so the supervisor restarts us
            fail(f"worker crashed: {type(exc).__name__}: {exc}")
        return

    from robonotes.observability import configure_logging

    container = Container()
    configure_logging(level=container.settings.log_level, json=container.settings.log_json)
    container.preload_worker()

    def child(index: int) -> int:
        port = None if metrics_port is None else metrics_port + index
        _run_in_process(concurrency=concurrency, burst=burst, metrics_port=port)
        return 0

    supervisor = container.supervisor(target=child, processes=processes, burst=burst)
    raise typer.Exit(supervisor.run())


def register(app: typer.Typer) -> None:
    """Add `robonotes worker`."""
    app.command("worker")(worker)
