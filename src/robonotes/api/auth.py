"""Bearer-token authentication: one token per person, checked against the stored hash."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from robonotes.api.deps import get_container
from robonotes.api.problems import ProblemError
from robonotes.bootstrap import Container
from robonotes.domain.notes import User

MAX_TOKEN_CHARS = 512
"""Real tokens are far shorter; a longer one is refused before any hashing or lookup."""

bearer_scheme = HTTPBearer(
    auto_error=False,
    description="The token `robonotes users create NAME` printed: `Authorization: Bearer <token>`.",
)


def _unauthorized(detail: str, *, error: str | None = None) -> ProblemError:
    challenge = 'Bearer realm="robonotes"'
    if error:
        challenge += f', error="{error}"'
    return ProblemError(401, detail, headers={"WWW-Authenticate": challenge})


async def current_user(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    container: Annotated[Container, Depends(get_container)],
) -> User:
    """The person the Bearer token belongs to; 401 with a challenge when there is none."""
    if credentials is None:
        raise _unauthorized("send your token as 'Authorization: Bearer <token>'")
    token = credentials.credentials
    if len(token) > MAX_TOKEN_CHARS or not token.isascii() or not token.isprintable():
        raise _unauthorized("the token is not valid", error="invalid_token")
    user = await container.users.authenticate(token=token)
    if user is None:
        raise _unauthorized("the token is not valid", error="invalid_token")
    return user


CurrentUser = Annotated[User, Depends(current_user)]
