"""Validation keeps what the note supports, fixes what it can, drops and counts the rest."""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import REGISTRY
from robosupport import NOTE_TIME, activity, moment

from robonotes.domain.context import CandidateActivity, CandidateMoment, ExtractionContext
from robonotes.robo.schema import ExtractionOut
from robonotes.robo.validation import fold, normalize_name, validate_extraction

NOTE = "Ran  5 KM with Sam\nthis morning — felt great! Skipped yoga."
CONTEXT = ExtractionContext(
    created_at=NOTE_TIME,
    time_zone="Europe/Berlin",
    activities=(CandidateActivity(idx=0, name="running"), CandidateActivity(idx=1, name="yoga")),
    moments=(CandidateMoment(idx=0, title="Run"),),
)


def _validate(activities: list[dict], moments: list[dict], note: str = NOTE):  # type: ignore[no-untyped-def]
    raw = ExtractionOut.model_validate({"activities": activities, "moments": moments})
    return validate_extraction(raw, note_text=note, context=CONTEXT)


def test_evidence_matches_after_case_and_whitespace_folding() -> None:
    result = _validate([activity("running", "ran 5 km  with sam this MORNING")], [])

    assert [a.name for a in result.activities] == ["running"]
    assert result.dropped_items == 0


def test_evidence_not_in_the_note_drops_the_item_and_counts_it() -> None:
    before = (
        REGISTRY.get_sample_value(
            "robonotes_robo_dropped_items_total",
            {"kind": "activity", "reason": "evidence_not_in_note"},
        )
        or 0.0
    )

    result = _validate([activity("swimming", "swam 2 km")], [moment("Swim", "swam 2 km")])

    assert result.activities == ()
    assert result.moments == ()
    assert result.dropped == {"activity:evidence_not_in_note": 1, "moment:evidence_not_in_note": 1}
    after = REGISTRY.get_sample_value(
        "robonotes_robo_dropped_items_total",
        {"kind": "activity", "reason": "evidence_not_in_note"},
    )
    assert after == before + 1


def test_candidate_indices_out_of_range_become_none() -> None:
    result = _validate(
        [
            activity("running", "Ran", existing_activity_idx=1),
            activity("yoga", "yoga", existing_activity_idx=7),
        ],
        [moment("Run", "Ran", existing_moment_idx=-1)],
    )

    assert [a.existing_activity_idx for a in result.activities] == [1, None]
    assert result.moments[0].existing_moment_idx is None


def test_canonical_names_are_lowercased_and_trimmed() -> None:
    result = _validate(
        [activity("  Running! ", "Ran")], [moment("Run", "Ran", activities=["RUNNING"])]
    )

    assert result.activities[0].name == "running"
    assert result.moments[0].activities == ("running",)


def test_counts_are_capped_at_twenty_activities_and_ten_moments() -> None:
    activities = [activity(f"running {n}", "Ran") for n in range(25)]
    moments = [moment(f"Run {n}", "Ran") for n in range(12)]

    result = _validate(activities, moments)

    assert len(result.activities) == 20
    assert len(result.moments) == 10
    assert result.dropped == {"activity:over_cap": 5, "moment:over_cap": 2}


def test_happened_moment_after_the_note_is_dropped_but_a_planned_one_is_kept() -> None:
    later = {
        "text": "tonight",
        "start": "2026-03-14T23:00:00+01:00",
        "end": None,
        "part_of_day": None,
    }

    result = _validate(
        [],
        [
            moment("Late run", "Ran", status="happened", time=later),
            moment("Plan", "Skipped yoga", status="planned", time=later),
        ],
    )

    assert [m.title for m in result.moments] == ["Plan"]
    assert result.dropped == {"moment:happened_after_note": 1}


def test_happened_end_after_the_note_is_clamped_to_the_note_time() -> None:
    time = {
        "text": "this morning",
        "start": "2026-03-14T07:00:00",
        "end": "2026-03-15T07:00:00",
        "part_of_day": "morning",
    }

    result = _validate([], [moment("Run", "Ran", time=time)])

    assert result.moments[0].time.end == NOTE_TIME
    # A naive time from the model is read in the note's time zone (Berlin, UTC+1 in March).
    assert result.moments[0].time.start == datetime(2026, 3, 14, 6, tzinfo=UTC)


def test_long_free_text_is_cut_and_too_long_names_or_evidence_drop_the_item() -> None:
    result = _validate(
        [
            activity("running", "Ran", object="x" * 1000),
            activity("r" * 200, "Ran"),
            activity("yoga", "yoga " * 200),
        ],
        [moment("T" * 500, "Ran", summary="s" * 5000, people=["Sam"] * 50 + ["p" * 500])],
    )

    assert len(result.activities) == 1
    assert len(result.activities[0].object or "") == 200
    assert len(result.moments[0].title) == 120
    assert len(result.moments[0].summary) == 500
    assert result.moments[0].people == ("Sam", "p" * 100)
    assert result.dropped == {"activity:name_too_long": 1, "activity:evidence_too_long": 1}


def test_numbers_out_of_range_are_fixed() -> None:
    result = _validate(
        [
            activity(
                "running",
                "Ran",
                duration_minutes=-5,
                quantity={"value": 1e300, "unit": "KM", "text": "5 KM"},
            )
        ],
        [moment("Run", "Ran", valence=7.5)],
    )

    assert result.activities[0].duration_minutes is None
    assert result.activities[0].quantity is not None
    assert result.activities[0].quantity.value is None
    assert result.activities[0].quantity.unit == "km"
    assert result.moments[0].valence == 1.0


def test_duplicates_are_dropped() -> None:
    result = _validate([activity("running", "Ran"), activity("Running", "ran")], [])

    assert len(result.activities) == 1
    assert result.dropped == {"activity:duplicate": 1}


def test_hostile_strings_are_cleaned_or_dropped() -> None:
    note = "Ran\x00 5 km. \u202eevil\u202c text"
    result = _validate(
        [
            activity("run\x00ning", "Ran 5 km"),
            activity("!!!", "Ran"),
            activity("", "Ran"),
            activity("reading", ""),
        ],
        [moment("   ", "Ran"), moment("Run\ud800", "Ran\x00 5 km", people=["\x00", "Sam\x07"])],
        note=note,
    )

    assert [a.name for a in result.activities] == ["running"]
    assert [m.title for m in result.moments] == ["Run"]
    assert result.moments[0].people == ("Sam",)
    assert "\x00" not in result.moments[0].evidence
    assert result.dropped_items == 4


def test_fold_removes_invisible_characters_and_full_width_forms() -> None:
    assert fold("Ｒａｎ\u200b 5\tKM") == "ran 5 km"
    assert normalize_name("ＹＯＧＡ.") == "yoga"
