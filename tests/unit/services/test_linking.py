"""The activity resolver: normalisation, the guarded pipeline, and the labelled pair set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from robonotes.bootstrap import build_activity_resolver
from robonotes.services.linking import ActivityResolver, KnownActivity, LinkReason, normalise

PAIRS = Path(__file__).parents[2] / "data" / "linking" / "activity_pairs.jsonl"


@pytest.fixture(scope="module")
def resolver() -> ActivityResolver:
    return build_activity_resolver()


def _pairs() -> list[dict[str, object]]:
    return [json.loads(line) for line in PAIRS.read_text().splitlines() if line.strip()]


def pair_figures(resolver: ActivityResolver) -> tuple[float, float, int]:
    """Precision and recall of `same_activity` on the labelled pairs, and how many pairs."""
    tp = fp = fn = 0
    for pair in _pairs():
        predicted = resolver.same_activity(str(pair["a"]), str(pair["b"]))
        tp += predicted and bool(pair["same"])
        fp += predicted and not pair["same"]
        fn += (not predicted) and bool(pair["same"])
    return tp / max(1, tp + fp), tp / max(1, tp + fn), len(_pairs())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Went for a run", "running"),
        ("ran 10k", "running"),
        ("JOGGED", "jogging"),
        ("did some yoga", "yoga"),
        ("read", "reading"),
        ("  ", ""),
        ("🏃‍♀️", ""),
    ],
)
def test_normalise_folds_case_fillers_quantities_and_verb_forms(text: str, expected: str) -> None:
    assert normalise(text) == expected


def test_labelled_pairs_meet_precision_and_recall_targets(resolver: ActivityResolver) -> None:
    precision, recall, count = pair_figures(resolver)

    assert count >= 200
    assert precision >= 0.95, f"precision {precision:.3f}"
    assert recall >= 0.80, f"recall {recall:.3f}"


def test_every_lexicon_activity_resolves_to_itself(resolver: ActivityResolver) -> None:
    names = json.loads(
        (Path(__file__).parents[3] / "src/robonotes/data/activities.json").read_text()
    )["activities"]

    for entry in names:
        assert resolver.canonical(entry["name"]) == entry["name"]


def test_exact_alias_hit_links_to_the_existing_activity(resolver: ActivityResolver) -> None:
    known = [KnownActivity(id=7, name="running", aliases=("parkrun",))]

    resolution = resolver.resolve(name="jogging", surface="jogged", known=known)

    assert (resolution.activity_id, resolution.reason) == (7, LinkReason.EXACT)


def test_siblings_stay_apart_even_when_spelled_alike(resolver: ActivityResolver) -> None:
    known = [KnownActivity(id=1, name="running"), KnownActivity(id=2, name="reading")]

    assert resolver.resolve(name="rowing", surface="rowed", known=known).activity_id is None
    assert resolver.resolve(name="writing", surface="wrote", known=known).activity_id is None


def test_fuzzy_match_links_a_typo_of_a_long_name(resolver: ActivityResolver) -> None:
    known = [KnownActivity(id=3, name="bouldering session")]

    resolution = resolver.resolve(name="boulderin session", surface=None, known=known)

    assert resolution.activity_id == 3


def test_fuzzy_match_ignores_short_names(resolver: ActivityResolver) -> None:
    known = [KnownActivity(id=4, name="golf")]

    assert resolver.resolve(name="gold", surface="gold", known=known).activity_id is None


def test_ambiguous_alias_creates_nothing_wrong(resolver: ActivityResolver) -> None:
    known = [
        KnownActivity(id=1, name="a", aliases=("session",)),
        KnownActivity(id=2, name="b", aliases=("session",)),
    ]

    resolution = resolver.resolve(name="session", surface="session", known=known)

    assert resolution.reason is LinkReason.NEW


@pytest.mark.parametrize("hostile", ["", "\x00\x01", "a" * 10_000, "‮evil", "run" * 5000, "🙂" * 50])
def test_hostile_names_resolve_without_error(resolver: ActivityResolver, hostile: str) -> None:
    resolution = resolver.resolve(
        name=hostile, surface=hostile, known=[KnownActivity(1, "running")]
    )

    assert len(resolution.name) <= 200
