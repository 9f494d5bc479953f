"""Logging and metrics: structlog JSON lines and Prometheus metrics for workers and the API.

Every process (the API, each worker process) has its own registry, the default one, served at
`/metrics` by the API and on `--metrics-port` by each worker; Prometheus scrapes each process
and sums. Queue depth gauges are read from the queue itself, so every process reports the same
shared figure. No I/O happens here at import time; `configure_logging` and `serve_metrics` do it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import Any

import structlog
from prometheus_client import Counter, Gauge, Histogram, start_http_server

from robonotes.domain.jobs import QueueStats
from robonotes.domain.results import CallOutcome, RoboCall

JOBS_CLAIMED = Counter("robonotes_jobs_claimed", "Jobs leased to this worker")
JOBS_COMPLETED = Counter("robonotes_jobs_completed", "Jobs acked after processing")
JOBS_RETRIED = Counter("robonotes_jobs_retried", "Failed attempts sent to the delayed set")
JOBS_DEFERRED = Counter("robonotes_jobs_deferred", "Jobs deferred without spending an attempt")
JOBS_DEAD_LETTERED = Counter("robonotes_jobs_dead_lettered", "Jobs moved to the DLQ")
JOBS_RELEASED = Counter("robonotes_jobs_released", "Jobs released on shutdown")
JOBS_RECLAIMED = Counter("robonotes_jobs_reclaimed", "Expired leases put back to ready by reap")
JOBS_RECONCILED = Counter(
    "robonotes_jobs_reconciled", "Note versions enqueued again by the reconciler"
)
JOBS_STALE = Counter("robonotes_jobs_stale", "Acks or fails refused because the lease was lost")
JOB_OUTCOMES = Counter("robonotes_job_outcomes", "What processing decided per job", ["outcome"])
JOB_ATTEMPTS = Histogram(
    "robonotes_job_attempts", "Attempt number of each claimed job", buckets=(1, 2, 3, 4, 5, 6, 10)
)
PROCESSING_SECONDS = Histogram(
    "robonotes_processing_seconds",
    "Time from claim to ack of one job",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
ROBO_CALL_SECONDS = Histogram(
    "robonotes_robo_call_seconds",
    "Latency of one HTTP attempt to the Robo provider",
    ["provider", "outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
)
ROBO_ERRORS = Counter(
    "robonotes_robo_errors", "Failed provider calls (HTTP attempts) by error class", ["error_class"]
)
ROBO_TOKENS = Counter("robonotes_robo_tokens", "Tokens spent", ["provider", "kind"])
JOB_ERRORS = Counter("robonotes_job_errors", "Failed job attempts by error class", ["error_class"])
QUEUE_DEPTH = Gauge("robonotes_queue_depth", "Jobs in the queue by state", ["state"])
QUEUE_OLDEST_READY_S = Gauge("robonotes_queue_oldest_ready_seconds", "Age of the oldest ready job")
QUEUE_OVERDUE_LEASES = Gauge("robonotes_queue_overdue_leases", "Leases past their deadline")
QUEUE_LIVE_WORKERS = Gauge("robonotes_queue_live_workers", "Workers with a fresh heartbeat")
QUEUE_SCRAPE_ERRORS = Counter(
    "robonotes_queue_scrape_errors", "Scrapes of /metrics that could not read the queue"
)
WORKER_IN_FLIGHT = Gauge("robonotes_worker_in_flight", "Jobs this worker is running now")


def observe_queue_stats(stats: QueueStats) -> None:
    """Copy a queue snapshot into the depth gauges."""
    for state, value in (
        ("ready", stats.ready),
        ("delayed", stats.delayed),
        ("leased", stats.leased),
        ("dead", stats.dead),
    ):
        QUEUE_DEPTH.labels(state=state).set(value)
    QUEUE_OLDEST_READY_S.set(stats.oldest_ready_age_s or 0.0)
    QUEUE_OVERDUE_LEASES.set(stats.overdue_leases)
    QUEUE_LIVE_WORKERS.set(stats.live_workers)


class PrometheusObserver:
    """The NoteProcessor's ProcessingObserver, writing to the metrics above."""

    def outcome(self, outcome: str) -> None:
        """Count what processing decided (completed, skipped, superseded, failed, ...)."""
        JOB_OUTCOMES.labels(outcome=outcome).inc()

    def robo_calls(self, calls: Sequence[RoboCall]) -> None:
        """Latency, errors and tokens of each HTTP attempt."""
        for call in calls:
            ROBO_CALL_SECONDS.labels(provider=call.provider, outcome=call.outcome.value).observe(
                call.latency_ms / 1000
            )
            if call.outcome is not CallOutcome.OK and call.error_class:
                ROBO_ERRORS.labels(error_class=call.error_class).inc()
            ROBO_TOKENS.labels(provider=call.provider, kind="prompt").inc(call.usage.prompt_tokens)
            ROBO_TOKENS.labels(provider=call.provider, kind="completion").inc(
                call.usage.completion_tokens
            )


def serve_metrics(port: int, *, host: str = "127.0.0.1") -> None:
    """Serve this process's metrics on `port` (a daemon thread of prometheus-client)."""
    start_http_server(port, addr=host)


def configure_logging(*, level: str = "INFO", json: bool = True, **bound: Any) -> None:
    """Route stdlib and structlog logs through one renderer: JSON lines (or console) on stderr.

    Fields passed in a stdlib `extra=` (note_id, job_id, attempt, error_class) become JSON keys.
    """
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
    ]
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    if bound:
        structlog.contextvars.bind_contextvars(**bound)
