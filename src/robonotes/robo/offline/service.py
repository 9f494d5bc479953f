"""`OfflineRoboService`: the RoboService that needs no key, no network and no tokens."""

from __future__ import annotations

import time

from robonotes.domain.context import ExtractionContext
from robonotes.domain.notes import NoteData
from robonotes.domain.results import RoboProcessingResult, TokenUsage
from robonotes.robo.offline.extractor import OfflineExtractor
from robonotes.robo.offline.lexicon import Lexicon, load_lexicon

OFFLINE_PROVIDER = "offline"
OFFLINE_MODEL = "heuristic-1"
OFFLINE_PROMPT_VERSION = "offline-1"


class OfflineRoboService:
    """Deterministic heuristic extraction: the same note gives the same result every run."""

    def __init__(self, *, lexicon: Lexicon | None = None) -> None:
        self._extractor = OfflineExtractor(lexicon or load_lexicon())

    @property
    def name(self) -> str:
        """Provider name recorded with every result."""
        return OFFLINE_PROVIDER

    @property
    def model(self) -> str:
        """Version of the heuristics, in the place an LLM's model name goes."""
        return OFFLINE_MODEL

    async def extract(self, note: NoteData, context: ExtractionContext) -> RoboProcessingResult:
        """Moments and activities of the note; zero tokens, zero cost, never raises on content."""
        started = time.perf_counter()
        found = self._extractor.extract(note.text, context)
        return RoboProcessingResult(
            activities=found.activities,
            moments=found.moments,
            provider=OFFLINE_PROVIDER,
            model=OFFLINE_MODEL,
            prompt_version=OFFLINE_PROMPT_VERSION,
            usage=TokenUsage(),
            latency_ms=round((time.perf_counter() - started) * 1000, 3),
        )

    def extract_text(self, text: str, context: ExtractionContext) -> RoboProcessingResult:
        """The same extraction for bare text (evaluation, `robonotes extract`), synchronously."""
        found = self._extractor.extract(text, context)
        return RoboProcessingResult(
            activities=found.activities,
            moments=found.moments,
            provider=OFFLINE_PROVIDER,
            model=OFFLINE_MODEL,
            prompt_version=OFFLINE_PROMPT_VERSION,
        )
