"""Helpers of the offline extractor's unit tests: extract a text written at a fixed time."""

from __future__ import annotations

from datetime import UTC, datetime

from robonotes.domain.context import ExtractionContext
from robonotes.domain.results import RoboProcessingResult
from robonotes.robo.offline import OfflineRoboService

CREATED = datetime(2026, 3, 14, 21, 30, tzinfo=UTC)


def run(robo: OfflineRoboService, text: str) -> RoboProcessingResult:
    """Extract `text` as a note written on a Saturday at 21:30 UTC."""
    return robo.extract_text(text, ExtractionContext(created_at=CREATED))
