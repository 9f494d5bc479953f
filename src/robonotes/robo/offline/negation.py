"""Whether a mentioned activity happened, was negated, is planned or is a habit.

Journals are written after the fact, so a mention counts as happened unless a marker says
otherwise. Negation and plan markers count only before the mention inside its clause ("skipped
the gym, went for a walk" negates the gym only); habit markers anywhere in the clause ("I run every
morning"); a marker that opens the sentence ("Tomorrow: swim, yoga") covers the whole sentence.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from enum import StrEnum

from robonotes.robo.offline.text import Token


class Modality(StrEnum):
    """What a clause says about an activity."""

    HAPPENED = "happened"
    NEGATED = "negated"
    PLANNED = "planned"
    HABITUAL = "habitual"


NEGATION_WORDS = frozenset(
    [
        "not",
        "no",
        "never",
        "nope",
        "didn't",
        "didnt",
        "don't",
        "dont",
        "doesn't",
        "doesnt",
        "wasn't",
        "wasnt",
        "weren't",
        "couldn't",
        "couldnt",
        "can't",
        "cant",
        "cannot",
        "haven't",
        "havent",
        "hasn't",
        "hadn't",
        "wouldn't",
        "shouldn't",
        "isn't",
        "aren't",
        "won't",
        "wont",
        "skipped",
        "skip",
        "skipping",
        "skips",
        "missed",
        "miss",
        "cancelled",
        "canceled",
        "cancel",
        "cancelling",
        "postponed",
        "postpone",
        "forgot",
        "forget",
        "avoided",
        "bailed",
        "ditched",
        "nobody",
        "neither",
        "nor",
        "pas",
        "kein",
        "keine",
        "nicht",
        "nunca",
        "jamais",
    ]
)
NEGATION_PHRASES: tuple[tuple[str, ...], ...] = (
    ("too", "tired"),
    ("too", "lazy"),
    ("too", "busy"),
    ("too", "sick"),
    ("no", "time"),
    ("supposed", "to"),
    ("meant", "to"),
    ("was", "going", "to"),
    ("were", "going", "to"),
    ("should", "have"),
    ("would", "have"),
    ("could", "have"),
    ("gave", "up", "on"),
    ("blew", "off"),
)
CLASSIFY_REACH = 40
NEGATION_WINDOW = 8
"""Words before a mention a negation reaches: "didn't have time to go for a run"."""
NEAR_NEGATION_WORDS = frozenset({"instead", "without", "skip", "skipped", "skipping"})
"""Only right before the mention: "instead of running I walked" negates running, not walking."""
NEGATION_AFTER = frozenset(["cancelled", "canceled", "closed", "postponed", "rained", "skipped"])
"""Markers after the mention that undo it ("the run got cancelled")."""

PLAN_WORDS = frozenset(
    [
        "will",
        "shall",
        "gonna",
        "wanna",
        "want",
        "wants",
        "wanted",
        "hope",
        "hoping",
        "hopefully",
        "wish",
        "plan",
        "plans",
        "planning",
        "intend",
        "intending",
        "aim",
        "aiming",
        "should",
        "might",
        "may",
        "maybe",
        "perhaps",
        "must",
        "need",
        "needs",
        "would",
        "tomorrow",
        "tmrw",
        "tmr",
        "someday",
        "soon",
        "if",
        "unless",
        "thinking",
        "considering",
    ]
)
PLAN_AFTER = frozenset({"might", "would", "tomorrow", "tmrw"})
"""After the mention: "painting at home might be better", "swim tomorrow"."""
PLAN_PHRASES: tuple[tuple[str, ...], ...] = (
    ("next", "week"),
    ("next", "weekend"),
    ("next", "month"),
    ("next", "year"),
    ("next", "time"),
    ("have", "to"),
    ("has", "to"),
    ("thinking", "of"),
    ("thinking", "about"),
    ("signed", "up", "for"),
    ("looking", "forward", "to"),
    ("i'm", "going"),
    ("im", "going"),
    ("we're", "going"),
    ("am", "going"),
    ("are", "going"),
    ("is", "going"),
)
HABIT_WORDS = frozenset(
    [
        "usually",
        "always",
        "normally",
        "typically",
        "generally",
        "often",
        "sometimes",
        "regularly",
        "whenever",
    ]
)
HABIT_PHRASES: tuple[tuple[str, ...], ...] = (
    ("every", "day"),
    ("every", "morning"),
    ("every", "evening"),
    ("every", "night"),
    ("every", "week"),
    ("every", "weekend"),
    ("every", "time"),
    ("each", "morning"),
    ("each", "day"),
    ("each", "week"),
    ("most", "days"),
    ("most", "mornings"),
    ("most", "weekends"),
    ("on", "weekends"),
    ("tend", "to"),
    ("used", "to"),
    ("i", "love"),
    ("i", "like"),
    ("i", "enjoy"),
    ("i", "hate"),
    ("i", "prefer"),
    ("really", "love"),
    ("really", "like"),
    ("really", "enjoy"),
)
_RECURRING_UNITS = frozenset(
    ["day", "morning", "afternoon", "evening", "night", "week", "weekend", "month", "year",
     "summer", "winter", "time", "other", "single", "monday", "tuesday", "wednesday", "thursday",
     "friday", "saturday", "sunday", "weekday", "lunchtime", "lunch"]
)  # fmt: skip
"""After "every"/"each" these make a habit: "I go every Tuesday to the swimming hall"."""
_WEEKDAYS_PLURAL = frozenset(
    [
        "mondays",
        "tuesdays",
        "wednesdays",
        "thursdays",
        "fridays",
        "saturdays",
        "sundays",
        "weekends",
    ]
)
SENTENCE_OPENERS: dict[tuple[str, ...], Modality] = {
    ("tomorrow",): Modality.PLANNED,
    ("next", "week"): Modality.PLANNED,
    ("next", "weekend"): Modality.PLANNED,
    ("plan",): Modality.PLANNED,
    ("plans",): Modality.PLANNED,
    ("todo",): Modality.PLANNED,
    ("to", "do"): Modality.PLANNED,
    ("goal",): Modality.PLANNED,
    ("goals",): Modality.PLANNED,
    ("hopefully",): Modality.PLANNED,
    ("note", "to", "self"): Modality.PLANNED,
    ("maybe",): Modality.PLANNED,
    ("usually",): Modality.HABITUAL,
    ("normally",): Modality.HABITUAL,
    ("typically",): Modality.HABITUAL,
    ("every", "morning"): Modality.HABITUAL,
    ("every", "day"): Modality.HABITUAL,
    ("on", "weekends"): Modality.HABITUAL,
}


def _words(tokens: Sequence[Token]) -> list[str]:
    return [t.lower.replace("’", "'") for t in tokens]


def _has_phrase(words: Sequence[str], phrases: tuple[tuple[str, ...], ...]) -> bool:
    for phrase in phrases:
        size = len(phrase)
        for i in range(len(words) - size + 1):
            if tuple(words[i : i + size]) == phrase:
                return True
    return False


def _going_to_verb(words: Sequence[str], tokens: Sequence[Token]) -> bool:
    """ "going to run" is a plan; "going to the gym" is a trip (handled by tense elsewhere)."""
    for i in range(len(words) - 2):
        if words[i] in ("going", "gonna") and words[i + 1] == "to":
            follower = tokens[i + 2]
            if not follower.is_capitalized and words[i + 2] not in _DETERMINERS:
                return True
    return False


_DETERMINERS = frozenset(
    ["the", "a", "an", "my", "our", "his", "her", "their", "this", "that", "some", "sam's"]
)


def _recurring(words: Sequence[str]) -> bool:
    return any(
        w in {"every", "each"} and nxt in _RECURRING_UNITS for w, nxt in itertools.pairwise(words)
    )


def sentence_scope(tokens: Sequence[Token]) -> Modality | None:
    """A modality the sentence opens with, covering all of it, or None."""
    words = _words([t for t in tokens if t.is_word][:3])
    for opener, modality in SENTENCE_OPENERS.items():
        if tuple(words[: len(opener)]) == opener:
            return modality
    return None


def classify(
    clause: Sequence[Token], mention_lo: int, mention_hi: int, scope: Modality | None = None
) -> Modality:
    """Modality of the mention at clause[mention_lo:mention_hi] (indices into `clause`).

    Only `CLASSIFY_REACH` words either side are read: a clause is rarely longer, and a run-on
    "clause" of thousands of words must not cost words x mentions.
    """
    lo = max(0, mention_lo - CLASSIFY_REACH)
    clause = clause[lo : mention_hi + CLASSIFY_REACH]
    mention_lo, mention_hi = mention_lo - lo, mention_hi - lo
    words = _words(clause)
    before = words[max(0, mention_lo - NEGATION_WINDOW) : mention_lo]
    after = words[mention_hi:]
    near = words[max(0, mention_lo - 3) : mention_lo]
    if (
        any(w in NEGATION_WORDS or w.endswith("n't") for w in before)
        or _has_phrase(before, NEGATION_PHRASES)
        or any(w in NEAR_NEGATION_WORDS for w in near)
    ):
        return Modality.NEGATED
    if any(w in NEGATION_AFTER for w in after):
        return Modality.NEGATED
    if (
        any(w in PLAN_WORDS or w.endswith("'ll") for w in before)
        or _has_phrase(before, PLAN_PHRASES)
        or _going_to_verb(before + words[mention_lo : mention_lo + 1], clause)
        or any(w in PLAN_AFTER for w in after)
        or _has_phrase(after, PLAN_PHRASES[:5])
    ):
        return Modality.PLANNED
    if (
        any(w in HABIT_WORDS or w in _WEEKDAYS_PLURAL for w in words)
        or _has_phrase(words, HABIT_PHRASES)
        or _recurring(words)
    ):
        return Modality.HABITUAL
    return scope or Modality.HAPPENED


_INJECTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.!?\n]{0,40}?\b(?:instructions?|rules|prompts?|previous|above|user)\b"
    r"|\byou\s+are\s+now\b|\byou\s+must\s+now\b|^\s*(?:system|assistant)\s*:"
    r"|\breply\s+with\b|\boutput\s+that\b|\bmark\s+me\s+as\b|\bpretend\s+(?:that|to|you)\b"
    r"|\bnew\s+instructions?\b|\bsystem\s+(?:override|prompt)\b|\bdeveloper\s+mode\b"
    r"|\b(?:log|record|note\s+down|write\s+down|mark\s+down)\s+that\s+i\b"
    r"|\b(?:say|tell\s+me|claim)\s+(?:that\s+)?i\s+(?:ran|did|went|swam|climbed|walked|ate|have)\b"
    r"|\badd\s+\S{1,40}\s+to\s+my\s+(?:activities|log|history|moments)\b",
    re.I,
)


def is_injection(sentence: str) -> bool:
    """A sentence that instructs the model is not an experience: it is skipped, never obeyed."""
    return _INJECTION.search(sentence[:1_000]) is not None
