"""The extraction schema the LLM must answer in, as pydantic models and as strict-mode JSON Schema.

Strict structured outputs (OpenAI `response_format: json_schema, strict: true`) require every
property to be listed in `required`, optional values to be nullable instead of absent, and
`additionalProperties: false` on every object. `strict_json_schema()` produces exactly that, with
every `$ref` inlined so OpenAI-compatible servers without `$defs` support accept it too. Length and
count caps are enforced by `robo.validation` rather than by schema keywords, because many servers
reject keywords such as `maxLength` in strict mode.
"""

from __future__ import annotations

import copy
import functools
import math
from datetime import datetime, tzinfo
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from robonotes.domain.results import (
    ExtractedActivity,
    ExtractedMoment,
    MomentStatus,
    MomentTime,
    PartOfDay,
    Quantity,
)

SCHEMA_NAME = "robo_extraction"
"""The `name` of the json_schema response format."""

PartOfDayOut = Literal["morning", "afternoon", "evening", "night"]
MomentStatusOut = Literal["happened", "planned", "habitual"]


class _Strict(BaseModel):
    """Base of the output models: unknown keys are a schema violation, values are not coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class QuantityOut(_Strict):
    """An amount as written ("5 km") and, when it is numeric, its value and unit."""

    value: float | None = Field(description="The number, when there is one (5 for '5 km').")
    unit: str | None = Field(description="The unit, lowercase (km, pages, reps), or null.")
    text: str = Field(description="The amount exactly as written in the note.")

    def to_domain(self) -> Quantity:
        """The domain value; a non-finite number becomes None."""
        return Quantity(value=_finite(self.value), unit=self.unit, text=self.text)


class ActivityOut(_Strict):
    """One kind of doing the person actually did (never a negated or planned one)."""

    name: str = Field(
        description="Canonical name, lowercase: a gerund for verbs (running, cooking), "
        "the usual noun otherwise (yoga, tennis)."
    )
    surface: str = Field(description="The words the note uses for it ('went for a run').")
    category: str | None = Field(
        description="One of: sport, fitness, outdoors, reading, learning, work, chores, "
        "cooking, social, creative, music, leisure, travel, health, other; or null."
    )
    object: str | None = Field(description="What it was done on or with ('Dune', 'piano').")
    duration_minutes: float | None = Field(description="How long, in minutes, when stated.")
    quantity: QuantityOut | None = Field(description="An amount, when stated.")
    evidence: str = Field(description="A short exact quote from the note that shows it.")
    existing_activity_idx: int | None = Field(
        description="Index of the known activity this is, from the candidate list, or null."
    )

    def to_domain(self) -> ExtractedActivity:
        """The domain value, unvalidated (robo.validation decides what is kept)."""
        return ExtractedActivity(
            name=self.name,
            surface=self.surface,
            evidence=self.evidence,
            category=self.category,
            object=self.object,
            duration_minutes=_finite(self.duration_minutes),
            quantity=self.quantity.to_domain() if self.quantity else None,
            existing_activity_idx=self.existing_activity_idx,
        )


class MomentTimeOut(_Strict):
    """When a moment took place, as written and resolved against the note's time."""

    text: str | None = Field(description="The time as written ('this morning'), or null.")
    start: str | None = Field(description="ISO 8601 start, resolved against the note's time.")
    end: str | None = Field(description="ISO 8601 end, or null.")
    part_of_day: PartOfDayOut | None = Field(description="Coarse part of the day, or null.")

    def to_domain(self, *, default_tz: tzinfo) -> MomentTime:
        """The domain value; unparseable times become None, naive ones take `default_tz`."""
        return MomentTime(
            text=self.text,
            start=parse_time(self.start, default_tz=default_tz),
            end=parse_time(self.end, default_tz=default_tz),
            part_of_day=PartOfDay(self.part_of_day) if self.part_of_day else None,
        )


class MomentOut(_Strict):
    """One specific, bounded experience the note reports."""

    title: str = Field(description="A short title, at most about eight words.")
    summary: str = Field(description="One sentence on what happened, in the third person.")
    status: MomentStatusOut = Field(description="happened, planned or habitual.")
    time: MomentTimeOut = Field(description="When it took place.")
    people: list[str] = Field(description="Names of the other people in it.")
    place: str | None = Field(description="Where it took place, or null.")
    emotions: list[str] = Field(description="Feelings the note states, lowercase words.")
    valence: float | None = Field(description="How it felt, from -1 (bad) to 1 (good), or null.")
    activities: list[str] = Field(description="Canonical names of the activities in it.")
    evidence: str = Field(description="A short exact quote from the note that shows it.")
    existing_moment_idx: int | None = Field(
        description="Index of the recent moment this is again, from the candidate list, or null."
    )

    def to_domain(self, *, default_tz: tzinfo) -> ExtractedMoment:
        """The domain value, unvalidated (robo.validation decides what is kept)."""
        return ExtractedMoment(
            title=self.title,
            summary=self.summary,
            status=MomentStatus(self.status),
            evidence=self.evidence,
            time=self.time.to_domain(default_tz=default_tz),
            people=tuple(self.people),
            place=self.place,
            emotions=tuple(self.emotions),
            valence=_finite(self.valence),
            activities=tuple(self.activities),
            existing_moment_idx=self.existing_moment_idx,
        )


class ExtractionOut(_Strict):
    """The whole answer: every activity and every moment of one note."""

    activities: list[ActivityOut] = Field(description="Activities the person actually did.")
    moments: list[MomentOut] = Field(description="Specific moments the note reports.")


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def parse_time(text: str | None, *, default_tz: tzinfo) -> datetime | None:
    """An ISO 8601 date or time from the model; None when absent or unparseable."""
    if not text or len(text) > 64:
        return None
    candidate = text.strip()
    if candidate.endswith(("Z", "z")):
        candidate = candidate[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=default_tz)


def _inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            resolved = _inline_refs(copy.deepcopy(defs[name]), defs)
            extra = {key: value for key, value in node.items() if key != "$ref"}
            return {**resolved, **_inline_refs(extra, defs)}
        return {key: _inline_refs(value, defs) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline_refs(item, defs) for item in node]
    return node


_DROPPED_KEYWORDS = frozenset({"title", "default"})


def _strictify(node: Any) -> Any:
    """Close every object schema, require all its properties, drop keywords strict mode refuses."""
    if isinstance(node, list):
        return [_strictify(item) for item in node]
    if not isinstance(node, dict):
        return node
    cleaned: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED_KEYWORDS:
            continue
        if key == "properties":
            # Keys here are property names (a moment has a `title`), not schema keywords.
            cleaned[key] = {name: _strictify(sub) for name, sub in value.items()}
        else:
            cleaned[key] = _strictify(value)
    if cleaned.get("type") == "object" and "properties" in cleaned:
        cleaned["required"] = list(cleaned["properties"])
        cleaned["additionalProperties"] = False
    return cleaned


@functools.lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    raw = ExtractionOut.model_json_schema()
    defs = raw.pop("$defs", {})
    schema: dict[str, Any] = _strictify(_inline_refs(raw, defs))
    return schema


def strict_json_schema() -> dict[str, Any]:
    """The extraction schema in strict mode: all required, optionals nullable, objects closed."""
    return copy.deepcopy(_schema())


def response_format() -> dict[str, Any]:
    """The `response_format` argument for chat completions with strict structured outputs."""
    return {
        "type": "json_schema",
        "json_schema": {"name": SCHEMA_NAME, "strict": True, "schema": _schema()},
    }
