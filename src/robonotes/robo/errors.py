"""Translate openai SDK and HTTP failures into the project's error tree; nothing of the SDK escapes.

    openai exception / condition                      -> RoboError
    APITimeoutError, 408                              -> RoboTimeout
    APIConnectionError, httpx2 transport errors, 5xx,
    409, unknown status                               -> RoboUnavailable
    429 (RateLimitError)                              -> RoboRateLimited(retry_after_s)
    429 with code insufficient_quota                  -> BudgetExceeded (defers, costs no attempt)
    401, 403                                          -> RoboAuthError
    400/404/422 with a content-filter code            -> RoboContentRejected
    other 400, 404, 413, 422, other 4xx               -> RoboBadRequest
    ContentFilterFinishReasonError                    -> RoboContentRejected
    LengthFinishReasonError                           -> RoboOutputTruncated
    APIResponseValidationError, other OpenAIError     -> RoboInvalidResponse / RoboUnavailable

Also here: reading `retry-after` / `retry-after-ms` and the `x-ratelimit-*` headers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx2
import openai

from robonotes.domain.exceptions import (
    BudgetExceeded,
    RoboAuthError,
    RoboBadRequest,
    RoboContentRejected,
    RoboError,
    RoboInvalidResponse,
    RoboOutputTruncated,
    RoboRateLimited,
    RoboTimeout,
    RoboUnavailable,
)

MAX_MESSAGE_CHARS = 300
CONTENT_FILTER_CODES = frozenset({"content_filter", "content_policy_violation"})
QUOTA_CODES = frozenset({"insufficient_quota", "billing_hard_limit_reached"})

_SECRET_SHAPES = re.compile(r"(sk-|Bearer\s+)[A-Za-z0-9._~+/=\-]{4,}")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


@dataclass(frozen=True, slots=True)
class RateLimitHeaders:
    """What the provider's x-ratelimit-* headers say is left, and when it resets."""

    remaining_requests: int | None = None
    remaining_tokens: int | None = None
    reset_requests_s: float | None = None
    reset_tokens_s: float | None = None

    @property
    def present(self) -> bool:
        """Whether any of the headers was there."""
        return any(
            value is not None
            for value in (
                self.remaining_requests,
                self.remaining_tokens,
                self.reset_requests_s,
                self.reset_tokens_s,
            )
        )


def parse_duration_s(text: str | None) -> float | None:
    """OpenAI's reset durations ("1s", "6m0s", "20ms", "1h2m3.5s") or plain seconds, in seconds."""
    if text is None:
        return None
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        pass
    else:
        return value if value >= 0 and value == value and value != float("inf") else None
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        return None
    return sum(float(number) * _UNIT_S[unit] for number, unit in parts)


def _int_or_none(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        value = int(text.strip())
    except ValueError:
        return None
    return value if value >= 0 else None


def rate_limit_headers(headers: Mapping[str, str]) -> RateLimitHeaders:
    """Parse x-ratelimit-remaining-* and x-ratelimit-reset-*; malformed values become None."""
    return RateLimitHeaders(
        remaining_requests=_int_or_none(headers.get("x-ratelimit-remaining-requests")),
        remaining_tokens=_int_or_none(headers.get("x-ratelimit-remaining-tokens")),
        reset_requests_s=parse_duration_s(headers.get("x-ratelimit-reset-requests")),
        reset_tokens_s=parse_duration_s(headers.get("x-ratelimit-reset-tokens")),
    )


def retry_after_s(headers: Mapping[str, str], *, now: datetime | None = None) -> float | None:
    """The server's retry hint in seconds: `retry-after-ms`, `retry-after` seconds or HTTP date."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            value = float(millis) / 1000
        except ValueError:
            value = -1.0
        if 0 <= value < float("inf"):
            return value
    text = headers.get("retry-after")
    if text is None:
        return None
    text = text.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
    return seconds if 0 <= seconds < float("inf") else None


def redact(text: str, secrets: Sequence[str] = ()) -> str:
    """The text with the given secrets and anything shaped like a key or bearer token masked.

    Providers and proxies echo what they were sent ("Incorrect API key provided: sk-..."); the
    message goes on to the DLQ, the API and logs, so no key may survive in it.
    """
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return _SECRET_SHAPES.sub(lambda m: f"{m.group(1)}***", text)


def _message(exc: BaseException, secrets: Sequence[str] = ()) -> str:
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return redact(f"{type(exc).__name__}: {text}", secrets)[:MAX_MESSAGE_CHARS]


def map_status_error(exc: openai.APIStatusError, *, secrets: Sequence[str] = ()) -> RoboError:
    """The tree's class for an HTTP error status from the provider."""
    status = exc.status_code
    code = (exc.code or "").lower()
    message = _message(exc, secrets)
    if status == 429:
        if code in QUOTA_CODES:
            return BudgetExceeded(message)
        return RoboRateLimited(message, retry_after_s=retry_after_s(exc.response.headers))
    if status in (401, 403):
        return RoboAuthError(message)
    if status == 408:
        return RoboTimeout(message)
    if status == 409 or status >= 500:
        return RoboUnavailable(message)
    if code in CONTENT_FILTER_CODES:
        return RoboContentRejected(message)
    if 400 <= status < 500:
        return RoboBadRequest(message)
    return RoboUnavailable(message)


def map_sdk_error(exc: BaseException, *, secrets: Sequence[str] = ()) -> RoboError:
    """The tree's class for any exception an SDK call raised (status, transport, parsing)."""
    if isinstance(exc, RoboError):
        return exc
    if isinstance(exc, openai.APIStatusError):
        return map_status_error(exc, secrets=secrets)
    message = _message(exc, secrets)
    if isinstance(exc, openai.APITimeoutError | httpx2.TimeoutException | TimeoutError):
        return RoboTimeout(message)
    if isinstance(exc, openai.ContentFilterFinishReasonError):
        return RoboContentRejected(message)
    if isinstance(exc, openai.LengthFinishReasonError):
        return RoboOutputTruncated(message)
    if isinstance(exc, openai.APIResponseValidationError | ValueError):
        return RoboInvalidResponse(message)
    # Connection errors, other transport and SDK errors, and anything unforeseen.
    return RoboUnavailable(message)
