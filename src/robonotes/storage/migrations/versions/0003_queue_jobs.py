"""The SQL queue: queue_jobs (one row per live job) and queue_workers (heartbeats).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLAIMABLE = "state IN ('ready', 'delayed')"


def upgrade() -> None:
    """Create the queue tables; written out here, never imported from robonotes.queue."""
    op.create_table(
        "queue_jobs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("note_id", sa.BigInteger, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("max_attempts", sa.Integer, nullable=False),
        sa.Column("worker", sa.String(200), nullable=True),
        sa.Column("token", sa.String(100), nullable=True),
        sa.Column("available_at_ms", sa.BigInteger, nullable=False),
        sa.Column("lease_until_ms", sa.BigInteger, nullable=True),
        sa.Column("dead_at_ms", sa.BigInteger, nullable=True),
        sa.Column("errors", sa.Text, nullable=False, server_default="[]"),
        sa.Column("enqueued_at_ms", sa.BigInteger, nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("note_id", "version", name="uq_queue_jobs_note_version"),
        sa.CheckConstraint(
            "state IN ('ready', 'delayed', 'leased', 'dead')", name="ck_queue_jobs_state"
        ),
    )
    op.create_index("ix_queue_jobs_state_available", "queue_jobs", ["state", "available_at_ms"])
    op.create_index("ix_queue_jobs_state_lease", "queue_jobs", ["state", "lease_until_ms"])
    # Claims scan this in order: ready jobs and due delayed ones, oldest first.
    op.create_index(
        "ix_queue_jobs_claimable",
        "queue_jobs",
        ["available_at_ms", "id"],
        postgresql_where=sa.text(CLAIMABLE),
        sqlite_where=sa.text(CLAIMABLE),
    )
    op.create_index("ix_queue_jobs_worker", "queue_jobs", ["worker"])
    op.create_table(
        "queue_workers",
        sa.Column("worker_id", sa.String(200), primary_key=True),
        sa.Column("seen_at_ms", sa.BigInteger, nullable=False),
        sa.Column("expires_at_ms", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    """Drop the queue tables."""
    op.drop_table("queue_workers")
    op.drop_index("ix_queue_jobs_claimable", table_name="queue_jobs")
    op.drop_index("ix_queue_jobs_worker", table_name="queue_jobs")
    op.drop_index("ix_queue_jobs_state_lease", table_name="queue_jobs")
    op.drop_index("ix_queue_jobs_state_available", table_name="queue_jobs")
    op.drop_table("queue_jobs")
