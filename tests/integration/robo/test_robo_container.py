"""The composition root builds the Robo parts of issue 3 from Settings."""

from __future__ import annotations

import pytest

from robonotes.bootstrap import Container
from robonotes.config import Settings
from robonotes.domain.exceptions import RoboAuthError
from robonotes.robo.openai_service import OpenAIService
from robonotes.robo.rate_limit import InProcessRateLimiter, RedisRateLimiter
from robonotes.storage.ledger import SqlAlchemyRoboCallLedger


async def test_openai_with_a_base_url_and_no_redis_uses_the_in_process_limiter(
    sqlite_url: str,
) -> None:
    container = Container(
        Settings(
            database_url=sqlite_url,
            redis_url=None,
            robo_provider="openai",
            openai_api_key=None,
            openai_base_url="http://127.0.0.1:9/v1",
            openai_model="devserver-1",
        )
    )
    try:
        robo = container.robo
        assert isinstance(robo, OpenAIService)
        assert (robo.name, robo.model) == ("openai", "devserver-1")
        assert isinstance(container.rate_limiter, InProcessRateLimiter)
        assert isinstance(container.ledger, SqlAlchemyRoboCallLedger)
    finally:
        await container.aclose()


async def test_a_redis_url_shares_the_rate_limit_through_redis(
    sqlite_url: str, redis_url: str, redis_prefix: str
) -> None:
    container = Container(
        Settings(
            database_url=sqlite_url,
            redis_url=redis_url,
            redis_prefix=redis_prefix,
            robo_provider="openai",
            openai_api_key="sk-test",
            openai_rpm=7,
        )
    )
    try:
        limiter = container.rate_limiter
        assert isinstance(limiter, RedisRateLimiter)
        reservation = await limiter.acquire(tokens=10)
        await limiter.settle(reservation, actual_tokens=5)
        assert limiter.rpm == 7
    finally:
        await container.aclose()


def test_openai_without_key_or_base_url_fails_at_once(sqlite_url: str) -> None:
    container = Container(
        Settings(
            database_url=sqlite_url,
            robo_provider="openai",
            openai_api_key=None,
            openai_base_url=None,
        )
    )

    with pytest.raises(RoboAuthError):
        _ = container.robo
