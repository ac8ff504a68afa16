"""The SQLite database: one writer thread running whole transactions, aiosqlite readers beside it.

Writes are functions `fn(tx) -> result` run on one dedicated thread that owns the only writing connection.
A write costs one thread hop however many statements it runs. Jobs that queue up while a transaction is
running commit together as one transaction (group commit: one fsync for the batch), each in its own
savepoint, so one job's error rolls back only that job. A job's result is handed back, and its events are
published, only after the COMMIT returned: an acknowledged ticket is on disk (WAL, synchronous=FULL).

A job, once queued, runs to the end even if the request that asked for it is cancelled (the client hung
up): the kiosk's ticket exists and its retry with the same Idempotency-Key gets it back.

Reads go through a small pool of aiosqlite connections; each is checked out by one coroutine at a time, so
statements of two requests never interleave on one connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from hallops.storage import migrations

log = logging.getLogger(__name__)
T = TypeVar("T")

Clock = Callable[[], float]
Params = Sequence[Any] | Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Event:
    hall_id: int
    seq: int
    type: str
    at: float
    payload: dict[str, Any]


@dataclass(slots=True)
class Tx:
    """What a write job sees: the connection inside its savepoint, the time, and the events it raises."""

    conn: sqlite3.Connection
    now: float
    events: list[Event] = field(default_factory=list)
    # A bulk job (loading a whole hall) sets this to raise one summary event instead of one per row.
    quiet: bool = False
    _emit: Callable[[Tx, int, str, dict[str, Any]], Event] | None = None

    def all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, params).fetchall()

    def one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        return self.conn.execute(sql, params).fetchone()

    def run(self, sql: str, params: Params = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def emit(self, hall_id: int, type_: str, payload: dict[str, Any]) -> Event:
        assert self._emit is not None
        return self._emit(self, hall_id, type_, payload)


def _connect(path: Path, *, synchronous: str, busy_timeout_ms: int) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {synchronous}")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


class Database:
    """Owns the file. `open()` creates and migrates it; `close()` drains the writer and closes all."""

    def __init__(self, path: str | Path, *, synchronous: str = "FULL", busy_timeout_ms: int = 5000,
                 readers: int = 2, max_batch: int = 64, clock: Clock = time.time) -> None:
        self.path = Path(path)
        self.synchronous = synchronous
        self.busy_timeout_ms = busy_timeout_ms
        self.reader_count = readers
        self.max_batch = max_batch
        self.clock = clock
        self.on_commit: list[Callable[[list[Event]], None]] = []
        self._executor: ThreadPoolExecutor | None = None
        self._conn: sqlite3.Connection | None = None
        self._jobs: asyncio.Queue[tuple[Callable[[Tx], Any], asyncio.Future[Any]]] | None = None
        self._writer_task: asyncio.Task[None] | None = None
        self._readers: asyncio.Queue[aiosqlite.Connection] | None = None
        self._all_readers: list[aiosqlite.Connection] = []

    # -- life cycle -------------------------------------------------------------------------------------

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        loop = asyncio.get_running_loop()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hallops-writer")
        try:
            self._conn = await loop.run_in_executor(
                self._executor, lambda: _connect(self.path, synchronous=self.synchronous,
                                                 busy_timeout_ms=self.busy_timeout_ms))
            applied = await loop.run_in_executor(self._executor, migrations.apply, self._conn)
            if applied:
                log.info("applied migrations %s to %s", ", ".join(applied), self.path)
            self._readers = asyncio.Queue()
            for _ in range(self.reader_count):
                r = await aiosqlite.connect(self.path, isolation_level=None)
                self._all_readers.append(r)
                r.row_factory = sqlite3.Row
                await r.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
                await r.execute("PRAGMA query_only = ON")
                self._readers.put_nowait(r)
        except BaseException:
            await self.close()
            raise
        self._jobs = asyncio.Queue()
        self._writer_task = asyncio.create_task(self._writer(), name="hallops-writer")

    async def close(self) -> None:
        if self._writer_task is not None:
            assert self._jobs is not None
            # Let queued jobs finish: each was promised to someone.
            await self._jobs.join()
            self._writer_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer_task
            self._writer_task = None
        for r in self._all_readers:
            await r.close()
        self._all_readers.clear()
        if self._executor is not None:
            if self._conn is not None:
                conn = self._conn
                await asyncio.get_running_loop().run_in_executor(self._executor, conn.close)
                self._conn = None
            self._executor.shutdown(wait=True)
            self._executor = None

    # -- writing ----------------------------------------------------------------------------------------

    async def write(self, fn: Callable[[Tx], T]) -> T:
        """Run `fn` inside a write transaction; return its result once committed."""
        if self._jobs is None:
            raise RuntimeError("database is not open")
        fut: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._jobs.put_nowait((fn, fut))
        # If the caller is cancelled (the client hung up), the queued job still runs and commits; only its
        # answer is dropped (the writer skips futures that are already done).
        return await fut

    async def _writer(self) -> None:
        assert self._jobs is not None
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._jobs.get()]
            while len(batch) < self.max_batch and not self._jobs.empty():
                batch.append(self._jobs.get_nowait())
            try:
                outcomes = await loop.run_in_executor(self._executor, self._run_batch, [f for f, _ in batch])
            except Exception as e:  # BEGIN or COMMIT failed (busy, disk full): nothing of the batch is stored
                log.warning("write batch of %d failed: %s", len(batch), e)
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(e)
                    self._jobs.task_done()
                continue
            events = [ev for ok, _, evs in outcomes if ok for ev in evs]
            if events:
                for listener in self.on_commit:
                    try:
                        listener(events)
                    except Exception:
                        log.exception("event listener failed")
            for (_, fut), (ok, value, _) in zip(batch, outcomes, strict=True):
                self._jobs.task_done()
                if fut.done():
                    continue
                if ok:
                    fut.set_result(value)
                else:
                    fut.set_exception(value)

    def _run_batch(self, fns: list[Callable[[Tx], Any]]) -> list[tuple[bool, Any, list[Event]]]:
        conn = self._conn
        assert conn is not None
        # A job alone needs no savepoint: if it fails, the whole transaction rolls back (and skips the fsync).
        alone = len(fns) == 1
        conn.execute("BEGIN IMMEDIATE")
        outcomes: list[tuple[bool, Any, list[Event]]] = []
        try:
            for fn in fns:
                tx = Tx(conn, self.clock(), _emit=_emit_event)
                if not alone:
                    conn.execute("SAVEPOINT job")
                try:
                    value = fn(tx)
                except Exception as e:
                    if not alone:
                        conn.execute("ROLLBACK TO job")
                        conn.execute("RELEASE job")
                    outcomes.append((False, e, []))
                else:
                    if not alone:
                        conn.execute("RELEASE job")
                    outcomes.append((True, value, tx.events))
            conn.execute("ROLLBACK" if alone and not outcomes[0][0] else "COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return outcomes

    # -- reading ----------------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def reader(self) -> AsyncIterator[aiosqlite.Connection]:
        """A read connection for this coroutine alone (wrap several reads in BEGIN/COMMIT to see one
        snapshot)."""
        if self._readers is None:
            raise RuntimeError("database is not open")
        conn = await self._readers.get()
        try:
            yield conn
        finally:
            if conn.in_transaction:
                await conn.rollback()
            self._readers.put_nowait(conn)

    async def all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        async with self.reader() as conn:
            return list(await conn.execute_fetchall(sql, params))

    async def one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        rows = await self.all(sql, params)
        return rows[0] if rows else None


def _emit_event(tx: Tx, hall_id: int, type_: str, payload: dict[str, Any]) -> Event:
    """Append an event in the job's transaction: the hall's sequence number moves with the change."""
    row = tx.one("UPDATE halls SET event_seq = event_seq + 1 WHERE id = ? RETURNING event_seq", (hall_id,))
    if row is None:
        raise LookupError(f"no hall {hall_id}")
    ev = Event(hall_id, row[0], type_, tx.now, payload)
    ticket = payload.get("ticket")
    ticket_id = ticket.get("id") if isinstance(ticket, dict) and type_.startswith("ticket.") else None
    tx.run("INSERT INTO events (hall_id, seq, type, at, ticket_id, payload) VALUES (?, ?, ?, ?, ?, ?)",
           (hall_id, ev.seq, type_, tx.now, ticket_id,
            json.dumps(payload, ensure_ascii=False, separators=(",", ":"))))
    tx.events.append(ev)
    return ev
