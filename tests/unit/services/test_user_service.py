"""UserService: tokens are random, shown once, stored only as a hash."""

from __future__ import annotations

import pytest
from storefakes import FakeClock, FakeUnitOfWorkFactory

from robonotes.domain.exceptions import DomainError
from robonotes.services.users import (
    InvalidUserName,
    UserAlreadyExists,
    UserService,
    hash_token,
)


def make_service() -> tuple[UserService, FakeUnitOfWorkFactory]:
    factory = FakeUnitOfWorkFactory()
    return UserService(uow_factory=factory, clock=FakeClock()), factory


async def test_create_returns_a_token_that_authenticates_and_stores_only_its_hash() -> None:
    service, factory = make_service()

    user, token = await service.create(name="ana")

    assert await service.authenticate(token=token) == user
    assert token not in factory.db.tokens
    assert factory.db.tokens == {hash_token(token): user.id}


async def test_each_user_gets_a_different_token() -> None:
    service, _ = make_service()

    _, first = await service.create(name="ana")
    _, second = await service.create(name="ben")

    assert first != second
    assert len(first) >= 40


async def test_duplicate_name_is_refused() -> None:
    service, _ = make_service()
    await service.create(name="ana")

    with pytest.raises(UserAlreadyExists):
        await service.create(name=" ana ")


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "bad\x00name", "tab\tname", "\u200bzw"])
async def test_hostile_names_are_refused(name: str) -> None:
    service, factory = make_service()

    with pytest.raises(InvalidUserName):
        await service.create(name=name)

    assert factory.db.users == {}


@pytest.mark.parametrize("token", ["", "rn_unknown", "x" * 10_000, "rn_\ud800", "rn_ä"])
async def test_unknown_or_malformed_tokens_do_not_authenticate(token: str) -> None:
    service, _ = make_service()
    await service.create(name="ana")

    assert await service.authenticate(token=token) is None


async def test_issue_token_adds_a_second_working_token() -> None:
    service, _ = make_service()
    user, first = await service.create(name="ana")

    second = await service.issue_token(name="ana")

    assert await service.authenticate(token=first) == user
    assert await service.authenticate(token=second) == user


async def test_get_by_name_raises_for_an_unknown_person() -> None:
    service, _ = make_service()

    with pytest.raises(DomainError):
        await service.get_by_name(name="nobody")
    assert await service.find_by_name(name="nobody") is None


@pytest.mark.parametrize("name", ["\udcff", "a\x00", "", "n" * 1000])
async def test_lookups_of_names_no_user_could_have_find_nobody(name: str) -> None:
    service, _ = make_service()
    await service.create(name="ana")

    assert await service.find_by_name(name=name) is None
    with pytest.raises(DomainError, match="no user named"):
        await service.get_by_name(name=name)
