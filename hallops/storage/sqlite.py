"""The SQLite backend: one writer thread running whole transactions, aiosqlite readers beside it.

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
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from hallops.storage import migrations
from hallops.storage.db import SQLITE, Busy, Clock, Database, Event, IntegrityError, Params, Reader, Row, Tx
from hallops.storage.lanes import LaneGate

log = logging.getLogger(__name__)
T = TypeVar("T")


class SQLiteTx(Tx):
    dialect = SQLITE

    def __init__(self, conn: sqlite3.Connection, now: float) -> None:
        super().__init__(now)
        self.conn = conn

    def run(self, sql: str, params: Params = ()) -> int:
        try:
            return self.conn.execute(sql, params).rowcount
        except sqlite3.IntegrityError as e:
            raise IntegrityError(str(e)) from e

    def all(self, sql: str, params: Params = ()) -> list[Row]:
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.IntegrityError as e:
            raise IntegrityError(str(e)) from e

    def many(self, sql: str, rows: Sequence[Params]) -> None:
        try:
            self.conn.executemany(sql, rows)
        except sqlite3.IntegrityError as e:
            raise IntegrityError(str(e)) from e

    @contextlib.contextmanager
    def savepoint(self) -> Iterator[None]:
        # SQLite undoes a failed statement by itself; a savepoint is needed only for several statements.
        self.conn.execute("SAVEPOINT sp")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK TO sp")
            self.conn.execute("RELEASE sp")
            raise
        self.conn.execute("RELEASE sp")


class SQLiteReader(Reader):
    dialect = SQLITE

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def all(self, sql: str, params: Params = ()) -> list[Row]:
        return list(await self.conn.execute_fetchall(sql, params))


def _connect(path: Path, *, synchronous: str, busy_timeout_ms: int) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {synchronous}")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


class SQLiteDatabase(Database):
    """Owns the file. `open()` creates and migrates it; `close()` drains the writer and closes all."""

    dialect = SQLITE
    OPTIONS = frozenset({"synchronous", "busy_timeout_ms", "readers", "max_batch"})

    def __init__(self, path: str | Path, *, synchronous: str = "FULL", busy_timeout_ms: int = 5000,
                 readers: int = 3, max_batch: int = 64, clock: Clock = time.time) -> None:
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
        self.lanes = LaneGate(readers)
        self._all_readers: list[aiosqlite.Connection] = []

    @property
    def label(self) -> str:
        return str(self.path)

    @property
    def data_dir(self) -> Path:
        return self.path.resolve().parent

    # -- life cycle -------------------------------------------------------------------------------------

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        loop = asyncio.get_running_loop()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hallops-writer")
        try:
            self._conn = await loop.run_in_executor(
                self._executor, lambda: _connect(self.path, synchronous=self.synchronous,
                                                 busy_timeout_ms=self.busy_timeout_ms))
            applied = await loop.run_in_executor(self._executor, migrations.apply_sqlite, self._conn)
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

    async def write(self, fn: Callable[[Tx], T], *, hall: int | None = None) -> T:
        """Run `fn` inside a write transaction; return its result once committed. (One writer: every job
        queues already, whatever its hall.)"""
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
                if isinstance(e, sqlite3.OperationalError) and ("locked" in str(e) or "busy" in str(e)):
                    e = Busy(str(e))
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
                tx = SQLiteTx(conn, self.clock())
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
    async def snapshot(self) -> AsyncIterator[Reader]:
        """A read connection for this coroutine alone, inside one read transaction (one snapshot)."""
        if self._readers is None:
            raise RuntimeError("database is not open")
        lane = await self.lanes.acquire()  # counters first (storage/lanes.py); a held place has a free reader
        try:
            conn = self._readers.get_nowait()
            try:
                await conn.execute("BEGIN")
                yield SQLiteReader(conn)
            finally:
                if conn.in_transaction:
                    await conn.rollback()
                self._readers.put_nowait(conn)
        finally:
            self.lanes.release(lane)
