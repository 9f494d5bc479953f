"""Prometheus metrics of the Robo layer: calls, tokens, latency and dropped extraction items.

Metric objects live in prometheus-client's default registry, created once at import (no I/O:
nothing is served or pushed here; `observability` exposes the registry).
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from robonotes.domain.results import RoboCall

ROBO_CALLS = Counter(
    "robonotes_robo_calls",
    "HTTP attempts to an LLM provider, by outcome and error class.",
    ["provider", "model", "outcome", "error_class"],
)
ROBO_TOKENS = Counter(
    "robonotes_robo_tokens",
    "Tokens LLM calls used, by kind (prompt, cached, completion, reasoning).",
    ["provider", "model", "kind"],
)
ROBO_CALL_LATENCY = Histogram(
    "robonotes_robo_call_latency_seconds",
    "Latency of one HTTP attempt to an LLM provider.",
    ["provider"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 40, 60, 120),
)
ROBO_DROPPED_ITEMS = Counter(
    "robonotes_robo_dropped_items",
    "Extracted activities and moments dropped by validation, by kind and reason.",
    ["kind", "reason"],
)
ROBO_REASKS = Counter(
    "robonotes_robo_reasks",
    "Re-asks after an answer that was not valid JSON for the schema.",
    ["provider"],
)


def record_call(call: RoboCall) -> None:
    """Count one attempt, its tokens and its latency."""
    ROBO_CALLS.labels(call.provider, call.model, call.outcome.value, call.error_class or "").inc()
    usage = call.usage
    for kind, value in (
        ("prompt", usage.prompt_tokens),
        ("cached", usage.cached_tokens),
        ("completion", usage.completion_tokens),
        ("reasoning", usage.reasoning_tokens),
    ):
        if value > 0:
            ROBO_TOKENS.labels(call.provider, call.model, kind).inc(value)
    ROBO_CALL_LATENCY.labels(call.provider).observe(max(0.0, call.latency_ms) / 1000)


def record_dropped(*, kind: str, reason: str, count: int = 1) -> None:
    """Count extraction items validation dropped."""
    if count > 0:
        ROBO_DROPPED_ITEMS.labels(kind, reason).inc(count)
