"""The unit of work: one transaction over every repository, rolled back unless committed.

To add a repository, give the class an attribute and build it in `_bind` from the connection.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from robonotes.services.ports import (
    ActivityRepository,
    MomentRepository,
    NoteRepository,
    StatusRepository,
    UserRepository,
)
from robonotes.storage.errors import storage_error
from robonotes.storage.repositories import (
    SqlAlchemyNoteRepository,
    SqlAlchemyStatusRepository,
    SqlAlchemyUserRepository,
)
from robonotes.storage.repositories.activities import SqlAlchemyActivityRepository
from robonotes.storage.repositories.moments import SqlAlchemyMomentRepository


class SqlAlchemyUnitOfWork:
    """UnitOfWork on one AsyncConnection; its transaction begins at the first statement.

    Beginning lazily matters on SQLite, where a transaction holds the write lock: a unit of
    work that has committed and is still open holds nothing.
    """

    # Typed by port: Protocol attributes are mutable, so mypy wants the exact port types.
    users: UserRepository
    notes: NoteRepository
    statuses: StatusRepository
    activities: ActivityRepository
    moments: MomentRepository

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None

    @property
    def connection(self) -> AsyncConnection:
        """The open connection (for repositories added by later issues)."""
        if self._connection is None:
            raise RuntimeError("the unit of work is not open; use `async with`")
        return self._connection

    def _bind(self, connection: AsyncConnection) -> None:
        """Build every repository on the unit of work's connection."""
        self.users = SqlAlchemyUserRepository(connection)
        self.notes = SqlAlchemyNoteRepository(connection)
        self.statuses = SqlAlchemyStatusRepository(connection)
        self.activities = SqlAlchemyActivityRepository(connection)
        self.moments = SqlAlchemyMomentRepository(connection)

    async def __aenter__(self) -> Self:
        """Take a connection from the pool."""
        try:
            self._connection = await self._engine.connect()
        except (SQLAlchemyError, OSError) as exc:
            raise storage_error(exc) from exc
        self._bind(self._connection)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed, then give the connection back."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            if connection.in_transaction():
                await connection.rollback()
        except (SQLAlchemyError, OSError) as error:
            if exc is None:
                raise storage_error(error) from error
        finally:
            await connection.close()

    async def commit(self) -> None:
        """Make the work so far durable; later work in the same block is a new transaction."""
        try:
            await self.connection.commit()
        except (SQLAlchemyError, OSError) as exc:
            raise storage_error(exc) from exc

    async def rollback(self) -> None:
        """Undo everything since the last commit."""
        try:
            await self.connection.rollback()
        except (SQLAlchemyError, OSError) as exc:
            raise storage_error(exc) from exc


class SqlAlchemyUnitOfWorkFactory:
    """Makes a fresh SqlAlchemyUnitOfWork per use-case call."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    def __call__(self) -> SqlAlchemyUnitOfWork:
        """A new, not yet opened, unit of work."""
        return SqlAlchemyUnitOfWork(self.engine)
