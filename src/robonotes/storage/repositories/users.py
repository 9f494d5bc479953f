"""People and their API tokens on SQLAlchemy Core; only a sha256 hash of each token is stored."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from robonotes.domain.exceptions import DomainError, StorageError
from robonotes.domain.notes import User
from robonotes.storage.errors import as_utc, translate_errors
from robonotes.storage.tables import api_tokens, users


def _user(row: Any) -> User:
    return User(id=row.id, name=row.name, created_at=as_utc(row.created_at))


class SqlAlchemyUserRepository:
    """UserRepository over one connection (the unit of work's transaction)."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    @translate_errors
    async def add(self, *, name: str, created_at: datetime) -> User:
        """Insert a person; StorageError when the name is taken."""
        try:
            async with self._connection.begin_nested():
                result = await self._connection.execute(
                    insert(users)
                    .values(name=name, created_at=as_utc(created_at))
                    .returning(users.c.id, users.c.name, users.c.created_at)
                )
        except IntegrityError as exc:
            raise StorageError(f"a user named {name!r} already exists") from exc
        return _user(result.one())

    async def get_by_name(self, name: str) -> User:
        """The person called `name`; DomainError when there is none."""
        user = await self.find_by_name(name)
        if user is None:
            raise DomainError(f"no user named {name[:60]!r}")
        return user

    @translate_errors
    async def find_by_name(self, name: str) -> User | None:
        """The person called `name`, or None."""
        result = await self._connection.execute(select(users).where(users.c.name == name))
        row = result.first()
        return None if row is None else _user(row)

    @translate_errors
    async def add_token(self, *, user_id: int, token_hash: str, created_at: datetime) -> None:
        """Store the hash of a new API token of the person."""
        await self._connection.execute(
            insert(api_tokens).values(
                user_id=user_id, token_hash=token_hash, created_at=as_utc(created_at)
            )
        )

    @translate_errors
    async def find_by_token_hash(self, token_hash: str) -> User | None:
        """The owner of the token whose hash this is, or None."""
        result = await self._connection.execute(
            select(users)
            .join(api_tokens, api_tokens.c.user_id == users.c.id)
            .where(api_tokens.c.token_hash == token_hash)
        )
        row = result.first()
        return None if row is None else _user(row)
