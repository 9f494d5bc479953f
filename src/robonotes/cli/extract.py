"""`robonotes extract [--provider offline|openai] [FILE|-]`: run Robo over JSONL notes, print JSONL.

Input: one JSON object a line with `text` and optionally `id`, `title`, `created_at` (ISO 8601),
`time_zone` and `user`. Output: one JSON object a line, in input order:

    {"id", "activities": [{"name", "surface", "category", "object", "duration_minutes",
      "quantity", "evidence"}], "moments": [{"title", "summary", "status", "time": {"text",
      "start", "end", "part_of_day"}, "people", "place", "emotions", "valence", "activities",
      "evidence"}], "usage": {provider, model, prompt_version, tokens, calls, dropped_items}}

A line that cannot be read, a note Robo must skip, or a Robo failure gives
`{"id", "line", "error": {"type", "message"}}` (plus "usage" when tokens were spent) and the run
goes on; the exit code is 0 unless the input itself cannot be opened or the provider cannot be
built. Nothing is stored: no database, no ledger. Keys come in a fixed order and latency is left
out, so the same input and provider answers give byte-identical output.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO

import typer

from robonotes.bootstrap import Container
from robonotes.cli.common import EXIT_USAGE, fail, run
from robonotes.cli.jsonl import LineError, NoteLine, iter_lines, max_line_bytes, parse_line
from robonotes.config import Settings
from robonotes.domain.context import ExtractionContext
from robonotes.domain.exceptions import RoboError, RoboNotesError
from robonotes.domain.notes import NoteData, content_hash
from robonotes.domain.results import RoboCall, RoboProcessingResult, TokenUsage
from robonotes.domain.validation import skip_reason
from robonotes.services.ports import RoboService

MAX_ID_CHARS = 200
CLI_USER_ID = 0
"""Notes read from a file belong to nobody in the database; Robo only needs a number."""


class Provider(StrEnum):
    """Which RoboService the Container builds."""

    OFFLINE = "offline"
    OPENAI = "openai"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _usage(
    *,
    provider: str,
    model: str,
    prompt_version: str | None,
    calls: tuple[RoboCall, ...],
    usage: TokenUsage,
    dropped_items: int,
) -> dict[str, Any]:
    return {
        "provider": provider,
        "model": model,
        "prompt_version": prompt_version,
        "prompt_tokens": usage.prompt_tokens,
        "cached_tokens": usage.cached_tokens,
        "completion_tokens": usage.completion_tokens,
        "reasoning_tokens": usage.reasoning_tokens,
        "total_tokens": usage.total_tokens,
        "calls": len(calls),
        "dropped_items": dropped_items,
    }


def result_object(note_id: object, result: RoboProcessingResult) -> dict[str, Any]:
    """The output object of one note, in the issue's shape plus "usage"."""
    return {
        "id": note_id,
        "activities": [
            {
                "name": a.name,
                "surface": a.surface,
                "category": a.category,
                "object": a.object,
                "duration_minutes": a.duration_minutes,
                "quantity": (
                    {"value": a.quantity.value, "unit": a.quantity.unit, "text": a.quantity.text}
                    if a.quantity
                    else None
                ),
                "evidence": a.evidence,
            }
            for a in result.activities
        ],
        "moments": [
            {
                "title": m.title,
                "summary": m.summary,
                "status": m.status.value,
                "time": {
                    "text": m.time.text,
                    "start": _iso(m.time.start),
                    "end": _iso(m.time.end),
                    "part_of_day": m.time.part_of_day.value if m.time.part_of_day else None,
                },
                "people": list(m.people),
                "place": m.place,
                "emotions": list(m.emotions),
                "valence": m.valence,
                "activities": list(m.activities),
                "evidence": m.evidence,
            }
            for m in result.moments
        ],
        "usage": _usage(
            provider=result.provider,
            model=result.model,
            prompt_version=result.prompt_version,
            calls=result.calls,
            usage=result.usage,
            dropped_items=result.dropped_items,
        ),
    }


def error_object(
    note_id: object, *, line_no: int, kind: str, message: str, usage: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The output object of a line that gave no extraction."""
    obj: dict[str, Any] = {
        "id": note_id,
        "line": line_no,
        "error": {"type": kind, "message": message[:500]},
    }
    if usage is not None:
        obj["usage"] = usage
    return obj


def best_effort_id(raw: bytes | None) -> object:
    """The line's `id` as written (string or integer) when the line is a JSON object, else None."""
    if raw is None:
        return None
    try:
        data = json.loads(raw.decode("utf-8", "replace"))
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    value = data.get("id")
    if isinstance(value, str):
        return value[:MAX_ID_CHARS]
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def _note(line: NoteLine, *, now: datetime) -> tuple[NoteData, ExtractionContext]:
    created_at = line.created_at or now
    note = NoteData(
        id=line.line_no,
        user_id=CLI_USER_ID,
        title=line.title,
        body=line.text,
        version=1,
        content_hash=content_hash(line.title, line.text),
        created_at=created_at,
        updated_at=created_at,
        time_zone=line.time_zone,
    )
    context = ExtractionContext(
        created_at=created_at,
        time_zone=line.time_zone,
        note_id=note.id,
        note_version=1,
        user_id=CLI_USER_ID,
    )
    return note, context


async def extract_one(
    robo: RoboService, *, line_no: int, raw: bytes | None, max_note_chars: int, now: datetime
) -> dict[str, Any] | None:
    """The output object for one input line (None for a blank line)."""
    note_id = best_effort_id(raw)
    if raw is None:
        return error_object(
            note_id, line_no=line_no, kind="invalid_line", message="the line is too long"
        )
    try:
        line = parse_line(raw, line_no=line_no)
    except LineError as exc:
        return error_object(note_id, line_no=line_no, kind="invalid_line", message=str(exc))
    if line is None:
        return None
    note, context = _note(line, now=now)
    reason = skip_reason(note.text, max_chars=max_note_chars)
    if reason is not None:
        return error_object(note_id, line_no=line_no, kind="skipped", message=reason.message)
    try:
        result = await robo.extract(note, context)
    except RoboError as exc:
        calls = exc.calls
        usage = TokenUsage()
        for call in calls:
            usage = usage + call.usage
        return error_object(
            note_id,
            line_no=line_no,
            kind=type(exc).__name__,
            message=str(exc) or type(exc).__name__,
            usage=_usage(
                provider=robo.name,
                model=robo.model,
                prompt_version=None,
                calls=calls,
                usage=usage,
                dropped_items=0,
            ),
        )
    except RoboNotesError as exc:
        return error_object(
            note_id, line_no=line_no, kind=type(exc).__name__, message=str(exc)[:500]
        )
    return result_object(note_id, result)


def _batches(
    lines: Iterator[tuple[int, bytes | None]], size: int
) -> Iterator[list[tuple[int, bytes | None]]]:
    batch: list[tuple[int, bytes | None]] = []
    for item in lines:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


async def extract_stream(
    container: Container, stream: BinaryIO, *, concurrency: int, write: Any
) -> int:
    """Extract every line of `stream`, `concurrency` at a time, writing results in input order."""
    robo = container.robo
    max_chars = container.settings.max_note_chars
    limit = max_line_bytes(max_chars)
    written = 0
    for batch in _batches(iter_lines(stream, limit_bytes=limit), concurrency):
        now = datetime.now(UTC)
        objects = await asyncio.gather(
            *(
                extract_one(robo, line_no=no, raw=raw, max_note_chars=max_chars, now=now)
                for no, raw in batch
            )
        )
        for obj in objects:
            if obj is not None:
                write(json.dumps(obj, ensure_ascii=False) + "\n")
                written += 1
    return written


def extract(
    source: str = typer.Argument("-", help="A JSONL file of notes, or - for standard input."),
    provider: Provider | None = typer.Option(
        None, "--provider", help="offline or openai (default: ROBONOTES_ROBO_PROVIDER, auto)."
    ),
    concurrency: int = typer.Option(
        4, "--concurrency", min=1, max=64, help="Notes extracted at once (output stays in order)."
    ),
) -> None:
    """Extract moments and activities from JSONL notes and print one JSON object per line."""
    settings = Settings(robo_provider=provider.value) if provider else Settings()

    def write(text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    stream: BinaryIO
    if source == "-":
        stream = sys.stdin.buffer
    else:
        path = Path(source)
        try:
            stream = path.open("rb")
        except FileNotFoundError:
            fail(f"{path} does not exist", code=EXIT_USAGE)
        except IsADirectoryError:
            fail(f"{path} is a directory", code=EXIT_USAGE)
        except OSError as exc:
            fail(f"cannot read {path}: {exc.strerror}", code=EXIT_USAGE)

    async def work(container: Container) -> None:
        await extract_stream(container, stream, concurrency=concurrency, write=write)

    try:
        run(work, settings=settings)
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def register(app: typer.Typer) -> None:
    """Add `extract` to the `robonotes` command."""
    app.command("extract")(extract)
