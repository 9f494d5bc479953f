"""One call to the real OpenAI API; runs only when OPENAI_API_KEY is set (never in plain CI)."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest

from robonotes.domain.context import ExtractionContext
from robonotes.domain.notes import NoteData, content_hash
from robonotes.domain.results import CallOutcome
from robonotes.robo.openai_service import OpenAIService

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not os.environ.get("OPENAI_API_KEY"), reason="OPENAI_API_KEY is not set"),
]
BODY = "Ran 5 km with Sam along the river this morning. Skipped yoga. Tonight I cooked risotto."
NOTE_TIME = datetime(2026, 3, 14, 21, 0, tzinfo=UTC)


async def test_live_openai_extracts_with_strict_schema_and_reports_usage() -> None:
    service = OpenAIService(
        api_key=os.environ["OPENAI_API_KEY"],
        model=os.environ.get("ROBONOTES_OPENAI_MODEL", "gpt-4o-mini"),
        base_url=os.environ.get("ROBONOTES_OPENAI_BASE_URL"),
        timeout_s=60,
    )
    note = NoteData(
        id=1,
        user_id=1,
        title=None,
        body=BODY,
        version=1,
        content_hash=content_hash(None, BODY),
        created_at=NOTE_TIME,
        updated_at=NOTE_TIME,
    )
    try:
        result = await service.extract(note, ExtractionContext(created_at=NOTE_TIME))
    finally:
        await service.aclose()

    names = {activity.name for activity in result.activities}
    assert "running" in names
    assert "yoga" not in names  # negated: "skipped yoga"
    assert result.usage.prompt_tokens > 0
    assert result.calls[-1].outcome is CallOutcome.OK
    assert result.calls[-1].request_id
