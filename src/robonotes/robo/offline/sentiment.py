"""Valence (vaderSentiment's compound score) and named emotions of a moment's words."""

from __future__ import annotations

import re
from functools import cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

EMOTIONS: dict[str, str] = {
    "happy": "happy", "glad": "happy", "great": "happy", "awesome": "happy", "amazing": "happy",
    "fun": "happy", "lovely": "happy", "wonderful": "happy", "fantastic": "happy",
    "joy": "happy", "joyful": "happy", "delighted": "happy", "stoked": "happy", "😊": "happy",
    "🙂": "happy", "😄": "happy", "😀": "happy", "😁": "happy", "🥰": "happy", "❤️": "happy",
    "tired": "tired", "exhausted": "tired", "wiped": "tired", "sleepy": "tired",
    "drained": "tired", "knackered": "tired", "beat": "tired", "shattered": "tired",
    "😴": "tired", "proud": "proud", "accomplished": "proud", "💪": "proud",
    "relaxed": "relaxed", "calm": "relaxed", "peaceful": "relaxed", "chill": "relaxed",
    "rested": "relaxed", "refreshed": "relaxed", "serene": "relaxed",
    "stressed": "stressed", "anxious": "anxious", "nervous": "anxious", "worried": "anxious",
    "overwhelmed": "stressed", "tense": "stressed", "sad": "sad", "down": "sad",
    "lonely": "lonely", "miserable": "sad", "upset": "sad", "😢": "sad", "😭": "sad",
    "angry": "angry", "mad": "angry", "furious": "angry", "annoyed": "frustrated",
    "frustrated": "frustrated", "irritated": "frustrated", "😡": "angry",
    "excited": "excited", "thrilled": "excited", "pumped": "excited", "🎉": "excited",
    "grateful": "grateful", "thankful": "grateful", "blessed": "grateful",
    "bored": "bored", "boring": "bored", "sore": "sore", "energized": "energized",
    "energised": "energized", "motivated": "motivated", "content": "content",
    "satisfied": "content", "nostalgic": "nostalgic", "guilty": "guilty", "scared": "afraid",
    "afraid": "afraid", "embarrassed": "embarrassed", "hopeful": "hopeful",
}  # fmt: skip
_TOKENS = re.compile(r"\w+|[^\w\s]", re.UNICODE)
_NEGATORS = frozenset({"not", "never", "no", "wasn't", "isn't", "didn't", "don't", "hardly"})
MAX_SENTIMENT_CHARS = 2_000


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def valence(text: str) -> float | None:
    """Compound sentiment in [-1, 1], rounded; None for text with no words."""
    if not any(ch.isalnum() for ch in text):
        return None
    score = float(_analyzer().polarity_scores(text[:MAX_SENTIMENT_CHARS])["compound"])
    return round(max(-1.0, min(1.0, score)), 3)


def emotions(text: str) -> tuple[str, ...]:
    """Named emotions in order of first mention; a negated word ("not tired") is skipped."""
    words = [w.lower() for w in _TOKENS.findall(text[:MAX_SENTIMENT_CHARS])]
    found: list[str] = []
    for i, word in enumerate(words):
        emotion = EMOTIONS.get(word)
        if emotion is None or emotion in found:
            continue
        if any(w in _NEGATORS for w in words[max(0, i - 2) : i]):
            continue
        found.append(emotion)
    return tuple(found[:10])
