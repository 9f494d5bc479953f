"""Tables of issue 6: activities, their aliases and occurrences, moments and what links them."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Float, ForeignKey, Index, String, Table, Text, UniqueConstraint

from robonotes.storage.tables import BigId, Timestamp, metadata

activities = Table(
    "activities",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("user_id", BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(80), nullable=False),
    Column("category", String(40), nullable=True),
    Column("created_at", Timestamp, nullable=False),
    # Two workers linking two notes of one person at once upsert under this constraint.
    UniqueConstraint("user_id", "name", name="uq_activities_user_id_name"),
)

activity_aliases = Table(
    "activity_aliases",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("user_id", BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("activity_id", BigId, ForeignKey("activities.id", ondelete="CASCADE"), nullable=False),
    Column("alias", String(120), nullable=False),
    UniqueConstraint("user_id", "alias", name="uq_activity_aliases_user_id_alias"),
    Index("ix_activity_aliases_activity_id", "activity_id"),
)

moments = Table(
    "moments",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("user_id", BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("source_note_id", BigId, ForeignKey("notes.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(200), nullable=False),
    Column("summary", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("evidence", Text, nullable=False),
    Column("start_at", Timestamp, nullable=True),
    Column("end_at", Timestamp, nullable=True),
    Column("part_of_day", String(16), nullable=True),
    Column("people", JSON, nullable=False),
    Column("people_key", Text, nullable=False, comment="|name|name| folded"),
    Column("place", String(200), nullable=True),
    Column("emotions", JSON, nullable=False),
    Column("valence", Float, nullable=True),
    Column("created_at", Timestamp, nullable=False),
    Index("ix_moments_user_id_start_at", "user_id", "start_at"),
    Index("ix_moments_user_id_id", "user_id", "id"),
)

moment_notes = Table(
    "moment_notes",
    metadata,
    Column("moment_id", BigId, ForeignKey("moments.id", ondelete="CASCADE"), primary_key=True),
    Column("note_id", BigId, ForeignKey("notes.id", ondelete="CASCADE"), primary_key=True),
    Column("evidence", Text, nullable=False),
    Index("ix_moment_notes_note_id", "note_id"),
)

moment_activities = Table(
    "moment_activities",
    metadata,
    Column("moment_id", BigId, ForeignKey("moments.id", ondelete="CASCADE"), primary_key=True),
    Column("activity_id", BigId, ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_moment_activities_activity_id", "activity_id"),
)

activity_occurrences = Table(
    "activity_occurrences",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("user_id", BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("activity_id", BigId, ForeignKey("activities.id", ondelete="CASCADE"), nullable=False),
    Column("note_id", BigId, ForeignKey("notes.id", ondelete="CASCADE"), nullable=False),
    Column("moment_id", BigId, ForeignKey("moments.id", ondelete="SET NULL"), nullable=True),
    Column("occurred_at", Timestamp, nullable=False),
    Column("evidence", Text, nullable=False),
    Column("surface", String(200), nullable=True),
    Column("duration_minutes", Float, nullable=True),
    Column("quantity_value", Float, nullable=True),
    Column("quantity_unit", String(40), nullable=True),
    Column("quantity_text", String(200), nullable=True),
    Column("object", String(200), nullable=True),
    Index("ix_activity_occurrences_activity_id_occurred_at", "activity_id", "occurred_at"),
    Index("ix_activity_occurrences_note_id", "note_id"),
    Index("ix_activity_occurrences_user_id_occurred_at", "user_id", "occurred_at"),
)
