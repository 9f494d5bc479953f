"""/healthz (the process is alive, no I/O) and /readyz (the database and the queue answer)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from robonotes.api.deps import get_container
from robonotes.api.problems import problem_response
from robonotes.api.schemas import HealthOut
from robonotes.bootstrap import Container

log = logging.getLogger(__name__)

CHECK_TIMEOUT_S = 2.0
"""A readiness probe must answer quickly even when a dependency hangs."""

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut)
async def healthz() -> HealthOut:
    """Alive: the event loop runs. Touches nothing, so a slow database never kills the pod."""
    return HealthOut(status="ok")


async def _queue_ok(container: Container) -> None:
    await container.queue.ping()


async def _run_check(name: str, check: Callable[[], Awaitable[None]]) -> str:
    try:
        await asyncio.wait_for(check(), timeout=CHECK_TIMEOUT_S)
    except TimeoutError:
        log.warning("readiness check timed out", extra={"check": name})
        return f"timed out after {CHECK_TIMEOUT_S} s"
    except Exception as exc:
        log.warning(
            "readiness check failed", extra={"check": name, "error_class": type(exc).__name__}
        )
        return f"failed ({type(exc).__name__})"
    return "ok"


@router.get("/readyz", response_model=HealthOut, responses={503: {"description": "not ready"}})
async def readyz(
    request: Request, container: Annotated[Container, Depends(get_container)]
) -> HealthOut | JSONResponse:
    """Ready: the database answers SELECT 1 and the queue answers a ping; else 503 naming which."""
    names = ("database", "queue")
    results = await asyncio.gather(
        _run_check("database", container.ping_database),
        _run_check("queue", lambda: _queue_ok(container)),
    )
    checks = dict(zip(names, results, strict=True))
    failed = [name for name, result in checks.items() if result != "ok"]
    if failed:
        return problem_response(
            request,
            status=503,
            detail="not ready: " + ", ".join(f"{name} {checks[name]}" for name in failed),
            extensions={"checks": checks},
        )
    return HealthOut(status="ready", checks=checks)
