"""Command-line flags of the dev server, shared by `python -m robonotes.devserver` and the CLI."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from robonotes.devserver.faults import Fault, FaultPlan


def parser() -> argparse.ArgumentParser:
    """The dev server's flags; each maps to a FaultPlan field (see faults.py)."""
    p = argparse.ArgumentParser(
        prog="python -m robonotes.devserver",
        description="A local OpenAI-compatible server that can be slow, rate-limit, fail and lie.",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8089)
    p.add_argument("--api-key", default=None, help="require 'Authorization: Bearer KEY'")
    p.add_argument("--log-level", default="info")
    p.add_argument("--latency-ms", type=float, default=0.0)
    p.add_argument("--latency-jitter-ms", type=float, default=0.0)
    p.add_argument("--fault", choices=[f.value for f in Fault], default=Fault.OK.value)
    p.add_argument("--fail-rate", type=float, default=0.0, help="probability of a 5xx")
    p.add_argument("--fail-status", type=int, default=500, choices=[500, 502, 503])
    p.add_argument("--fail-next", type=int, default=0, help="answer the next N requests with 5xx")
    p.add_argument("--retry-after-s", type=float, default=1.0)
    p.add_argument("--obey-injections", action="store_true")
    p.add_argument("--extractor", choices=["auto", "heuristic"], default="auto")
    p.add_argument("--reasoning-tokens", type=int, default=0)
    p.add_argument("--limit-requests", type=int, default=10_000, help="per minute")
    p.add_argument("--limit-tokens", type=int, default=10_000_000, help="per minute")
    p.add_argument("--enforce-limits", action="store_true", help="429 once the limits are used")
    p.add_argument("--seed", type=int, default=None)
    return p


def plan_from_args(args: argparse.Namespace) -> FaultPlan:
    """The FaultPlan the parsed flags describe."""
    return FaultPlan(
        latency_ms=args.latency_ms,
        latency_jitter_ms=args.latency_jitter_ms,
        fault=Fault(args.fault),
        fail_rate=args.fail_rate,
        fail_status=args.fail_status,
        fail_next=args.fail_next,
        retry_after_s=args.retry_after_s,
        obey_injections=args.obey_injections,
        extractor=args.extractor,
        reasoning_tokens=args.reasoning_tokens,
        limit_requests=args.limit_requests,
        limit_tokens=args.limit_tokens,
        enforce_limits=args.enforce_limits,
        seed=args.seed,
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the flags and serve in the foreground."""
    from robonotes.devserver.control import serve

    args = parser().parse_args(argv)
    serve(
        plan_from_args(args),
        host=args.host,
        port=args.port,
        api_key=args.api_key,
        log_level=args.log_level,
    )
