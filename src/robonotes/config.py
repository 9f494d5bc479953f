"""Settings from the environment (prefix ROBONOTES_) and `.env`; nothing else reads it."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path(".robonotes")

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.ASCII)
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """Parse "90s", "15m", "12h", "7d", "2w" into a timedelta; raise ValueError on anything else."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"not a duration: {text!r} (use a number and s, m, h, d or w, like 7d)")
    try:
        return timedelta(seconds=float(match.group(1)) * _UNIT_S[match.group(2)])
    except OverflowError:
        raise ValueError(f"duration too long: {text!r}") from None


class Settings(BaseSettings):
    """Every setting of Robo Notes; see the README's configuration table."""

    model_config = SettingsConfigDict(
        env_prefix="ROBONOTES_", env_file=".env", extra="ignore", populate_by_name=True
    )

    database_url: str = Field(
        default=f"sqlite+aiosqlite:///{DEFAULT_DATA_DIR}/robonotes.db",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///path or postgresql+asyncpg://...",
        repr=False,  # it may carry a password
    )
    database_schema: str | None = Field(
        default=None, description="PostgreSQL schema to use (search_path); unset means public."
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis URL for the queue and shared rate limits; unset means the SQL queue.",
        repr=False,  # it may carry a password
    )
    redis_prefix: str = Field(default="robonotes", description="First part of every Redis key.")
    redis_socket_timeout_s: float = Field(default=0.5, gt=0)
    redis_connect_timeout_s: float = Field(default=0.5, gt=0)

    robo_provider: Literal["auto", "openai", "offline"] = "auto"
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("ROBONOTES_OPENAI_API_KEY", "OPENAI_API_KEY")
    )
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    openai_timeout_s: float = Field(default=60.0, gt=0)
    openai_connect_timeout_s: float = Field(default=5.0, gt=0)
    openai_max_output_tokens: int = Field(default=2048, gt=0)
    openai_rpm: int = Field(
        default=500, gt=0, description="Requests per minute, shared by all processes."
    )
    openai_tpm: int = Field(
        default=200_000, gt=0, description="Tokens per minute, shared by all processes."
    )

    max_note_chars: int = Field(default=20_000, gt=0)
    max_request_bytes: int = Field(default=1_048_576, gt=0)
    status_retention: timedelta = Field(default=timedelta(days=7))

    queue_lease_ms: int = Field(default=30_000, gt=0)
    queue_max_attempts: int = Field(default=6, gt=0)
    worker_concurrency: int = Field(default=64, gt=0)
    worker_job_timeout_s: float = Field(default=300.0, gt=0)
    worker_grace_s: float = Field(default=20.0, ge=0)
    reconcile_interval_s: float = Field(default=30.0, gt=0)
    retry_base_s: float = Field(default=5.0, gt=0, description="Tier-2 backoff base (DESIGN.md).")
    retry_cap_s: float = Field(default=600.0, gt=0, description="Tier-2 backoff cap.")
    worker_restart_backoff_max_s: float = Field(
        default=30.0,
        gt=0,
        description="Longest wait before the supervisor restarts a crashed worker.",
    )

    log_level: str = "INFO"
    log_json: bool = True

    @field_validator("status_retention", mode="before")
    @classmethod
    def _parse_retention(cls, value: object) -> object:
        if isinstance(value, str) and _DURATION.match(value):
            return parse_duration(value)
        return value

    @property
    def resolved_provider(self) -> Literal["openai", "offline"]:
        """`auto` means openai when a key is set, else the offline extractor."""
        if self.robo_provider == "auto":
            return "openai" if self.openai_api_key else "offline"
        return self.robo_provider

    @property
    def is_sqlite(self) -> bool:
        """Whether the database is the embedded SQLite file."""
        return self.database_url.startswith("sqlite")
