"""OpenAIService against a mocked HTTP layer: fault kinds, tier-1 retries, re-ask, call records."""

from __future__ import annotations

import httpx2
import pytest
from robosupport import (
    NOTE_TIME,
    ScriptedTransport,
    activity,
    completion_body,
    extraction,
    make_note,
    moment,
    ok,
    raises,
    raw,
    status,
)

from robonotes.domain.context import CandidateActivity, ExtractionContext
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
from robonotes.domain.results import CallOutcome
from robonotes.robo.openai_service import OpenAIService
from robonotes.robo.prompts import NOTE_CLOSE, PROMPT_VERSION
from robonotes.robo.schema import SCHEMA_NAME
from robonotes.services.ports import RateReservation

NOTE = make_note("Ran 5 km with Sam this morning. Skipped yoga.")
CONTEXT = ExtractionContext(
    created_at=NOTE_TIME, activities=(CandidateActivity(idx=0, name="running"),)
)
GOOD = extraction(
    [activity("running", "Ran 5 km with Sam", existing_activity_idx=0)],
    [moment("Run with Sam", "Ran 5 km with Sam this morning", activities=["running"])],
)


class FakeRateLimiter:
    """Records reservations, settlements and observed limits."""

    def __init__(self) -> None:
        self.acquired: list[int] = []
        self.settled: list[tuple[int, int]] = []
        self.observed: list[dict[str, object]] = []

    async def acquire(self, *, tokens: int) -> RateReservation:
        self.acquired.append(tokens)
        return RateReservation(id=str(len(self.acquired)), tokens=tokens)

    async def settle(self, reservation: RateReservation, *, actual_tokens: int) -> None:
        self.settled.append((reservation.tokens, actual_tokens))

    async def observe_limits(self, **limits: object) -> None:
        self.observed.append(limits)


class Sleeps:
    """Records the pauses the service asks for instead of sleeping."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay_s: float) -> None:
        self.delays.append(delay_s)


def service(
    transport: ScriptedTransport,
    *,
    limiter: FakeRateLimiter | None = None,
    sleeps: Sleeps | None = None,
) -> OpenAIService:
    return OpenAIService(
        api_key="sk-test",
        model="gpt-test",
        base_url="http://llm.test/v1",
        rate_limiter=limiter,
        http_client=transport.client(),
        sleep=sleeps or Sleeps(),
    )


async def test_successful_extraction_returns_validated_items_usage_and_one_call() -> None:
    transport = ScriptedTransport(ok(GOOD, reasoning_tokens=12))

    result = await service(transport).extract(NOTE, CONTEXT)

    assert [a.name for a in result.activities] == ["running"]
    assert result.activities[0].existing_activity_idx == 0
    assert [m.title for m in result.moments] == ["Run with Sam"]
    assert (result.provider, result.model, result.prompt_version) == (
        "openai",
        "gpt-test",
        PROMPT_VERSION,
    )
    assert result.usage.prompt_tokens == 1200
    assert result.usage.cached_tokens == 1024
    assert result.usage.completion_tokens == 80
    assert result.usage.reasoning_tokens == 12
    [call] = result.calls
    assert call.outcome is CallOutcome.OK
    assert (call.attempt, call.request_id, call.note_id, call.user_id, call.note_version) == (
        1,
        "req_ok",
        7,
        3,
        2,
    )


async def test_request_uses_strict_json_schema_and_the_output_cap() -> None:
    transport = ScriptedTransport(ok(GOOD))

    await service(transport).extract(NOTE, CONTEXT)

    [body] = transport.bodies()
    assert body["model"] == "gpt-test"
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["strict"] is True
    assert body["response_format"]["json_schema"]["name"] == SCHEMA_NAME
    assert body["max_completion_tokens"] == 2048
    assert body["messages"][-1]["content"].endswith(NOTE_CLOSE)
    assert transport.requests[0].headers["authorization"] == "Bearer sk-test"


@pytest.mark.parametrize(
    ("step", "error_class"),
    [
        (status(401), RoboAuthError),
        (status(403), RoboAuthError),
        (status(400), RoboBadRequest),
        (status(404), RoboBadRequest),
        (status(422), RoboBadRequest),
        (
            status(400, body={"error": {"message": "filtered", "code": "content_filter"}}),
            RoboContentRejected,
        ),
        (
            status(429, body={"error": {"message": "quota", "code": "insufficient_quota"}}),
            BudgetExceeded,
        ),
    ],
)
async def test_permanent_http_errors_map_to_their_class_without_retry(
    step: object, error_class: type[RoboError]
) -> None:
    transport = ScriptedTransport(step)  # type: ignore[arg-type]

    with pytest.raises(error_class) as caught:
        await service(transport).extract(NOTE, CONTEXT)

    assert len(transport.requests) == 1
    [call] = caught.value.calls
    assert call.outcome is CallOutcome.FAILED
    assert call.error_class == error_class.__name__


@pytest.mark.parametrize(
    ("step", "error_class"),
    [
        (status(500), RoboUnavailable),
        (status(502), RoboUnavailable),
        (status(503), RoboUnavailable),
        (raises(httpx2.ConnectError), RoboUnavailable),
        (raises(httpx2.RemoteProtocolError), RoboUnavailable),
        (raises(httpx2.ReadTimeout), RoboTimeout),
        (raises(httpx2.ConnectTimeout), RoboTimeout),
    ],
)
async def test_transient_errors_are_retried_twice_then_raised(
    step: object, error_class: type[RoboError]
) -> None:
    transport = ScriptedTransport(step, step, step)  # type: ignore[arg-type]
    sleeps = Sleeps()

    with pytest.raises(error_class) as caught:
        await service(transport, sleeps=sleeps).extract(NOTE, CONTEXT)

    assert len(transport.requests) == 3
    assert [call.outcome for call in caught.value.calls] == [
        CallOutcome.RETRIED,
        CallOutcome.RETRIED,
        CallOutcome.FAILED,
    ]
    assert [call.attempt for call in caught.value.calls] == [1, 2, 3]
    assert len(sleeps.delays) == 2
    assert all(0.1 <= delay <= 1.0 for delay in sleeps.delays)


async def test_transient_error_then_success_returns_result_with_every_attempt() -> None:
    transport = ScriptedTransport(status(503), raises(httpx2.ConnectError), ok(GOOD))

    result = await service(transport).extract(NOTE, CONTEXT)

    assert [call.outcome for call in result.calls] == [
        CallOutcome.RETRIED,
        CallOutcome.RETRIED,
        CallOutcome.OK,
    ]
    assert [call.error_class for call in result.calls] == [
        "RoboUnavailable",
        "RoboUnavailable",
        None,
    ]
    assert result.calls[0].request_id == "req_503"


async def test_rate_limit_with_long_retry_after_goes_to_tier_two_without_sleeping() -> None:
    transport = ScriptedTransport(status(429, headers={"retry-after": "20"}))
    sleeps = Sleeps()

    with pytest.raises(RoboRateLimited) as caught:
        await service(transport, sleeps=sleeps).extract(NOTE, CONTEXT)

    assert caught.value.retry_after_s == 20.0
    assert sleeps.delays == []
    assert len(transport.requests) == 1


async def test_rate_limit_goes_to_tier_two_at_once_with_the_server_hint() -> None:
    transport = ScriptedTransport(status(429, headers={"retry-after-ms": "700"}), ok(GOOD))
    sleeps = Sleeps()

    with pytest.raises(RoboRateLimited) as caught:
        await service(transport, sleeps=sleeps).extract(NOTE, CONTEXT)

    assert caught.value.retry_after_s == 0.7
    assert len(transport.requests) == 1
    assert sleeps.delays == []


async def test_server_error_with_long_retry_after_keeps_its_class_and_hint_for_tier_two() -> None:
    transport = ScriptedTransport(status(503, headers={"retry-after": "30"}))

    with pytest.raises(RoboUnavailable) as caught:
        await service(transport).extract(NOTE, CONTEXT)

    assert caught.value.retry_after_s == 30.0
    assert len(transport.requests) == 1


async def test_the_last_quick_retry_hands_its_hint_to_tier_two() -> None:
    busy = status(503, headers={"retry-after": "0.2"})
    transport = ScriptedTransport(busy, busy, busy)

    with pytest.raises(RoboUnavailable) as caught:
        await service(transport, sleeps=Sleeps()).extract(NOTE, CONTEXT)

    assert len(transport.requests) == 3
    assert caught.value.retry_after_s == 0.2


async def test_rate_limit_without_retry_after_is_not_retried_here() -> None:
    transport = ScriptedTransport(status(429))

    with pytest.raises(RoboRateLimited) as caught:
        await service(transport).extract(NOTE, CONTEXT)

    assert caught.value.retry_after_s is None
    assert len(transport.requests) == 1


async def test_refusal_is_content_rejected_and_keeps_the_spent_tokens() -> None:
    body = completion_body(None, refusal="I can't help with that")
    transport = ScriptedTransport(lambda request: httpx2.Response(200, json=body))

    with pytest.raises(RoboContentRejected) as caught:
        await service(transport).extract(NOTE, CONTEXT)

    [call] = caught.value.calls
    assert call.usage.prompt_tokens == 1200
    assert call.outcome is CallOutcome.FAILED


@pytest.mark.parametrize(
    ("finish_reason", "error_class"),
    [("length", RoboOutputTruncated), ("content_filter", RoboContentRejected)],
)
async def test_finish_reasons_map_to_permanent_errors(
    finish_reason: str, error_class: type[RoboError]
) -> None:
    transport = ScriptedTransport(ok('{"activities": [', finish_reason=finish_reason))

    with pytest.raises(error_class) as caught:
        await service(transport).extract(NOTE, CONTEXT)

    assert len(transport.requests) == 1
    assert caught.value.calls[0].usage.completion_tokens == 80


async def test_schema_violation_is_reasked_once_with_the_problem() -> None:
    transport = ScriptedTransport(ok('{"activities": [], "moments": [], "extra": 1}'), ok(GOOD))

    result = await service(transport).extract(NOTE, CONTEXT)

    assert [call.outcome for call in result.calls] == [CallOutcome.INVALID, CallOutcome.OK]
    reask = transport.bodies()[1]["messages"]
    assert reask[-2]["role"] == "assistant"
    assert "extra" in reask[-1]["content"]
    assert result.usage.prompt_tokens == 2400


@pytest.mark.parametrize(
    "content",
    ["not json at all", '{"activities": "many"}', "", '{"activities": [], "moments": [1]}'],
)
async def test_structure_still_invalid_after_reask_is_invalid_response(content: str) -> None:
    transport = ScriptedTransport(ok(content), ok(content))

    with pytest.raises(RoboInvalidResponse) as caught:
        await service(transport).extract(NOTE, CONTEXT)

    assert len(transport.requests) == 2
    assert [call.outcome for call in caught.value.calls] == [CallOutcome.INVALID] * 2


@pytest.mark.parametrize(
    "step",
    [
        raw(200, b"{not json"),
        raw(200, b"<html>proxy error</html>", "text/html"),
        raw(200, b"{}"),
        raw(200, b'{"choices": []}'),
    ],
)
async def test_unreadable_http_body_is_asked_again_once(step: object) -> None:
    transport = ScriptedTransport(step, step)  # type: ignore[arg-type]

    with pytest.raises(RoboInvalidResponse):
        await service(transport).extract(NOTE, CONTEXT)

    assert len(transport.requests) == 2


async def test_fenced_json_from_a_lenient_server_is_accepted() -> None:
    transport = ScriptedTransport(ok(f"```json\n{GOOD}\n```"))

    result = await service(transport).extract(NOTE, CONTEXT)

    assert len(result.activities) == 1


async def test_rate_limiter_reserves_before_and_settles_with_real_usage() -> None:
    limiter = FakeRateLimiter()
    headers = {
        "x-ratelimit-remaining-requests": "42",
        "x-ratelimit-remaining-tokens": "9000",
        "x-ratelimit-reset-requests": "1s",
        "x-ratelimit-reset-tokens": "6m0s",
    }
    transport = ScriptedTransport(ok(GOOD, headers=headers))

    await service(transport, limiter=limiter).extract(NOTE, CONTEXT)

    [estimate] = limiter.acquired
    assert estimate > 2048  # the prompt estimate plus the whole output cap
    assert limiter.settled == [(estimate, 1280)]
    assert limiter.observed == [
        {
            "remaining_requests": 42,
            "remaining_tokens": 9000,
            "reset_requests_s": 1.0,
            "reset_tokens_s": 360.0,
        }
    ]


async def test_rate_limiter_settles_failed_status_attempts_with_zero_tokens() -> None:
    limiter = FakeRateLimiter()
    transport = ScriptedTransport(status(401))

    with pytest.raises(RoboAuthError):
        await service(transport, limiter=limiter).extract(NOTE, CONTEXT)

    assert [actual for _, actual in limiter.settled] == [0]


async def test_invalid_items_are_dropped_and_counted() -> None:
    reply = extraction(
        [
            activity("running", "Ran 5 km with Sam"),
            activity("skydiving", "jumped out of a plane"),
            activity("yoga", "Skipped yoga", existing_activity_idx=99),
        ],
        [],
    )
    transport = ScriptedTransport(ok(reply))

    result = await service(transport).extract(NOTE, CONTEXT)

    assert [a.name for a in result.activities] == ["running", "yoga"]
    assert result.activities[1].existing_activity_idx is None
    assert result.dropped_items == 1


async def test_hostile_reply_strings_do_not_break_the_service() -> None:
    reply = extraction(
        [activity("\u0000" * 10, "Ran"), activity("R" * 5000, "Ran")],
        [moment("", "Ran"), moment("t", "x" * 100_000)],
    )
    transport = ScriptedTransport(ok(reply))

    result = await service(transport).extract(NOTE, CONTEXT)

    assert result.activities == ()
    assert result.moments == ()
    assert result.dropped_items == 4


@pytest.mark.parametrize(
    "body",
    [
        {"choices": [{"message": "just a string", "finish_reason": "stop"}]},
        {"choices": [{"message": {"content": 123}, "finish_reason": "stop"}]},
        {"choices": [{"finish_reason": "stop"}]},
        {"choices": "none"},
        {"choices": [None]},
        [1, 2, 3],
    ],
)
async def test_lying_server_bodies_become_invalid_response_not_crashes(body: object) -> None:
    step = lambda request: httpx2.Response(200, json=body)  # noqa: E731
    transport = ScriptedTransport(step, step)

    with pytest.raises(RoboInvalidResponse):
        await service(transport).extract(NOTE, CONTEXT)

    assert len(transport.requests) == 2


async def test_garbage_usage_counts_as_zero_tokens() -> None:
    def step(request: httpx2.Request) -> httpx2.Response:
        body = completion_body(GOOD)
        body["usage"] = {"prompt_tokens": "many", "completion_tokens": -5, "total_tokens": None}
        return httpx2.Response(200, json=body)

    result = await service(ScriptedTransport(step)).extract(NOTE, CONTEXT)

    assert result.usage.prompt_tokens == 0
    assert result.usage.completion_tokens == 0
    assert len(result.activities) == 1


async def test_every_attempt_is_counted_in_metrics_by_outcome() -> None:
    from prometheus_client import REGISTRY

    def sample(outcome: str, error_class: str) -> float:
        labels = {"provider": "openai", "outcome": outcome, "error_class": error_class}
        return REGISTRY.get_sample_value("robonotes_robo_attempts_total", labels) or 0.0

    before = (sample("retried", "RoboUnavailable"), sample("ok", ""))
    transport = ScriptedTransport(status(502), ok(GOOD))

    await service(transport).extract(NOTE, CONTEXT)

    assert sample("retried", "RoboUnavailable") == before[0] + 1
    assert sample("ok", "") == before[1] + 1


async def test_a_note_with_nul_and_lone_surrogates_is_still_sent() -> None:
    note = make_note("Ran 5 km\x00 with Sam \ud800this morning.")
    reply = extraction([activity("running", "Ran 5 km with Sam")], [])
    transport = ScriptedTransport(ok(reply))

    result = await service(transport).extract(note, CONTEXT)

    assert [a.name for a in result.activities] == ["running"]
    assert "\\u0000" not in transport.requests[0].content.decode()


@pytest.mark.parametrize(
    "echoed",
    [
        "Incorrect API key provided: {key}. You can find your API key at ...",
        "proxy refused Authorization: Bearer {key}",
        "bad key sk-proj-Abc123_def456-ghi",
    ],
)
async def test_a_provider_that_echoes_the_key_never_gets_it_into_the_error(echoed: str) -> None:
    key = "my-self-hosted-key-8c1f"
    message = echoed.format(key=key)
    transport = ScriptedTransport(status(401, body={"error": {"message": message, "type": "x"}}))
    robo = OpenAIService(
        api_key=key,
        model="gpt-test",
        base_url="http://llm.test/v1",
        http_client=transport.client(),
        sleep=Sleeps(),
    )

    with pytest.raises(RoboAuthError) as caught:
        await robo.extract(NOTE, CONTEXT)

    text = str(caught.value)
    assert key not in text
    assert "sk-proj-Abc123" not in text
    assert "***" in text
