"""`robonotes serve`: the HTTP API under uvicorn, optionally with one in-process worker."""

from __future__ import annotations

import typer

from robonotes.cli.common import EXIT_USAGE, fail

APP_FACTORY = "robonotes.api.app:create_app"


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port."),
    workers: int = typer.Option(1, "--workers", min=1, help="Server processes."),
    with_worker: bool = typer.Option(
        False, "--with-worker", help="Also process notes in this process (the embedded mode)."
    ),
) -> None:
    """Serve the notes API (OpenAPI at /docs); Robo runs in `robonotes worker` or --with-worker."""
    import uvicorn

    if not with_worker:
        uvicorn.run(
            APP_FACTORY, factory=True, host=host, port=port, workers=workers, proxy_headers=True
        )
        return
    if workers != 1:
        fail(
            "--with-worker runs one server process; use `robonotes worker` to scale",
            code=EXIT_USAGE,
        )
    from robonotes.api.app import create_app

    uvicorn.run(create_app(with_worker=True), host=host, port=port, proxy_headers=True)


def register(app: typer.Typer) -> None:
    """Add `serve` to the main app."""
    app.command("serve")(serve)
