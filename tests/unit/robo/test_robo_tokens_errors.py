"""Offline token estimates, retry-after and x-ratelimit header parsing, SDK error mapping."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx2
import openai
import pytest

from robonotes.domain.exceptions import (
    RoboAuthError,
    RoboBadRequest,
    RoboError,
    RoboInvalidResponse,
    RoboRateLimited,
    RoboTimeout,
    RoboUnavailable,
)
from robonotes.robo.errors import (
    map_sdk_error,
    parse_duration_s,
    rate_limit_headers,
    retry_after_s,
)
from robonotes.robo.tokens import estimate_request_tokens, estimate_tokens


def test_estimate_is_at_least_chars_over_four_and_counts_other_scripts_per_char() -> None:
    english = "The quick brown fox jumps over the lazy dog. " * 20

    assert estimate_tokens(english) >= len(english) / 4
    assert estimate_tokens("日本語のテキスト") >= 8
    assert estimate_tokens("") == 0


def test_request_estimate_includes_the_whole_output_cap() -> None:
    messages = [{"role": "user", "content": "hello"}]

    assert estimate_request_tokens(messages, max_output_tokens=500) > 500


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1s", 1.0), ("6m0s", 360.0), ("20ms", 0.02), ("1h2m3.5s", 3723.5), ("7.5", 7.5)],
)
def test_reset_durations_parse(text: str, seconds: float) -> None:
    assert parse_duration_s(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "soon", "-3", "1x", "nan", "inf", "5s garbage"])
def test_malformed_durations_are_none(text: str) -> None:
    assert parse_duration_s(text) is None


def test_rate_limit_headers_parse_and_ignore_garbage() -> None:
    limits = rate_limit_headers(
        {
            "x-ratelimit-remaining-requests": "12",
            "x-ratelimit-remaining-tokens": "-4",
            "x-ratelimit-reset-requests": "2s",
            "x-ratelimit-reset-tokens": "garbage",
        }
    )

    assert limits.remaining_requests == 12
    assert limits.remaining_tokens is None
    assert limits.reset_requests_s == 2.0
    assert limits.reset_tokens_s is None
    assert not rate_limit_headers({}).present


def test_retry_after_reads_ms_seconds_and_http_dates() -> None:
    now = datetime(2026, 3, 14, 12, 0, 0, tzinfo=UTC)

    assert retry_after_s({"retry-after-ms": "250"}) == 0.25
    assert retry_after_s({"retry-after": "3"}) == 3.0
    assert retry_after_s({"retry-after": "Sat, 14 Mar 2026 12:00:10 GMT"}, now=now) == 10.0
    assert retry_after_s({"retry-after": "whenever"}) is None
    assert retry_after_s({"retry-after": "-1"}) is None
    assert retry_after_s({}) is None


def _status_error(code: int, headers: dict[str, str] | None = None) -> openai.APIStatusError:
    request = httpx2.Request("POST", "http://llm.test/v1/chat/completions")
    response = httpx2.Response(code, request=request, headers=headers or {})
    return openai.APIStatusError("boom", response=response, body=None)


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (_status_error(408), RoboTimeout),
        (_status_error(409), RoboUnavailable),
        (_status_error(413), RoboBadRequest),
        (_status_error(401), RoboAuthError),
        (_status_error(599), RoboUnavailable),
        (ValueError("bad json"), RoboInvalidResponse),
        (openai.OpenAIError("odd"), RoboUnavailable),
        (ConnectionResetError(), RoboUnavailable),
        (TimeoutError(), RoboTimeout),
    ],
)
def test_sdk_errors_map_into_the_tree(exc: BaseException, expected: type[RoboError]) -> None:
    assert type(map_sdk_error(exc)) is expected


def test_rate_limit_error_carries_retry_after() -> None:
    error = map_sdk_error(_status_error(429, {"retry-after": "12"}))

    assert isinstance(error, RoboRateLimited)
    assert error.retry_after_s == 12.0
