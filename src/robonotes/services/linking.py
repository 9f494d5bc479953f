"""Activity resolution: decide whether an extracted activity is one the person already has.

The pipeline of DESIGN.md, per user:
    normalise (case, lemma, gerund, fillers) -> alias table -> the user's names and aliases
    (a unique exact hit links) -> guarded fuzzy match on names of 6+ characters -> the LLM's
    `existing_activity_idx` when valid -> otherwise a new activity.
Siblings never merge on similarity alone: two different canonical names of the shipped lexicon
(running and walking, reading and writing) are never one activity, however alike they look.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from lemminflect import getAllLemmas, getInflection
from rapidfuzz import fuzz

FUZZY_MIN_CHARS = 6
FUZZY_MIN_SCORE = 88.0
MAX_NAME_CHARS = 80

_FILLER_PREFIXES: tuple[tuple[str, ...], ...] = tuple(
    tuple(phrase.split())
    for phrase in (
        "went for a",
        "went for an",
        "went for",
        "go for a",
        "go for an",
        "going for a",
        "did some",
        "did a",
        "did an",
        "do some",
        "had a",
        "got some",
        "a bit of",
        "a little",
        "some",
        "a",
        "an",
        "the",
        "my",
        "quick",
        "long",
        "short",
        "little",
        "nice",
        "good",
        "went",
        "go",
        "going",
        "did",
    )
)
_HAS_DIGIT = re.compile(r"\d")
"""Quantities ("10k", "3x8") say how much, not what: "ran 10k" is running."""
_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*", re.UNICODE)


class LinkReason(StrEnum):
    """How an extracted activity was resolved (kept for metrics and debugging)."""

    EXACT = "exact"
    ALIAS = "alias"
    FUZZY = "fuzzy"
    LLM_INDEX = "llm_index"
    NEW = "new"


@dataclass(frozen=True, slots=True)
class KnownActivity:
    """One activity the person already has: its id, canonical name and learned aliases."""

    id: int
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Resolution:
    """The outcome: link to `activity_id`, or create `name` when `activity_id` is None."""

    name: str
    reason: LinkReason
    activity_id: int | None = None


def fold(text: str) -> str:
    """Case-fold, drop accents and punctuation, collapse whitespace."""
    decomposed = unicodedata.normalize("NFKD", text[:MAX_NAME_CHARS].casefold())
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(_WORD.findall(stripped))


def _strip_fillers(words: list[str]) -> list[str]:
    changed = True
    while changed and len(words) > 1:
        changed = False
        for prefix in _FILLER_PREFIXES:
            if len(words) > len(prefix) and tuple(words[: len(prefix)]) == prefix:
                words = words[len(prefix) :]
                changed = True
                break
    return words


@lru_cache(maxsize=4096)
def _gerund(word: str) -> str:
    """A verb as its gerund ("ran" -> "running"); words with no verb reading stay as they are."""
    verbs = getAllLemmas(word).get("VERB")
    if not verbs:
        return word
    inflected = getInflection(verbs[0], "VBG")
    return inflected[0] if inflected else word


@lru_cache(maxsize=4096)
def _is_word(token: str) -> bool:
    """Whether lemminflect knows the token as an English word."""
    return bool(getAllLemmas(token))


def normalise(text: str) -> str:
    """Canonical key of an activity name or surface form: folded, fillers gone, verbs as gerunds."""
    words = _strip_fillers([word for word in fold(text).split() if not _HAS_DIGIT.search(word)])
    if not words:
        return ""
    words[0] = _gerund(words[0])
    return " ".join(words)


class ActivityResolver:
    """Resolves extracted names against the shipped alias table and the person's activities."""

    def __init__(self, *, aliases: Mapping[str, str], canonical_names: Iterable[str]) -> None:
        canonical = {fold(name) for name in canonical_names}
        self._canonical = frozenset(canonical)
        table: dict[str, str] = {}
        for alias, name in aliases.items():
            for key in {fold(alias), normalise(alias)}:
                if key:
                    table.setdefault(key, fold(name))
        for name in canonical:
            table[name] = name
        self._aliases = table

    def canonical(self, text: str) -> str:
        """The lexicon's canonical name for `text`, else its normalised form."""
        folded = fold(text)
        if folded in self._aliases:
            return self._aliases[folded]
        key = normalise(text)
        if key in self._aliases:
            return self._aliases[key]
        head = key.split(" ", 1)[0]
        # "cooking dinner" is cooking: a known canonical verb followed by its object.
        return head if head in self._canonical else key

    def is_lexicon_name(self, name: str) -> bool:
        """Whether `name` is one of the shipped lexicon's canonical activities."""
        return fold(name) in self._canonical

    def resolve(
        self,
        *,
        name: str,
        surface: str | None,
        known: Sequence[KnownActivity],
        candidate: KnownActivity | None = None,
    ) -> Resolution:
        """Link the extracted activity to one of `known`, or say which new name to create."""
        wanted = self.canonical(name) or self.canonical(surface or "")
        if not wanted:
            return Resolution(name=fold(name) or "unknown", reason=LinkReason.NEW)
        surface_key = self.canonical(surface) if surface else ""

        by_key: dict[str, set[int]] = {}
        for activity in known:
            for form in (activity.name, *activity.aliases):
                for key in {fold(form), self.canonical(form)}:
                    by_key.setdefault(key, set()).add(activity.id)
        for key, reason in ((wanted, LinkReason.EXACT), (surface_key, LinkReason.ALIAS)):
            hits = by_key.get(key, set()) if key else set()
            if len(hits) == 1:
                return Resolution(name=wanted, reason=reason, activity_id=next(iter(hits)))

        fuzzy = self._fuzzy(wanted, known)
        if fuzzy is not None:
            return Resolution(name=wanted, reason=LinkReason.FUZZY, activity_id=fuzzy)
        if candidate is not None and not self._are_siblings(wanted, candidate.name):
            return Resolution(name=wanted, reason=LinkReason.LLM_INDEX, activity_id=candidate.id)
        return Resolution(name=wanted, reason=LinkReason.NEW)

    def same_activity(self, first: str, second: str) -> bool:
        """Whether two names resolve to one activity (used by the labelled pair set)."""
        known = [KnownActivity(id=1, name=self.canonical(first), aliases=(first,))]
        return self.resolve(name=second, surface=second, known=known).activity_id == 1

    def _are_siblings(self, first: str, second: str) -> bool:
        """Two different canonical lexicon names are different activities, full stop."""
        a, b = self.canonical(first), self.canonical(second)
        return a != b and a in self._canonical and b in self._canonical

    def _fuzzy(self, wanted: str, known: Sequence[KnownActivity]) -> int | None:
        """Typos only: a name made of real words ("hardening") is never a misspelling."""
        if len(wanted) < FUZZY_MIN_CHARS or not any(not _is_word(w) for w in wanted.split()):
            return None
        best_id, best_score = None, 0.0
        tie = False
        for activity in known:
            if self._are_siblings(wanted, activity.name):
                continue
            for form in (activity.name, *activity.aliases):
                key = self.canonical(form)
                if len(key) < FUZZY_MIN_CHARS or self._are_siblings(wanted, key):
                    continue
                score = fuzz.ratio(wanted, key)
                if score > best_score:
                    best_id, best_score, tie = activity.id, score, False
                elif score == best_score and activity.id != best_id:
                    tie = True
        if best_id is None or best_score < FUZZY_MIN_SCORE or tie:
            return None
        return best_id
