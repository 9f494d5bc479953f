"""Find activity mentions in tokens with the lexicon: lemmas, multi-word patterns, typos.

A pattern token matches a note token when it equals the token's lowercase form or one of its
lemmas ("ran" ~ "run"). Multi-word patterns may skip up to `MAX_GAP` words between their tokens
("lifted some heavy weights" ~ "lift weights") but never a clause boundary. Longer patterns win
over shorter ones on the same words ("worked out" is working out, not working). An unknown word
close to a lexicon word is read as that word ("jogd" ~ "jogged"); known words are never changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from lemminflect import getAllInflections
from rapidfuzz import fuzz, process

from robonotes.robo.offline.lexicon import Lexicon, LexiconActivity
from robonotes.robo.offline.sentences import (
    BOUNDARY_PUNCTUATION,
    STRONG_BOUNDARY_WORDS,
    WEAK_BOUNDARY_WORDS,
)
from robonotes.robo.offline.text import Token, is_known_word, is_verb, lemmas, tokenize

MAX_GAP = 2
TYPO_MIN_CHARS = 4
TYPO_MIN_SCORE = 80.0
TYPO_SHORT_MIN_SCORE = 85.0
"""Short words need a closer match: "jogd" is "jog" (86), "mara" is not "mantra" (80)."""

CHAT_WORDS = frozenset(
    ["haha", "hahaha", "hehe", "lmao", "lmfao", "rofl", "ngl", "tbh", "idk", "imo", "omg",
     "smh", "ughh", "yess", "nooo", "sooo", "soooo", "gonna", "wanna", "gotta", "kinda", "sorta",
     "dunno", "innit", "aye", "naw", "wee", "yeah", "yep", "nah"]
)  # fmt: skip
"""Texting words no dictionary knows; never read as a typo ("haha" is not "hatha")."""

Pattern = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Mention:
    """One matched activity: tokens [lo, hi) of the sentence that trigger it."""

    activity: LexiconActivity
    lo: int
    hi: int
    size: int

    def surface(self, tokens: Sequence[Token], text: str) -> str:
        """The matched words as written."""
        return text[tokens[self.lo].start : tokens[self.hi - 1].end]


@dataclass(frozen=True, slots=True)
class _Compiled:
    by_first: dict[str, tuple[tuple[Pattern, LexiconActivity], ...]]
    excludes: dict[str, tuple[Pattern, ...]]
    vocabulary: tuple[str, ...]


def _pattern(form: str) -> Pattern:
    return tuple(t.lower for t in tokenize(form))


def _compile(lexicon: Lexicon) -> _Compiled:
    by_first: dict[str, list[tuple[Pattern, LexiconActivity]]] = {}
    excludes: dict[str, tuple[Pattern, ...]] = {}
    vocabulary: dict[str, None] = {}
    for activity in lexicon.activities:
        for form in activity.forms:
            pattern = _pattern(form)
            if not pattern:
                continue
            by_first.setdefault(pattern[0], []).append((pattern, activity))
            for word in pattern:
                vocabulary[word] = None
            if len(pattern) == 1 and form in activity.verbs:
                for inflections in getAllInflections(pattern[0], upos="VERB").values():
                    vocabulary.update(dict.fromkeys(inflections))
        excludes[activity.name] = tuple(p for p in map(_pattern, activity.exclude) if p)
    words = tuple(w for w in vocabulary if w.isalpha() and len(w) >= TYPO_MIN_CHARS - 1)
    return _Compiled(
        by_first={k: tuple(v) for k, v in by_first.items()},
        excludes=excludes,
        vocabulary=words,
    )


def _is_gap_word(token: Token) -> bool:
    word = token.lower
    return (
        token.is_word
        and token.text not in BOUNDARY_PUNCTUATION
        and word not in STRONG_BOUNDARY_WORDS
        and word not in WEAK_BOUNDARY_WORDS
    )


def _matches(word: str, token: Token) -> bool:
    """A pattern word against a token; "#" stands for any number ("drew 1" is a score)."""
    if word == "#":
        return token.text[:1].isdigit()
    return word in token.keys


def _match_at(tokens: Sequence[Token], start: int, pattern: Pattern) -> int | None:
    """End index (exclusive) when `pattern` matches from tokens[start], else None."""
    if not _matches(pattern[0], tokens[start]):
        return None
    index = start + 1
    for word in pattern[1:]:
        gap = 0
        while index < len(tokens) and not _matches(word, tokens[index]):
            if gap >= MAX_GAP or not _is_gap_word(tokens[index]):
                return None
            gap += 1
            index += 1
        if index >= len(tokens):
            return None
        index += 1
    return index


class ActivityMatcher:
    """The lexicon compiled for matching; build once, use for every note."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self._compiled = _compile(lexicon)

    def correct_typos(self, tokens: Sequence[Token]) -> list[Token]:
        """Tokens, with unknown lower-case words close to a lexicon word given its lemmas."""
        return _correct_typos(tokens, self._compiled.vocabulary)

    def find_mentions(self, tokens: Sequence[Token]) -> list[Mention]:
        """Non-overlapping activity mentions, longest pattern first, in text order."""
        return _find_mentions(tokens, self._compiled)


def _correct_typos(tokens: Sequence[Token], vocabulary: tuple[str, ...]) -> list[Token]:
    fixed: list[Token] = []
    for token in tokens:
        word = token.lower
        if (
            len(word) >= TYPO_MIN_CHARS
            and len(word) <= 20
            and word.isalpha()
            and not token.is_capitalized
            and not is_known_word(word)
            and word not in vocabulary
            and word not in CHAT_WORDS
        ):
            cutoff = TYPO_SHORT_MIN_SCORE if len(word) <= 5 else TYPO_MIN_SCORE
            best = process.extractOne(word, vocabulary, scorer=fuzz.ratio, score_cutoff=cutoff)
            if best is not None:
                token = replace(token, keys=token.keys | lemmas(best[0]))
        fixed.append(token)
    return fixed


def _find_mentions(tokens: Sequence[Token], compiled: _Compiled) -> list[Mention]:
    found: list[Mention] = []
    for start, token in enumerate(tokens):
        if not token.is_word:
            continue
        keys = sorted(token.keys) + (["#"] if token.text[:1].isdigit() else [])
        for key in keys:
            for pattern, activity in compiled.by_first.get(key, ()):
                end = _match_at(tokens, start, pattern)
                if end is not None:
                    found.append(Mention(activity=activity, lo=start, hi=end, size=len(pattern)))
    found.sort(key=lambda m: (-m.size, m.lo, m.hi, m.activity.name))
    taken: list[Mention] = []
    for mention in found:
        if any(m.lo < mention.hi and mention.lo < m.hi for m in taken):
            continue
        if _inside_proper_name(tokens, mention.lo):
            continue
        if _excluded(tokens, mention, compiled.excludes.get(mention.activity.name, ())):
            continue
        taken.append(mention)
    taken.sort(key=lambda m: m.lo)
    return taken


def _excluded(tokens: Sequence[Token], mention: Mention, patterns: tuple[Pattern, ...]) -> bool:
    """Whether an exclude phrase of the activity covers the mention ("ran into Sam")."""
    for pattern in patterns:
        for start in range(max(0, mention.lo - len(pattern) - MAX_GAP), mention.hi):
            end = _match_at(tokens, start, pattern)
            if end is not None and start < mention.hi and mention.lo < end:
                return True
    return False


def _inside_proper_name(tokens: Sequence[Token], i: int) -> bool:
    """ "Boulder Reservoir", "Bolder Boulder 10k": a capitalised run names a thing, not an act."""
    token = tokens[i]
    if not token.is_capitalized or token.text.isupper():
        return False
    before = tokens[i - 1] if i > 0 else None
    after = tokens[i + 1] if i + 1 < len(tokens) else None
    if i == 0:
        return after is not None and after.is_capitalized and not is_verb(token.lower)
    return bool(
        (before is not None and before.is_word and before.is_capitalized and i > 1)
        or (
            after is not None
            and after.is_word
            and after.is_capitalized
            and not after.text.isupper()
        )
    )
