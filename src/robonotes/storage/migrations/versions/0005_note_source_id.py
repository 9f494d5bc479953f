"""notes.source_id: the id a note had where it was imported from, unique per person.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the nullable column and its (user_id, source_id) unique constraint."""
    with op.batch_alter_table("notes") as batch:
        batch.add_column(sa.Column("source_id", sa.String(200), nullable=True))
        batch.create_unique_constraint("uq_notes_user_id_source_id", ["user_id", "source_id"])


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("notes") as batch:
        batch.drop_constraint("uq_notes_user_id_source_id", type_="unique")
        batch.drop_column("source_id")
