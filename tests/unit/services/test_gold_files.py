"""The shipped gold and holdout sets are well-formed by GUIDE.md's annotation rules."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from robonotes.services.evaluation import (
    GoldNote,
    PredictedMoment,
    Prediction,
    evaluate,
    parse_gold_lines,
)

GOLD_DIR = Path(__file__).resolve().parents[2] / "data" / "gold"
FILES = ("gold.jsonl", "holdout.jsonl")
ARTICLES = ("the ", "a ", "an ")


def load(name: str) -> list[GoldNote]:
    return parse_gold_lines((GOLD_DIR / name).read_text(encoding="utf-8").splitlines())


@pytest.fixture(scope="module", params=FILES)
def notes(request: pytest.FixtureRequest) -> list[GoldNote]:
    return load(request.param)


def test_every_evidence_occurs_verbatim_in_its_note(notes: list[GoldNote]) -> None:
    missing = [(n.id, m.evidence) for n in notes for m in n.moments if m.evidence not in n.text]

    assert missing == []


def test_activity_names_are_lowercase_and_listed_once_per_note(notes: list[GoldNote]) -> None:
    bad_case = [(n.id, a.name) for n in notes for a in n.activities if a.name != a.name.lower()]
    repeated = [n.id for n in notes if len({a.name for a in n.activities}) != len(n.activities)]

    assert bad_case == []
    assert repeated == []


def test_moment_activities_are_among_the_notes_activities(notes: list[GoldNote]) -> None:
    stray = [
        (n.id, name)
        for n in notes
        for m in n.moments
        for name in m.activities
        if name not in {a.name for a in n.activities}
    ]

    assert stray == []


def test_places_and_people_are_bare_noun_phrases(notes: list[GoldNote]) -> None:
    places = [m.place for n in notes for m in n.moments if m.place is not None]
    people = [p for n in notes for m in n.moments for p in m.people]

    assert [p for p in places if p.lower().startswith(ARTICLES) or p != p.strip()] == []
    assert [p for p in people if p.lower().startswith(("my ", "the ")) or p != p.strip()] == []


def test_every_note_has_a_utc_offset_and_the_users_notes_are_in_time_order(
    notes: list[GoldNote],
) -> None:
    by_user: dict[str, list[GoldNote]] = {}
    for note in notes:
        by_user.setdefault(note.user, []).append(note)

    out_of_order = [
        user
        for user, own in by_user.items()
        if [n.created_at for n in own] != sorted(n.created_at for n in own)
    ]

    assert out_of_order == []


def test_gold_set_is_large_and_broad_enough() -> None:
    gold = load("gold.jsonl")
    activity_counts = Counter(len(n.activities) for n in gold)
    names = {a.name for n in gold for a in n.activities}

    assert len(gold) >= 120
    assert len({n.user for n in gold}) >= 10
    assert len(names) >= 60
    assert set(range(0, 6)) <= set(activity_counts)


def test_holdout_is_written_by_other_people_and_shares_no_ids() -> None:
    gold, holdout = load("gold.jsonl"), load("holdout.jsonl")

    assert len(holdout) >= 35
    assert {n.user for n in gold}.isdisjoint({n.user for n in holdout})
    assert {n.id for n in gold}.isdisjoint({n.id for n in holdout})
    assert {n.text for n in gold}.isdisjoint({n.text for n in holdout})


def test_each_file_scored_against_itself_is_perfect(notes: list[GoldNote]) -> None:
    as_predicted = [
        Prediction(
            activities=tuple(a.name for a in n.activities),
            moments=tuple(
                PredictedMoment(m.evidence, "happened", m.people, m.place, m.part_of_day)
                for m in n.moments
            ),
        )
        for n in notes
    ]

    report = evaluate(zip(notes, as_predicted, strict=True))

    assert [s.note_id for s in report.per_note if not s.is_perfect] == []
