"""UserService: people and their API tokens; a token is shown once and only its hash is kept."""

from __future__ import annotations

import hashlib
import secrets
import unicodedata

from robonotes.domain.exceptions import DomainError
from robonotes.domain.notes import User
from robonotes.services.ports import Clock, UnitOfWorkFactory

TOKEN_PREFIX = "rn_"
TOKEN_BYTES = 32
MAX_NAME_CHARS = 100
MAX_TOKEN_CHARS = 200
"""Longer bearer tokens cannot be ours; they are refused before hashing."""


class UserAlreadyExists(DomainError):
    """Another person already has this name."""


class InvalidUserName(DomainError):
    """A name must be 1 to 100 printable characters."""


def hash_token(token: str) -> str:
    """SHA-256 hex of a token: what the database keeps instead of the token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> str:
    """A fresh bearer token from the OS's secure random source."""
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def clean_name(name: str) -> str:
    """The name without surrounding blanks; InvalidUserName when empty, long or unprintable."""
    cleaned = name.strip()
    if not cleaned or len(cleaned) > MAX_NAME_CHARS:
        raise InvalidUserName(f"a user name must be 1 to {MAX_NAME_CHARS} characters")
    if any(unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co", "Cn"} for char in cleaned):
        raise InvalidUserName("a user name must not contain control or unassigned characters")
    return cleaned


class UserService:
    """Create people, find them by name, and authenticate their bearer tokens."""

    def __init__(self, *, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow_factory = uow_factory
        self._clock = clock

    async def create(self, *, name: str) -> tuple[User, str]:
        """Create a person and their first token; the token is returned once and never stored."""
        name = clean_name(name)
        token = new_token()
        now = self._clock.now()
        async with self._uow_factory() as uow:
            if await uow.users.find_by_name(name) is not None:
                raise UserAlreadyExists(f"a user named {name!r} already exists")
            user = await uow.users.add(name=name, created_at=now)
            await uow.users.add_token(user_id=user.id, token_hash=hash_token(token), created_at=now)
            await uow.commit()
        return user, token

    async def issue_token(self, *, name: str) -> str:
        """Give an existing person one more token (the old ones keep working)."""
        token = new_token()
        async with self._uow_factory() as uow:
            user = await uow.users.get_by_name(name)
            await uow.users.add_token(
                user_id=user.id, token_hash=hash_token(token), created_at=self._clock.now()
            )
            await uow.commit()
        return token

    async def authenticate(self, *, token: str) -> User | None:
        """The owner of the token, or None when it is unknown or malformed."""
        if not token or len(token) > MAX_TOKEN_CHARS or not token.isascii():
            return None
        async with self._uow_factory() as uow:
            return await uow.users.find_by_token_hash(hash_token(token))

    async def get_by_name(self, *, name: str) -> User:
        """The person called `name`; DomainError when there is none."""
        user = await self.find_by_name(name=name)
        if user is None:
            shown = name if len(name) <= 60 else name[:57] + "..."
            raise DomainError(f"no user named {shown!r}")
        return user

    async def find_by_name(self, *, name: str) -> User | None:
        """The person called `name`, or None (also for names no user could have)."""
        try:
            name = clean_name(name)
        except InvalidUserName:
            return None
        async with self._uow_factory() as uow:
            return await uow.users.find_by_name(name)
