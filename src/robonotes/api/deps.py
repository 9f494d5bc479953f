"""Request dependencies: the process's Container, taken from the app state set by create_app."""

from __future__ import annotations

from fastapi import Request

from robonotes.api.problems import ProblemError
from robonotes.bootstrap import Container


def get_container(request: Request) -> Container:
    """The Container of this app; 503 while the lifespan has not built it (or has closed it)."""
    container: Container | None = getattr(request.app.state, "container", None)
    if container is None:
        raise ProblemError(503, "the service is starting or stopping; try again shortly")
    return container
