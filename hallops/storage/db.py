"""What every storage backend offers the storage modules: whole-transaction write jobs, snapshot reads, events.

Two backends implement it: `sqlite.py` (the embedded default: one file, one writer thread with group commit)
and `postgres.py` (several server processes on one PostgreSQL). `open_database(url_or_path)` picks one.

Storage modules write SQL once for both: `?` placeholders (or `:name`), `tx.insert(...)` for a new row's id
(never `lastrowid`), `INSERT … ON CONFLICT …` (never `INSERT OR …`), `with tx.savepoint():` around a
statement whose error is caught and survived (PostgreSQL aborts the whole transaction otherwise), and
`tx.dialect` / `reader.dialect` where the two really differ (JSON paths). Rows read by name (`r["col"]`) or
position (`r[0]`), and `dict(r)` works, on both.
"""

from __future__ import annotations

import contextlib
import json
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

Clock = Callable[[], float]
Params = Sequence[Any] | Mapping[str, Any]


# A row as a backend returns it (sqlite3.Row, postgres.PgRow): read by name or position; dict(row) works.
Row = Any


@dataclass(frozen=True, slots=True)
class Event:
    hall_id: int
    seq: int
    type: str
    at: float
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Dialect:
    """Where the two SQL dialects differ, the storage modules ask this."""

    name: str  # "sqlite" | "postgresql"

    def json_text(self, column: str, *path: str) -> str:
        """A JSON value inside a TEXT column, as text (NULL when absent)."""
        if self.name == "postgresql":
            return f"({column}::jsonb #>> '{{{','.join(path)}}}')"
        return f"json_extract({column}, '$.{'.'.join(path)}')"

    def json_int(self, column: str, *path: str) -> str:
        if self.name == "postgresql":
            return f"({self.json_text(column, *path)})::bigint"
        return self.json_text(column, *path)


SQLITE = Dialect("sqlite")
POSTGRESQL = Dialect("postgresql")


class IntegrityError(Exception):
    """A constraint refused a statement (unique, foreign key, check), whichever the backend."""


class Busy(Exception):
    """The database cannot take the work now (locked past the busy timeout, or out of connections): the
    request changed nothing and may be retried."""


class OutcomeUnknown(Busy):
    """The connection broke while the transaction committed: the change may or may not be stored. A retry
    with the same Idempotency-Key is safe; one without may do it twice."""


class Tx(ABC):
    """What a write job sees: its transaction, the time, and the events it raises."""

    dialect: Dialect

    def __init__(self, now: float) -> None:
        self.now = now
        self.events: list[Event] = []
        # A bulk job (loading a whole hall) sets this to raise one summary event instead of one per row.
        self.quiet = False

    @abstractmethod
    def run(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return the number of rows it changed."""

    @abstractmethod
    def all(self, sql: str, params: Params = ()) -> list[Row]: ...

    def one(self, sql: str, params: Params = ()) -> Row | None:
        rows = self.all(sql, params)
        return rows[0] if rows else None

    def insert(self, sql: str, params: Params = ()) -> int:
        """An INSERT of one row; returns the new row's id."""
        row = self.one(f"{sql} RETURNING id", params)
        assert row is not None
        return int(row[0])

    @abstractmethod
    def many(self, sql: str, rows: Sequence[Params]) -> None:
        """One statement for each of many parameter rows."""

    @abstractmethod
    def savepoint(self) -> contextlib.AbstractContextManager[None]:
        """Undo only what ran inside when it raises (a caught constraint error leaves the rest usable)."""

    def emit(self, hall_id: int, type_: str, payload: dict[str, Any]) -> Event:
        """Append an event in this transaction: the hall's sequence number moves with the change, and the row
        lock it takes orders every writer of one hall, in this process or another."""
        row = self.one("UPDATE halls SET event_seq = event_seq + 1 WHERE id = ? RETURNING event_seq", (hall_id,))
        if row is None:
            raise LookupError(f"no hall {hall_id}")
        ev = Event(hall_id, int(row[0]), type_, self.now, payload)
        ticket = payload.get("ticket")
        ticket_id = ticket.get("id") if isinstance(ticket, dict) and type_.startswith("ticket.") else None
        self.run("INSERT INTO events (hall_id, seq, type, at, ticket_id, payload) VALUES (?, ?, ?, ?, ?, ?)",
                 (hall_id, ev.seq, type_, self.now, ticket_id,
                  json.dumps(payload, ensure_ascii=False, separators=(",", ":"))))
        self.events.append(ev)
        return ev


# Word of an event committed by another process: (hall id, sequence number, the event when it came along).
Heard = Callable[[int, int, "Event | None"], None]


class Reader(ABC):
    """Reads inside one snapshot (see `Database.snapshot`)."""

    dialect: Dialect

    @abstractmethod
    async def all(self, sql: str, params: Params = ()) -> list[Row]: ...

    async def one(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self.all(sql, params)
        return rows[0] if rows else None


class Database(ABC):
    """Owns the connections. `open()` creates and migrates; `close()` drains the writer and closes all."""

    dialect: Dialect
    clock: Clock
    on_commit: list[Callable[[list[Event]], None]]
    # Whether naming a job's hall (`write(fn, hall=…)`) helps: not with one writer, where every job queues.
    orders_by_hall = False

    @property
    @abstractmethod
    def label(self) -> str:
        """Where the data lives, for logs and messages (a path, or a URL without its password)."""

    @property
    @abstractmethod
    def data_dir(self) -> Path:
        """A folder on this machine for files kept beside the database (photos, the voice cache)."""

    @abstractmethod
    async def open(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def write(self, fn: Callable[[Tx], T], *, hall: int | None = None) -> T:
        """Run `fn` inside a write transaction; return its result once committed. `fn` may be run again
        when the backend retries a transaction that lost a race: it must not act outside `tx`. `hall`: the hall
        the job changes, when known beforehand — its writers then queue instead of racing (PostgreSQL)."""

    @abstractmethod
    def snapshot(self) -> contextlib.AbstractAsyncContextManager[Reader]:
        """Several reads that see one consistent state."""

    async def all(self, sql: str, params: Params = ()) -> list[Row]:
        async with self.snapshot() as r:
            return await r.all(sql, params)

    async def one(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self.all(sql, params)
        return rows[0] if rows else None

    async def events_between(self, hall_id: int, after: int, upto: int) -> list[Event]:
        rows = await self.all("SELECT seq, type, at, payload FROM events WHERE hall_id = ? AND seq > ? AND seq <= ? "
                              "ORDER BY seq", (hall_id, after, upto))
        return [Event(hall_id, int(r["seq"]), r["type"], float(r["at"]), json.loads(r["payload"])) for r in rows]

    def follow(self, notify: Heard) -> contextlib.AbstractAsyncContextManager[None]:
        """While inside, hear of events committed by other processes (`notify(hall_id, seq, event)`, at least
        once each, and once at start for every hall with no event); nothing for SQLite, where this process is
        the only writer. `event` is the event itself when it came with the word, else None (read it)."""
        return contextlib.nullcontext()


def is_url(target: str | Path) -> bool:
    return str(target).startswith(("postgresql://", "postgres://"))


def open_database(target: str | Path, *, clock: Clock = time.time, **options: Any) -> Database:
    """A path is a SQLite file (the embedded default); a postgresql:// URL is PostgreSQL."""
    if is_url(target):
        from hallops.storage.postgres import PostgresDatabase

        return PostgresDatabase(str(target), clock=clock, **{k: v for k, v in options.items()
                                                            if k in PostgresDatabase.OPTIONS})
    from hallops.storage.sqlite import SQLiteDatabase

    return SQLiteDatabase(Path(target), clock=clock, **{k: v for k, v in options.items()
                                                       if k in SQLiteDatabase.OPTIONS})


__all__ = [
    "Busy",
    "Clock",
    "Database",
    "Dialect",
    "Event",
    "IntegrityError",
    "OutcomeUnknown",
    "Params",
    "Reader",
    "Row",
    "Tx",
    "is_url",
    "open_database",
]
