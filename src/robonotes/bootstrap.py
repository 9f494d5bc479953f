"""Composition root: builds engines, pools, repositories and services from Settings.

Entry points (`api`, `cli`) get everything from here and never build adapters themselves.
Nothing here runs at import time; `Container` builds each part on first use and `aclose()`
releases pools and clients.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from robonotes.config import Settings
from robonotes.services.clock import SystemClock
from robonotes.services.notes import NoteService

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from robonotes.services.ports import NoteProcessingQueue, RoboService, UnitOfWorkFactory


class Container:
    """Every long-lived part of one process, built lazily from one Settings object."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.clock = SystemClock()

    # --- storage (issue 2) -------------------------------------------------------------
    @cached_property
    def engine(self) -> AsyncEngine:
        """The one async engine of this process."""
        from robonotes.storage.engine import create_engine

        return create_engine(self.settings.database_url, schema=self.settings.database_schema)

    @cached_property
    def uow_factory(self) -> UnitOfWorkFactory:
        """Makes a unit of work per use-case call."""
        from robonotes.storage.uow import SqlAlchemyUnitOfWorkFactory

        return SqlAlchemyUnitOfWorkFactory(self.engine)

    # --- queue (issue 5) ---------------------------------------------------------------
    @cached_property
    def queue(self) -> NoteProcessingQueue:
        """RedisQueue when a Redis URL is set, else the SQL queue in the same database."""
        raise NotImplementedError("the queue arrives with issue 5")

    # --- robo (issues 3 and 4) ---------------------------------------------------------
    @cached_property
    def robo(self) -> RoboService:
        """OpenAIService when configured (or auto with a key), else the offline extractor."""
        raise NotImplementedError("Robo arrives with issues 3 and 4")

    # --- services ----------------------------------------------------------------------
    @cached_property
    def notes(self) -> NoteService:
        """Create, edit, delete and read notes."""
        return NoteService(
            uow_factory=self.uow_factory,
            queue=self.queue,
            clock=self.clock,
            max_note_chars=self.settings.max_note_chars,
        )

    async def aclose(self) -> None:
        """Release pools and clients that were built."""
        if "queue" in self.__dict__:
            await self.queue.close()
        if "engine" in self.__dict__:
            await self.engine.dispose()
