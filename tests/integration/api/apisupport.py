"""Helpers shared by the API tests: people with tokens, settings, and the problem+json check."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from robonotes.bootstrap import Container
from robonotes.config import Settings


@dataclass(frozen=True)
class Person:
    """A user of the API and the headers that authenticate them."""

    id: int
    name: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def settings_for(database_url: str, **overrides: object) -> Settings:
    """Settings of one test: its own database, the SQL queue unless told otherwise."""
    values: dict[str, object] = {"database_url": database_url, "redis_url": None}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


async def make_person(container: Container, name: str) -> Person:
    """Create a user and return them with their one-time token."""
    user, token = await container.users.create(name=name)
    return Person(id=user.id, name=user.name, token=token)


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    """The response is an RFC 9457 problem document with this status; return it."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert {"type", "title", "status", "detail", "instance"} <= problem.keys()
    assert problem["status"] == status
    assert isinstance(problem["detail"], str)
    assert problem["detail"]
    return problem
