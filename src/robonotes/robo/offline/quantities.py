"""Durations ("45 min", "an hour and a half") and quantities ("5k", "3x8 @ 60kg", "2 chapters").

Plain regular expressions with bounded repetition only, run on one clause at a time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from robonotes.domain.results import Quantity

WORD_NUMBERS: dict[str, float] = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "thirty": 30, "forty": 40, "forty-five": 45, "fifty": 50, "sixty": 60, "ninety": 90,
    "couple": 2, "a couple of": 2, "a couple": 2, "half": 0.5, "a half": 0.5,
}  # fmt: skip
_NUM = (
    r"(?:\d{1,4}(?:[.,]\d{1,2})?|"
    + "|".join(sorted((re.escape(w) for w in WORD_NUMBERS if " " not in w), key=len, reverse=True))
    + ")"
)

_HOUR_AND_HALF = re.compile(r"\b(an?|one|\d{1,2})\s+(?:hours?|hrs?)\s+and\s+a\s+half\b", re.I)
_HALF_HOUR = re.compile(r"\bhalf\s+an?\s+hour\b|\bhalf-hour\b", re.I)
_H_MIN = re.compile(r"\b(\d{1,2})\s?h\s?(\d{1,2})\s?(?:m|min|mins)?\b", re.I)
_COUPLE = re.compile(r"\b(?:a\s+)?couple\s+(?:of\s+)?(hours?|minutes?|mins?)\b", re.I)
_DURATION = re.compile(
    rf"\b({_NUM})[\s-]?"
    r"(hours?|hrs?|h|minutes?|mins?|min|m|seconds?|secs?)\b",
    re.I,
)
_SETS_REPS = re.compile(
    r"\b(\d{1,2})\s?[x×]\s?(\d{1,3})(?:\s?(?:@|at)\s?(\d{1,4}(?:\.\d)?)\s?(kg|kgs|lbs?|pounds?))?",
    re.I,
)
_DISTANCE = re.compile(
    rf"\b({_NUM})\s?(k|km|kms|kilometers?|kilometres?|mi|miles?|m|meters?|metres?)\b(?!\s*(?:per|/))",
    re.I,
)
_COUNT = re.compile(
    rf"\b({_NUM})\s+(?:\w+\s+)?(sets?|reps?|laps?|pages?|chapters?|rounds?|games?|holes?|"
    r"episodes?|songs?|loads?|lengths?|pitches|routes?|problems?|poses?)\b",
    re.I,
)
_RACES = {"half marathon": 21.1, "marathon": 42.2, "parkrun": 5.0}
_RACE = re.compile(r"\b(half[\s-]marathon|marathon|parkrun)\b", re.I)

_MINUTE_UNITS = {"h": 60, "hr": 60, "hrs": 60, "hour": 60, "hours": 60, "m": 1, "min": 1,
                 "mins": 1, "minute": 1, "minutes": 1, "sec": 1 / 60, "secs": 1 / 60,
                 "second": 1 / 60, "seconds": 1 / 60}  # fmt: skip
_UNIT_NAMES = {"k": "km", "km": "km", "kms": "km", "kilometer": "km", "kilometers": "km",
               "kilometre": "km", "kilometres": "km", "mi": "mi", "mile": "mi", "miles": "mi",
               "m": "m", "meter": "m", "meters": "m", "metre": "m", "metres": "m"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Amounts:
    """What one clause says about how long and how much."""

    duration_minutes: float | None
    quantity: Quantity | None


def _number(text: str) -> float | None:
    key = text.lower().replace(",", ".")
    if key in WORD_NUMBERS:
        return WORD_NUMBERS[key]
    try:
        return float(key)
    except ValueError:
        return None


def find_duration_minutes(text: str) -> float | None:
    """Minutes of the first duration in the text, or None."""
    match = _HOUR_AND_HALF.search(text)
    if match:
        hours = _number(match.group(1)) or 1.0
        return float(hours * 60 + 30)
    match = _H_MIN.search(text)
    if match:
        return float(int(match.group(1)) * 60 + int(match.group(2)))
    match = _HALF_HOUR.search(text)
    if match:
        return 30.0
    match = _COUPLE.search(text)
    if match:
        return 2.0 * _MINUTE_UNITS[match.group(1).lower()]
    for match in _DURATION.finditer(text):
        unit = match.group(2).lower()
        value = _number(match.group(1))
        if value is None or (
            unit == "m" and (value > 180 or _looks_like_distance(text, match.end()))
        ):
            continue
        minutes = float(value) * _MINUTE_UNITS[unit]
        if 0 < minutes <= 7 * 24 * 60:
            return round(minutes, 2)
    return None


def _looks_like_distance(text: str, end: int) -> bool:
    """ "400m" after a swim is metres; "45m" with no context is taken as minutes."""
    return bool(re.match(r"\s*(?:swim|sprint|freestyle|dash|laps?)", text[end : end + 12], re.I))


def find_quantity(text: str) -> Quantity | None:
    """The first amount that is not a duration: sets x reps, a distance, a count, a race."""
    match = _SETS_REPS.search(text)
    if match:
        return Quantity(value=float(match.group(1)), unit="sets", text=match.group(0).strip())
    match = _DISTANCE.search(text)
    if match:
        value = _number(match.group(1))
        unit = _UNIT_NAMES[match.group(2).lower()]
        if value is not None and not (unit == "m" and value < 50):
            return Quantity(value=value, unit=unit, text=match.group(0).strip())
    match = _COUNT.search(text)
    if match:
        unit = match.group(2).lower()
        unit = unit if unit.endswith("s") or unit == "pitches" else unit + "s"
        count = _number(match.group(1))
        return Quantity(
            value=None if count is None else float(count), unit=unit, text=match.group(0).strip()
        )
    match = _RACE.search(text)
    if match:
        key = match.group(1).lower().replace("-", " ")
        return Quantity(value=_RACES[key], unit="km", text=match.group(0))
    return None


def find_amounts(text: str) -> Amounts:
    """Duration and quantity of one clause."""
    return Amounts(duration_minutes=find_duration_minutes(text), quantity=find_quantity(text))
