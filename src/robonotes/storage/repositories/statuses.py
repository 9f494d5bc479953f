"""Processing status rows on SQLAlchemy Core; every move is one compare-and-set UPDATE."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from robonotes.domain.exceptions import NoteNotFound, StorageError
from robonotes.domain.status import (
    TERMINAL_STATES,
    TRANSITIONS,
    ProcessingState,
    StatusRecord,
    check_transition,
)
from robonotes.storage.errors import as_utc, as_utc_or_none, translate_errors
from robonotes.storage.tables import robo_processing_status as status_table

S = ProcessingState
MAX_CAS_ROUNDS = 5
"""Re-reads allowed when another writer moves the row between our read and our UPDATE."""

CLEANABLE_STATES = TERMINAL_STATES - {S.FAILED}
"""Terminal states cleanup deletes on age alone; FAILED rows wait until the DLQ lets go."""

_SUPERSEDABLE = tuple(s.value for s, targets in TRANSITIONS.items() if S.SUPERSEDED in targets)
_CANCELLABLE = tuple(s.value for s, targets in TRANSITIONS.items() if S.CANCELLED in targets)


def status_from_row(row: Any) -> StatusRecord:
    """A StatusRecord from a row of `robo_processing_status`."""
    return StatusRecord(
        note_id=row.note_id,
        version=row.version,
        user_id=row.user_id,
        state=ProcessingState(row.state),
        attempts=row.attempts,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
        token=row.token,
        job_id=row.job_id,
        last_error=row.last_error,
        error_class=row.error_class,
        skip_reason=row.skip_reason,
        next_attempt_at=as_utc_or_none(row.next_attempt_at),
    )


def _key(note_id: int, version: int) -> Any:
    return (status_table.c.note_id == note_id) & (status_table.c.version == version)


class SqlAlchemyStatusRepository:
    """StatusRepository over one connection (the unit of work's transaction)."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    @translate_errors
    async def add(self, *, note_id: int, version: int, user_id: int, now: datetime) -> StatusRecord:
        """Insert a PENDING row for this note version."""
        now = as_utc(now)
        result = await self._connection.execute(
            insert(status_table)
            .values(
                note_id=note_id,
                version=version,
                user_id=user_id,
                state=S.PENDING.value,
                attempts=0,
                created_at=now,
                updated_at=now,
            )
            .returning(*status_table.c)
        )
        return status_from_row(result.one())

    async def get(self, note_id: int, version: int) -> StatusRecord:
        """The row of this note version; NoteNotFound when there is none."""
        record = await self.find(note_id, version)
        if record is None:
            raise NoteNotFound(f"{note_id} version {version}")
        return record

    @translate_errors
    async def find(self, note_id: int, version: int) -> StatusRecord | None:
        """The row of this note version, or None."""
        row = (
            await self._connection.execute(select(status_table).where(_key(note_id, version)))
        ).first()
        return None if row is None else status_from_row(row)

    @translate_errors
    async def find_latest(self, note_id: int) -> StatusRecord | None:
        """The row of the note's newest version that has one, or None."""
        row = (
            await self._connection.execute(
                select(status_table)
                .where(status_table.c.note_id == note_id)
                .order_by(status_table.c.version.desc())
                .limit(1)
            )
        ).first()
        return None if row is None else status_from_row(row)

    @translate_errors
    async def transition(
        self,
        note_id: int,
        version: int,
        to_state: ProcessingState,
        *,
        now: datetime,
        expected_state: ProcessingState | None = None,
        expected_token: str | None = None,
        token: str | None = None,
        attempts: int | None = None,
        job_id: str | None = None,
        error_class: str | None = None,
        last_error: str | None = None,
        skip_reason: str | None = None,
        next_attempt_at: datetime | None = None,
    ) -> StatusRecord | None:
        """Move the row along the status machine with one `UPDATE ... WHERE state = from`.

        The WHERE clause carries the state the move starts from (and `expected_token`), so of
        two writers racing for the same row exactly one wins; the other gets None (with
        `expected_state`/`expected_token`) or re-reads and re-checks the table (without).
        """
        changes: dict[str, Any] = {"state": to_state.value, "updated_at": as_utc(now)}
        optional = {
            "attempts": attempts,
            "job_id": job_id,
            "error_class": error_class,
            "last_error": last_error,
            "skip_reason": skip_reason,
            "next_attempt_at": as_utc_or_none(next_attempt_at),
        }
        changes.update({name: value for name, value in optional.items() if value is not None})
        for _ in range(MAX_CAS_ROUNDS):
            if expected_state is not None:
                from_state = expected_state
            else:
                current = await self.find(note_id, version)
                if current is None:
                    raise NoteNotFound(f"{note_id} version {version}")
                if expected_token is not None and current.token != expected_token:
                    return None
                from_state = current.state
            check_transition(from_state, to_state)
            values = dict(changes)
            if token is not None:
                values["token"] = token
            elif from_state == S.PROCESSING and to_state != S.PROCESSING:
                values["token"] = None
            condition = _key(note_id, version) & (status_table.c.state == from_state.value)
            if expected_token is not None:
                condition &= status_table.c.token == expected_token
            result = await self._connection.execute(
                update(status_table).where(condition).values(**values).returning(*status_table.c)
            )
            row = result.first()
            if row is not None:
                return status_from_row(row)
            if expected_state is not None:
                return None
        raise StorageError(f"status of note {note_id} version {version} kept changing under us")

    @translate_errors
    async def supersede_older(self, note_id: int, *, below_version: int, now: datetime) -> int:
        """Mark every active row of older versions SUPERSEDED; return how many."""
        result = await self._connection.execute(
            update(status_table)
            .where(
                status_table.c.note_id == note_id,
                status_table.c.version < below_version,
                status_table.c.state.in_(_SUPERSEDABLE),
            )
            .values(state=S.SUPERSEDED.value, token=None, updated_at=as_utc(now))
        )
        return int(result.rowcount)

    @translate_errors
    async def cancel_all(self, note_id: int, *, now: datetime) -> int:
        """Mark every row of the note that may still be cancelled CANCELLED; return how many."""
        result = await self._connection.execute(
            update(status_table)
            .where(status_table.c.note_id == note_id, status_table.c.state.in_(_CANCELLABLE))
            .values(state=S.CANCELLED.value, token=None, updated_at=as_utc(now))
        )
        return int(result.rowcount)

    @translate_errors
    async def list_in_states(
        self, states: Sequence[ProcessingState], *, updated_before: datetime, limit: int
    ) -> list[StatusRecord]:
        """Rows in any of `states` last changed before the cut-off, oldest first."""
        if not states or limit <= 0:
            return []
        result = await self._connection.execute(
            select(status_table)
            .where(
                status_table.c.state.in_([state.value for state in states]),
                status_table.c.updated_at < as_utc(updated_before),
            )
            .order_by(status_table.c.updated_at, status_table.c.note_id, status_table.c.version)
            .limit(limit)
        )
        return [status_from_row(row) for row in result]

    @translate_errors
    async def counts(self) -> dict[ProcessingState, int]:
        """How many rows are in each state; every state is present, zero when empty."""
        result = await self._connection.execute(
            select(status_table.c.state, func.count()).group_by(status_table.c.state)
        )
        counts = dict.fromkeys(ProcessingState, 0)
        for state, count in result:
            counts[ProcessingState(state)] = int(count)
        return counts

    def _cleanable(self, updated_before: datetime) -> Any:
        return status_table.c.state.in_([s.value for s in CLEANABLE_STATES]) & (
            status_table.c.updated_at < as_utc(updated_before)
        )

    @translate_errors
    async def delete_terminal(self, *, updated_before: datetime, limit: int) -> int:
        """Delete up to `limit` terminal rows (not FAILED) last changed before the cut-off."""
        if limit <= 0:
            return 0
        batch = (
            select(status_table.c.note_id, status_table.c.version)
            .where(self._cleanable(updated_before))
            .order_by(status_table.c.updated_at)
            .limit(limit)
        )
        result = await self._connection.execute(
            delete(status_table).where(
                tuple_(status_table.c.note_id, status_table.c.version).in_(batch)
            )
        )
        return int(result.rowcount)

    @translate_errors
    async def count_terminal(self, *, updated_before: datetime) -> int:
        """How many rows `delete_terminal` would delete with no limit."""
        result = await self._connection.execute(
            select(func.count()).select_from(status_table).where(self._cleanable(updated_before))
        )
        return int(result.scalar_one())

    @translate_errors
    async def delete(self, note_id: int, version: int) -> bool:
        """Delete one row (a FAILED row the DLQ no longer holds); False when it was not there."""
        result = await self._connection.execute(delete(status_table).where(_key(note_id, version)))
        return bool(result.rowcount)
