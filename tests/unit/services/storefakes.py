"""In-memory fakes of the storage ports and the queue, for unit tests of the services.

The fake unit of work copies the data on entry and writes it back only on commit, so a test
can see that an uncommitted change is rolled back, as with the real one.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Self

from robonotes.domain.exceptions import DomainError, NoteNotFound, QueueUnavailable
from robonotes.domain.jobs import JobPayload
from robonotes.domain.notes import NoteData, User
from robonotes.domain.status import (
    TERMINAL_STATES,
    TRANSITIONS,
    ProcessingState,
    StatusRecord,
    check_transition,
)
from robonotes.services.ports import NewNote

S = ProcessingState


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime | None = None) -> None:
        self.current = now or datetime(2026, 11, 16, 8, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta


@dataclass
class FakeDb:
    """Everything the fake repositories hold."""

    users: dict[int, User] = field(default_factory=dict)
    tokens: dict[str, int] = field(default_factory=dict)
    notes: dict[int, NoteData] = field(default_factory=dict)
    source_ids: dict[tuple[int, str], int] = field(default_factory=dict)
    statuses: dict[tuple[int, int], StatusRecord] = field(default_factory=dict)
    commits: int = 0


class FakeUserRepository:
    def __init__(self, db: FakeDb) -> None:
        self.db = db

    async def add(self, *, name: str, created_at: datetime) -> User:
        user = User(id=len(self.db.users) + 1, name=name, created_at=created_at)
        self.db.users[user.id] = user
        return user

    async def get_by_name(self, name: str) -> User:
        user = await self.find_by_name(name)
        if user is None:
            raise DomainError(f"no user named {name!r}")
        return user

    async def find_by_name(self, name: str) -> User | None:
        return next((u for u in self.db.users.values() if u.name == name), None)

    async def add_token(self, *, user_id: int, token_hash: str, created_at: datetime) -> None:
        self.db.tokens[token_hash] = user_id

    async def find_by_token_hash(self, token_hash: str) -> User | None:
        user_id = self.db.tokens.get(token_hash)
        return None if user_id is None else self.db.users[user_id]


class FakeNoteRepository:
    def __init__(self, db: FakeDb) -> None:
        self.db = db

    async def add(self, note: NewNote, *, content_hash: str) -> NoteData:
        stored = NoteData(
            id=max(self.db.notes, default=0) + 1,
            user_id=note.user_id,
            title=note.title,
            body=note.body,
            version=1,
            content_hash=content_hash,
            created_at=note.created_at,
            updated_at=note.created_at,
            time_zone=note.time_zone,
        )
        self.db.notes[stored.id] = stored
        if note.source_id is not None:
            self.db.source_ids[(note.user_id, note.source_id)] = stored.id
        return stored

    async def find_id_by_source_id(self, *, user_id: int, source_id: str) -> int | None:
        return self.db.source_ids.get((user_id, source_id))

    async def get(self, note_id: int, *, user_id: int | None = None) -> NoteData:
        note = await self.find(note_id)
        if note is None or (user_id is not None and note.user_id != user_id):
            raise NoteNotFound(note_id)
        return note

    async def find(self, note_id: int, *, include_deleted: bool = False) -> NoteData | None:
        note = self.db.notes.get(note_id)
        if note is None or (note.is_deleted and not include_deleted):
            return None
        return note

    async def list(
        self, *, user_id: int, after_id: int | None = None, limit: int = 50
    ) -> list[NoteData]:
        found = [
            n
            for n in self.db.notes.values()
            if n.user_id == user_id and not n.is_deleted and (after_id is None or n.id < after_id)
        ]
        return sorted(found, key=lambda n: n.id, reverse=True)[:limit]

    async def update(
        self, note_id: int, *, title: str | None, body: str, content_hash: str, updated_at: datetime
    ) -> NoteData:
        note = await self.get(note_id)
        changed = dataclasses.replace(
            note,
            title=title,
            body=body,
            content_hash=content_hash,
            version=note.version + 1,
            updated_at=updated_at,
        )
        self.db.notes[note_id] = changed
        return changed

    async def soft_delete(self, note_id: int, *, deleted_at: datetime) -> None:
        note = self.db.notes[note_id]
        self.db.notes[note_id] = dataclasses.replace(note, deleted_at=deleted_at)

    async def set_robo_fields(
        self,
        note_id: int,
        *,
        status: ProcessingState,
        processed_version: int | None = None,
        error: str | None = None,
    ) -> None:
        note = self.db.notes[note_id]
        changes: dict[str, object] = {"robo_status": status, "robo_error": error}
        if processed_version is not None:
            changes["robo_processed_version"] = processed_version
        self.db.notes[note_id] = dataclasses.replace(note, **changes)  # type: ignore[arg-type]


class FakeStatusRepository:
    def __init__(self, db: FakeDb) -> None:
        self.db = db

    async def add(self, *, note_id: int, version: int, user_id: int, now: datetime) -> StatusRecord:
        record = StatusRecord(
            note_id=note_id,
            version=version,
            user_id=user_id,
            state=S.PENDING,
            attempts=0,
            created_at=now,
            updated_at=now,
        )
        self.db.statuses[(note_id, version)] = record
        return record

    async def get(self, note_id: int, version: int) -> StatusRecord:
        record = await self.find(note_id, version)
        if record is None:
            raise NoteNotFound(note_id)
        return record

    async def find(self, note_id: int, version: int) -> StatusRecord | None:
        return self.db.statuses.get((note_id, version))

    async def find_latest(self, note_id: int) -> StatusRecord | None:
        rows = [r for (n, _v), r in self.db.statuses.items() if n == note_id]
        return max(rows, key=lambda r: r.version, default=None)

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
        **fields: object,
    ) -> StatusRecord | None:
        current = await self.get(note_id, version)
        if expected_state is not None:
            check_transition(expected_state, to_state)
            if current.state != expected_state:
                return None
        if expected_token is not None and current.token != expected_token:
            return None
        check_transition(current.state, to_state)
        changes = {k: v for k, v in fields.items() if v is not None}
        new_token = (
            token
            if token is not None
            else (None if current.state == S.PROCESSING else current.token)
        )
        moved = dataclasses.replace(
            current,
            state=to_state,
            updated_at=now,
            token=new_token,
            **changes,  # type: ignore[arg-type]
        )
        self.db.statuses[(note_id, version)] = moved
        return moved

    async def _move_all(self, note_id: int, to: ProcessingState, now: datetime, below: int) -> int:
        moved = 0
        for key, row in list(self.db.statuses.items()):
            if key[0] == note_id and key[1] < below and to in TRANSITIONS[row.state]:
                self.db.statuses[key] = dataclasses.replace(
                    row, state=to, updated_at=now, token=None
                )
                moved += 1
        return moved

    async def supersede_older(self, note_id: int, *, below_version: int, now: datetime) -> int:
        return await self._move_all(note_id, S.SUPERSEDED, now, below_version)

    async def cancel_all(self, note_id: int, *, now: datetime) -> int:
        return await self._move_all(note_id, S.CANCELLED, now, 2**62)

    async def list_in_states(
        self, states: Sequence[ProcessingState], *, updated_before: datetime, limit: int
    ) -> list[StatusRecord]:
        rows = [
            r
            for r in self.db.statuses.values()
            if r.state in states and r.updated_at < updated_before
        ]
        return sorted(rows, key=lambda r: r.updated_at)[:limit]

    async def counts(self) -> dict[ProcessingState, int]:
        counts = dict.fromkeys(ProcessingState, 0)
        for row in self.db.statuses.values():
            counts[row.state] += 1
        return counts

    def _cleanable(self, updated_before: datetime) -> list[StatusRecord]:
        states = TERMINAL_STATES - {S.FAILED}
        return [
            r
            for r in self.db.statuses.values()
            if r.state in states and r.updated_at < updated_before
        ]

    async def delete_terminal(self, *, updated_before: datetime, limit: int) -> int:
        rows = sorted(self._cleanable(updated_before), key=lambda r: r.updated_at)[:limit]
        for row in rows:
            del self.db.statuses[(row.note_id, row.version)]
        return len(rows)

    async def count_terminal(self, *, updated_before: datetime) -> int:
        return len(self._cleanable(updated_before))

    async def delete(self, note_id: int, version: int) -> bool:
        return self.db.statuses.pop((note_id, version), None) is not None


class FakeUnitOfWork:
    """Works on a copy of the data; `commit()` writes the copy back."""

    def __init__(self, shared: FakeDb) -> None:
        self.shared = shared

    async def __aenter__(self) -> Self:
        self.db = copy.deepcopy(self.shared)
        self.users = FakeUserRepository(self.db)
        self.notes = FakeNoteRepository(self.db)
        self.statuses = FakeStatusRepository(self.db)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def commit(self) -> None:
        self.shared.users, self.shared.tokens = self.db.users, self.db.tokens
        self.shared.notes, self.shared.statuses = self.db.notes, self.db.statuses
        self.shared.commits += 1
        self.db = copy.deepcopy(self.shared)
        self.users.db = self.notes.db = self.statuses.db = self.db

    async def rollback(self) -> None:
        self.db = copy.deepcopy(self.shared)


class FakeUnitOfWorkFactory:
    def __init__(self, db: FakeDb | None = None) -> None:
        self.db = db or FakeDb()

    def __call__(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.db)


class FakeQueue:
    """Records enqueued payloads; `down` makes it fail like an unreachable Redis."""

    def __init__(self, *, down: bool = False) -> None:
        self.down = down
        self.jobs: dict[tuple[int, int], str] = {}
        self.held: set[tuple[int, int]] = set()

    async def enqueue(self, payload: JobPayload) -> str:
        if self.down:
            raise QueueUnavailable("connection refused")
        key = (payload.note_id, payload.version)
        return self.jobs.setdefault(key, f"job-{payload.note_id}-{payload.version}")

    async def has_job(self, payload: JobPayload) -> bool:
        if self.down:
            raise QueueUnavailable("connection refused")
        return (payload.note_id, payload.version) in self.held
