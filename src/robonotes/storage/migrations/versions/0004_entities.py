"""Linked history: activities, aliases, moments, moment_notes, moment_activities, occurrences.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out rather than imported from entity_tables.py: a migration must not change later.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete=ondelete
    )


def upgrade() -> None:
    """Create the tables of issue 6."""
    op.create_table(
        "activities",
        sa.Column("id", BigId, autoincrement=True),
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("category", sa.String(40), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_activities"),
        _fk("activities", "user_id", "users", "CASCADE"),
        sa.UniqueConstraint("user_id", "name", name="uq_activities_user_id_name"),
    )
    op.create_table(
        "activity_aliases",
        sa.Column("id", BigId, autoincrement=True),
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("activity_id", BigId, nullable=False),
        sa.Column("alias", sa.String(120), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_activity_aliases"),
        _fk("activity_aliases", "user_id", "users", "CASCADE"),
        _fk("activity_aliases", "activity_id", "activities", "CASCADE"),
        sa.UniqueConstraint("user_id", "alias", name="uq_activity_aliases_user_id_alias"),
    )
    op.create_index("ix_activity_aliases_activity_id", "activity_aliases", ["activity_id"])
    op.create_table(
        "moments",
        sa.Column("id", BigId, autoincrement=True),
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("source_note_id", BigId, nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("start_at", Timestamp, nullable=True),
        sa.Column("end_at", Timestamp, nullable=True),
        sa.Column("part_of_day", sa.String(16), nullable=True),
        sa.Column("people", sa.JSON(), nullable=False),
        sa.Column("people_key", sa.Text(), nullable=False, comment="|name|name| folded"),
        sa.Column("place", sa.String(200), nullable=True),
        sa.Column("emotions", sa.JSON(), nullable=False),
        sa.Column("valence", sa.Float(), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_moments"),
        _fk("moments", "user_id", "users", "CASCADE"),
        _fk("moments", "source_note_id", "notes", "CASCADE"),
    )
    op.create_index("ix_moments_user_id_start_at", "moments", ["user_id", "start_at"])
    op.create_index("ix_moments_user_id_id", "moments", ["user_id", "id"])
    op.create_table(
        "moment_notes",
        sa.Column("moment_id", BigId, nullable=False),
        sa.Column("note_id", BigId, nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("moment_id", "note_id", name="pk_moment_notes"),
        _fk("moment_notes", "moment_id", "moments", "CASCADE"),
        _fk("moment_notes", "note_id", "notes", "CASCADE"),
    )
    op.create_index("ix_moment_notes_note_id", "moment_notes", ["note_id"])
    op.create_table(
        "moment_activities",
        sa.Column("moment_id", BigId, nullable=False),
        sa.Column("activity_id", BigId, nullable=False),
        sa.PrimaryKeyConstraint("moment_id", "activity_id", name="pk_moment_activities"),
        _fk("moment_activities", "moment_id", "moments", "CASCADE"),
        _fk("moment_activities", "activity_id", "activities", "CASCADE"),
    )
    op.create_index("ix_moment_activities_activity_id", "moment_activities", ["activity_id"])
    op.create_table(
        "activity_occurrences",
        sa.Column("id", BigId, autoincrement=True),
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("activity_id", BigId, nullable=False),
        sa.Column("note_id", BigId, nullable=False),
        sa.Column("moment_id", BigId, nullable=True),
        sa.Column("occurred_at", Timestamp, nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("surface", sa.String(200), nullable=True),
        sa.Column("duration_minutes", sa.Float(), nullable=True),
        sa.Column("quantity_value", sa.Float(), nullable=True),
        sa.Column("quantity_unit", sa.String(40), nullable=True),
        sa.Column("quantity_text", sa.String(200), nullable=True),
        sa.Column("object", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_activity_occurrences"),
        _fk("activity_occurrences", "user_id", "users", "CASCADE"),
        _fk("activity_occurrences", "activity_id", "activities", "CASCADE"),
        _fk("activity_occurrences", "note_id", "notes", "CASCADE"),
        _fk("activity_occurrences", "moment_id", "moments", "SET NULL"),
    )
    op.create_index(
        "ix_activity_occurrences_activity_id_occurred_at",
        "activity_occurrences",
        ["activity_id", "occurred_at"],
    )
    op.create_index("ix_activity_occurrences_note_id", "activity_occurrences", ["note_id"])
    op.create_index(
        "ix_activity_occurrences_user_id_occurred_at",
        "activity_occurrences",
        ["user_id", "occurred_at"],
    )


def downgrade() -> None:
    """Drop the tables of issue 6."""
    for table in (
        "activity_occurrences",
        "moment_activities",
        "moment_notes",
        "moments",
        "activity_aliases",
        "activities",
    ):
        op.drop_table(table)
