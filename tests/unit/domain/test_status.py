"""The status machine: every move DESIGN.md allows works, every other one raises."""

from __future__ import annotations

import itertools

import pytest

from robonotes.domain.exceptions import InvalidStatusTransition
from robonotes.domain.status import (
    ACTIVE_STATES,
    TERMINAL_STATES,
    TRANSITIONS,
    ProcessingState,
    can_transition,
    check_transition,
)

S = ProcessingState
ALL_PAIRS = list(itertools.product(ProcessingState, repeat=2))
ALLOWED = [(a, b) for a, b in ALL_PAIRS if b in TRANSITIONS[a]]
FORBIDDEN = [(a, b) for a, b in ALL_PAIRS if b not in TRANSITIONS[a]]

DESIGN_TABLE = {
    (S.PENDING, S.QUEUED),
    (S.QUEUED, S.PROCESSING),
    (S.PROCESSING, S.COMPLETED),
    (S.PROCESSING, S.RETRY_SCHEDULED),
    (S.RETRY_SCHEDULED, S.QUEUED),
    (S.PROCESSING, S.QUEUED),
    (S.PROCESSING, S.FAILED),
    (S.FAILED, S.QUEUED),
    *((s, S.SUPERSEDED) for s in (S.PENDING, S.QUEUED, S.PROCESSING, S.RETRY_SCHEDULED)),
    *((s, S.CANCELLED) for s in ProcessingState if s not in (S.COMPLETED, S.CANCELLED)),
    (S.PROCESSING, S.SKIPPED),
    (S.QUEUED, S.SKIPPED),
    (S.COMPLETED, S.QUEUED),
    (S.SKIPPED, S.QUEUED),
}


def _id(pair: tuple[ProcessingState, ProcessingState]) -> str:
    return f"{pair[0].value}->{pair[1].value}"


def test_the_table_is_exactly_the_one_in_design_md() -> None:
    assert set(ALLOWED) == DESIGN_TABLE


@pytest.mark.parametrize("pair", FORBIDDEN, ids=_id)
def test_forbidden_move_raises_invalid_status_transition(
    pair: tuple[ProcessingState, ProcessingState],
) -> None:
    from_state, to_state = pair

    with pytest.raises(InvalidStatusTransition) as caught:
        check_transition(from_state, to_state)

    assert (caught.value.from_state, caught.value.to_state) == pair
    assert not can_transition(from_state, to_state)


@pytest.mark.parametrize("pair", ALLOWED, ids=_id)
def test_allowed_move_returns_the_target(pair: tuple[ProcessingState, ProcessingState]) -> None:
    assert check_transition(*pair) is pair[1]


def test_no_state_moves_to_itself() -> None:
    assert all(state not in TRANSITIONS[state] for state in ProcessingState)


def test_cancelled_is_final_and_states_split_into_active_and_terminal() -> None:
    assert TRANSITIONS[S.CANCELLED] == frozenset()
    assert set(ProcessingState) == ACTIVE_STATES | TERMINAL_STATES
    assert not ACTIVE_STATES & TERMINAL_STATES
