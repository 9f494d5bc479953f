"""`robonotes eval GOLD.jsonl`: run a provider over annotated notes and score it (docs/quality.md).

The scoring itself lives in `robonotes.services.evaluation` (pure, tested on its own); this
module only reads files, runs the provider the Container builds, and prints. A note the
provider fails on scores as an empty prediction and is counted under `errors`: the run goes
on, and only unusable input (a missing or malformed gold file) exits non-zero.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from robonotes.bootstrap import Container
from robonotes.cli.common import EXIT_USAGE, err, fail, out, run
from robonotes.cli.jsonl import zone_for_offset
from robonotes.config import Settings
from robonotes.domain.context import ExtractionContext
from robonotes.domain.notes import NoteData, content_hash
from robonotes.domain.results import TokenUsage
from robonotes.services.evaluation import (
    EvaluationReport,
    GoldFormatError,
    GoldNote,
    NoteScore,
    Prediction,
    PredictionFormatError,
    evaluate,
    parse_gold_lines,
    prediction_from_json,
    prediction_from_result,
)

MAX_GOLD_BYTES = 64 * 1024 * 1024
"""A gold set is hand-written; anything larger is a mistake, not a gold set."""


class Provider(StrEnum):
    """Which RoboService the Container builds for the run."""

    OFFLINE = "offline"
    OPENAI = "openai"


def read_jsonl_text(path: Path) -> list[str]:
    """The lines of a UTF-8 file, or a usage error naming the problem."""
    try:
        if path.stat().st_size > MAX_GOLD_BYTES:
            fail(f"{path} is larger than {MAX_GOLD_BYTES} bytes", code=EXIT_USAGE)
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        fail(f"{path} does not exist", code=EXIT_USAGE)
    except IsADirectoryError:
        fail(f"{path} is a directory", code=EXIT_USAGE)
    except UnicodeDecodeError as exc:
        fail(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})", code=EXIT_USAGE)
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}", code=EXIT_USAGE)


def load_gold(path: Path) -> list[GoldNote]:
    """Parse and validate a gold file; a bad file is a usage error."""
    try:
        notes = parse_gold_lines(read_jsonl_text(path))
    except GoldFormatError as exc:
        fail(f"{path}: {exc}", code=EXIT_USAGE)
    if not notes:
        fail(f"{path} holds no gold notes", code=EXIT_USAGE)
    return notes


def load_predictions(path: Path) -> dict[str, Prediction]:
    """Read a `robonotes extract` output file into predictions by note id."""
    predictions: dict[str, Prediction] = {}
    for line_no, line in enumerate(read_jsonl_text(path), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            note_id = obj.get("id") if isinstance(obj, dict) else None
            if note_id is None:
                raise PredictionFormatError("missing 'id'")
            predictions[str(note_id)] = prediction_from_json(obj)
        except (json.JSONDecodeError, RecursionError, PredictionFormatError) as exc:
            fail(f"{path}: line {line_no}: {exc}", code=EXIT_USAGE)
    return predictions


def gold_as_note(gold: GoldNote, *, note_id: int, user_id: int) -> NoteData:
    """The gold note as the provider sees a stored note (no title, body = text)."""
    return NoteData(
        id=note_id,
        user_id=user_id,
        title=None,
        body=gold.text,
        version=1,
        content_hash=content_hash(None, gold.text),
        created_at=gold.created_at,
        updated_at=gold.created_at,
        time_zone=zone_for_offset(gold.created_at),
    )


@dataclass(frozen=True, slots=True)
class ProviderRun:
    """What running a provider over the gold notes gave, and what it cost."""

    predictions: list[Prediction]
    provider: str
    model: str
    usage: TokenUsage = field(default_factory=TokenUsage)
    latency_ms: float = 0.0

    def usage_json(self) -> dict[str, object]:
        """Tokens and time spent, for `--json`."""
        return {
            "prompt_tokens": self.usage.prompt_tokens,
            "cached_tokens": self.usage.cached_tokens,
            "completion_tokens": self.usage.completion_tokens,
            "total_tokens": self.usage.total_tokens,
            "latency_ms_total": round(self.latency_ms, 1),
        }


async def predict_all(
    container: Container,
    notes: list[GoldNote],
    *,
    concurrency: int,
    show_progress: bool,
) -> ProviderRun:
    """Run the Container's RoboService over every note, a few at a time, with a progress bar."""
    try:
        robo = container.robo
    except NotImplementedError as exc:
        fail(f"this Robo provider is not available yet: {exc}")
    user_ids = {user: i for i, user in enumerate(sorted({n.user for n in notes}), start=1)}
    limit = asyncio.Semaphore(concurrency)
    predictions: list[Prediction | None] = [None] * len(notes)
    spent: list[tuple[TokenUsage, float]] = []

    with Progress(
        TextColumn(f"evaluating {escape(robo.name)}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not show_progress,
    ) as progress:
        task = progress.add_task("eval", total=len(notes))

        async def one(index: int, gold: GoldNote) -> None:
            note = gold_as_note(gold, note_id=index + 1, user_id=user_ids[gold.user])
            context = ExtractionContext(
                created_at=gold.created_at.astimezone(UTC),
                time_zone=note.time_zone,
                note_id=note.id,
                note_version=note.version,
                user_id=note.user_id,
            )
            async with limit:
                try:
                    result = await robo.extract(note, context)
                    predictions[index] = prediction_from_result(result)
                    spent.append((result.usage, result.latency_ms))
                except Exception as exc:  # a provider bug must not lose the other notes' scores
                    predictions[index] = Prediction(error=f"{type(exc).__name__}: {exc}")
            progress.advance(task)

        await asyncio.gather(*(one(i, gold) for i, gold in enumerate(notes)))
    done = [p if p is not None else Prediction(error="not run") for p in predictions]
    return ProviderRun(
        predictions=done,
        provider=robo.name,
        model=robo.model,
        usage=sum((u for u, _ in spent), TokenUsage()),
        latency_ms=sum(ms for _, ms in spent),
    )


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def report_table(report: EvaluationReport, *, title: str) -> Table:
    """The figures as a rich table."""
    table = Table(title=title, title_justify="left")
    table.add_column("metric")
    table.add_column("precision", justify="right")
    table.add_column("recall", justify="right")
    table.add_column("F1 / accuracy", justify="right")
    table.add_column("counts", justify="right")
    for label, prf in (("activities", report.activities), ("moments", report.moments)):
        table.add_row(
            label,
            _pct(prf.precision),
            _pct(prf.recall),
            _pct(prf.f1),
            f"tp {prf.tp} fp {prf.fp} fn {prf.fn}",
        )
    for label, acc in (
        ("people", report.people),
        ("part of day", report.part_of_day),
        ("place", report.place),
    ):
        table.add_row(label, "", "", _pct(acc.value), f"{acc.correct}/{acc.total}")
    table.caption = (
        f"{report.notes} notes, {report.errors} provider errors; people, part of day (where gold "
        "has one) and place are accuracy on matched moments"
    )
    return table


def note_errors_json(score: NoteScore) -> dict[str, Any]:
    """One note's misses for `--json --errors`."""
    return {
        "id": score.note_id,
        "error": score.error,
        "missed_activities": list(score.missed_activities),
        "spurious_activities": list(score.spurious_activities),
        "missed_moments": list(score.missed_moments),
        "spurious_moments": list(score.spurious_moments),
        "attribute_misses": [
            {"evidence": m.evidence, "field": m.field, "gold": m.gold, "predicted": m.predicted}
            for m in score.attribute_misses
        ],
    }


def print_note_errors(report: EvaluationReport, texts: dict[str, str]) -> None:
    """A readable list of every note that was not scored perfectly."""
    for score in report.per_note:
        if score.is_perfect:
            continue
        out.print(f"[bold]{escape(score.note_id)}[/] {escape(texts.get(score.note_id, '')[:90])}")
        if score.error:
            out.print(f"  [red]provider error:[/] {escape(score.error)}")
        for name in score.missed_activities:
            out.print(f"  [yellow]missed activity[/] {escape(name)}")
        for name in score.spurious_activities:
            out.print(f"  [magenta]spurious activity[/] {escape(name)}")
        for evidence in score.missed_moments:
            out.print(f"  [yellow]missed moment[/] {escape(evidence)!r}")
        for evidence in score.spurious_moments:
            out.print(f"  [magenta]spurious moment[/] {escape(evidence)!r}")
        for miss in score.attribute_misses:
            out.print(
                f"  [cyan]{miss.field}[/] gold {escape(miss.gold)} predicted "
                f"{escape(miss.predicted)} ({escape(miss.evidence[:50])!r})"
            )


def eval_command(
    gold: Path = typer.Argument(..., help="Gold JSONL file (see docs/quality.md)."),
    provider: Provider | None = typer.Option(
        None, "--provider", help="Robo provider to score; default: the configured one."
    ),
    predictions: Path | None = typer.Option(
        None,
        "--predictions",
        help="Score this `robonotes extract` output instead of running a provider.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as one JSON object."),
    errors: bool = typer.Option(False, "--errors", help="List every note's misses."),
    concurrency: int = typer.Option(4, "--concurrency", min=1, max=64, help="Notes at a time."),
) -> None:
    """Score a Robo provider on a gold set: P/R/F1 of activities and moments, attribute accuracy."""
    notes = load_gold(gold)
    if predictions is not None:
        by_id = load_predictions(predictions)
        preds = [by_id.get(n.id, Prediction(error="no prediction for this id")) for n in notes]
        outcome = ProviderRun(predictions=preds, provider="file", model=str(predictions))
    else:
        settings = Settings(robo_provider=provider.value) if provider else Settings()

        async def work(container: Container) -> ProviderRun:
            return await predict_all(
                container, notes, concurrency=concurrency, show_progress=not as_json
            )

        outcome = run(work, settings=settings)

    report = evaluate(zip(notes, outcome.predictions, strict=True))
    if as_json:
        payload: dict[str, Any] = {
            "gold": str(gold),
            "provider": outcome.provider,
            "model": outcome.model,
        }
        payload.update(report.as_dict())
        payload["usage"] = outcome.usage_json()
        if errors:
            payload["per_note"] = [note_errors_json(s) for s in report.per_note if not s.is_perfect]
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    if errors:
        print_note_errors(report, {n.id: n.text for n in notes})
    table = report_table(report, title=f"{outcome.provider} ({outcome.model}) on {gold}")
    out.print(table)
    if outcome.usage.total_tokens:
        out.print(
            f"tokens: {outcome.usage.prompt_tokens} prompt ({outcome.usage.cached_tokens} cached), "
            f"{outcome.usage.completion_tokens} completion; "
            f"provider time {outcome.latency_ms / 1000:.1f} s"
        )


def register(app: typer.Typer) -> None:
    """Add `eval` to the `robonotes` command."""
    app.command("eval")(eval_command)
