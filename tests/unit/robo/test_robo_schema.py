"""The extraction schema is strict-mode JSON Schema and converts to domain results."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from robosupport import activity, moment

from robonotes.domain.results import MomentStatus, PartOfDay
from robonotes.robo.schema import ExtractionOut, parse_time, response_format, strict_json_schema
from robonotes.robo.validation import InvalidStructureError, parse_extraction


def _objects(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("type") == "object":
            found.append(node)
        for value in node.values():
            found.extend(_objects(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_objects(item))
    return found


def test_every_object_is_closed_and_requires_all_its_properties() -> None:
    objects = _objects(strict_json_schema())

    assert len(objects) == 5  # extraction, activity, quantity, moment, time
    for node in objects:
        assert node["additionalProperties"] is False
        assert sorted(node["required"]) == sorted(node["properties"])


def test_schema_has_no_refs_defaults_or_titles_but_keeps_a_title_property() -> None:
    text = json.dumps(strict_json_schema())

    assert "$ref" not in text
    assert "$defs" not in text
    assert '"default"' not in text
    moment_props = strict_json_schema()["properties"]["moments"]["items"]["properties"]
    assert "title" in moment_props


def test_optional_fields_are_nullable_and_enums_are_listed() -> None:
    moment_props = strict_json_schema()["properties"]["moments"]["items"]["properties"]

    assert {"type": "null"} in moment_props["place"]["anyOf"]
    assert moment_props["status"]["enum"] == ["happened", "planned", "habitual"]
    part = moment_props["time"]["properties"]["part_of_day"]["anyOf"]
    assert {"enum": ["morning", "afternoon", "evening", "night"], "type": "string"} in part


def test_response_format_is_strict_json_schema() -> None:
    fmt = response_format()

    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["strict"] is True


def test_a_missing_field_is_a_structure_error() -> None:
    item = activity("running", "ran")
    del item["existing_activity_idx"]

    with pytest.raises(InvalidStructureError, match="existing_activity_idx"):
        parse_extraction(json.dumps({"activities": [item], "moments": []}))


@pytest.mark.parametrize(
    "reply",
    [
        '{"activities": [], "moments": [], "injected": true}',
        '{"activities": [{"name": 5}], "moments": []}',
        '{"activities": [], "moments": [{"status": "maybe"}]}',
        "[]",
        "null",
        '{"activities": [], "moments": []',
        "\x00\x01",
        "[" * 5000 + "]" * 5000,
    ],
)
def test_hostile_replies_raise_structure_errors(reply: str) -> None:
    with pytest.raises(InvalidStructureError):
        parse_extraction(reply)


def test_strict_parsing_does_not_coerce_strings_to_numbers() -> None:
    item = activity("running", "ran", duration_minutes="30")

    with pytest.raises(InvalidStructureError):
        parse_extraction(json.dumps({"activities": [item], "moments": []}))


def test_conversion_to_domain_keeps_every_field() -> None:
    reply = {
        "activities": [
            activity(
                "running",
                "ran 5 km",
                quantity={"value": 5, "unit": "km", "text": "5 km"},
                duration_minutes=30,
            )
        ],
        "moments": [
            moment(
                "Run",
                "ran 5 km",
                status="planned",
                time={
                    "text": "tomorrow",
                    "start": "2026-03-15T08:00:00",
                    "end": None,
                    "part_of_day": "morning",
                },
                people=["Sam"],
            )
        ],
    }
    parsed = ExtractionOut.model_validate(reply)
    berlin = timezone(timedelta(hours=1))

    domain_activity = parsed.activities[0].to_domain()
    domain_moment = parsed.moments[0].to_domain(default_tz=berlin)

    assert domain_activity.quantity is not None
    assert domain_activity.quantity.value == 5
    assert domain_activity.duration_minutes == 30
    assert domain_moment.status is MomentStatus.PLANNED
    assert domain_moment.time.part_of_day is PartOfDay.MORNING
    assert domain_moment.time.start == datetime(2026, 3, 15, 8, tzinfo=berlin)
    assert domain_moment.people == ("Sam",)


@pytest.mark.parametrize("text", ["yesterday", "2026-13-45", "", "9" * 100, None])
def test_unparseable_times_become_none(text: str | None) -> None:
    assert parse_time(text, default_tz=UTC) is None


def test_zulu_times_parse_as_utc() -> None:
    assert parse_time("2026-03-14T07:00:00Z", default_tz=UTC) == datetime(
        2026, 3, 14, 7, tzinfo=UTC
    )
