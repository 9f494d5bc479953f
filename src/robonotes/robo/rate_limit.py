"""Requests and tokens per minute for LLM calls, shared by all processes (Redis) or in-process.

Both limiters implement the `RateLimiter` port with one algorithm, a sliding-window log: every
reservation is an entry (time, tokens) that counts against the budget for `window_s` seconds
(60 by default, shorter in tests). `acquire` waits (sleeps until the oldest blocking entry leaves
the window, plus a little jitter so waiters do not wake in lock step) instead of failing; a
reservation larger than the whole token budget can never fit and raises `ReservationTooLarge`.
`settle` replaces an estimate with the real usage in place, so an over-estimate frees capacity at
once. `observe_limits` records the provider's `x-ratelimit-remaining-*` figures until their reset:
while one says 0 requests (or fewer tokens than asked) remain, `acquire` waits for the reset even
if the local budget has room. The latest observation wins; a request already in flight when the
header was read can still overshoot it by one, which the provider's 429 and tier-2 retry cover.

`RedisRateLimiter` keeps the log in one sorted set per limiter; each step is one Lua script
(registered once, called by SHA; redis-py reloads it on NOSCRIPT), so processes on different hosts
share the budget atomically. By default the script reads the Redis server clock (`TIME`), so the
processes' own clocks never disagree about the window. Keys: `{prefix}:{rl}:log`,
`{prefix}:{rl}:obs:req`, `{prefix}:{rl}:obs:tok`; the hash tag keeps them on one cluster slot.

Errors: a Redis failure becomes `RateLimiterUnavailable`, a `RoboUnavailable` (transient: the
job is retried later, like an unreachable provider) whose message says it is the limiter's Redis,
not the LLM, that is down. `ReservationTooLarge` is a `RoboBadRequest` (permanent: the same call
can never fit).
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from robonotes.domain.exceptions import RoboBadRequest, RoboUnavailable
from robonotes.services.ports import RateReservation

DEFAULT_WINDOW_S = 60.0
DEFAULT_JITTER_S = 0.025


class RateLimiterUnavailable(RoboUnavailable):
    """The rate limiter's Redis does not answer; transient, the call is retried later."""


class ReservationTooLarge(RoboBadRequest):
    """A call estimated at more tokens than the whole per-window budget; it can never fit."""

    def __init__(self, *, tokens: int, tpm: int) -> None:
        super().__init__(
            f"a call estimated at {tokens} tokens can never fit a budget of {tpm} tokens per"
            " window; raise the TPM limit or lower the output cap"
        )
        self.tokens = tokens
        self.tpm = tpm


@dataclass(frozen=True, slots=True)
class TimedReservation(RateReservation):
    """A reservation with the time it took its place in the window (ms, the limiter's clock)."""

    reserved_at_ms: int = 0


def _check_limits(rpm: int, tpm: int, window_s: float) -> None:
    if rpm <= 0 or tpm <= 0:
        raise ValueError(f"rpm and tpm must be positive, got rpm={rpm} tpm={tpm}")
    if window_s <= 0:
        raise ValueError(f"window_s must be positive, got {window_s}")


def _check_tokens(tokens: int, tpm: int) -> None:
    if tokens < 0:
        raise ValueError(f"tokens must not be negative, got {tokens}")
    if tokens > tpm:
        raise ReservationTooLarge(tokens=tokens, tpm=tpm)


def _sleep_s(wait_ms: float, jitter_s: float) -> float:
    """How long to sleep for a wait of `wait_ms`: the wait plus up to `jitter_s` of jitter."""
    return max(wait_ms, 1.0) / 1000.0 + random.uniform(0.0, jitter_s)


class RedisRateLimiter:
    """RPM and TPM limits shared by every process through one Redis (sliding 60 s window)."""

    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        prefix: str,
        rpm: int,
        tpm: int,
        window_s: float = DEFAULT_WINDOW_S,
        clock: Callable[[], float] | None = None,
        jitter_s: float = DEFAULT_JITTER_S,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """`clock` (epoch seconds) overrides the Redis server clock, for tests that move time."""
        _check_limits(rpm, tpm, window_s)
        self.rpm = rpm
        self.tpm = tpm
        self.window_ms = max(1, round(window_s * 1000))
        self._redis = redis
        self._clock = clock
        self._jitter_s = jitter_s
        self._sleep = sleep
        base = f"{prefix}:{{rl}}"
        self.log_key = f"{base}:log"
        self.obs_requests_key = f"{base}:obs:req"
        self.obs_tokens_key = f"{base}:obs:tok"
        self._acquire_script = redis.register_script(_lua("rate_acquire.lua"))
        self._settle_script = redis.register_script(_lua("rate_settle.lua"))
        self._observe_script = redis.register_script(_lua("rate_observe.lua"))

    def _now_arg(self) -> str:
        return "" if self._clock is None else str(int(self._clock() * 1000))

    async def _run(self, script: Any, keys: list[str], args: list[str]) -> Any:
        try:
            return await script(keys=keys, args=args)
        except (RedisError, OSError) as exc:
            raise RateLimiterUnavailable(
                f"the rate limiter's Redis is unavailable ({type(exc).__name__}: {exc})"
            ) from exc

    async def try_acquire(self, *, tokens: int) -> TimedReservation | float:
        """Reserve now if one request and `tokens` fit, else return the wait in ms."""
        _check_tokens(tokens, self.tpm)
        reservation_id = uuid.uuid4().hex
        reply = await self._run(
            self._acquire_script,
            [self.log_key, self.obs_requests_key, self.obs_tokens_key],
            [
                self._now_arg(),
                str(self.window_ms),
                str(self.rpm),
                str(self.tpm),
                str(tokens),
                reservation_id,
            ],
        )
        ok, value = int(reply[0]), int(reply[1])
        if ok:
            return TimedReservation(id=reservation_id, tokens=tokens, reserved_at_ms=value)
        return float(value)

    async def acquire(self, *, tokens: int) -> TimedReservation:
        """Wait until one request and `tokens` fit in the window, then reserve them."""
        while True:
            outcome = await self.try_acquire(tokens=tokens)
            if isinstance(outcome, TimedReservation):
                return outcome
            await self._sleep(_sleep_s(outcome, self._jitter_s))

    async def settle(self, reservation: RateReservation, *, actual_tokens: int) -> None:
        """Replace the estimate with what the call really used (a no-op once it left the window)."""
        if actual_tokens < 0:
            raise ValueError(f"actual_tokens must not be negative, got {actual_tokens}")
        await self._run(
            self._settle_script,
            [self.log_key],
            [reservation.id, str(reservation.tokens), str(actual_tokens)],
        )

    async def observe_limits(
        self,
        *,
        remaining_requests: int | None,
        remaining_tokens: int | None,
        reset_requests_s: float | None,
        reset_tokens_s: float | None,
    ) -> None:
        """Tighten the budget from the provider's x-ratelimit-* headers until their reset."""
        if remaining_requests is None and remaining_tokens is None:
            return
        window_s = self.window_ms / 1000
        await self._run(
            self._observe_script,
            [self.obs_requests_key, self.obs_tokens_key],
            [
                "" if remaining_requests is None else str(max(0, remaining_requests)),
                str(_reset_ms(reset_requests_s, window_s)),
                "" if remaining_tokens is None else str(max(0, remaining_tokens)),
                str(_reset_ms(reset_tokens_s, window_s)),
            ],
        )

    async def usage(self) -> tuple[int, int]:
        """(requests, tokens) reserved in the current window, for health checks and tests."""
        try:
            members = await self._redis.zrange(self.log_key, 0, -1)
        except (RedisError, OSError) as exc:
            raise RateLimiterUnavailable(
                f"the rate limiter's Redis is unavailable ({type(exc).__name__}: {exc})"
            ) from exc
        amounts = [int(_text(member).rsplit("|", 1)[1]) for member in members]
        return len(amounts), sum(amounts)


def _reset_ms(reset_s: float | None, default_s: float) -> int:
    """A reset hint in ms; unknown means one window, so a stale observation cannot stick forever."""
    seconds = default_s if reset_s is None else reset_s
    return max(0, round(seconds * 1000))


def _text(member: object) -> str:
    return member.decode() if isinstance(member, bytes) else str(member)


def _lua(name: str) -> str:
    return resources.files("robonotes.robo").joinpath("lua", name).read_text(encoding="utf-8")


@dataclass(slots=True)
class _Entry:
    at_ms: float
    tokens: int


@dataclass(slots=True)
class _Observed:
    remaining: int
    until_ms: float


class InProcessRateLimiter:
    """The same limits for one process (embedded mode): an asyncio lock and a monotonic clock."""

    def __init__(
        self,
        rpm: int,
        tpm: int,
        *,
        window_s: float = DEFAULT_WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
        jitter_s: float = DEFAULT_JITTER_S,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """`clock` returns seconds; tests pass a fake clock and a `sleep` that moves it."""
        _check_limits(rpm, tpm, window_s)
        self.rpm = rpm
        self.tpm = tpm
        self.window_ms = window_s * 1000
        self._clock = clock
        self._jitter_s = jitter_s
        self._sleep = sleep
        self._log: deque[tuple[str, _Entry]] = deque()
        self._by_id: dict[str, _Entry] = {}
        self._observed_requests: _Observed | None = None
        self._observed_tokens: _Observed | None = None
        self._lock = asyncio.Lock()

    def _now_ms(self) -> float:
        return self._clock() * 1000

    def _trim(self, now_ms: float) -> None:
        while self._log and self._log[0][1].at_ms <= now_ms - self.window_ms:
            reservation_id, _ = self._log.popleft()
            del self._by_id[reservation_id]

    def _wait_ms(self, now_ms: float, tokens: int) -> float:
        """0 when one request and `tokens` fit now, else how long until they might."""
        self._trim(now_ms)
        wait = 0.0
        entries = [entry for _, entry in self._log]
        if len(entries) >= self.rpm:
            wait = entries[len(entries) - self.rpm].at_ms + self.window_ms - now_ms
        used = sum(entry.tokens for entry in entries)
        if used + tokens > self.tpm:
            freed = 0
            for entry in entries:
                freed += entry.tokens
                if used - freed + tokens <= self.tpm:
                    wait = max(wait, entry.at_ms + self.window_ms - now_ms)
                    break
        requests = self._observed_requests
        if requests and requests.until_ms > now_ms and requests.remaining <= 0:
            wait = max(wait, requests.until_ms - now_ms)
        budget = self._observed_tokens
        if budget and budget.until_ms > now_ms and budget.remaining < tokens:
            wait = max(wait, budget.until_ms - now_ms)
        return wait

    async def try_acquire(self, *, tokens: int) -> TimedReservation | float:
        """Reserve now if one request and `tokens` fit, else return the wait in ms."""
        _check_tokens(tokens, self.tpm)
        async with self._lock:
            now_ms = self._now_ms()
            wait = self._wait_ms(now_ms, tokens)
            if wait > 0:
                return wait
            reservation_id = uuid.uuid4().hex
            entry = _Entry(at_ms=now_ms, tokens=tokens)
            self._log.append((reservation_id, entry))
            self._by_id[reservation_id] = entry
            if self._observed_requests and self._observed_requests.until_ms > now_ms:
                self._observed_requests.remaining -= 1
            if self._observed_tokens and self._observed_tokens.until_ms > now_ms:
                self._observed_tokens.remaining -= tokens
            return TimedReservation(id=reservation_id, tokens=tokens, reserved_at_ms=int(now_ms))

    async def acquire(self, *, tokens: int) -> TimedReservation:
        """Wait until one request and `tokens` fit in the window, then reserve them."""
        while True:
            outcome = await self.try_acquire(tokens=tokens)
            if isinstance(outcome, TimedReservation):
                return outcome
            await self._sleep(_sleep_s(outcome, self._jitter_s))

    async def settle(self, reservation: RateReservation, *, actual_tokens: int) -> None:
        """Replace the estimate with what the call really used (a no-op once it left the window)."""
        if actual_tokens < 0:
            raise ValueError(f"actual_tokens must not be negative, got {actual_tokens}")
        async with self._lock:
            entry = self._by_id.get(reservation.id)
            if entry is not None:
                entry.tokens = actual_tokens

    async def observe_limits(
        self,
        *,
        remaining_requests: int | None,
        remaining_tokens: int | None,
        reset_requests_s: float | None,
        reset_tokens_s: float | None,
    ) -> None:
        """Tighten the budget from the provider's x-ratelimit-* headers until their reset."""
        window_s = self.window_ms / 1000
        async with self._lock:
            now_ms = self._now_ms()
            if remaining_requests is not None:
                until = now_ms + _reset_ms(reset_requests_s, window_s)
                self._observed_requests = _Observed(max(0, remaining_requests), until)
            if remaining_tokens is not None:
                until = now_ms + _reset_ms(reset_tokens_s, window_s)
                self._observed_tokens = _Observed(max(0, remaining_tokens), until)

    async def usage(self) -> tuple[int, int]:
        """(requests, tokens) reserved in the current window."""
        async with self._lock:
            self._trim(self._now_ms())
            return len(self._log), sum(entry.tokens for _, entry in self._log)


def audit_windows(
    records: list[tuple[int, int]], *, window_ms: int, rpm: int, tpm: int
) -> list[str]:
    """Every window in which (reserved_at_ms, tokens) records broke the limits; [] when none did.

    A record counts in the window ending at t when t - window_ms < reserved_at_ms <= t, the same
    rule the limiters apply; tests and benchmarks use this to check a run after the fact.
    """
    ordered = sorted(records)
    problems: list[str] = []
    start = 0
    tokens_in_window = 0
    for end, (at_ms, tokens) in enumerate(ordered):
        tokens_in_window += tokens
        while ordered[start][0] <= at_ms - window_ms:
            tokens_in_window -= ordered[start][1]
            start += 1
        count = end - start + 1
        if count > rpm or tokens_in_window > tpm:
            problems.append(
                f"window ending at {at_ms} ms holds {count} requests (limit {rpm}) and"
                f" {tokens_in_window} tokens (limit {tpm})"
            )
    return problems
