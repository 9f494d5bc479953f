"""The robo_calls ledger: one append-only row per HTTP attempt to an LLM provider.

No foreign keys: the ledger records money spent and must outlive purged notes and users, and
appending to it must never fail because a note was deleted while its call was in flight.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out rather than imported: a migration must not change when the models do later.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create robo_calls with its two lookup indices."""
    op.create_table(
        "robo_calls",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("note_id", sa.BigInteger, nullable=True),
        sa.Column("note_version", sa.Integer, nullable=True),
        sa.Column("user_id", sa.BigInteger, nullable=True),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("error_class", sa.String(100), nullable=True),
        sa.Column("request_id", sa.String(200), nullable=True),
        sa.Column("prompt_tokens", sa.Integer, nullable=False, server_default="0"),
        sa.Column("cached_tokens", sa.Integer, nullable=False, server_default="0"),
        sa.Column("completion_tokens", sa.Integer, nullable=False, server_default="0"),
        sa.Column("reasoning_tokens", sa.Integer, nullable=False, server_default="0"),
        sa.Column("latency_ms", sa.Float, nullable=False, server_default="0"),
        sa.CheckConstraint(
            "outcome IN ('ok', 'retried', 'failed', 'invalid')", name="ck_robo_calls_outcome"
        ),
        sa.CheckConstraint(
            "prompt_tokens >= 0 AND cached_tokens >= 0 AND completion_tokens >= 0 "
            "AND reasoning_tokens >= 0",
            name="ck_robo_calls_tokens_non_negative",
        ),
    )
    op.create_index("ix_robo_calls_user_id_created_at", "robo_calls", ["user_id", "created_at"])
    op.create_index("ix_robo_calls_note_id", "robo_calls", ["note_id"])


def downgrade() -> None:
    """Drop robo_calls and its indices."""
    op.drop_index("ix_robo_calls_note_id", table_name="robo_calls")
    op.drop_index("ix_robo_calls_user_id_created_at", table_name="robo_calls")
    op.drop_table("robo_calls")
