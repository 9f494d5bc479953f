"""Foundation: users, api_tokens, notes, robo_processing_status.

Revision ID: 0001
Revises:
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out rather than imported from tables.py: a migration must not change when the
# models do later.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)
STATES = (
    "PENDING",
    "QUEUED",
    "PROCESSING",
    "RETRY_SCHEDULED",
    "COMPLETED",
    "FAILED",
    "SKIPPED",
    "SUPERSEDED",
    "CANCELLED",
)
STATE_CHECK = "{column} IN (" + ", ".join(f"'{state}'" for state in STATES) + ")"


def upgrade() -> None:
    """Create the tables of issue 2."""
    op.create_table(
        "users",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("name", name="uq_users_name"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", BigId, autoincrement=True),
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, comment="sha256 hex"),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_api_tokens_user_id_users", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])
    op.create_table(
        "notes",
        sa.Column("id", BigId, autoincrement=True),
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False, server_default=sa.text("1")),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=True),
        sa.Column("deleted_at", Timestamp, nullable=True),
        sa.Column(
            "robo_status", sa.String(15), nullable=False, server_default=sa.text("'PENDING'")
        ),
        sa.Column("robo_processed_version", sa.Integer(), nullable=True),
        sa.Column("robo_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_notes"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_notes_user_id_users", ondelete="CASCADE"
        ),
        sa.CheckConstraint(STATE_CHECK.format(column="robo_status"), name="ck_notes_robo_status"),
        sa.CheckConstraint("version >= 1", name="ck_notes_version_positive"),
    )
    op.create_index("ix_notes_user_id_id", "notes", ["user_id", "id"])
    op.create_table(
        "robo_processing_status",
        sa.Column("note_id", BigId, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("state", sa.String(15), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("token", sa.String(64), nullable=True),
        sa.Column("job_id", sa.String(64), nullable=True),
        sa.Column("error_class", sa.String(200), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("skip_reason", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", Timestamp, nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("note_id", "version", name="pk_robo_processing_status"),
        sa.ForeignKeyConstraint(
            ["note_id"],
            ["notes.id"],
            name="fk_robo_processing_status_note_id_notes",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name="fk_robo_processing_status_user_id_users",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            STATE_CHECK.format(column="state"), name="ck_robo_processing_status_state"
        ),
    )
    op.create_index(
        "ix_robo_processing_status_state_updated_at",
        "robo_processing_status",
        ["state", "updated_at"],
    )
    op.create_index(
        "ix_robo_processing_status_user_id_state", "robo_processing_status", ["user_id", "state"]
    )
    op.create_index(
        "ix_robo_processing_status_retry_due",
        "robo_processing_status",
        ["next_attempt_at"],
        postgresql_where=sa.text("state = 'RETRY_SCHEDULED'"),
        sqlite_where=sa.text("state = 'RETRY_SCHEDULED'"),
    )


def downgrade() -> None:
    """Drop the tables of issue 2."""
    op.drop_table("robo_processing_status")
    op.drop_table("notes")
    op.drop_table("api_tokens")
    op.drop_table("users")
