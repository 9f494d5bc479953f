"""Prometheus metrics of the Robo layer itself: HTTP attempts, re-asks and dropped items.

Tokens and call latency are counted once, by the processor's observer (`observability`), from
the same `RoboCall`s; these counters cover what only the adapter sees. Metric objects live in
prometheus-client's default registry, created once at import (no I/O: nothing is served here).
"""

from __future__ import annotations

from prometheus_client import Counter

from robonotes.domain.results import RoboCall

ROBO_ATTEMPTS = Counter(
    "robonotes_robo_attempts",
    "HTTP attempts to an LLM provider, by outcome (ok, retried, failed, invalid) and error class.",
    ["provider", "outcome", "error_class"],
)
ROBO_REASKS = Counter(
    "robonotes_robo_reasks",
    "Re-asks after an answer that was not valid JSON for the extraction schema.",
    ["provider"],
)
ROBO_DROPPED_ITEMS = Counter(
    "robonotes_robo_dropped_items",
    "Extracted activities and moments dropped by validation, by kind and reason.",
    ["kind", "reason"],
)


def record_call(call: RoboCall) -> None:
    """Count one HTTP attempt by how it ended."""
    ROBO_ATTEMPTS.labels(call.provider, call.outcome.value, call.error_class or "").inc()


def record_dropped(*, kind: str, reason: str, count: int = 1) -> None:
    """Count extraction items validation dropped."""
    if count > 0:
        ROBO_DROPPED_ITEMS.labels(kind, reason).inc(count)
