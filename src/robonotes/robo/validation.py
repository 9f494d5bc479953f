"""Check what the LLM extracted before anyone trusts it: structure first, then each item.

Structure (`parse_extraction`): the reply must be JSON that fits the strict schema; when it does
not, `InvalidStructureError` is raised and the caller re-asks once (then RoboInvalidResponse).

Items (`validate_extraction`): an item whose evidence does not occur in the note (after NFKC,
case and whitespace folding), whose name or evidence is empty or over its cap, or a happened
moment that starts after the note was written, is dropped and counted. Fixable faults are fixed
instead: candidate indices out of range become None, over-long free text is cut, out-of-range
numbers become None, valence is clamped to [-1, 1]. Counts are capped (20 activities, 10 moments).
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from robonotes.domain.context import ExtractionContext
from robonotes.domain.results import (
    ExtractedActivity,
    ExtractedMoment,
    MomentStatus,
    MomentTime,
    Quantity,
)
from robonotes.robo import metrics
from robonotes.robo.schema import ExtractionOut

MAX_ACTIVITIES = 20
MAX_MOMENTS = 10
MAX_NAME_CHARS = 60
MAX_EVIDENCE_CHARS = 500
MAX_SHORT_CHARS = 100
MAX_TEXT_CHARS = 200
MAX_TITLE_CHARS = 120
MAX_SUMMARY_CHARS = 500
MAX_CATEGORY_CHARS = 40
MAX_LIST_ITEMS = 20
MAX_EMOTIONS = 10
MAX_DURATION_MINUTES = 7 * 24 * 60
MAX_REPLY_CHARS = 200_000
"""A reply longer than this is not parsed at all (the output cap makes it impossible anyway)."""

_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_WHITESPACE = re.compile(r"\s+")
# Control characters, lone surrogates and private-use code points carry nothing for extraction,
# and NUL or a surrogate cannot even be stored in PostgreSQL text or encoded as UTF-8.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ue000-\uf8ff]")
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL | re.IGNORECASE)
_NAME_EDGE = " \t\n\"'`.,;:!?()[]{}<>*_-"


class InvalidStructureError(ValueError):
    """The reply is not JSON matching the extraction schema (worth one re-ask)."""


def clean(text: str) -> str:
    """`text` without control, surrogate, private-use and invisible format characters."""
    return _INVISIBLE.sub("", _UNSAFE.sub("", text))


def fold(text: str) -> str:
    """NFKC, unsafe and invisible characters out, case-folded, whitespace runs collapsed."""
    normalized = clean(unicodedata.normalize("NFKC", clean(text)))
    return _WHITESPACE.sub(" ", normalized.casefold()).strip()


def normalize_name(name: str) -> str:
    """A canonical activity name: NFKC, lowercase, single spaces, no edge punctuation."""
    normalized = clean(unicodedata.normalize("NFKC", clean(name)))
    return _WHITESPACE.sub(" ", normalized.lower()).strip(_NAME_EDGE)


def parse_extraction(content: str | None) -> ExtractionOut:
    """Parse the model's reply into the schema models, or raise InvalidStructureError saying why."""
    if content is None or not content.strip():
        raise InvalidStructureError("the reply was empty")
    if len(content) > MAX_REPLY_CHARS:
        raise InvalidStructureError(f"the reply was over {MAX_REPLY_CHARS} characters")
    text = content.strip()
    fenced = _FENCE.match(text)
    if fenced:
        # Servers without strict structured outputs often wrap JSON in a Markdown fence.
        text = fenced.group(1)
    try:
        return ExtractionOut.model_validate_json(text)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        first = errors[0] if errors else {"loc": (), "msg": str(exc)}
        location = ".".join(str(part) for part in first["loc"]) or "reply"
        kind = "not JSON" if first.get("type") == "json_invalid" else "schema violation"
        raise InvalidStructureError(
            f"{kind} at {location}: {first['msg']} ({len(errors)} error(s))"
        ) from exc
    except (ValueError, RecursionError) as exc:
        raise InvalidStructureError(f"not JSON: {type(exc).__name__}") from exc


@dataclass(frozen=True, slots=True)
class ValidatedExtraction:
    """What survived validation, and how many items were dropped for which reason."""

    activities: tuple[ExtractedActivity, ...]
    moments: tuple[ExtractedMoment, ...]
    dropped: dict[str, int] = field(default_factory=dict)

    @property
    def dropped_items(self) -> int:
        """Total items dropped."""
        return sum(self.dropped.values())


class _DropError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _cut(value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    cleaned = _WHITESPACE.sub(" ", clean(value)).strip()
    if not cleaned:
        return None
    return cleaned[:limit].rstrip()


def _required(value: str, limit: int, *, reason: str) -> str:
    cut = _cut(value, limit)
    if cut is None:
        raise _DropError(reason)
    return cut


def _evidence(evidence: str, folded_note: str) -> str:
    folded = fold(evidence)
    if not folded:
        raise _DropError("evidence_empty")
    if len(evidence) > MAX_EVIDENCE_CHARS:
        raise _DropError("evidence_too_long")
    if folded not in folded_note:
        raise _DropError("evidence_not_in_note")
    return _WHITESPACE.sub(" ", clean(evidence)).strip()


def _name(name: str) -> str:
    normalized = normalize_name(name)
    if not normalized:
        raise _DropError("name_empty")
    if len(normalized) > MAX_NAME_CHARS:
        raise _DropError("name_too_long")
    if not any(char.isalpha() for char in normalized):
        raise _DropError("name_invalid")
    return normalized


def _strings(
    values: tuple[str, ...], *, limit: int, max_items: int, lower: bool
) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for value in values:
        cut = _cut(value, limit)
        if cut is None:
            continue
        cut = cut.lower() if lower else cut
        seen.setdefault(cut.casefold(), cut)
        if len(seen) >= max_items:
            break
    return tuple(seen.values())


def _quantity(quantity: Quantity | None) -> Quantity | None:
    if quantity is None:
        return None
    text = _cut(quantity.text, MAX_SHORT_CHARS)
    if text is None:
        return None
    value = quantity.value
    if value is not None and (not math.isfinite(value) or abs(value) > 1e9):
        value = None
    unit = _cut(quantity.unit, MAX_SHORT_CHARS)
    return Quantity(value=value, unit=unit.lower() if unit else None, text=text)


def _duration(minutes: float | None) -> float | None:
    if minutes is None or not math.isfinite(minutes):
        return None
    return minutes if 0 < minutes <= MAX_DURATION_MINUTES else None


def _activity(
    item: ExtractedActivity, *, folded_note: str, indices: frozenset[int]
) -> ExtractedActivity:
    name = _name(item.name)
    evidence = _evidence(item.evidence, folded_note)
    category = _cut(item.category, MAX_CATEGORY_CHARS)
    index = item.existing_activity_idx
    return ExtractedActivity(
        name=name,
        surface=_cut(item.surface, MAX_TEXT_CHARS) or evidence[:MAX_TEXT_CHARS],
        evidence=evidence,
        category=category.lower() if category else None,
        object=_cut(item.object, MAX_TEXT_CHARS),
        duration_minutes=_duration(item.duration_minutes),
        quantity=_quantity(item.quantity),
        existing_activity_idx=index if index in indices else None,
    )


def _time(time: MomentTime, *, status: MomentStatus, note_time: datetime) -> MomentTime:
    start, end = time.start, time.end
    if start is not None and end is not None and end < start:
        end = None
    if status is MomentStatus.HAPPENED:
        if start is not None and start > note_time:
            raise _DropError("happened_after_note")
        if end is not None and end > note_time:
            end = note_time
    return MomentTime(
        text=_cut(time.text, MAX_SHORT_CHARS), start=start, end=end, part_of_day=time.part_of_day
    )


def _moment(
    item: ExtractedMoment, *, folded_note: str, indices: frozenset[int], note_time: datetime
) -> ExtractedMoment:
    title = _required(item.title, MAX_TITLE_CHARS, reason="title_empty")
    evidence = _evidence(item.evidence, folded_note)
    valence = item.valence
    if valence is not None:
        valence = max(-1.0, min(1.0, valence)) if math.isfinite(valence) else None
    activities: list[str] = []
    for name in item.activities:
        normalized = normalize_name(name)
        if (
            normalized
            and len(normalized) <= MAX_NAME_CHARS
            and any(char.isalpha() for char in normalized)
            and normalized not in activities
        ):
            activities.append(normalized)
    index = item.existing_moment_idx
    return ExtractedMoment(
        title=title,
        summary=_cut(item.summary, MAX_SUMMARY_CHARS) or title,
        status=item.status,
        evidence=evidence,
        time=_time(item.time, status=item.status, note_time=note_time),
        people=_strings(item.people, limit=MAX_SHORT_CHARS, max_items=MAX_LIST_ITEMS, lower=False),
        place=_cut(item.place, MAX_TEXT_CHARS),
        emotions=_strings(item.emotions, limit=40, max_items=MAX_EMOTIONS, lower=True),
        valence=valence,
        activities=tuple(activities[:MAX_LIST_ITEMS]),
        existing_moment_idx=index if index in indices else None,
    )


def note_tz(context: ExtractionContext) -> tzinfo:
    """The note's time zone (for naive times the model gives), UTC when unknown or invalid."""
    if context.time_zone:
        try:
            return ZoneInfo(context.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return UTC


def validate_extraction(
    raw: ExtractionOut, *, note_text: str, context: ExtractionContext
) -> ValidatedExtraction:
    """Keep the valid items (fixing what can be fixed), drop and count the rest."""
    dropped: Counter[str] = Counter()
    folded_note = fold(note_text)
    zone = note_tz(context)
    note_time = (
        context.created_at if context.created_at.tzinfo else context.created_at.replace(tzinfo=UTC)
    )
    activity_indices = frozenset(candidate.idx for candidate in context.activities)
    moment_indices = frozenset(candidate.idx for candidate in context.moments)

    activities: list[ExtractedActivity] = []
    seen_activities: set[tuple[str, str]] = set()
    for item in raw.activities:
        if len(activities) >= MAX_ACTIVITIES:
            dropped["activity:over_cap"] += 1
            continue
        try:
            activity = _activity(
                item.to_domain(), folded_note=folded_note, indices=activity_indices
            )
        except _DropError as drop:
            dropped[f"activity:{drop.reason}"] += 1
            continue
        key = (activity.name, fold(activity.evidence))
        if key in seen_activities:
            dropped["activity:duplicate"] += 1
            continue
        seen_activities.add(key)
        activities.append(activity)

    moments: list[ExtractedMoment] = []
    seen_moments: set[tuple[str, str]] = set()
    for moment_out in raw.moments:
        if len(moments) >= MAX_MOMENTS:
            dropped["moment:over_cap"] += 1
            continue
        try:
            moment = _moment(
                moment_out.to_domain(default_tz=zone),
                folded_note=folded_note,
                indices=moment_indices,
                note_time=note_time,
            )
        except _DropError as drop:
            dropped[f"moment:{drop.reason}"] += 1
            continue
        key = (fold(moment.title), fold(moment.evidence))
        if key in seen_moments:
            dropped["moment:duplicate"] += 1
            continue
        seen_moments.add(key)
        moments.append(moment)

    for label, count in dropped.items():
        kind, reason = label.split(":", 1)
        metrics.record_dropped(kind=kind, reason=reason, count=count)
    return ValidatedExtraction(
        activities=tuple(activities), moments=tuple(moments), dropped=dict(dropped)
    )


def dumps_for_reask(content: str | None) -> str:
    """The invalid reply as it goes back to the model in the re-ask (bounded in size)."""
    return (content or "")[:4000] if content else json.dumps(None)
