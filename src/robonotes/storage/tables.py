"""The SQLAlchemy tables of issue 2: users, api_tokens, notes, robo_processing_status.

Later migrations add their own tables to `metadata` in their own modules. Timestamps are
timezone-aware and stored in UTC; SQLite hands them back naive, so repositories normalise.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from robonotes.domain.status import ProcessingState

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a real bigint.
BigId = BigInteger().with_variant(Integer(), "sqlite")
Timestamp = DateTime(timezone=True)

STATE_VALUES = ", ".join(f"'{state.value}'" for state in ProcessingState)
STATE_LENGTH = max(len(state.value) for state in ProcessingState)

users = Table(
    "users",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("created_at", Timestamp, nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("user_id", BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True, comment="sha256 hex"),
    Column("created_at", Timestamp, nullable=False),
    Index("ix_api_tokens_user_id", "user_id"),
)

notes = Table(
    "notes",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("user_id", BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("title", Text, nullable=True),
    Column("body", Text, nullable=False),
    Column("version", Integer, nullable=False, server_default=text("1")),
    Column("content_hash", String(64), nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    Column("time_zone", String(64), nullable=True),
    Column("deleted_at", Timestamp, nullable=True),
    Column(
        "robo_status",
        String(STATE_LENGTH),
        nullable=False,
        server_default=text(f"'{ProcessingState.PENDING.value}'"),
    ),
    Column("robo_processed_version", Integer, nullable=True),
    Column("robo_error", Text, nullable=True),
    Column("source_id", String(200), nullable=True),
    CheckConstraint(f"robo_status IN ({STATE_VALUES})", name="robo_status"),
    CheckConstraint("version >= 1", name="version_positive"),
    # An import's `id`: re-running an import finds what it saved before (NULLs never clash).
    UniqueConstraint("user_id", "source_id", name="uq_notes_user_id_source_id"),
    # Listing a person's notes newest first is the hot read path.
    Index("ix_notes_user_id_id", "user_id", "id"),
)

robo_processing_status = Table(
    "robo_processing_status",
    metadata,
    Column("note_id", BigId, ForeignKey("notes.id", ondelete="CASCADE"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("user_id", BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("state", String(STATE_LENGTH), nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("token", String(64), nullable=True),
    Column("job_id", String(64), nullable=True),
    Column("error_class", String(200), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("skip_reason", Text, nullable=True),
    Column("next_attempt_at", Timestamp, nullable=True),
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    CheckConstraint(f"state IN ({STATE_VALUES})", name="state"),
    Index("ix_robo_processing_status_state_updated_at", "state", "updated_at"),
    Index("ix_robo_processing_status_user_id_state", "user_id", "state"),
    Index(
        "ix_robo_processing_status_retry_due",
        "next_attempt_at",
        postgresql_where=text("state = 'RETRY_SCHEDULED'"),
        sqlite_where=text("state = 'RETRY_SCHEDULED'"),
    ),
)
