"""SQLAlchemy implementations of the repository ports, one module per aggregate."""

from robonotes.storage.repositories.notes import SqlAlchemyNoteRepository
from robonotes.storage.repositories.statuses import SqlAlchemyStatusRepository
from robonotes.storage.repositories.users import SqlAlchemyUserRepository

__all__ = ["SqlAlchemyNoteRepository", "SqlAlchemyStatusRepository", "SqlAlchemyUserRepository"]
