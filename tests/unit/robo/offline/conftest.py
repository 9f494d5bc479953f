"""Shared fixtures of the offline extractor's unit tests: one extractor per module."""

from __future__ import annotations

import pytest

from robonotes.robo.offline import OfflineRoboService


@pytest.fixture(scope="module")
def robo() -> OfflineRoboService:
    """Building the lexicon and NLP pipelines once a module keeps the tests quick."""
    return OfflineRoboService()
