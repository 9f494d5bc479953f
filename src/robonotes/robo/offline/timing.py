"""Part of day and date of a clause, from its words and the note's time.

A light regex finds time phrases first; dateparser is asked only about an explicit date phrase
("last Saturday", "March 3", "on 14/03") with the note's `created_at` as base and English only,
so it stays fast and offline. Part of day is None when the text does not say (GUIDE.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import dateparser

from robonotes.domain.results import PartOfDay

_PART_WORDS: tuple[tuple[re.Pattern[str], PartOfDay], ...] = (
    (re.compile(r"\blast\s+night\b|\bmidnight\b|\bbefore\s+bed(?:time)?\b|\bbedtime\b"
                r"|\bin\s+the\s+night\b|\bmiddle\s+of\s+the\s+night\b|\blate[\s-]night\b"
                r"|\ball[\s-]night\b|\bovernight\b|\bnight\b|\bnite\b"
                r"|\bnuit\b|\bnachts\b|\bnoche\b", re.I),
     PartOfDay.NIGHT),
    (re.compile(r"\btonight\b|\btonite\b|\b2nite\b|\bthis\s+eve(?:ning)?\b|\bevening\b|\bafter\s+work\b"
                r"|\bafter\s+dinner\b|\bdinner(?:time)?\b|\bsunset\b|\bdusk\b|\bsupper\b"
                r"|\bsoir(?:ée)?\b|\babends?\b|\besta\s+noche\b", re.I),
     PartOfDay.EVENING),
    (re.compile(r"\bafternoon\b|\bafter\s+lunch\b|\blunch(?:time|ed)?\b|\bmidday\b|\bnoon\b"
                r"|\barvo\b|\bpm\s+slot\b"
                r"|\bnachmittags?\b|\baprès-midi\b|\bapres-midi\b"
                r"|\b(?:esta|la|por\s+la)\s+tarde\b", re.I),
     PartOfDay.AFTERNOON),
    (re.compile(r"\bmorning\b|\bbefore\s+breakfast\b|\bbreakfast\b|\bbrunch\b|\bbrekk(?:ie|y)\b"
                r"|\bsunrise\b|\bdawn\b|\bmatin\b|\bmorgens\b|\bvormittags?\b"
                r"|\b(?:esta|la|por\s+la)\s+mañana\b|\bwoke\s+up\b|\bbefore\s+(?:\w+\s+){0,2}(?:woke|got\s+up)\b"
                r"|\bbefore\s+work\b|\bfirst\s+thing\b|\bthis\s+am\b|\bearly\s+am\b"
                r"|\bmornin\b|\bmorn\b|\bearly\s+(?:walk|run|swim|ride|start|jog|hike|session|workout)\b"
                r"|\b(?:up|woke(?:\s+up)?|awake)\s+at\s+[4-9]\b", re.I), PartOfDay.MORNING),
)  # fmt: skip
_CLOCK = re.compile(
    r"\b(?:at\s+|around\s+|by\s+|from\s+|till\s+|until\s+)?(\d{1,2})(?::(\d{2}))?\s?(am|pm|a\.m\.|p\.m\.)(?!\w)",
    re.I,
)
_CLOCK_24 = re.compile(r"\b(?:at|around|from)\s+([01]?\d|2[0-3]):([0-5]\d)\b", re.I)
_LOG_CLOCK = re.compile(r"^\s*(?:[-*•]\s*)?([01]?\d|2[0-3])[:.h]([0-5]\d)(?=\s*[-–—:|]|\s+[^\W\d])")
"""A training-log line that opens with a 24-hour time ("07:10 – turbo 60 min"); mid-line times
are often results ("parkrun 21:40"), so only the opening one counts."""
_HALF_LABEL = re.compile(r"(?<![\w'’])(AM|PM)(?![\w'’])|^\s*(?:[-*•]\s*)?(am|pm)\s*[:\-–]", re.I)
"""A log's "AM:" / "PM swim" session label: upper-case anywhere, any case when it opens a line
with a colon or dash (a lower-case "am" inside a sentence is the verb)."""
_BARE_HOUR = re.compile(
    r"\b(?:at|around|by|from)\s+(\d{1,2})(?:[:.]([0-5]\d))?(?:\s?-?ish)?"
    r"(?=\s*(?:$|[,.;:!?)\-–—]|o'?clock\b|sharp\b|and\b|then\b|with\b|w\b|for\b|to\b|at\b|in\b|on\b))",
    re.I,
)
"""An hour with no am/pm ("standup at 10", "drove Ava to practice at 8"): read as a daytime hour,
and only when no word says the part of day."""

_DAY_WORDS = re.compile(
    r"\b(today|tonight|this\s+(?:morning|afternoon|evening)|yesterday|last\s+night"
    r"|the\s+day\s+before\s+yesterday)\b",
    re.I,
)
_DATE_PHRASE = re.compile(
    r"\b(?:(?:last|on|this\s+past)\s+)?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b"
    r"|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b"
    r"|\b(?:jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?\b"
    r"|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b",
    re.I,
)
_PART_HOUR = {
    PartOfDay.MORNING: 9,
    PartOfDay.AFTERNOON: 14,
    PartOfDay.EVENING: 19,
    PartOfDay.NIGHT: 23,
}


@dataclass(frozen=True, slots=True)
class Timing:
    """When a clause says it happened: the phrase, the part of day, the day."""

    text: str | None
    part_of_day: PartOfDay | None
    day: date | None


def _hour_part(hour: int) -> PartOfDay:
    if 5 <= hour < 12:
        return PartOfDay.MORNING
    if 12 <= hour < 17:
        return PartOfDay.AFTERNOON
    if 17 <= hour < 22:
        return PartOfDay.EVENING
    return PartOfDay.NIGHT


def find_part_of_day(text: str) -> tuple[PartOfDay | None, str | None]:
    """Part of day a clause states (clock times first, then words), with the phrase."""
    match = _CLOCK.search(text)
    if match:
        hour = int(match.group(1)) % 12
        if match.group(3).lower().startswith("p"):
            hour += 12
        return _hour_part(hour), match.group(0).strip()
    match = _CLOCK_24.search(text) or _LOG_CLOCK.search(text)
    if match:
        return _hour_part(int(match.group(1))), match.group(0).strip()
    label = _HALF_LABEL.search(text)
    if label and (label.group(1) is None or label.group(1).isupper()):
        word = (label.group(1) or label.group(2)).lower()
        return (PartOfDay.MORNING if word == "am" else PartOfDay.AFTERNOON), label.group(0).strip()
    best: tuple[int, PartOfDay, str] | None = None
    for pattern, part in _PART_WORDS:
        found = pattern.search(text)
        if found and (best is None or found.start() < best[0]):
            best = (found.start(), part, found.group(0))
    if best is None:
        return _bare_hour(text)
    return best[1], best[2]


_EVENING_CONTEXT = re.compile(
    r"\b(?:fireworks|drinks|pub|bar|party|gig|concert|movie|film|show|club|dinner|date|karaoke)\b",
    re.I,
)
"""Things done in the evening: "fireworks at 9" is 9 pm."""


def _bare_hour(text: str) -> tuple[PartOfDay | None, str | None]:
    """ "at 10" with no am/pm: 5-11 is the morning, 12-4 the afternoon (1-4 read as pm)."""
    match = _BARE_HOUR.search(text)
    if match is None:
        return None, None
    hour = int(match.group(1))
    if 6 <= hour <= 11 and _EVENING_CONTEXT.search(text):
        return PartOfDay.EVENING, match.group(0).strip()
    if 5 <= hour <= 11:
        return PartOfDay.MORNING, match.group(0).strip()
    if hour == 12 or 1 <= hour <= 4:
        return PartOfDay.AFTERNOON, match.group(0).strip()
    return None, None


def find_day(text: str, base: datetime) -> tuple[date | None, str | None]:
    """The day a clause refers to, relative to the note's local time, with the phrase."""
    match = _DAY_WORDS.search(text)
    if match:
        word = match.group(1).lower()
        if word.startswith("yesterday") or word == "last night":
            return (base - timedelta(days=1)).date(), match.group(0)
        if word.startswith("the day before"):
            return (base - timedelta(days=2)).date(), match.group(0)
        return base.date(), match.group(0)
    match = _DATE_PHRASE.search(text)
    if match:
        phrase = match.group(0)
        parsed = dateparser.parse(
            re.sub(r"^(?:on|this\s+past)\s+", "", phrase, flags=re.I),
            languages=["en"],
            settings={
                "RELATIVE_BASE": base.replace(tzinfo=None),
                "PREFER_DATES_FROM": "past",
                "RETURN_AS_TIMEZONE_AWARE": False,
                "DATE_ORDER": "DMY",
            },
        )
        if parsed is not None and abs((parsed - base.replace(tzinfo=None)).days) <= 400:
            return parsed.date(), phrase
    return None, None


def find_timing(text: str, base: datetime) -> Timing:
    """Part of day and day of one clause."""
    part, part_text = find_part_of_day(text)
    day, day_text = find_day(text, base)
    return Timing(text=part_text or day_text, part_of_day=part, day=day)


def start_of(timing: Timing, base: datetime) -> datetime | None:
    """A start time for the moment: its day at a typical hour, never after the note was written."""
    if timing.day is None:
        return None
    hour = _PART_HOUR.get(timing.part_of_day, 12) if timing.part_of_day else 12
    start = datetime.combine(timing.day, time(hour), tzinfo=base.tzinfo)
    return min(start, base)
