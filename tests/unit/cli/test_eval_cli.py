"""`robonotes eval`: runs the Container's provider over a gold file and reports figures."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from robonotes.bootstrap import Container
from robonotes.cli.main import app
from robonotes.domain.context import ExtractionContext
from robonotes.domain.exceptions import RoboUnavailable
from robonotes.domain.notes import NoteData
from robonotes.domain.results import (
    ExtractedActivity,
    ExtractedMoment,
    MomentStatus,
    MomentTime,
    PartOfDay,
    RoboProcessingResult,
    TokenUsage,
)

runner = CliRunner()

NOTES = [
    {
        "id": "a1",
        "user": "u1",
        "created_at": "2026-03-14T08:30:00+01:00",
        "text": "Went for a 5k run with Sam this morning. Tomorrow I'll swim.",
        "activities": [{"name": "running", "aliases": ["jogging"]}],
        "moments": [
            {
                "evidence": "Went for a 5k run with Sam this morning",
                "activities": ["running"],
                "people": ["Sam"],
                "place": None,
                "part_of_day": "morning",
            }
        ],
    },
    {
        "id": "a2",
        "user": "u2",
        "created_at": "2026-03-15T22:00:00-05:00",
        "text": "cooked pasta for Ana tonight",
        "activities": [{"name": "cooking", "aliases": []}],
        "moments": [
            {
                "evidence": "cooked pasta for Ana tonight",
                "activities": ["cooking"],
                "people": ["Ana"],
                "place": None,
                "part_of_day": "evening",
            }
        ],
    },
]


class FakeRoboService:
    """Answers each note from a table keyed by its text; records what it was given."""

    name = "fake"
    model = "table-v1"

    def __init__(self, answers: dict[str, RoboProcessingResult | Exception]) -> None:
        self.answers = answers
        self.seen: list[tuple[NoteData, ExtractionContext]] = []

    async def extract(self, note: NoteData, context: ExtractionContext) -> RoboProcessingResult:
        self.seen.append((note, context))
        answer = self.answers[note.body]
        if isinstance(answer, Exception):
            raise answer
        return answer


def result(*, activities: list[str], moments: list[ExtractedMoment]) -> RoboProcessingResult:
    return RoboProcessingResult(
        activities=tuple(ExtractedActivity(name=a, surface=a, evidence=a) for a in activities),
        moments=tuple(moments),
        provider="fake",
        model="table-v1",
        prompt_version="t1",
        usage=TokenUsage(prompt_tokens=100, cached_tokens=40, completion_tokens=20),
        latency_ms=250.0,
    )


def moment(evidence: str, people: tuple[str, ...], pod: PartOfDay) -> ExtractedMoment:
    return ExtractedMoment(
        title=evidence,
        summary=evidence,
        status=MomentStatus.HAPPENED,
        evidence=evidence,
        time=MomentTime(part_of_day=pod),
        people=people,
    )


@pytest.fixture
def gold_file(tmp_path: Path) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(json.dumps(n) for n in NOTES) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def fake_robo(monkeypatch: pytest.MonkeyPatch) -> FakeRoboService:
    fake = FakeRoboService(
        {
            NOTES[0]["text"]: result(
                activities=["jogging", "swimming"],
                moments=[
                    moment("Went for a 5k run with Sam this morning", ("sam",), PartOfDay.MORNING),
                    ExtractedMoment(
                        title="swim",
                        summary="swim",
                        status=MomentStatus.PLANNED,
                        evidence="Tomorrow I'll swim",
                    ),
                ],
            ),
            NOTES[1]["text"]: result(
                activities=["cooking"],
                moments=[moment("cooked pasta for Ana tonight", ("Ana",), PartOfDay.NIGHT)],
            ),
        }
    )
    monkeypatch.setattr(Container, "robo", property(lambda self: fake))
    return fake


def test_eval_json_reports_figures_from_the_containers_provider(
    gold_file: Path, fake_robo: FakeRoboService
) -> None:
    outcome = runner.invoke(app, ["eval", str(gold_file), "--provider", "offline", "--json"])

    assert outcome.exit_code == 0, outcome.output
    figures = json.loads(outcome.stdout)
    assert figures["provider"] == "fake"
    assert figures["notes"] == 2
    assert figures["activities"] == {
        "precision": 0.6667,
        "recall": 1.0,
        "f1": 0.8,
        "tp": 2,
        "fp": 1,
        "fn": 0,
    }
    assert figures["moments"]["f1"] == 1.0
    assert figures["people"] == {"accuracy": 1.0, "correct": 2, "total": 2}
    assert figures["part_of_day"] == {"accuracy": 0.5, "correct": 1, "total": 2}
    assert figures["usage"]["total_tokens"] == 240
    assert figures["usage"]["cached_tokens"] == 80


def test_eval_gives_the_provider_each_notes_time(
    gold_file: Path, fake_robo: FakeRoboService
) -> None:
    runner.invoke(app, ["eval", str(gold_file), "--json"])

    created = {note.body: context.created_at for note, context in fake_robo.seen}
    assert created[NOTES[1]["text"]] == datetime.fromisoformat("2026-03-15T22:00:00-05:00")
    assert {note.user_id for note, _ in fake_robo.seen} == {1, 2}


def test_eval_table_and_error_listing_name_the_misses(
    gold_file: Path, fake_robo: FakeRoboService
) -> None:
    outcome = runner.invoke(app, ["eval", str(gold_file), "--errors"])

    assert outcome.exit_code == 0, outcome.output
    assert "spurious activity swimming" in outcome.stdout
    assert "part_of_day gold evening predicted night" in outcome.stdout
    assert "activities" in outcome.stdout
    assert "moments" in outcome.stdout


def test_a_provider_failure_scores_that_note_empty_and_the_run_goes_on(
    gold_file: Path, fake_robo: FakeRoboService
) -> None:
    fake_robo.answers[NOTES[1]["text"]] = RoboUnavailable("server said 503")

    outcome = runner.invoke(app, ["eval", str(gold_file), "--json", "--errors"])

    assert outcome.exit_code == 0, outcome.output
    figures = json.loads(outcome.stdout)
    assert figures["errors"] == 1
    assert figures["activities"]["fn"] == 1
    failed = next(n for n in figures["per_note"] if n["id"] == "a2")
    assert failed["error"].startswith("RoboUnavailable")


def test_eval_scores_an_extract_output_file(gold_file: Path, tmp_path: Path) -> None:
    predictions = tmp_path / "pred.jsonl"
    predictions.write_text(
        json.dumps(
            {
                "id": "a1",
                "activities": [{"name": "running"}],
                "moments": [
                    {
                        "evidence": "a 5k run with Sam",
                        "status": "happened",
                        "time": {"part_of_day": "morning"},
                        "people": ["Sam"],
                        "place": None,
                    }
                ],
            }
        )
        + "\n",
        encoding="utf-8",
    )

    outcome = runner.invoke(app, ["eval", str(gold_file), "--predictions", str(predictions)])

    assert outcome.exit_code == 0, outcome.output
    assert "file" in outcome.stdout
    figures = json.loads(
        runner.invoke(
            app, ["eval", str(gold_file), "--predictions", str(predictions), "--json"]
        ).stdout
    )
    assert figures["errors"] == 1  # a2 has no prediction
    assert figures["activities"]["tp"] == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json\n", "line 1"),
        (b'{"id": "x"}\n', "missing field"),
        (b"\xff\xfe binary", "not UTF-8"),
        (b"\n\n", "holds no gold notes"),
    ],
)
def test_unusable_gold_file_exits_with_usage_error(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)

    outcome = runner.invoke(app, ["eval", str(path), "--provider", "offline"])

    assert outcome.exit_code == 2
    assert message in outcome.stderr


def test_missing_gold_file_exits_with_usage_error(tmp_path: Path) -> None:
    outcome = runner.invoke(app, ["eval", str(tmp_path / "nope.jsonl")])

    assert outcome.exit_code == 2
    assert "does not exist" in outcome.stderr


@pytest.mark.parametrize(
    "line",
    ['{"activities": []}', "[1]", '{"id": "a1", "activities": "running"}', "{oops"],
)
def test_malformed_predictions_file_exits_with_usage_error(
    gold_file: Path, tmp_path: Path, line: str
) -> None:
    predictions = tmp_path / "pred.jsonl"
    predictions.write_text(line + "\n", encoding="utf-8")

    outcome = runner.invoke(app, ["eval", str(gold_file), "--predictions", str(predictions)])

    assert outcome.exit_code == 2
    assert "line 1" in outcome.stderr
