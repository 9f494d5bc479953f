"""`robonotes eval` as a process, with the real offline provider, on the shipped gold sets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "tests" / "data" / "gold" / "gold.jsonl"
HOLDOUT = ROOT / "tests" / "data" / "gold" / "holdout.jsonl"


def run_eval(path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "robonotes.cli.main", "eval", str(path), *extra],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
        check=False,
    )


@pytest.fixture(scope="module")
def gold_figures() -> dict[str, Any]:
    done = run_eval(GOLD, "--provider", "offline", "--json")
    assert done.returncode == 0, done.stderr
    figures: dict[str, Any] = json.loads(done.stdout)
    return figures


def test_eval_offline_scores_every_gold_note_without_provider_errors(
    gold_figures: dict[str, Any],
) -> None:
    assert gold_figures["notes"] == 132
    assert gold_figures["errors"] == 0
    assert gold_figures["activities"]["tp"] > 0


def test_offline_provider_meets_issue_4_targets_on_gold(gold_figures: dict[str, Any]) -> None:
    figures = {
        "activity_f1": gold_figures["activities"]["f1"],
        "moment_f1": gold_figures["moments"]["f1"],
        "people": gold_figures["people"]["accuracy"],
        "part_of_day": gold_figures["part_of_day"]["accuracy"],
    }

    assert figures["activity_f1"] >= 0.85, figures
    assert figures["moment_f1"] >= 0.85, figures
    assert figures["people"] >= 0.90, figures
    assert figures["part_of_day"] >= 0.85, figures


def test_eval_offline_table_on_holdout_exits_zero() -> None:
    done = run_eval(HOLDOUT, "--provider", "offline")

    assert done.returncode == 0, done.stderr
    assert "activities" in done.stdout
    assert "40 notes" in done.stdout
