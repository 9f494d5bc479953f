"""The rules that make Robo skip a note: empty, too long, mostly binary."""

from __future__ import annotations

import pytest

from robonotes.domain.validation import skip_reason


@pytest.mark.parametrize("text", ["", " ", "\n\t  \r\n", "\u3000\u2003"])
def test_blank_notes_are_skipped_as_empty(text: str) -> None:
    reason = skip_reason(text)

    assert reason is not None
    assert reason.code == "empty"


def test_a_note_over_the_limit_is_skipped_as_too_long() -> None:
    reason = skip_reason("a" * 101, max_chars=100)

    assert reason is not None
    assert reason.code == "too_long"
    assert "101" in reason.message


def test_a_note_at_the_limit_is_processed() -> None:
    assert skip_reason("a" * 100, max_chars=100) is None


@pytest.mark.parametrize(
    "text",
    [
        "\x01\x02\x03\x04 ok",
        "\x00" * 50 + "text",
        "\ud800\udfff\ud801" * 10,
        "\ue000\ue001\ue002 x",
        "PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00",
    ],
)
def test_mostly_binary_or_control_text_is_skipped_as_binary(text: str) -> None:
    reason = skip_reason(text)

    assert reason is not None
    assert reason.code == "binary"


@pytest.mark.parametrize(
    "text",
    [
        "Ran 5k with Sam this morning.",
        "Línea en español, 日本語のテキスト, emoji 🏃‍♀️",
        "tabs\tand\nnewlines\r\nare text",
        "one stray \x07 bell in a long enough sentence of ordinary words",
    ],
)
def test_ordinary_text_is_processed(text: str) -> None:
    assert skip_reason(text) is None
