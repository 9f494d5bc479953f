"""The README documents every setting, and its quick start is the two promised commands."""

from __future__ import annotations

from pathlib import Path

from robonotes.config import Settings

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")


def test_readme_lists_every_setting_with_its_env_var() -> None:
    missing = [
        f"ROBONOTES_{name.upper()}"
        for name in Settings.model_fields
        if f"`ROBONOTES_{name.upper()}`" not in README
    ]

    assert not missing, f"README configuration table lacks {missing}"


def test_quick_start_begins_with_make_demo_then_make_test() -> None:
    quick_start = README.split("## Quick start", 1)[1]
    commands = [line.split()[0:2] for line in quick_start.splitlines() if line.startswith("make ")]

    assert commands[:2] == [["make", "demo"], ["make", "test"]]
