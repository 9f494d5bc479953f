"""create_app: the FastAPI application of Robo Notes, built around one Container.

Middlewares, outermost first: CatchAllMiddleware (unexpected error -> problem+json 500),
BodyLimitMiddleware (413), then FastAPI's own exception handlers (problems.py) and the routers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import metadata

from fastapi import APIRouter, FastAPI

from robonotes.api.middleware import BodyLimitMiddleware, CatchAllMiddleware
from robonotes.api.problems import install_problem_handlers
from robonotes.api.routes import entities, health, metrics, notes
from robonotes.bootstrap import Container
from robonotes.config import Settings

log = logging.getLogger(__name__)

ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    metrics.router,
    notes.router,
    entities.activities_router,
    entities.moments_router,
)
"""Every router the app serves; a new endpoint module adds its router here."""


def _package_version() -> str:
    try:
        return metadata.version("robonotes")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def create_app(container: Container | None = None, *, with_worker: bool = False) -> FastAPI:
    """The app; with no container, the lifespan builds one from Settings() and closes it after.

    `with_worker` runs one Worker in this process for the embedded mode (`serve --with-worker`):
    it starts with the app and, on shutdown, drains and releases its jobs before the pools close.
    """
    settings = container.settings if container is not None else Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if container is not None:
            # The caller built it and owns its life.
            app.state.container = container
            async with _worker_running(container, enabled=with_worker):
                yield
            return
        owned = Container(settings)
        app.state.container = owned
        try:
            async with _worker_running(owned, enabled=with_worker):
                yield
        finally:
            app.state.container = None
            await owned.aclose()

    app = FastAPI(
        title="Robo Notes",
        version=_package_version(),
        summary="Notes and journaling; Robo extracts moments and activities in the background.",
        lifespan=lifespan,
    )
    if container is not None:
        # Test clients over ASGITransport do not run the lifespan.
        app.state.container = container
    install_problem_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_bytes)
    app.add_middleware(CatchAllMiddleware)
    return app


@asynccontextmanager
async def _worker_running(container: Container, *, enabled: bool) -> AsyncIterator[None]:
    """Run the container's Worker as a task while the app serves (when enabled)."""
    if not enabled:
        yield
        return
    worker = container.worker()
    task = asyncio.create_task(worker.run(), name="in-process worker")
    try:
        yield
    finally:
        worker.request_stop()
        try:
            await task
        except Exception:
            log.exception("in-process worker crashed")
