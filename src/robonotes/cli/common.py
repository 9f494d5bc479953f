"""What every command shares: the container's lifetime, the consoles, and clear error exits."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from robonotes.bootstrap import Container
from robonotes.config import Settings
from robonotes.domain.exceptions import RoboNotesError

T = TypeVar("T")

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

EXIT_FAILURE = 1
EXIT_USAGE = 2


def fail(message: str, *, code: int = EXIT_FAILURE) -> NoReturn:
    """Print `message` on stderr (never as markup: it may hold user data) and exit."""
    err.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code)


def run(work: Callable[[Container], Awaitable[T]], *, settings: Settings | None = None) -> T:
    """Run `work` with a fresh Container on a new event loop; project errors exit cleanly."""

    async def main() -> T:
        container = Container(settings)
        try:
            return await work(container)
        finally:
            await container.aclose()

    try:
        return asyncio.run(main())
    except RoboNotesError as exc:
        fail(f"{exc}" or type(exc).__name__)
