"""The SQL queue's own tables on their own MetaData (the migration 0003 creates the same schema)."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

CLAIMABLE = "state IN ('ready', 'delayed')"

queue_jobs = sa.Table(
    "queue_jobs",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("note_id", sa.BigInteger, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("user_id", sa.BigInteger, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("max_attempts", sa.Integer, nullable=False),
    sa.Column("worker", sa.String(200), nullable=True),
    sa.Column("token", sa.String(100), nullable=True),
    # Ready: when it became ready (FIFO order, oldest age); delayed: when it is due.
    sa.Column("available_at_ms", sa.BigInteger, nullable=False),
    sa.Column("lease_until_ms", sa.BigInteger, nullable=True),
    sa.Column("dead_at_ms", sa.BigInteger, nullable=True),
    sa.Column("errors", sa.Text, nullable=False, server_default="[]"),
    sa.Column("enqueued_at_ms", sa.BigInteger, nullable=False),
    sa.Column("updated_at_ms", sa.BigInteger, nullable=False),
    # Completed and purged jobs are deleted, so every row is live and this is "unique among live".
    sa.UniqueConstraint("note_id", "version", name="uq_queue_jobs_note_version"),
    sa.CheckConstraint(
        "state IN ('ready', 'delayed', 'leased', 'dead')", name="ck_queue_jobs_state"
    ),
    sa.Index("ix_queue_jobs_state_available", "state", "available_at_ms"),
    sa.Index("ix_queue_jobs_state_lease", "state", "lease_until_ms"),
    sa.Index("ix_queue_jobs_worker", "worker"),
    sa.Index(
        "ix_queue_jobs_claimable",
        "available_at_ms",
        "id",
        postgresql_where=sa.text(CLAIMABLE),
        sqlite_where=sa.text(CLAIMABLE),
    ),
)

queue_workers = sa.Table(
    "queue_workers",
    metadata,
    sa.Column("worker_id", sa.String(200), primary_key=True),
    sa.Column("seen_at_ms", sa.BigInteger, nullable=False),
    sa.Column("expires_at_ms", sa.BigInteger, nullable=False),
)
