"""Bounded, crash-proof text preparation: sanitising, tokens with offsets, lemmas.

Hostile notes (1 MB, binary, lone surrogates, RTL marks) must cost little: only the first
`MAX_PROCESSED_CHARS` characters are read, and every replacement keeps the length, so offsets into
the sanitised text are offsets into the note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from lemminflect import getAllLemmas

MAX_PROCESSED_CHARS = 12_000
"""A journal entry is rarely longer; the rest of a huge note is not read (bounded work)."""

_SURROGATES = re.compile("[\ud800-\udfff]")
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_TOKEN = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]", re.UNICODE)


def sanitize(text: str) -> str:
    """Cap the length; lone surrogates become U+FFFD and control characters spaces (same length)."""
    capped = text[:MAX_PROCESSED_CHARS]
    return _CONTROLS.sub(" ", _SURROGATES.sub("\ufffd", capped))


@dataclass(frozen=True, slots=True)
class Token:
    """One word or punctuation mark, with its character offsets and its match keys."""

    text: str
    start: int
    end: int
    keys: frozenset[str]

    @property
    def lower(self) -> str:
        """The token case-folded, with a typographic apostrophe made plain."""
        return self.text.lower().replace("’", "'")

    @property
    def is_word(self) -> bool:
        """Letters or digits, not punctuation."""
        return self.text[:1].isalnum() or self.text[:1] == "_"

    @property
    def is_capitalized(self) -> bool:
        """Starts with an upper-case letter (a name, a place, or a sentence start)."""
        return self.text[:1].isupper()


@lru_cache(maxsize=65_536)
def lemmas(word: str) -> frozenset[str]:
    """The lowercase word and every lemma lemminflect knows for it (empty dict when unknown)."""
    lower = word.lower().replace("’", "'")
    found = {lower}
    if lower.isalpha() and len(lower) <= 30:
        for forms in getAllLemmas(lower).values():
            found.update(forms)
    return frozenset(found)


@lru_cache(maxsize=65_536)
def is_known_word(word: str) -> bool:
    """Whether lemminflect's dictionary knows the word (unknown words may be typos)."""
    lower = word.lower()
    return bool(lower.isalpha() and getAllLemmas(lower))


def tokenize(text: str, start: int = 0, end: int | None = None) -> list[Token]:
    """Tokens of text[start:end], offsets relative to the whole text."""
    stop = len(text) if end is None else end
    return [
        Token(text=m.group(), start=m.start(), end=m.end(), keys=lemmas(m.group()))
        for m in _TOKEN.finditer(text, start, stop)
    ]


@lru_cache(maxsize=65_536)
def is_verb(word: str) -> bool:
    """Whether lemminflect knows the word as a verb form ("went", "showed")."""
    lower = word.lower()
    return bool(lower.isalpha() and "VERB" in getAllLemmas(lower))


@lru_cache(maxsize=65_536)
def could_be_name(word: str) -> bool:
    """Unknown to the dictionary or known only as a noun ("tom"): capitalised, maybe a name."""
    lower = word.lower()
    if not lower.isalpha():
        return False
    return set(getAllLemmas(lower)) <= {"NOUN", "PROPN"}


@lru_cache(maxsize=65_536)
def is_inflected_verb(word: str) -> bool:
    """A past or third-person verb form ("made", "cooks", "was"), not a base form ("bike")."""
    lower = word.lower()
    forms = getAllLemmas(lower) if lower.isalpha() else {}
    verb = tuple(forms.get("VERB", ())) + tuple(forms.get("AUX", ()))
    return bool(verb) and lower not in verb
