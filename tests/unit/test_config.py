"""Settings: defaults, env names, secrets kept out of every repr, and duration parsing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from robonotes.config import Settings, parse_duration

SECRET = "sk-test-do-not-print-0123456789"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("OPENAI_API_KEY", "ROBONOTES_OPENAI_API_KEY", "ROBONOTES_ROBO_PROVIDER"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_are_the_embedded_setup() -> None:
    settings = Settings()

    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert ".robonotes" in settings.database_url
    assert settings.redis_url is None
    assert settings.status_retention == timedelta(days=7)
    assert settings.resolved_provider == "offline"


def test_openai_api_key_is_read_from_the_plain_openai_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)

    settings = Settings()

    assert settings.openai_api_key is not None
    assert settings.openai_api_key.get_secret_value() == SECRET
    assert settings.resolved_provider == "openai"


def test_prefixed_key_works_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROBONOTES_OPENAI_API_KEY", SECRET)

    assert Settings().resolved_provider == "openai"


def test_the_secret_never_appears_in_repr_str_or_dump(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    settings = Settings()

    for text in (
        repr(settings),
        str(settings),
        str(settings.model_dump()),
        settings.model_dump_json(),
    ):
        assert SECRET not in text


def test_the_secret_never_appears_in_a_validation_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("ROBONOTES_MAX_NOTE_CHARS", "not-a-number")

    with pytest.raises(ValidationError) as caught:
        Settings()

    assert SECRET not in str(caught.value)


def test_offline_provider_wins_over_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("ROBONOTES_ROBO_PROVIDER", "offline")

    assert Settings().resolved_provider == "offline"


def test_env_file_is_read(tmp_path) -> None:
    (tmp_path / ".env").write_text("ROBONOTES_MAX_NOTE_CHARS=1234\n")

    assert Settings().max_note_chars == 1234


def test_status_retention_accepts_a_duration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROBONOTES_STATUS_RETENTION", "36h")

    assert Settings().status_retention == timedelta(hours=36)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("12h", timedelta(hours=12)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        (" 1.5h ", timedelta(minutes=90)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["", "7", "d", "7x", "-7d", "7 days", "1e9d", "7d7d", "７d", "99999999999999w"]
)
def test_parse_duration_refuses_anything_else(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_passwords_in_the_database_and_redis_urls_stay_out_of_repr() -> None:
    settings = Settings(
        database_url="postgresql+asyncpg://app:db-pass-1@db/robonotes",
        redis_url="redis://:redis-pass-2@cache:6379/0",
    )

    shown = repr(settings) + str(settings)

    assert "db-pass-1" not in shown
    assert "redis-pass-2" not in shown
    assert settings.database_url.endswith("@db/robonotes")
