"""What the dev server does wrong, and when: fault kinds and the plan that picks them."""

from __future__ import annotations

import random
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Fault(StrEnum):
    """One way an answer can go; `OK` is a plausible extraction."""

    OK = "ok"
    RATE_LIMIT = "rate_limit"  # 429 with retry-after and x-ratelimit-* headers
    SERVER_ERROR = "server_error"  # 500
    BAD_GATEWAY = "bad_gateway"  # 502
    UNAVAILABLE = "unavailable"  # 503
    UNAUTHORIZED = "unauthorized"  # 401
    FORBIDDEN = "forbidden"  # 403
    BAD_REQUEST = "bad_request"  # 400
    NOT_FOUND = "not_found"  # 404, model not found
    HANG = "hang"  # never answer; the client has to time out
    MALFORMED = "malformed"  # 200 with a body that is not JSON
    INVALID_JSON = "invalid_json"  # a well-formed completion whose content is not JSON
    SCHEMA_VIOLATION = "schema_violation"  # content is JSON that breaks the schema
    REFUSAL = "refusal"  # message.refusal set, no content
    TRUNCATED = "truncated"  # finish_reason "length", content cut short
    CONTENT_FILTER = "content_filter"  # finish_reason "content_filter", no content


STATUS_OF: dict[Fault, int] = {
    Fault.RATE_LIMIT: 429,
    Fault.SERVER_ERROR: 500,
    Fault.BAD_GATEWAY: 502,
    Fault.UNAVAILABLE: 503,
    Fault.UNAUTHORIZED: 401,
    Fault.FORBIDDEN: 403,
    Fault.BAD_REQUEST: 400,
    Fault.NOT_FOUND: 404,
}
"""The HTTP status of each fault that is an error response."""


class FaultPlan(BaseModel):
    """Server-wide behaviour, set at start and changed at run time through POST /_control.

    For each chat completion the fault is, in order: the request's `x-devserver-fault` header; the
    next entry of `script` (consumed); a 5xx while `fail_next` > 0 (consumed); `fault` (every
    request); a 5xx with probability `fail_rate`; else `ok`.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    latency_ms: float = Field(default=0.0, ge=0, le=600_000)
    latency_jitter_ms: float = Field(default=0.0, ge=0, le=600_000)
    fault: Fault = Fault.OK
    script: list[Fault] = Field(default_factory=list, max_length=10_000)
    fail_next: int = Field(default=0, ge=0)
    fail_rate: float = Field(default=0.0, ge=0, le=1)
    fail_status: int = Field(default=500, ge=500, le=599)
    retry_after_s: float = Field(default=1.0, ge=0, le=86_400)
    hang_s: float = Field(default=600.0, gt=0, le=86_400)
    obey_injections: bool = False
    extractor: Literal["auto", "heuristic"] = Field(
        default="auto",
        description="auto: the offline extractor when installed; heuristic: keywords only (fast)",
    )
    reasoning_tokens: int = Field(default=0, ge=0)
    limit_requests: int = Field(default=10_000, gt=0, description="per minute, for x-ratelimit-*")
    limit_tokens: int = Field(default=10_000_000, gt=0, description="per minute, for x-ratelimit-*")
    enforce_limits: bool = Field(
        default=False, description="answer 429 when the per-minute limits above are used up"
    )
    seed: int | None = None

    def next_fault(self, *, header: str | None, rng: random.Random) -> Fault:
        """Pick (and consume, for `script` and `fail_next`) the fault of one request."""
        if header:
            return Fault(header.strip().lower())
        if self.script:
            return self.script.pop(0)
        if self.fail_next > 0:
            self.fail_next -= 1
            return self._five_xx()
        if self.fault is not Fault.OK:
            return self.fault
        if self.fail_rate and rng.random() < self.fail_rate:
            return self._five_xx()
        return Fault.OK

    def _five_xx(self) -> Fault:
        return {502: Fault.BAD_GATEWAY, 503: Fault.UNAVAILABLE}.get(
            self.fail_status, Fault.SERVER_ERROR
        )
