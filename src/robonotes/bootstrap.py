"""Composition root: builds engines, pools, repositories and services from Settings.

Entry points (`api`, `cli`) get everything from here and never build adapters themselves.
Nothing here runs at import time; `Container` builds each part on first use and `aclose()`
releases pools and clients.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, cached_property
from typing import TYPE_CHECKING

from robonotes.config import Settings
from robonotes.services.clock import SystemClock
from robonotes.services.notes import NoteService

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from robonotes.queue.redis_pool import RedisClients
    from robonotes.queue.supervisor import Supervisor
    from robonotes.queue.worker import Worker
    from robonotes.services.activities import ActivityService
    from robonotes.services.cleanup import CleanupService
    from robonotes.services.dead_letters import DeadLetterService
    from robonotes.services.extraction import LinkingExtractionRecorder, NoteContextBuilder
    from robonotes.services.linking import ActivityResolver
    from robonotes.services.moments import MomentService
    from robonotes.services.ports import (
        NoteProcessingQueue,
        RateLimiter,
        RoboCallLedger,
        RoboService,
        UnitOfWorkFactory,
    )
    from robonotes.services.processor import NoteProcessor
    from robonotes.services.reconciler import Reconciler
    from robonotes.services.users import UserService


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

    def migrate(self) -> str | None:
        """Run every pending migration on the configured database; return its revision."""
        from robonotes.storage.migrate import current_revision, upgrade_database

        upgrade_database(self.settings.database_url, schema=self.settings.database_schema)
        return current_revision(self.settings.database_url, schema=self.settings.database_schema)

    # --- queue (issue 5) ---------------------------------------------------------------
    @cached_property
    def queue(self) -> NoteProcessingQueue:
        """RedisQueue when a Redis URL is set, else the SQL queue in the same database."""
        if self.settings.redis_url:
            from robonotes.queue.redis_queue import RedisQueue

            return RedisQueue(
                self.redis_clients,
                prefix=self.settings.redis_prefix,
                max_attempts=self.settings.queue_max_attempts,
            )
        from robonotes.queue.sql_queue import SqlQueue

        return SqlQueue(self.engine, max_attempts=self.settings.queue_max_attempts)

    @cached_property
    def redis_clients(self) -> RedisClients:
        """This process's Redis pools (commands, and BLPOP apart), shared by queue and limiter."""
        from robonotes.queue.redis_pool import create_redis_clients

        if not self.settings.redis_url:
            raise RuntimeError("redis_clients needs ROBONOTES_REDIS_URL")
        return create_redis_clients(
            url=self.settings.redis_url,
            socket_timeout_s=self.settings.redis_socket_timeout_s,
            connect_timeout_s=self.settings.redis_connect_timeout_s,
        )

    # --- robo (issues 3 and 4) ---------------------------------------------------------
    @cached_property
    def robo(self) -> RoboService:
        """OpenAIService when configured (or auto with a key), else the offline extractor."""
        settings = self.settings
        if settings.resolved_provider == "offline":
            from robonotes.robo.offline import OfflineRoboService

            return OfflineRoboService()
        from robonotes.domain.exceptions import RoboAuthError
        from robonotes.robo.openai_service import OpenAIService

        api_key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        if not api_key and not settings.openai_base_url:
            # Without a key only a local OpenAI-compatible server (base_url) can answer; failing
            # here beats sending every note to the DLQ with a 401.
            raise RoboAuthError("provider openai needs ROBONOTES_OPENAI_API_KEY or a base URL")
        return OpenAIService(
            api_key=api_key,
            model=settings.openai_model,
            base_url=settings.openai_base_url,
            timeout_s=settings.openai_timeout_s,
            connect_timeout_s=settings.openai_connect_timeout_s,
            max_output_tokens=settings.openai_max_output_tokens,
            rate_limiter=self.rate_limiter,
        )

    @cached_property
    def rate_limiter(self) -> RateLimiter:
        """RPM and TPM for LLM calls: shared through Redis when a URL is set, else in-process."""
        from robonotes.robo.rate_limit import InProcessRateLimiter, RedisRateLimiter

        settings = self.settings
        if settings.redis_url:
            return RedisRateLimiter(
                self.redis_clients.client,
                prefix=settings.redis_prefix,
                rpm=settings.openai_rpm,
                tpm=settings.openai_tpm,
            )
        return InProcessRateLimiter(settings.openai_rpm, settings.openai_tpm)

    @cached_property
    def ledger(self) -> RoboCallLedger:
        """The append-only robo_calls ledger, one transaction per batch of calls."""
        from robonotes.storage.ledger import SqlAlchemyRoboCallLedger

        return SqlAlchemyRoboCallLedger(self.engine)

    # --- linking (issue 6) -------------------------------------------------------------
    @cached_property
    def activity_resolver(self) -> ActivityResolver:
        """The linking pipeline, with the shipped lexicon's aliases and verb forms."""
        return build_activity_resolver()

    @cached_property
    def context_builder(self) -> NoteContextBuilder:
        """What Robo is told besides the note: its time and the person's candidates."""
        from robonotes.services.extraction import NoteContextBuilder

        return NoteContextBuilder(uow_factory=self.uow_factory)

    @cached_property
    def recorder(self) -> LinkingExtractionRecorder:
        """Writes a note's extraction, linked and deduplicated, replacing any earlier one."""
        from robonotes.services.extraction import LinkingExtractionRecorder

        return LinkingExtractionRecorder(resolver=self.activity_resolver, clock=self.clock)

    @cached_property
    def activities(self) -> ActivityService:
        """A person's activities, their history, and merging."""
        from robonotes.services.activities import ActivityService

        return ActivityService(uow_factory=self.uow_factory)

    @cached_property
    def moments(self) -> MomentService:
        """A person's moments."""
        from robonotes.services.moments import MomentService

        return MomentService(uow_factory=self.uow_factory)

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

    @cached_property
    def users(self) -> UserService:
        """People and their API tokens."""
        from robonotes.services.users import UserService

        return UserService(uow_factory=self.uow_factory, clock=self.clock)

    @cached_property
    def cleanup(self) -> CleanupService:
        """Deletes terminal status rows after the retention."""
        from robonotes.services.cleanup import CleanupService

        return CleanupService(
            uow_factory=self.uow_factory,
            clock=self.clock,
            retention=self.settings.status_retention,
            queue=self.queue,
        )

    # --- processing (issue 5) ----------------------------------------------------------
    @cached_property
    def processor(self) -> NoteProcessor:
        """Runs one claimed job through DESIGN.md's processing flow."""
        from robonotes.observability import PrometheusObserver
        from robonotes.services.processor import NoteProcessor

        return NoteProcessor(
            uow_factory=self.uow_factory,
            robo=self.robo,
            ledger=self.ledger,
            context_builder=self.context_builder,
            recorder=self.recorder,
            clock=self.clock,
            max_note_chars=self.settings.max_note_chars,
            observer=PrometheusObserver(),
        )

    @cached_property
    def reconciler(self) -> Reconciler:
        """Enqueues again what the queue lost (status rows are the truth)."""
        from robonotes.services.reconciler import Reconciler

        return Reconciler(uow_factory=self.uow_factory, queue=self.queue, clock=self.clock)

    @cached_property
    def dead_letters(self) -> DeadLetterService:
        """List, replay and purge the DLQ with status rows kept in step."""
        from robonotes.services.dead_letters import DeadLetterService

        return DeadLetterService(queue=self.queue, uow_factory=self.uow_factory, clock=self.clock)

    def worker(self, *, concurrency: int | None = None, burst: bool = False) -> Worker:
        """A new Worker over this container's queue and processor."""
        import functools

        from robonotes.queue.worker import Worker, WorkerConfig
        from robonotes.services.retry_policy import classify_failure

        config = WorkerConfig(
            concurrency=concurrency or self.settings.worker_concurrency,
            claim_batch=min(64, concurrency or self.settings.worker_concurrency),
            lease_ms=self.settings.queue_lease_ms,
            job_timeout_s=self.settings.worker_job_timeout_s,
            grace_s=self.settings.worker_grace_s,
            reconcile_interval_s=self.settings.reconcile_interval_s,
            burst=burst,
        )
        return Worker(
            queue=self.queue,
            handler=self.processor,
            policy=functools.partial(
                classify_failure, base_s=self.settings.retry_base_s, cap_s=self.settings.retry_cap_s
            ),
            config=config,
            reconcile=self.reconciler,
        )

    def supervisor(
        self,
        *,
        processes: int,
        burst: bool,
        target: Callable[[int], int],
    ) -> Supervisor:
        """Keeps `processes` forked worker processes, each running `target(index)`, up."""
        from robonotes.queue.supervisor import Supervisor

        return Supervisor(
            target=target,
            processes=processes,
            burst=burst,
            stop_timeout_s=self.settings.worker_grace_s + 15,
            backoff_max_s=self.settings.worker_restart_backoff_max_s,
        )

    def preload_worker(self) -> None:
        """Import and warm what a worker needs (no I/O) so that forked children start at once."""
        import importlib

        settings = self.settings
        for name in (
            "robonotes.observability",
            "robonotes.queue.worker",
            "robonotes.services.extraction",
            "robonotes.services.processor",
            "robonotes.services.reconciler",
            "robonotes.storage.ledger",
            "robonotes.storage.uow",
            "robonotes.queue.redis_queue" if settings.redis_url else "robonotes.queue.sql_queue",
            "robonotes.robo.rate_limit",
            "robonotes.robo.openai_service"
            if settings.resolved_provider == "openai"
            else "robonotes.robo.offline",
        ):
            importlib.import_module(name)
        build_activity_resolver()

    async def ping_database(self) -> None:
        """Raise unless the database answers a trivial query (readiness probes)."""
        from sqlalchemy import text

        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def aclose(self) -> None:
        """Release pools and clients that were built."""
        if "queue" in self.__dict__:
            await self.queue.close()
        if "robo" in self.__dict__:
            close = getattr(self.robo, "aclose", None)
            if close is not None:
                await close()
        if "redis_clients" in self.__dict__:
            await self.redis_clients.aclose()  # again after the queue's close: a no-op
        if "engine" in self.__dict__:
            await self.engine.dispose()


@cache
def build_activity_resolver() -> ActivityResolver:
    """The ActivityResolver of the lexicon shipped in `robonotes/data/activities.json`.

    Built once a process (it is read-only); a supervisor builds it before forking its workers.
    """
    import json
    from importlib.resources import files

    from robonotes.services.linking import ActivityResolver

    lexicon = json.loads(files("robonotes.data").joinpath("activities.json").read_text("utf-8"))
    aliases: dict[str, str] = {}
    for entry in lexicon["activities"]:
        for form in (*entry.get("aliases", ()), *entry.get("verbs", ()), *entry.get("phrases", ())):
            aliases.setdefault(form, entry["name"])
    return ActivityResolver(
        aliases=aliases, canonical_names=[entry["name"] for entry in lexicon["activities"]]
    )
