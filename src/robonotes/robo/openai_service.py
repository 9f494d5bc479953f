"""OpenAIService: Robo on the official openai SDK, for OpenAI and any OpenAI-compatible server.

One extraction is a short loop of HTTP attempts, each recorded as a `RoboCall`:

- tier-1 quick retry: at most `max_quick_retries` (2) more attempts, after a jittered 100 ms..1 s
  pause, for connection errors, timeouts, 5xx and a 429 whose `retry-after` is that short. A longer
  `retry-after` is not slept here: `RoboRateLimited(retry_after_s)` goes to the queue (tier 2).
  The SDK's own retries are off (`max_retries=0`), so this is the one loop and every attempt counts.
- one re-ask: a reply that is not JSON for the strict schema (or an unreadable HTTP body) is asked
  again once; still invalid, `RoboInvalidResponse`.
- finish_reason `length` -> `RoboOutputTruncated`; refusal or content_filter ->
  `RoboContentRejected`.

Before each attempt the `RateLimiter` reserves one request and the prompt estimate plus the output
cap; after it the reservation is settled with the real usage and the `x-ratelimit-*` headers are
passed on. On success the calls are in `RoboProcessingResult.calls`; on failure they are attached
to the raised `RoboError.calls`, so the caller ledgers tokens spent on failed attempts too.
No SDK or HTTP exception escapes (see `robo.errors` for the mapping).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import httpx2
import openai
from openai.types.chat import ChatCompletion

from robonotes.domain.context import ExtractionContext
from robonotes.domain.exceptions import (
    RoboContentRejected,
    RoboError,
    RoboInvalidResponse,
    RoboOutputTruncated,
    RoboRateLimited,
    RoboTimeout,
    RoboTransientError,
)
from robonotes.domain.notes import NoteData
from robonotes.domain.results import CallOutcome, RoboCall, RoboProcessingResult, TokenUsage
from robonotes.robo import metrics
from robonotes.robo.errors import map_sdk_error, rate_limit_headers, retry_after_s
from robonotes.robo.prompts import PROMPT_VERSION, build_messages, reask_message
from robonotes.robo.schema import response_format
from robonotes.robo.tokens import (
    DEFAULT_MAX_OUTPUT_TOKENS,
    estimate_prompt_tokens,
    estimate_request_tokens,
    estimate_tokens,
)
from robonotes.robo.validation import InvalidStructureError, parse_extraction, validate_extraction
from robonotes.services.ports import RateLimiter, RateReservation

PURPOSE_EXTRACT = "extract"
MAX_QUICK_RETRIES = 2
QUICK_RETRY_MIN_S = 0.1
QUICK_RETRY_MAX_S = 1.0
PLACEHOLDER_API_KEY = "not-needed"
"""Local OpenAI-compatible servers often need no key, but the SDK refuses to start without one."""

log = logging.getLogger(__name__)

_SDK_FAILURES = (openai.OpenAIError, httpx2.HTTPError, OSError, ValueError, TimeoutError)


@dataclass(frozen=True, slots=True)
class _Reply:
    """What one successful HTTP exchange gave: the completion (if readable) and its metadata."""

    completion: ChatCompletion | None
    headers: Mapping[str, str]
    request_id: str | None


class _AttemptError(Exception):
    """One attempt's mapped error, with what the failed response told us."""

    def __init__(
        self, error: RoboError, *, request_id: str | None, headers: Mapping[str, str]
    ) -> None:
        super().__init__(str(error))
        self.error = error
        self.request_id = request_id
        self.headers = headers


def _count(value: object) -> int:
    """A token count from a possibly lying server: a non-negative int, else 0."""
    if isinstance(value, bool) or not isinstance(value, int):
        return 0
    return max(0, value)


def _usage(completion: ChatCompletion | None) -> TokenUsage:
    usage = getattr(completion, "usage", None) if completion is not None else None
    if usage is None:
        return TokenUsage()
    prompt_details = getattr(usage, "prompt_tokens_details", None)
    completion_details = getattr(usage, "completion_tokens_details", None)
    return TokenUsage(
        prompt_tokens=_count(getattr(usage, "prompt_tokens", 0)),
        cached_tokens=_count(getattr(prompt_details, "cached_tokens", 0)),
        completion_tokens=_count(getattr(usage, "completion_tokens", 0)),
        reasoning_tokens=_count(getattr(completion_details, "reasoning_tokens", 0)),
    )


def _readable(completion: object) -> ChatCompletion | None:
    """The completion when the body really is one with a choice and a message, else None."""
    if not isinstance(completion, ChatCompletion):
        return None
    choices = completion.choices
    if not isinstance(choices, list) or not choices:
        return None
    message = getattr(choices[0], "message", None)
    if message is None or isinstance(message, str | int | float | list | dict):
        return None
    return completion


class OpenAIService:
    """RoboService on `openai.AsyncOpenAI`; `base_url` points it at any OpenAI-compatible server."""

    def __init__(
        self,
        *,
        api_key: str | None,
        model: str,
        base_url: str | None = None,
        timeout_s: float = 60.0,
        connect_timeout_s: float = 5.0,
        max_output_tokens: int = DEFAULT_MAX_OUTPUT_TOKENS,
        rate_limiter: RateLimiter | None = None,
        http_client: httpx2.AsyncClient | None = None,
        max_quick_retries: int = MAX_QUICK_RETRIES,
        quick_retry_min_s: float = QUICK_RETRY_MIN_S,
        quick_retry_max_s: float = QUICK_RETRY_MAX_S,
        temperature: float | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        """`temperature` None leaves it out: reasoning models reject any value but the default."""
        self._model = model
        self._max_output_tokens = max_output_tokens
        self._limiter = rate_limiter
        self._max_quick_retries = max(0, max_quick_retries)
        self._quick_retry_min_s = quick_retry_min_s
        self._quick_retry_max_s = max(quick_retry_min_s, quick_retry_max_s)
        self._temperature = temperature
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._secrets = (api_key,) if api_key else ()
        self._client = openai.AsyncOpenAI(
            api_key=api_key or PLACEHOLDER_API_KEY,
            base_url=base_url,
            max_retries=0,
            timeout=httpx2.Timeout(timeout_s, connect=connect_timeout_s),
            http_client=http_client,
        )

    @property
    def name(self) -> str:
        """Provider name in results and the ledger."""
        return "openai"

    @property
    def model(self) -> str:
        """The model every call asks for."""
        return self._model

    async def aclose(self) -> None:
        """Close the SDK client and its connection pool."""
        await self._client.close()

    async def extract(self, note: NoteData, context: ExtractionContext) -> RoboProcessingResult:
        """Extract the note's moments and activities in one LLM call (plus retries, one re-ask)."""
        calls: list[RoboCall] = []
        on_wire: list[tuple[float, datetime]] = []
        try:
            return await self._attempts(note, context, calls=calls, on_wire=on_wire)
        except asyncio.CancelledError as cancelled:
            # A job timeout or a shutdown cut the extraction short: the attempts made so far,
            # and one whose request was on the wire (its tokens unknown), still go to the ledger.
            for sent_at, started_at in on_wire:
                calls.append(
                    self._call(
                        note,
                        attempt=len(calls) + 1,
                        outcome=CallOutcome.FAILED,
                        usage=TokenUsage(),
                        latency_ms=(time.perf_counter() - sent_at) * 1000,
                        started_at=started_at,
                        request_id=None,
                        error_class="CancelledError",
                    )
                )
            cancelled.calls = tuple(calls)  # type: ignore[attr-defined]
            raise

    async def _attempts(
        self,
        note: NoteData,
        context: ExtractionContext,
        *,
        calls: list[RoboCall],
        on_wire: list[tuple[float, datetime]],
    ) -> RoboProcessingResult:
        """The attempt loop: tier-1 retries and one re-ask, each attempt appended to `calls`."""
        started = time.perf_counter()
        messages: list[dict[str, str]] = build_messages(note.text, context)
        quick_retries = 0
        reasked = False
        while True:
            attempt = len(calls) + 1
            call_started_at = datetime.now(UTC)
            t0 = time.perf_counter()
            try:
                reply = await self._exchange(messages, on_wire=on_wire)
            except _AttemptError as failed:
                on_wire.clear()
                latency_ms = (time.perf_counter() - t0) * 1000
                delay_s = self._quick_retry_delay(failed, retries_done=quick_retries)
                outcome = CallOutcome.RETRIED if delay_s is not None else CallOutcome.FAILED
                calls.append(
                    self._call(
                        note,
                        attempt=attempt,
                        outcome=outcome,
                        usage=TokenUsage(),
                        latency_ms=latency_ms,
                        started_at=call_started_at,
                        request_id=failed.request_id,
                        error_class=type(failed.error).__name__,
                    )
                )
                if delay_s is None:
                    raise self._with_calls(failed.error, calls) from None
                quick_retries += 1
                await self._sleep(delay_s)
                continue
            except RoboError as error:  # from the rate limiter itself
                raise self._with_calls(error, calls) from None
            on_wire.clear()
            call_fields: dict[str, Any] = {
                "attempt": attempt,
                "usage": _usage(reply.completion),
                "latency_ms": (time.perf_counter() - t0) * 1000,
                "started_at": call_started_at,
                "request_id": reply.request_id,
            }
            content: str | None = None
            try:
                content = self._content(reply.completion)
                parsed = parse_extraction(content)
            except InvalidStructureError as problem:
                calls.append(
                    self._call(
                        note,
                        outcome=CallOutcome.INVALID,
                        error_class=RoboInvalidResponse.__name__,
                        **call_fields,
                    )
                )
                if reasked:
                    raise self._with_calls(
                        RoboInvalidResponse(f"invalid after one re-ask: {problem}"), calls
                    ) from None
                reasked = True
                metrics.ROBO_REASKS.labels(self.name).inc()
                if reply.completion is not None:
                    # An unreadable HTTP body is simply asked again; a bad answer is shown back.
                    messages = [
                        *messages,
                        {"role": "assistant", "content": (content or "")[:4000]},
                        reask_message(str(problem)),
                    ]
                continue
            except RoboError as error:
                calls.append(
                    self._call(
                        note,
                        outcome=CallOutcome.FAILED,
                        error_class=type(error).__name__,
                        **call_fields,
                    )
                )
                raise self._with_calls(error, calls) from None
            calls.append(self._call(note, outcome=CallOutcome.OK, error_class=None, **call_fields))
            validated = validate_extraction(parsed, note_text=note.text, context=context)
            total = TokenUsage()
            for call in calls:
                total = total + call.usage
            return RoboProcessingResult(
                activities=validated.activities,
                moments=validated.moments,
                provider=self.name,
                model=self._model,
                prompt_version=PROMPT_VERSION,
                usage=total,
                latency_ms=(time.perf_counter() - started) * 1000,
                calls=tuple(calls),
                dropped_items=validated.dropped_items,
            )

    def _content(self, completion: ChatCompletion | None) -> str | None:
        """The reply's text; raises the tree's error for refusals, filters and truncation."""
        if completion is None:
            raise InvalidStructureError("the HTTP body was not a chat completion")
        # The SDK builds responses leniently (no validation), so every field is checked here.
        choice = completion.choices[0]
        message = getattr(choice, "message", None)
        refusal = getattr(message, "refusal", None)
        content = getattr(message, "content", None)
        finish_reason = getattr(choice, "finish_reason", None)
        if refusal:
            raise RoboContentRejected(f"the model refused: {str(refusal)[:200]}")
        if finish_reason == "content_filter":
            raise RoboContentRejected("the provider's content filter stopped the reply")
        if finish_reason == "length":
            raise RoboOutputTruncated(
                f"the reply hit the output cap of {self._max_output_tokens} tokens"
            )
        if content is not None and not isinstance(content, str):
            raise InvalidStructureError("the message content was not text")
        return content

    async def _exchange(
        self, messages: list[dict[str, str]], *, on_wire: list[tuple[float, datetime]]
    ) -> _Reply:
        """One HTTP attempt under the rate limiter; raises _AttemptError with the mapped error.

        `on_wire` holds the request's start while it is sent and unanswered (for cancellations).
        """
        reservation: RateReservation | None = None
        if self._limiter is not None:
            estimate = estimate_request_tokens(messages, max_output_tokens=self._max_output_tokens)
            reservation = await self._limiter.acquire(tokens=estimate)
        spent_tokens = 0
        on_wire[:] = [(time.perf_counter(), datetime.now(UTC))]
        try:
            try:
                raw = await self._client.chat.completions.with_raw_response.create(
                    model=self._model,
                    messages=cast(Any, messages),
                    response_format=cast(Any, response_format()),
                    max_completion_tokens=self._max_output_tokens,
                    temperature=openai.omit if self._temperature is None else self._temperature,
                )
            except _SDK_FAILURES as exc:
                error = map_sdk_error(exc, secrets=self._secrets)
                response = getattr(exc, "response", None)
                headers: Mapping[str, str] = response.headers if response is not None else {}
                if isinstance(error, RoboTimeout) and reservation is not None:
                    # A timed-out request may still have been billed: keep the estimate.
                    spent_tokens = reservation.tokens
                await self._observe(headers)
                raise _AttemptError(
                    error, request_id=getattr(exc, "request_id", None), headers=headers
                ) from exc
            headers = raw.headers
            request_id = headers.get("x-request-id")
            try:
                completion = _readable(raw.parse())
            except _SDK_FAILURES:
                completion = None
            usage = _usage(completion)
            if usage.total_tokens:
                spent_tokens = usage.total_tokens
            else:
                # Servers that report no usage: settle with an estimate, not with zero.
                message = getattr(completion.choices[0], "message", None) if completion else None
                content = getattr(message, "content", None)
                text = content if isinstance(content, str) else ""
                spent_tokens = estimate_prompt_tokens(messages) + estimate_tokens(text)
            await self._observe(headers)
            return _Reply(completion=completion, headers=headers, request_id=request_id)
        finally:
            if reservation is not None and self._limiter is not None:
                try:
                    await self._limiter.settle(reservation, actual_tokens=spent_tokens)
                except RoboError as exc:
                    # The call already happened (and was paid for): a limiter hiccup now must
                    # not throw its answer away. The reservation expires with its window.
                    log.warning("rate limiter settle failed: %s", exc)

    async def _observe(self, headers: Mapping[str, str]) -> None:
        if self._limiter is None:
            return
        limits = rate_limit_headers(headers)
        if not limits.present:
            return
        try:
            await self._limiter.observe_limits(
                remaining_requests=limits.remaining_requests,
                remaining_tokens=limits.remaining_tokens,
                reset_requests_s=limits.reset_requests_s,
                reset_tokens_s=limits.reset_tokens_s,
            )
        except RoboError as exc:
            log.warning("rate limiter observe_limits failed: %s", exc)

    def _quick_retry_delay(self, failed: _AttemptError, *, retries_done: int) -> float | None:
        """Seconds to wait before a tier-1 retry, or None when the error goes to tier 2 or 3.

        Tier 1 is for connection errors, timeouts and 5xx only (DESIGN.md). A 429 goes to tier 2
        at once, as does a hint longer than a quick retry; either way the server's hint rides
        on the error, keeping its class, so the backoff honours it.
        """
        error = failed.error
        if not isinstance(error, RoboTransientError):
            return None
        hint_s = retry_after_s(failed.headers)
        if error.retry_after_s is None:
            error.retry_after_s = hint_s
        hint_s = error.retry_after_s
        if isinstance(error, RoboRateLimited) or retries_done >= self._max_quick_retries:
            return None
        if hint_s is not None and hint_s > self._quick_retry_max_s:
            return None
        cap_s = min(self._quick_retry_max_s, self._quick_retry_min_s * 4 ** (retries_done + 1))
        delay_s = self._rng.uniform(self._quick_retry_min_s, cap_s)
        return max(delay_s, hint_s or 0.0)

    def _call(
        self,
        note: NoteData,
        *,
        attempt: int,
        outcome: CallOutcome,
        usage: TokenUsage,
        latency_ms: float,
        started_at: datetime,
        request_id: str | None,
        error_class: str | None,
    ) -> RoboCall:
        call = RoboCall(
            provider=self.name,
            model=self._model,
            purpose=PURPOSE_EXTRACT,
            attempt=attempt,
            outcome=outcome,
            usage=usage,
            latency_ms=latency_ms,
            started_at=started_at,
            request_id=request_id,
            error_class=error_class,
            note_id=note.id,
            user_id=note.user_id,
            note_version=note.version,
        )
        metrics.record_call(call)
        return call

    @staticmethod
    def _with_calls(error: RoboError, calls: list[RoboCall]) -> RoboError:
        error.calls = tuple(calls)
        return error
