"""Sentence spans (pysbd) and clause segments inside a sentence.

pysbd grows worse than linearly with the number of sentences in one call, so the text is cut into
paragraphs and chunks of at most `CHUNK_CHARS` first; each chunk costs a few milliseconds.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache

import pysbd

from robonotes.robo.offline.text import Token

CHUNK_CHARS = 1_500
_PARAGRAPH = re.compile(r"[^\n]+")
_SOFT_BREAK = re.compile(r"(?<=[.!?…])\s+|\s+(?=[-*•]\s)")

STRONG_BOUNDARY_WORDS = frozenset({"then", "afterwards", "afterward", "later", "but", "finally"})
"""Words after which a new experience starts even when the activity is the same."""
WEAK_BOUNDARY_WORDS = frozenset({"and", "so", "because", "plus", "also", "while", "although"})
BOUNDARY_PUNCTUATION = frozenset(
    {",", ";", ":", "—", "–", "(", ")", "!", "?", "&", "/", ".", "…", '"', "“", "”", "[", "]"}
)


@dataclass(frozen=True, slots=True)
class Segment:
    """Tokens between clause boundaries; `strong` when the boundary before it is strong."""

    tokens: tuple[Token, ...]
    strong: bool
    lo: int
    hi: int

    @property
    def start(self) -> int:
        """Offset of the first token."""
        return self.tokens[0].start

    @property
    def end(self) -> int:
        """Offset just past the last token."""
        return self.tokens[-1].end


@cache
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False, char_span=True)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, in order, trimmed of surrounding whitespace."""
    spans: list[tuple[int, int]] = []
    for paragraph in _PARAGRAPH.finditer(text):
        for chunk_start, chunk_end in _chunks(paragraph.start(), paragraph.end(), text):
            chunk = text[chunk_start:chunk_end]
            try:
                pieces = [(s.start, s.end) for s in _segmenter().segment(chunk)]
            except Exception:  # pysbd has crashed on odd input; a chunk is then one sentence
                pieces = [(0, len(chunk))]
            for start, end in pieces:
                span = _trim(text, chunk_start + start, chunk_start + end)
                if span is not None:
                    spans.append(span)
    return spans


def _chunks(start: int, end: int, text: str) -> list[tuple[int, int]]:
    if end - start <= CHUNK_CHARS:
        return [(start, end)]
    chunks: list[tuple[int, int]] = []
    cursor = start
    for match in _SOFT_BREAK.finditer(text, start, end):
        if match.start() - cursor >= CHUNK_CHARS // 2:
            chunks.extend(_hard_cut(cursor, match.start()))
            cursor = match.end()
    chunks.extend(_hard_cut(cursor, end))
    return chunks


def _hard_cut(start: int, end: int) -> list[tuple[int, int]]:
    return [(s, min(s + CHUNK_CHARS, end)) for s in range(start, end, CHUNK_CHARS)]


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def split_segments(tokens: list[Token]) -> list[Segment]:
    """Cut a sentence's tokens into clause segments at conjunctions and punctuation.

    Boundary tokens belong to no segment; `lo`/`hi` index the sentence's tokens so a caller can
    take a whole run of segments with the words between them. "and then", "; " and ", then" are
    strong boundaries.
    """
    segments: list[Segment] = []
    lo: int | None = None
    strong_next = False
    strong_pending = False

    def close(hi: int) -> None:
        nonlocal lo, strong_next
        if lo is not None:
            segments.append(Segment(tokens=tuple(tokens[lo:hi]), strong=strong_next, lo=lo, hi=hi))
        lo = None
        strong_next = False

    for index, token in enumerate(tokens):
        word = token.lower
        if _joins_names(tokens, index) or (
            token.text == "/" and index > 0 and tokens[index - 1].lower in {"w", "b"}
        ):
            continue
        if token.text in BOUNDARY_PUNCTUATION or word in WEAK_BOUNDARY_WORDS or _is_symbol(token):
            close(index)
            strong_pending = strong_pending or word == ";"
            continue
        if word in STRONG_BOUNDARY_WORDS:
            close(index)
            strong_pending = True
            continue
        if lo is None:
            lo = index
            strong_next = strong_pending
            strong_pending = False
    close(len(tokens))
    return segments


_NAME_JOINERS = frozenset({"and", "&", ",", "n"})


def _joins_names(tokens: list[Token], index: int) -> bool:
    """ "Yuto and Hana", "Mom, Papa", "me n Dev": a conjunction inside a list of people is no
    clause break."""
    if tokens[index].lower not in _NAME_JOINERS or index == 0 or index + 1 >= len(tokens):
        return False
    before, after = tokens[index - 1], tokens[index + 1]
    if before.lower == "me" and after.is_word and after.lower not in {"i", "then"}:
        return after.is_capitalized or not after.text[:1].isdigit()
    return (
        before.is_word
        and after.is_word
        and before.is_capitalized
        and after.is_capitalized
        and index > 1
        and after.lower != "i"
    )


def _is_symbol(token: Token) -> bool:
    """An emoji or pictograph: writers use them between clauses ("brunch 🥞 she's moving")."""
    return len(token.text) == 1 and unicodedata.category(token.text) in {"So", "Sk", "Mn", "Cf"}


def bare_segments(segments: Sequence[Segment], starts: Iterable[int]) -> Iterator[Segment]:
    """The segments in which none of `starts` (token offsets of found mentions) falls."""
    taken = list(starts)
    for segment in segments:
        if not any(segment.lo <= at < segment.hi for at in taken):
            yield segment
