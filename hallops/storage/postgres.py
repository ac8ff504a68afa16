"""The PostgreSQL backend: any number of server processes on one database.

Write jobs are the same plain functions `fn(tx)` as on SQLite, run on a few writer threads, each with its own
connection, each job in its own REPEATABLE READ transaction. Every job that changes a hall raises an event,
and raising one updates the hall's row (`event_seq`): two writers of one hall, in one process or two, meet on
that row, and the second fails with a serialization error and runs again on the new state. That makes every
rule checked inside a job (call next, numbering, window states) hold across processes by construction, and
gives each hall one gapless event sequence in commit order. Numbers are also unique by constraint.

Events reach other processes by NOTIFY (sent at commit, in commit order): "hall:seq:event" with the event
itself when it fits in a notification, else "hall:seq" and the listener reads it; `events/relay.py` turns
those into the same ordered, exactly-once stream the local commits feed.

Reads go through an asyncio connection pool; `snapshot()` reads in one REPEATABLE READ, READ ONLY transaction.
SQL is written once for both backends (see db.py): `?` and `:name` placeholders are rewritten for psycopg here.
"""

from __future__ import annotations

import asyncio
import contextlib
import decimal
import json
import logging
import random
import re
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from hallops.domain.errors import E, InvalidInput
from hallops.storage import migrations
from hallops.storage.db import (
    POSTGRESQL,
    Busy,
    Clock,
    Database,
    Event,
    Heard,
    IntegrityError,
    OutcomeUnknown,
    Params,
    Reader,
    Row,
    Tx,
)
from hallops.storage.lanes import LaneGate

log = logging.getLogger(__name__)
T = TypeVar("T")

CHANNEL = "hallops_events"
MAX_ATTEMPTS = 60  # a job that loses the race for its hall this often in a row is reported, not retried
UNIQUE_RETRIES = 3
ESCALATE_AFTER = 4  # optimistic attempts before a job runs alone behind the exclusive gate
HALL_LOCK_NS = 0x4A11  # advisory locks (HALL_LOCK_NS, hall id): one hall's named writers take turns
GATE_KEY = 0x4A11_0A7E  # the advisory lock every write job holds shared (a starving one exclusively)
# A write waits this long for a row another transaction holds, and runs at most this long: past that the
# request answers 503 (database busy) instead of hanging a writer thread.
LOCK_TIMEOUT = "5s"
STATEMENT_TIMEOUT = "30s"
CONNECT_TIMEOUT = 5  # seconds
# A link that died without a reset (a NAT timeout, a failover) is noticed in about 25 s, not the kernel's 2 h.
KEEPALIVES: dict[str, Any] = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5,
                              "keepalives_count": 3}
LISTEN_CHECK = 10.0  # seconds without a notification before the LISTEN connection is checked and halls re-read


# -- SQL and rows --------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|::|:[A-Za-z_]\w*|\?|%")


@lru_cache(maxsize=4096)
def translate(sql: str) -> str:
    """`?` → `%s`, `:name` → `%(name)s`, a literal `%` → `%%` (psycopg reads `%` even inside quotes);
    `?` and `:name` inside quoted text, and `::` casts, are left alone."""
    def sub(m: re.Match[str]) -> str:
        tok = m.group(0)
        if tok == "?":
            return "%s"
        if tok == "%":
            return "%%"
        if tok.startswith(("'", '"')):
            return tok.replace("%", "%%")
        if tok.startswith(":") and tok != "::":
            return f"%({tok[1:]})s"
        return tok
    return _TOKEN.sub(sub, sql)


def _value(v: Any) -> Any:
    # Flags are INTEGER columns on both backends; PostgreSQL will not compare a boolean with an integer.
    return int(v) if isinstance(v, bool) else v


def _params(params: Params) -> Params:
    if isinstance(params, dict):
        return {k: _value(v) for k, v in params.items()}
    return [_value(v) for v in params]


class PgRow(tuple):
    """A row readable by position and by column name, and convertible with dict(), like sqlite3.Row."""

    __slots__ = ()
    _names: tuple[str, ...] = ()
    _index: dict[str, int] = {}  # noqa: RUF012 - set per subclass

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


@lru_cache(maxsize=1024)
def _row_class(names: tuple[str, ...]) -> type[PgRow]:
    return type("PgRow", (PgRow,), {"__slots__": (), "_names": names,
                                    "_index": {n: i for i, n in enumerate(names)}})


def _plain(v: Any) -> Any:
    # sum() and avg() of integers are numeric in PostgreSQL; the code above storage expects int or float.
    if isinstance(v, decimal.Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    return v


def _row_factory(cursor: Any) -> Callable[[Sequence[Any]], PgRow]:
    desc = cursor.description
    if desc is None:
        return lambda values: PgRow(values)
    cls = _row_class(tuple(c.name for c in desc))
    return lambda values: cls(_plain(v) for v in values)


@contextlib.contextmanager
def _constraint_errors() -> Iterator[None]:
    try:
        yield
    except pg_errors.IntegrityError as e:
        raise IntegrityError(str(e)) from e


# -- write jobs --------------------------------------------------------------------------------------------

class PgTx(Tx):
    dialect = POSTGRESQL

    def __init__(self, conn: psycopg.Connection[Any], now: float) -> None:
        super().__init__(now)
        self.conn = conn
        self._sp = 0

    def run(self, sql: str, params: Params = ()) -> int:
        with _constraint_errors():
            return self.conn.execute(translate(sql), _params(params)).rowcount

    def all(self, sql: str, params: Params = ()) -> list[Row]:
        with _constraint_errors():
            cur = self.conn.execute(translate(sql), _params(params))
            return cur.fetchall() if cur.description is not None else []

    def many(self, sql: str, rows: Sequence[Params]) -> None:
        with _constraint_errors(), self.conn.cursor() as cur:
            cur.executemany(translate(sql), [_params(r) for r in rows])

    @contextlib.contextmanager
    def savepoint(self) -> Iterator[None]:
        self._sp += 1
        name = f"sp{self._sp}"
        self.conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            self.conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
            raise
        self.conn.execute(f"RELEASE SAVEPOINT {name}")


_RETRY = (pg_errors.SerializationFailure, pg_errors.DeadlockDetected)


class PgReader(Reader):
    dialect = POSTGRESQL

    def __init__(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self.conn = conn

    async def all(self, sql: str, params: Params = ()) -> list[Row]:
        cur = await self.conn.execute(translate(sql), _params(params))
        return await cur.fetchall() if cur.description is not None else []


def redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        host = parts.hostname or ""
        netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


NOTICE_BYTES = 7000  # PostgreSQL's limit on a notification's payload is 8,000 bytes


def notices(events: Sequence[Event]) -> list[str]:
    """What a transaction's events tell other processes, one word each: the event itself when it fits in a
    notification (they need not read it back), else its hall and sequence number (they read it)."""
    words: list[str] = []
    for ev in events:
        body = json.dumps([ev.type, ev.at, ev.payload], ensure_ascii=False, separators=(",", ":"))
        word = f"{ev.hall_id}:{ev.seq}:{body}"
        words.append(word if len(word.encode()) <= NOTICE_BYTES else f"{ev.hall_id}:{ev.seq}")
    return words


def heard(word: str) -> tuple[int, int, Event | None]:
    """A notification back into (hall, seq, the event if it came along)."""
    hall, _, rest = word.partition(":")
    seq, _, body = rest.partition(":")
    if not body:
        return int(hall), int(seq), None
    type_, at, payload = json.loads(body)
    return int(hall), int(seq), Event(int(hall), int(seq), type_, float(at), payload)


class PostgresDatabase(Database):
    dialect = POSTGRESQL
    orders_by_hall = True
    OPTIONS = frozenset({"readers", "writers", "data_dir", "lock_timeout"})

    def __init__(self, url: str, *, readers: int = 4, writers: int = 4, data_dir: str | Path | None = None,
                 clock: Clock = time.time, lock_timeout: str = LOCK_TIMEOUT) -> None:
        self.lock_timeout = lock_timeout
        self.url = url
        self.reader_count = max(2, readers)
        self.lanes = LaneGate(self.reader_count)
        self.writer_count = max(1, writers)
        self.clock = clock
        self.on_commit: list[Callable[[list[Event]], None]] = []
        self._data_dir = Path(data_dir) if data_dir is not None else Path("var")
        self._executor: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._conns: list[psycopg.Connection[Any]] = []
        self._conns_lock = threading.Lock()
        self._pool: AsyncConnectionPool | None = None
        self._pending: set[asyncio.Task[Any]] = set()
        self.retries = 0  # transactions run again after losing a race (for tests and benchmarks)

    @property
    def label(self) -> str:
        return redact(self.url)

    @property
    def data_dir(self) -> Path:
        return self._data_dir

    # -- life cycle -------------------------------------------------------------------------------------

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            conn = psycopg.connect(self.url, autocommit=True, row_factory=_row_factory,
                                   connect_timeout=CONNECT_TIMEOUT, **KEEPALIVES)
        except psycopg.OperationalError as e:
            raise Busy(str(e)) from e
        conn.execute("SET TIME ZONE 'UTC'")
        conn.execute("SELECT set_config('lock_timeout', %s, false)", (self.lock_timeout,))
        conn.execute(f"SET statement_timeout = '{STATEMENT_TIMEOUT}'")
        return conn

    async def open(self) -> None:
        self._data_dir.mkdir(parents=True, exist_ok=True)  # photos and the voice cache live here
        loop = asyncio.get_running_loop()
        self._executor = ThreadPoolExecutor(max_workers=self.writer_count, thread_name_prefix="hallops-pg-writer")
        try:
            applied = await loop.run_in_executor(self._executor, self._migrate)
            if applied:
                log.info("applied migrations %s to %s", ", ".join(applied), self.label)
            self._pool = AsyncConnectionPool(self.url, min_size=2, max_size=self.reader_count, open=False,
                                             kwargs={"autocommit": True, "row_factory": _row_factory,
                                                     "connect_timeout": CONNECT_TIMEOUT,
                                                     "options": f"-c statement_timeout={STATEMENT_TIMEOUT}",
                                                     **KEEPALIVES})
            await self._pool.open(wait=True, timeout=30)
        except BaseException:
            await self.close()
            raise

    def _migrate(self) -> list[str]:
        with psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT) as conn:
            return migrations.apply_postgres(conn)

    async def close(self) -> None:
        # Let running jobs finish: each was promised to someone.
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        with self._conns_lock:
            for c in self._conns:
                c.close()
            self._conns.clear()

    # -- writing ----------------------------------------------------------------------------------------

    async def write(self, fn: Callable[[Tx], T], *, hall: int | None = None) -> T:
        if self._executor is None:
            raise RuntimeError("database is not open")
        # The job runs to the end and its events are published even if the caller is cancelled (the client
        # hung up): the ticket exists, and a retry with the same Idempotency-Key gets it back.
        task = asyncio.ensure_future(self._write(fn, hall))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        return await asyncio.shield(task)

    async def _write(self, fn: Callable[[Tx], T], hall: int | None) -> T:
        loop = asyncio.get_running_loop()
        value, events = await loop.run_in_executor(self._executor, self._run_hall_job, fn, hall)
        if events:
            for listener in self.on_commit:
                try:
                    listener(events)
                except Exception:
                    log.exception("event listener failed")
        return value

    def _writer_conn(self) -> psycopg.Connection[Any]:
        conn: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = self._connect()
            self._local.conn = conn
            with self._conns_lock:
                self._conns.append(conn)
        return conn

    def _run_hall_job(self, fn: Callable[[Tx], T], hall: int | None) -> tuple[T, list[Event]]:
        """With its hall named, a job first waits its turn on the hall's advisory lock (held by the session,
        taken before the transaction starts, so its snapshot is taken after the one before it committed):
        the hall's writers in every process queue instead of racing and running again."""
        if hall is None:
            return self._run_job(fn)
        conn = self._writer_conn()
        try:
            conn.execute("SELECT pg_advisory_lock(%s, %s)", (HALL_LOCK_NS, hall))
        except (pg_errors.LockNotAvailable, pg_errors.QueryCanceled) as e:
            raise Busy(str(e)) from e
        except psycopg.OperationalError as e:
            with contextlib.suppress(Exception):
                conn.close()
            self._local.conn = None
            raise Busy(str(e)) from e
        try:
            return self._run_job(fn)
        finally:
            if not conn.closed:
                with contextlib.suppress(psycopg.Error):
                    conn.execute("SELECT pg_advisory_unlock(%s, %s)", (HALL_LOCK_NS, hall))

    def _run_job(self, fn: Callable[[Tx], T]) -> tuple[T, list[Event]]:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            conn = self._writer_conn()
            tx = PgTx(conn, self.clock())
            committing = False
            try:
                if attempt <= ESCALATE_AFTER:
                    # Optimistic: writers of one hall run side by side and the loser runs again. The shared
                    # gate costs nothing until a starving job (below) asks for it exclusively.
                    conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
                    conn.execute("SELECT pg_advisory_xact_lock_shared(%s)", (GATE_KEY,))
                else:
                    # A job that lost the race this often (a long one among short ones) runs alone: the
                    # exclusive gate waits for the writers in flight and holds new ones back, so no other
                    # writer runs beside it and READ COMMITTED sees every row as it is now.
                    conn.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (GATE_KEY,))
                value = fn(tx)
                words = notices(tx.events)
                if words:
                    conn.execute("SELECT " + ", ".join(["pg_notify(%s, %s)"] * len(words)),
                                 [x for w in words for x in (CHANNEL, w)])
                committing = True
                conn.execute("COMMIT")
                return value, tx.events
            except (*_RETRY, IntegrityError) as e:
                conn.execute("ROLLBACK")
                # A unique key taken by a transaction that committed after this one's snapshot: run again on
                # the new state (a few times only: a key taken for good stays an error for the job to report).
                if isinstance(e, IntegrityError) and (
                        not isinstance(e.__cause__, pg_errors.UniqueViolation) or attempt > UNIQUE_RETRIES):
                    raise
                self.retries += 1
                if attempt == MAX_ATTEMPTS:
                    raise Busy(f"gave up after {attempt} attempts: {e}") from e
                time.sleep(random.uniform(0, 0.002 * min(attempt, 10)))
            except (pg_errors.LockNotAvailable, pg_errors.QueryCanceled) as e:
                # lock_timeout / statement_timeout: something holds the rows too long. Nothing was stored.
                self._rollback(conn)
                raise Busy(str(e)) from e
            except psycopg.OperationalError as e:
                # The connection broke (server restart): drop it; the next job connects again.
                with contextlib.suppress(Exception):
                    conn.close()
                self._local.conn = None
                if committing:
                    raise OutcomeUnknown(str(e)) from e
                raise Busy(str(e)) from e
            except psycopg.DataError as e:
                # Text PostgreSQL cannot hold (a NUL byte) or a value out of its range: the request's fault.
                self._rollback(conn)
                raise InvalidInput(E.INVALID_INPUT, "输入含无法保存的字符或数值 (input holds a character or "
                                                    "value that cannot be stored)") from e
            except BaseException:
                self._rollback(conn)
                raise
        raise AssertionError("unreachable")

    @staticmethod
    def _rollback(conn: psycopg.Connection[Any]) -> None:
        if not conn.closed and conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            with contextlib.suppress(psycopg.Error):
                conn.execute("ROLLBACK")

    # -- reading ----------------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def snapshot(self) -> AsyncIterator[Reader]:
        if self._pool is None:
            raise RuntimeError("database is not open")
        async with self._reader() as conn, conn.transaction():
            await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield PgReader(conn)

    @contextlib.asynccontextmanager
    async def _reader(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        assert self._pool is not None
        lane = await self.lanes.acquire()  # counters first (storage/lanes.py)
        try:
            async with self._pool.connection(timeout=10) as conn:
                yield conn
        except (PoolTimeout, psycopg.OperationalError) as e:
            raise Busy(str(e)) from e
        finally:
            self.lanes.release(lane)

    async def all(self, sql: str, params: Params = ()) -> list[Row]:
        if self._pool is None:
            raise RuntimeError("database is not open")
        async with self._reader() as conn:
            return await PgReader(conn).all(sql, params)

    # -- following other processes ------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def follow(self, notify: Heard) -> AsyncIterator[None]:
        listening = asyncio.Event()
        task = asyncio.create_task(self._listen(notify, listening), name="hallops-pg-listen")
        try:
            await asyncio.wait_for(listening.wait(), 30)
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _listen(self, notify: Heard, listening: asyncio.Event) -> None:
        delay = 0.2
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self.url, autocommit=True,
                                                                 connect_timeout=CONNECT_TIMEOUT,
                                                                 **KEEPALIVES) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    await self._resync(conn, notify)  # whatever was committed while not listening
                    listening.set()
                    delay = 0.2
                    while True:
                        async for n in conn.notifies(timeout=LISTEN_CHECK):
                            notify(*heard(n.payload))
                        # Quiet for a while: make sure the link is alive (a stalled one fails here and is
                        # opened again) and that no notification went missing.
                        await asyncio.wait_for(self._resync(conn, notify), CONNECT_TIMEOUT)
            except asyncio.CancelledError:
                raise
            except Exception as e:
                log.warning("listening for events failed (%s); again in %.1f s", e, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    @staticmethod
    async def _resync(conn: psycopg.AsyncConnection[Any], notify: Heard) -> None:
        """Each hall's latest sequence number: the relay reads back any event it has not handed on."""
        cur = await conn.execute("SELECT id, event_seq FROM halls")
        for hall_id, seq in await cur.fetchall():
            notify(int(hall_id), int(seq), None)
