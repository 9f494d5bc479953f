"""/metrics: this process's Prometheus metrics, the shared queue's depth read at scrape time."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from robonotes.api.deps import get_container
from robonotes.bootstrap import Container
from robonotes.observability import QUEUE_SCRAPE_ERRORS, observe_queue_stats

log = logging.getLogger(__name__)

STATS_TIMEOUT_S = 2.0
"""A scrape must answer even while the queue hangs; the gauges then keep their last values."""

router = APIRouter(tags=["health"])


@router.get("/metrics", response_class=Response, include_in_schema=False)
async def metrics(container: Annotated[Container, Depends(get_container)]) -> Response:
    """Prometheus text format; queue gauges are refreshed first, as no worker runs here."""
    try:
        stats = await asyncio.wait_for(container.queue.stats(), timeout=STATS_TIMEOUT_S)
    except Exception as exc:
        QUEUE_SCRAPE_ERRORS.inc()
        log.warning(
            "queue stats unavailable for /metrics", extra={"error_class": type(exc).__name__}
        )
    else:
        observe_queue_stats(stats)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
