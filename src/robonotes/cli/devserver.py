"""`robonotes devserver`: the local OpenAI-compatible server, same flags as its `-m` form."""

from __future__ import annotations

import typer

from robonotes.devserver.faults import Fault


def devserver(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8089, "--port", min=1, max=65535, help="TCP port."),
    api_key: str | None = typer.Option(None, "--api-key", help="Require this bearer key."),
    latency_ms: float = typer.Option(0.0, "--latency-ms", min=0, help="Delay of every answer."),
    latency_jitter_ms: float = typer.Option(0.0, "--latency-jitter-ms", min=0),
    fault: Fault = typer.Option(Fault.OK, "--fault", help="Answer every request this way."),
    fail_rate: float = typer.Option(0.0, "--fail-rate", min=0, max=1, help="Chance of a 5xx."),
    fail_status: int = typer.Option(500, "--fail-status", min=500, max=599),
    fail_next: int = typer.Option(0, "--fail-next", min=0, help="5xx for the next N requests."),
    retry_after_s: float = typer.Option(1.0, "--retry-after-s", min=0),
    obey_injections: bool = typer.Option(
        False, "--obey-injections", help="Follow instructions found outside the note block."
    ),
    extractor: str = typer.Option(
        "auto", "--extractor", help="auto (offline extractor when installed) or heuristic (fast)."
    ),
    reasoning_tokens: int = typer.Option(0, "--reasoning-tokens", min=0),
    limit_requests: int = typer.Option(10_000, "--limit-requests", min=1, help="Per minute."),
    limit_tokens: int = typer.Option(10_000_000, "--limit-tokens", min=1, help="Per minute."),
    enforce_limits: bool = typer.Option(False, "--enforce-limits", help="429 once used up."),
    seed: int | None = typer.Option(None, "--seed"),
    log_level: str = typer.Option("info", "--log-level"),
) -> None:
    """Serve fake OpenAI chat completions (plausible extractions, scripted faults) for tests."""
    from robonotes.devserver.control import serve
    from robonotes.devserver.faults import FaultPlan

    if extractor not in ("auto", "heuristic"):
        raise typer.BadParameter("use auto or heuristic", param_hint="--extractor")
    plan = FaultPlan(
        latency_ms=latency_ms,
        latency_jitter_ms=latency_jitter_ms,
        fault=fault,
        fail_rate=fail_rate,
        fail_status=fail_status,
        fail_next=fail_next,
        retry_after_s=retry_after_s,
        obey_injections=obey_injections,
        extractor="heuristic" if extractor == "heuristic" else "auto",
        reasoning_tokens=reasoning_tokens,
        limit_requests=limit_requests,
        limit_tokens=limit_tokens,
        enforce_limits=enforce_limits,
        seed=seed,
    )
    typer.echo(f"devserver: OpenAI-compatible API at http://{host}:{port}/v1", err=True)
    serve(plan, host=host, port=port, api_key=api_key, log_level=log_level)


def register(app: typer.Typer) -> None:
    """Add `devserver` to the main app."""
    app.command("devserver")(devserver)
