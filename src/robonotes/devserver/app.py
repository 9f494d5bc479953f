"""The dev server's HTTP app: OpenAI's chat completions and models endpoints, plus control routes.

    POST /v1/chat/completions   what the official SDK sends (response_format json_schema)
    GET  /v1/models             the models it claims to serve
    POST /_control              change the FaultPlan (partial JSON; unknown fields are a 422)
    POST /_reset                back to the start-up plan, stats cleared
    GET  /_stats                requests by outcome, tokens served, requests in flight
    GET  /_requests             the last request bodies received (newest last)

Every completion answer, good or bad, carries `x-request-id` and `x-ratelimit-*` headers in
OpenAI's format, and every 200 carries usage with cached and reasoning token details. A request's
`x-devserver-fault` header (a Fault name) and `x-devserver-latency-ms` override the plan for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
import uuid
from collections import Counter, deque
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from robonotes.devserver.extraction import (
    Delimiters,
    conform,
    extract,
    message_text,
    read_prompt,
)
from robonotes.devserver.faults import STATUS_OF, Fault, FaultPlan

DEFAULT_MODELS = ("gpt-4o-mini", "gpt-4o", "devserver-1")
MAX_BODY_BYTES = 8 * 1024 * 1024
PREFIX_CACHE_MIN_TOKENS = 1024
PREFIX_CACHE_STEP_TOKENS = 128
REFUSAL_TEXT = "I'm sorry, but I can't help with that request."


def estimate_tokens(text: str) -> int:
    """About four characters a token, as OpenAI's rule of thumb says; never zero for text."""
    return (len(text) + 3) // 4


def go_duration(seconds: float) -> str:
    """A duration the way OpenAI's x-ratelimit-reset-* headers write it: "20ms", "1.5s", "6m0s"."""
    if seconds < 1:
        return f"{max(0, round(seconds * 1000))}ms"
    minutes, rest = divmod(seconds, 60)
    rest_text = f"{rest:.3f}".rstrip("0").rstrip(".")
    return f"{int(minutes)}m{rest_text}s" if minutes else f"{rest_text}s"


class DevServerState:
    """Everything the server remembers: the plan, counters, limit windows, recent prompts."""

    def __init__(self, plan: FaultPlan, *, api_key: str | None, models: tuple[str, ...]) -> None:
        self.initial_plan = plan.model_copy(deep=True)
        self.plan = plan.model_copy(deep=True)
        self.api_key = api_key
        self.models = models
        self.delimiters = Delimiters()
        self.rng = random.Random(plan.seed)
        self.outcomes: Counter[str] = Counter()
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.in_flight = 0
        self.window: deque[tuple[float, int]] = deque()
        self.recent_prompts: deque[str] = deque(maxlen=32)
        self.recent_requests: deque[dict[str, Any]] = deque(maxlen=100)

    def reset(self) -> None:
        """Back to the start-up plan with every counter at zero."""
        self.plan = self.initial_plan.model_copy(deep=True)
        self.rng = random.Random(self.plan.seed)
        self.outcomes.clear()
        self.prompt_tokens = self.completion_tokens = 0
        self.window.clear()
        self.recent_prompts.clear()
        self.recent_requests.clear()

    def stats(self) -> dict[str, Any]:
        """Counts tests assert on: how many HTTP attempts happened and how each ended."""
        return {
            "requests": sum(self.outcomes.values()),
            "outcomes": dict(sorted(self.outcomes.items())),
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "in_flight": self.in_flight,
        }

    def _trim(self, now: float) -> None:
        while self.window and self.window[0][0] <= now - 60:
            self.window.popleft()

    def limit_headers(self, now: float) -> dict[str, str]:
        """x-ratelimit-* as OpenAI sends them, from this server's own one-minute window."""
        self._trim(now)
        used_requests = len(self.window)
        used_tokens = sum(tokens for _, tokens in self.window)
        reset_s = (self.window[0][0] + 60 - now) if self.window else 0.0
        return {
            "x-ratelimit-limit-requests": str(self.plan.limit_requests),
            "x-ratelimit-limit-tokens": str(self.plan.limit_tokens),
            "x-ratelimit-remaining-requests": str(max(0, self.plan.limit_requests - used_requests)),
            "x-ratelimit-remaining-tokens": str(max(0, self.plan.limit_tokens - used_tokens)),
            "x-ratelimit-reset-requests": go_duration(reset_s),
            "x-ratelimit-reset-tokens": go_duration(reset_s),
        }

    def over_limit(self, now: float, tokens: int) -> float | None:
        """Seconds until the request fits when the enforced limits are used up, else None."""
        self._trim(now)
        used_tokens = sum(t for _, t in self.window)
        if len(self.window) < self.plan.limit_requests and used_tokens + tokens <= (
            self.plan.limit_tokens
        ):
            return None
        return max(0.001, self.window[0][0] + 60 - now) if self.window else 1.0

    def cached_tokens(self, prompt: str, prompt_tokens: int) -> int:
        """Prefix-cache hits as OpenAI counts them: 128-token steps once 1024 tokens match."""
        best = max((_common_prefix(earlier, prompt) for earlier in self.recent_prompts), default=0)
        self.recent_prompts.append(prompt)
        cached = best // 4
        if cached < PREFIX_CACHE_MIN_TOKENS:
            return 0
        return min(prompt_tokens, cached - cached % PREFIX_CACHE_STEP_TOKENS)


def _common_prefix(first: str, second: str) -> int:
    """Length of the longest common prefix, by binary search over C-speed slice comparisons."""
    low, high = 0, min(len(first), len(second))
    while low < high:
        middle = (low + high + 1) // 2
        if first[:middle] == second[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


class AsciiJSONResponse(JSONResponse):
    """JSON with non-ASCII escaped, so lone surrogates from a hostile prompt still encode."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def _error(
    status: int, message: str, *, kind: str, code: str | None, headers: dict[str, str]
) -> JSONResponse:
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return AsciiJSONResponse(body, status_code=status, headers=headers)


_ERRORS: dict[Fault, tuple[str, str, str | None]] = {
    Fault.RATE_LIMIT: ("Rate limit reached (devserver).", "requests", "rate_limit_exceeded"),
    Fault.SERVER_ERROR: ("The server had an error (devserver).", "server_error", None),
    Fault.BAD_GATEWAY: ("Bad gateway (devserver).", "server_error", None),
    Fault.UNAVAILABLE: ("The engine is overloaded (devserver).", "server_error", None),
    Fault.UNAUTHORIZED: ("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"),
    Fault.FORBIDDEN: ("Project lacks access (devserver).", "invalid_request_error", None),
    Fault.BAD_REQUEST: ("Invalid request (devserver).", "invalid_request_error", None),
    Fault.NOT_FOUND: ("The model does not exist.", "invalid_request_error", "model_not_found"),
}


def create_app(
    plan: FaultPlan | None = None,
    *,
    api_key: str | None = None,
    models: tuple[str, ...] = DEFAULT_MODELS,
) -> FastAPI:
    """A fresh dev server app; `api_key`, when set, must come as `Authorization: Bearer ...`."""
    state = DevServerState(plan or FaultPlan(), api_key=api_key, models=models)
    app = FastAPI(title="Robo Notes dev server (OpenAI-compatible)", docs_url=None, redoc_url=None)
    app.state.devserver = state

    @app.get("/v1/models")
    async def list_models() -> dict[str, Any]:
        data = [{"id": m, "object": "model", "created": 0, "owned_by": "devserver"} for m in models]
        return {"object": "list", "data": data}

    @app.post("/_control")
    async def control(request: Request) -> Response:
        try:
            changes = json.loads(await request.body())
            if not isinstance(changes, dict):
                raise ValueError("the control body must be a JSON object")
            merged = {**state.plan.model_dump(), **changes}
            new_plan = FaultPlan.model_validate(merged)
        except (ValueError, ValidationError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=422)
        if "seed" in changes:
            state.rng = random.Random(new_plan.seed)
        state.plan = new_plan
        return JSONResponse(new_plan.model_dump(mode="json"))

    @app.post("/_reset")
    async def reset() -> dict[str, Any]:
        state.reset()
        return state.plan.model_dump(mode="json")

    @app.get("/_stats")
    async def stats() -> dict[str, Any]:
        return state.stats()

    @app.get("/_requests")
    async def recent_requests() -> list[dict[str, Any]]:
        return list(state.recent_requests)

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> Response:
        state.in_flight += 1
        try:
            return await _complete(state, request)
        finally:
            state.in_flight -= 1

    return app


async def _complete(state: DevServerState, request: Request) -> Response:
    """One chat completion, with whatever the plan or the request's header says goes wrong."""
    request_id = f"req_{uuid.uuid4().hex}"
    base = {"x-request-id": request_id}
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        state.outcomes["too_large"] += 1
        return _error(
            413, "Request too large.", kind="invalid_request_error", code=None, headers=base
        )
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    messages = body.get("messages") if isinstance(body, dict) else None
    if not isinstance(body, dict) or not isinstance(messages, list) or not messages:
        state.outcomes["invalid_request"] += 1
        message = "The body must be a JSON object with a non-empty 'messages' list."
        return _error(400, message, kind="invalid_request_error", code=None, headers=base)
    state.recent_requests.append(body)
    if body.get("stream"):
        state.outcomes["invalid_request"] += 1
        message = "Streaming is not supported by the dev server."
        return _error(400, message, kind="invalid_request_error", code=None, headers=base)

    plan = state.plan
    try:
        fault = plan.next_fault(header=request.headers.get("x-devserver-fault"), rng=state.rng)
    except ValueError:
        state.outcomes["invalid_request"] += 1
        message = f"Unknown x-devserver-fault; use one of {[f.value for f in Fault]}."
        return _error(400, message, kind="invalid_request_error", code=None, headers=base)
    authorization = request.headers.get("authorization", "")
    if state.api_key is not None and authorization != f"Bearer {state.api_key}":
        fault = Fault.UNAUTHORIZED

    prompt = "\n".join(_message_texts(messages))
    prompt_tokens = estimate_tokens(prompt) + 3 * len(messages)
    await _delay(state, request)

    now = time.monotonic()
    if fault is Fault.OK and plan.enforce_limits:
        wait_s = state.over_limit(now, prompt_tokens)
        if wait_s is not None:
            fault = Fault.RATE_LIMIT
            base["retry-after"] = str(max(1, round(wait_s)))
            base["retry-after-ms"] = str(round(wait_s * 1000))
    if fault is Fault.HANG:
        state.outcomes[fault.value] += 1
        await _hang(plan.hang_s, request)
        return Response(status_code=504, headers=base)

    if fault in STATUS_OF:
        state.outcomes[fault.value] += 1
        headers = {**base, **state.limit_headers(now)}
        if fault is Fault.RATE_LIMIT:
            headers.setdefault("retry-after", _seconds_text(plan.retry_after_s))
            headers.setdefault("retry-after-ms", str(round(plan.retry_after_s * 1000)))
            headers["x-ratelimit-remaining-requests"] = "0"
        message, kind, code = _ERRORS[fault]
        return _error(STATUS_OF[fault], message, kind=kind, code=code, headers=headers)

    state.window.append((now, prompt_tokens))
    headers = {**base, **state.limit_headers(now)}
    state.outcomes[fault.value] += 1
    if fault is Fault.MALFORMED:
        return Response(
            b'{"id": "chatcmpl-broken", "choices": [{"message": {"content": "{\\"act',
            media_type="application/json",
            headers=headers,
        )
    content, refusal, finish_reason = await _answer(state, fault, body, messages)
    completion_tokens = estimate_tokens(content or refusal or "")
    max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
    if fault is Fault.TRUNCATED and isinstance(max_tokens, int) and max_tokens > 0:
        completion_tokens = max_tokens
    reasoning = plan.reasoning_tokens
    cached = state.cached_tokens(prompt, prompt_tokens)
    state.prompt_tokens += prompt_tokens
    state.completion_tokens += completion_tokens + reasoning
    completion = {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": str(body.get("model") or state.models[0]),
        "system_fingerprint": "fp_devserver",
        "service_tier": "default",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": content,
                    "refusal": refusal,
                    "annotations": [],
                },
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens + reasoning,
            "total_tokens": prompt_tokens + completion_tokens + reasoning,
            "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": reasoning,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        },
    }
    return AsciiJSONResponse(completion, headers=headers)


def _message_texts(messages: list[Any]) -> list[str]:
    return [message_text(message) for message in messages]


def _seconds_text(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:.3f}"


async def _delay(state: DevServerState, request: Request) -> None:
    latency_ms = state.plan.latency_ms
    header = request.headers.get("x-devserver-latency-ms")
    if header:
        with contextlib.suppress(ValueError):
            latency_ms = min(600_000.0, max(0.0, float(header)))
    if state.plan.latency_jitter_ms:
        latency_ms += state.rng.uniform(0, state.plan.latency_jitter_ms)
    if latency_ms > 0:
        await asyncio.sleep(latency_ms / 1000)


async def _hang(hang_s: float, request: Request) -> None:
    """Say nothing until the client gives up (disconnects) or `hang_s` passes."""
    deadline = time.monotonic() + hang_s
    while time.monotonic() < deadline:
        if await request.is_disconnected():
            return
        await asyncio.sleep(0.05)


async def _answer(
    state: DevServerState, fault: Fault, body: dict[str, Any], messages: list[Any]
) -> tuple[str | None, str | None, str]:
    """(content, refusal, finish_reason) of a 200 answer for the fault."""
    if fault is Fault.REFUSAL:
        return None, REFUSAL_TEXT, "stop"
    if fault is Fault.CONTENT_FILTER:
        return None, None, "content_filter"
    if fault is Fault.SCHEMA_VIOLATION:
        return json.dumps({"activities": [{"name": 42}], "moments": "none"}), None, "stop"
    if fault is Fault.INVALID_JSON:
        return "Sure! Here are the activities: running, reading.", None, "stop"
    read = read_prompt(messages, state.delimiters)
    answer = await extract(
        read,
        obey_injections=state.plan.obey_injections,
        use_offline=state.plan.extractor == "auto",
    )
    schema = _requested_schema(body)
    if schema is not None:
        answer = conform(answer, schema)
    text = json.dumps(answer, ensure_ascii=False)
    if fault is Fault.TRUNCATED:
        return text[: max(1, len(text) // 2)], None, "length"
    return text, None, "stop"


def _requested_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    response_format = body.get("response_format")
    if not isinstance(response_format, dict) or response_format.get("type") != "json_schema":
        return None
    spec = response_format.get("json_schema")
    schema = spec.get("schema") if isinstance(spec, dict) else None
    return schema if isinstance(schema, dict) else None
