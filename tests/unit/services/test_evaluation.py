"""Scoring rules of `robonotes eval` on hand-made cases, and hostile gold lines."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from robonotes.domain.results import (
    ExtractedActivity,
    ExtractedMoment,
    MomentStatus,
    MomentTime,
    PartOfDay,
    RoboProcessingResult,
)
from robonotes.services.evaluation import (
    GoldActivity,
    GoldFormatError,
    GoldMoment,
    GoldNote,
    PredictedMoment,
    Prediction,
    PredictionFormatError,
    evaluate,
    evidence_overlap,
    parse_gold_lines,
    place_matches,
    prediction_from_json,
    prediction_from_result,
    score_note,
)

TEXT = "Went for a 5k run with Sam this morning, then read Dune at the cafe all afternoon."
RUN = GoldMoment(
    evidence="Went for a 5k run with Sam this morning",
    activities=("running",),
    people=("Sam",),
    place=None,
    part_of_day="morning",
)
READ = GoldMoment(
    evidence="read Dune at the cafe all afternoon",
    activities=("reading",),
    people=(),
    place="cafe",
    part_of_day="afternoon",
)
GOLD = GoldNote(
    id="t1",
    user="u1",
    created_at=datetime(2026, 3, 14, 21, 30, tzinfo=UTC),
    text=TEXT,
    activities=(GoldActivity("running", ("jogging", "run")), GoldActivity("reading")),
    moments=(RUN, READ),
)


def happened(evidence: str, **kwargs: object) -> PredictedMoment:
    return PredictedMoment(evidence=evidence, status="happened", **kwargs)  # type: ignore[arg-type]


def perfect_prediction() -> Prediction:
    return Prediction(
        activities=("running", "reading"),
        moments=(
            happened(RUN.evidence, people=("Sam",), part_of_day="morning"),
            happened(READ.evidence, place="cafe", part_of_day="afternoon"),
        ),
    )


def gold_line(**overrides: object) -> str:
    base: dict[str, object] = {
        "id": "g1",
        "user": "u1",
        "created_at": "2026-03-14T21:30:00+01:00",
        "text": "gym.",
        "activities": [{"name": "working out", "aliases": ["gym"]}],
        "moments": [
            {
                "evidence": "gym",
                "activities": ["working out"],
                "people": [],
                "place": "gym",
                "part_of_day": None,
            }
        ],
    }
    base.update(overrides)
    return json.dumps(base)


def test_perfect_prediction_scores_one_everywhere() -> None:
    report = evaluate([(GOLD, perfect_prediction())])

    assert (report.activities.precision, report.activities.recall, report.activities.f1) == (
        1.0,
        1.0,
        1.0,
    )
    assert report.moments.f1 == 1.0
    assert report.people.value == 1.0
    assert report.part_of_day.value == 1.0
    assert report.place.value == 1.0
    assert report.per_note[0].is_perfect


def test_empty_prediction_has_zero_recall_and_lists_every_miss() -> None:
    score = score_note(GOLD, Prediction())
    report = evaluate([(GOLD, Prediction())])

    assert report.activities.recall == 0.0
    assert report.moments.recall == 0.0
    assert report.activities.f1 == 0.0
    assert score.missed_activities == ("running", "reading")
    assert score.missed_moments == (RUN.evidence, READ.evidence)
    assert report.people.value is None


def test_empty_gold_and_empty_prediction_is_perfect_not_a_division_by_zero() -> None:
    empty = GoldNote("e", "u1", GOLD.created_at, "Long day.", (), ())

    report = evaluate([(empty, Prediction())])

    assert report.activities.f1 == 1.0
    assert report.moments.f1 == 1.0


def test_spurious_activity_lowers_precision_only() -> None:
    prediction = Prediction(activities=("running", "reading", "swimming"))

    score = score_note(GOLD, prediction)
    report = evaluate([(GOLD, prediction)])

    assert score.spurious_activities == ("swimming",)
    assert report.activities.recall == 1.0
    assert report.activities.precision == pytest.approx(2 / 3)


def test_duplicate_predictions_match_a_gold_item_only_once() -> None:
    score = score_note(GOLD, Prediction(activities=("running", "jogging", "run")))

    assert (score.activity_tp, score.activity_fp, score.activity_fn) == (1, 2, 1)


def test_alias_matches_case_folded() -> None:
    score = score_note(GOLD, Prediction(activities=("JOGGING", "Reading")))

    assert score.activity_tp == 2
    assert score.spurious_activities == ()


def test_alias_shared_by_two_gold_items_does_not_steal_a_match() -> None:
    gold = GoldNote(
        "m",
        "u1",
        GOLD.created_at,
        "x",
        (GoldActivity("cycling", ("spinning",)), GoldActivity("spinning", ("spin class",))),
        (),
    )

    score = score_note(gold, Prediction(activities=("spinning", "cycling")))

    assert score.activity_tp == 2


def test_planned_and_habitual_moments_are_ignored_not_counted_spurious() -> None:
    prediction = Prediction(
        moments=(
            PredictedMoment("Tomorrow I'll swim at the lake", status="planned"),
            PredictedMoment("I usually read at night", status="habitual"),
            PredictedMoment(RUN.evidence, status=None, people=("sam",), part_of_day="morning"),
        )
    )

    score = score_note(GOLD, prediction)

    assert (score.moment_tp, score.moment_fp, score.moment_fn) == (1, 0, 1)


def test_planned_moment_with_gold_evidence_does_not_match() -> None:
    score = score_note(GOLD, Prediction(moments=(PredictedMoment(RUN.evidence, "planned"),)))

    assert score.moment_tp == 0


def test_overlap_rule_accepts_a_longer_or_shorter_evidence() -> None:
    assert evidence_overlap(RUN.evidence, TEXT) == 1.0
    assert evidence_overlap(RUN.evidence, "5k run") == 1.0
    assert evidence_overlap(RUN.evidence, "with Sam") == 1.0
    assert evidence_overlap(RUN.evidence, "felt great about the weather") == 0.0
    assert evidence_overlap("", "anything") == 0.0


def test_half_the_tokens_is_enough_and_less_is_not() -> None:
    gold = "alpha beta gamma delta"

    assert evidence_overlap(gold, "alpha beta omega psi chi") == 0.5
    assert evidence_overlap(gold, "alpha omega psi chi phi") == 0.25


def test_greatest_overlap_is_matched_first_one_to_one() -> None:
    whole_sentence = happened(TEXT)
    exact_read = happened(READ.evidence, place="cafe", part_of_day="afternoon")

    score = score_note(GOLD, Prediction(moments=(whole_sentence, exact_read)))

    # The whole sentence covers both gold moments; the exact one takes READ, the sentence RUN.
    assert (score.moment_tp, score.moment_fp, score.moment_fn) == (2, 0, 0)


def test_one_prediction_covering_two_gold_moments_matches_only_one() -> None:
    score = score_note(GOLD, Prediction(moments=(happened(TEXT),)))

    assert (score.moment_tp, score.moment_fp, score.moment_fn) == (1, 0, 1)


def test_attributes_are_checked_on_matched_moments_only() -> None:
    prediction = Prediction(
        moments=(
            happened(RUN.evidence, people=("Sam", "Ana"), part_of_day="evening", place="park"),
            happened("something unrelated entirely", people=("Bob",)),
        )
    )

    score = score_note(GOLD, prediction)

    assert (score.people_correct, score.people_total) == (0, 1)
    assert (score.part_of_day_correct, score.part_of_day_total) == (0, 1)
    assert (score.place_correct, score.place_total) == (0, 1)
    assert {m.field for m in score.attribute_misses} == {"people", "part_of_day", "place"}
    assert score.spurious_moments == ("something unrelated entirely",)


def test_part_of_day_is_only_scored_where_gold_has_one() -> None:
    gold = GoldNote(
        "p",
        "u1",
        GOLD.created_at,
        "read a book",
        (GoldActivity("reading"),),
        (GoldMoment("read a book", ("reading",), (), None, None),),
    )

    prediction = Prediction(
        activities=("reading",), moments=(happened("read a book", part_of_day="night"),)
    )

    score = score_note(gold, prediction)

    assert score.part_of_day_total == 0
    assert score.is_perfect


def test_place_matches_by_token_subset_either_way_and_null_only_equals_null() -> None:
    assert place_matches("cafe", "the cafe")
    assert place_matches("tiny Vietnamese place in Neukölln", "Neukölln")
    assert place_matches(None, None)
    assert not place_matches("cafe", None)
    assert not place_matches(None, "cafe")
    assert not place_matches("Lake Tahoe", "Lake Geneva")


def test_prediction_from_result_keeps_status_people_place_and_part_of_day() -> None:
    result = RoboProcessingResult(
        activities=(ExtractedActivity(name="running", surface="run", evidence="run"),),
        moments=(
            ExtractedMoment(
                title="Run",
                summary="A run",
                status=MomentStatus.PLANNED,
                evidence="run tomorrow",
                time=MomentTime(part_of_day=PartOfDay.MORNING),
                people=("Sam",),
                place="park",
            ),
        ),
        provider="offline",
        model="rules",
        prompt_version="v1",
    )

    prediction = prediction_from_result(result)

    assert prediction.activities == ("running",)
    assert prediction.moments == (
        PredictedMoment("run tomorrow", "planned", ("Sam",), "park", "morning"),
    )


def test_prediction_from_extract_json_shape() -> None:
    obj = {
        "id": "g1",
        "activities": [{"name": "running", "surface": "ran", "evidence": "ran"}],
        "moments": [
            {
                "evidence": "ran 5k",
                "status": "happened",
                "time": {"text": None, "part_of_day": "morning"},
                "people": ["Sam"],
                "place": None,
            }
        ],
        "usage": {},
    }

    prediction = prediction_from_json(obj)

    assert prediction.activities == ("running",)
    assert prediction.moments[0].part_of_day == "morning"
    assert prediction_from_json({"id": "x", "error": "bad line"}).error == "bad line"


@pytest.mark.parametrize(
    "obj",
    [
        [],
        {"activities": "running"},
        {"activities": [{"surface": "ran"}]},
        {"activities": [3]},
        {"moments": [{"evidence": 5}]},
        {"moments": [{"evidence": "x", "time": "morning"}]},
        {"moments": [{"evidence": "x", "people": "Sam"}]},
    ],
)
def test_malformed_prediction_objects_raise_a_clear_error(obj: object) -> None:
    with pytest.raises(PredictionFormatError):
        prediction_from_json(obj)


def test_gold_line_parses_into_a_note() -> None:
    (note,) = parse_gold_lines(["", gold_line(), "   "])

    assert note.id == "g1"
    assert note.activities == (GoldActivity("working out", ("gym",)),)
    assert note.moments[0].place == "gym"
    assert note.created_at.utcoffset() is not None


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected an object"),
        ("[" * 100_000, "not valid JSON"),
        (gold_line(id=7), "id: expected a string"),
        (gold_line(text=None), "text: expected a string"),
        (json.dumps({"id": "g1"}), "missing field 'created_at'"),
        (gold_line(created_at="yesterday"), "not an ISO 8601 time"),
        (gold_line(created_at="2026-03-14T21:30:00"), "needs a UTC offset"),
        (gold_line(activities={"name": "x"}), "activities: expected a list"),
        (gold_line(activities=[{"aliases": []}]), "missing field 'name'"),
        (gold_line(activities=[{"name": "x", "aliases": "y"}]), "aliases: expected a list"),
        (gold_line(activities=[{"name": ""}]), "must not be empty"),
        (gold_line(moments=[{"evidence": "gym"}]), "missing field"),
        (
            gold_line(
                moments=[
                    {
                        "evidence": "gym",
                        "activities": [],
                        "people": [],
                        "place": None,
                        "part_of_day": "noon",
                    }
                ]
            ),
            "'noon' is not one of",
        ),
        (
            gold_line(
                moments=[
                    {
                        "evidence": "gym",
                        "activities": [],
                        "people": [None],
                        "place": None,
                        "part_of_day": None,
                    }
                ]
            ),
            "people[0]: expected a string",
        ),
    ],
)
def test_hostile_gold_lines_raise_with_line_number_and_field(line: str, fragment: str) -> None:
    with pytest.raises(GoldFormatError) as caught:
        parse_gold_lines([gold_line(id="ok"), line])

    assert fragment in str(caught.value)
    assert caught.value.line_no == 2


def test_duplicate_gold_ids_are_rejected() -> None:
    with pytest.raises(GoldFormatError, match="duplicate id 'g1'"):
        parse_gold_lines([gold_line(), gold_line()])


def test_micro_average_weights_notes_by_their_item_counts() -> None:
    small = GoldNote("s", "u1", GOLD.created_at, "gym", (GoldActivity("working out"),), ())

    report = evaluate(
        [(GOLD, Prediction(activities=("running", "reading"))), (small, Prediction())]
    )

    assert (report.activities.tp, report.activities.fn) == (2, 1)
    assert report.activities.recall == pytest.approx(2 / 3)
    assert report.as_dict()["activities"] == {
        "precision": 1.0,
        "recall": 0.6667,
        "f1": 0.8,
        "tp": 2,
        "fp": 0,
        "fn": 1,
    }


words = st.text(alphabet="abcdefgh", min_size=1, max_size=4)


@settings(max_examples=60, deadline=None)
@given(
    gold_names=st.lists(words, max_size=5, unique=True),
    predicted=st.lists(words, max_size=6),
    gold_evidence=st.lists(st.lists(words, min_size=1, max_size=5), max_size=4),
    predicted_evidence=st.lists(st.lists(words, min_size=1, max_size=5), max_size=4),
)
def test_counts_are_consistent_for_any_input(
    gold_names: list[str],
    predicted: list[str],
    gold_evidence: list[list[str]],
    predicted_evidence: list[list[str]],
) -> None:
    gold = GoldNote(
        "h",
        "u1",
        GOLD.created_at,
        "text",
        tuple(GoldActivity(n) for n in gold_names),
        tuple(GoldMoment(" ".join(ws)) for ws in gold_evidence),
    )
    prediction = Prediction(
        activities=tuple(predicted),
        moments=tuple(happened(" ".join(ws)) for ws in predicted_evidence),
    )

    score = score_note(gold, prediction)
    report = evaluate([(gold, prediction)])

    assert score.activity_tp + score.activity_fn == len(gold_names)
    assert score.activity_tp + score.activity_fp == len(predicted)
    assert score.activity_tp == len(set(gold_names) & set(predicted))
    assert score.moment_tp + score.moment_fn == len(gold_evidence)
    assert score.moment_tp + score.moment_fp == len(predicted_evidence)
    assert 0.0 <= report.activities.f1 <= 1.0
    assert 0.0 <= report.moments.f1 <= 1.0
