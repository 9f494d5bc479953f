"""The in-process rate limiter on a fake clock: it waits for capacity, settles, obeys headers."""

from __future__ import annotations

import asyncio
import random

import pytest

from robonotes.domain.exceptions import RoboBadRequest
from robonotes.robo.rate_limit import (
    InProcessRateLimiter,
    ReservationTooLarge,
    TimedReservation,
    audit_windows,
)


class FakeTime:
    """A clock that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.now_s = 1000.0
        self.slept_s: list[float] = []

    def clock(self) -> float:
        return self.now_s

    async def sleep(self, seconds: float) -> None:
        self.slept_s.append(seconds)
        self.now_s += seconds
        await asyncio.sleep(0)


def make_limiter(time: FakeTime, *, rpm: int = 3, tpm: int = 1000) -> InProcessRateLimiter:
    return InProcessRateLimiter(
        rpm, tpm, window_s=60, clock=time.clock, sleep=time.sleep, jitter_s=0.0
    )


async def test_acquire_within_limits_does_not_wait() -> None:
    time = FakeTime()
    limiter = make_limiter(time)

    first = await limiter.acquire(tokens=100)
    second = await limiter.acquire(tokens=100)

    assert time.slept_s == []
    assert first.id != second.id
    assert await limiter.usage() == (2, 200)


async def test_request_over_rpm_waits_until_the_oldest_leaves_the_window() -> None:
    time = FakeTime()
    limiter = make_limiter(time, rpm=2)
    first = await limiter.acquire(tokens=1)
    time.now_s += 10
    await limiter.acquire(tokens=1)

    third = await limiter.acquire(tokens=1)

    assert third.reserved_at_ms - first.reserved_at_ms >= 60_000
    assert sum(time.slept_s) == pytest.approx(50.0, abs=0.01)


async def test_tokens_over_tpm_wait_only_until_enough_tokens_expire() -> None:
    time = FakeTime()
    limiter = make_limiter(time, rpm=100, tpm=100)
    await limiter.acquire(tokens=60)
    time.now_s += 10
    await limiter.acquire(tokens=30)
    time.now_s += 10

    await limiter.acquire(tokens=50)

    # the 60-token reservation has to go (t=60 s), the 30-token one may stay
    assert sum(time.slept_s) == pytest.approx(40.0, abs=0.01)
    assert await limiter.usage() == (2, 80)


async def test_settling_below_the_estimate_frees_capacity_at_once() -> None:
    time = FakeTime()
    limiter = make_limiter(time, rpm=100, tpm=100)
    reservation = await limiter.acquire(tokens=90)

    await limiter.settle(reservation, actual_tokens=20)
    await limiter.acquire(tokens=80)

    assert time.slept_s == []
    assert await limiter.usage() == (2, 100)


async def test_settling_above_the_estimate_makes_later_calls_wait() -> None:
    time = FakeTime()
    limiter = make_limiter(time, rpm=100, tpm=100)
    reservation = await limiter.acquire(tokens=10)
    await limiter.settle(reservation, actual_tokens=95)

    outcome = await limiter.try_acquire(tokens=10)

    assert outcome == pytest.approx(60_000.0)


async def test_settle_after_the_reservation_left_the_window_changes_nothing() -> None:
    time = FakeTime()
    limiter = make_limiter(time)
    reservation = await limiter.acquire(tokens=10)
    time.now_s += 61

    await limiter.settle(reservation, actual_tokens=500)

    assert await limiter.usage() == (0, 0)


async def test_reservation_larger_than_the_whole_tpm_raises_a_permanent_error() -> None:
    limiter = make_limiter(FakeTime(), tpm=1000)

    with pytest.raises(ReservationTooLarge, match="can never fit") as caught:
        await limiter.acquire(tokens=1001)

    assert isinstance(caught.value, RoboBadRequest)


@pytest.mark.parametrize("tokens", [-1, -(10**9)])
async def test_negative_token_counts_are_rejected(tokens: int) -> None:
    limiter = make_limiter(FakeTime())

    with pytest.raises(ValueError, match="negative"):
        await limiter.acquire(tokens=tokens)
    with pytest.raises(ValueError, match="negative"):
        await limiter.settle(TimedReservation(id="x", tokens=1), actual_tokens=tokens)


@pytest.mark.parametrize(("rpm", "tpm", "window_s"), [(0, 10, 60), (10, 0, 60), (1, 1, 0)])
def test_non_positive_limits_are_rejected(rpm: int, tpm: int, window_s: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        InProcessRateLimiter(rpm, tpm, window_s=window_s)


async def test_zero_remaining_requests_from_headers_waits_until_their_reset() -> None:
    time = FakeTime()
    limiter = make_limiter(time, rpm=100)
    await limiter.observe_limits(
        remaining_requests=0, remaining_tokens=None, reset_requests_s=7.5, reset_tokens_s=None
    )

    await limiter.acquire(tokens=1)

    assert sum(time.slept_s) == pytest.approx(7.5, abs=0.01)


async def test_remaining_tokens_below_the_estimate_wait_but_smaller_calls_go() -> None:
    time = FakeTime()
    limiter = make_limiter(time, rpm=100, tpm=10_000)
    await limiter.observe_limits(
        remaining_requests=50, remaining_tokens=300, reset_requests_s=1, reset_tokens_s=20
    )

    small = await limiter.try_acquire(tokens=200)
    big = await limiter.try_acquire(tokens=200)

    assert isinstance(small, TimedReservation)
    assert big == pytest.approx(20_000.0)


async def test_observation_stops_binding_after_its_reset() -> None:
    time = FakeTime()
    limiter = make_limiter(time, rpm=100)
    await limiter.observe_limits(
        remaining_requests=0, remaining_tokens=0, reset_requests_s=5, reset_tokens_s=5
    )
    time.now_s += 5.001

    outcome = await limiter.try_acquire(tokens=10)

    assert isinstance(outcome, TimedReservation)


async def test_observation_without_reset_lasts_one_window() -> None:
    time = FakeTime()
    limiter = make_limiter(time, rpm=100)
    await limiter.observe_limits(
        remaining_requests=0, remaining_tokens=None, reset_requests_s=None, reset_tokens_s=None
    )

    outcome = await limiter.try_acquire(tokens=1)

    assert outcome == pytest.approx(60_000.0)


async def test_concurrent_callers_never_exceed_any_window() -> None:
    time = FakeTime()
    limiter = make_limiter(time, rpm=5, tpm=500)
    rng = random.Random(7)
    records: list[tuple[int, int]] = []

    async def caller() -> None:
        for _ in range(6):
            estimate = rng.randint(20, 200)
            reservation = await limiter.acquire(tokens=estimate)
            actual = rng.randint(estimate // 2, estimate)
            await limiter.settle(reservation, actual_tokens=actual)
            records.append((reservation.reserved_at_ms, actual))

    await asyncio.gather(*(caller() for _ in range(8)))

    assert len(records) == 48
    assert audit_windows(records, window_ms=60_000, rpm=5, tpm=500) == []
    assert max(at for at, _ in records) - min(at for at, _ in records) >= 9 * 60_000


def test_audit_reports_a_window_with_too_many_requests() -> None:
    crowded = [(0, 1), (500, 1), (999, 1), (999, 1)]
    # the first record has left the window ending at 1000 ms
    boundary = [(0, 1), (500, 1), (999, 1), (1000, 1)]

    assert audit_windows(crowded, window_ms=1000, rpm=3, tpm=100) != []
    assert audit_windows(crowded, window_ms=1000, rpm=4, tpm=100) == []
    assert audit_windows(boundary, window_ms=1000, rpm=3, tpm=100) == []


def test_audit_reports_a_window_with_too_many_tokens() -> None:
    records = [(0, 60), (10, 50), (2000, 100)]

    assert len(audit_windows(records, window_ms=1000, rpm=10, tpm=100)) == 1
    assert audit_windows(records, window_ms=1000, rpm=10, tpm=110) == []
