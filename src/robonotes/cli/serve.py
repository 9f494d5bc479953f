"""`robonotes serve`: the HTTP API under uvicorn."""

from __future__ import annotations

import typer

APP_FACTORY = "robonotes.api.app:create_app"


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port."),
    workers: int = typer.Option(1, "--workers", min=1, help="Server processes."),
) -> None:
    """Serve the notes API (OpenAPI at /docs); Robo work runs in `robonotes worker`."""
    import uvicorn

    uvicorn.run(
        APP_FACTORY, factory=True, host=host, port=port, workers=workers, proxy_headers=True
    )


def register(app: typer.Typer) -> None:
    """Add `serve` to the main app."""
    app.command("serve")(serve)
