"""What storage promises the layers above, on whichever backend the suite runs (SQLite, or PostgreSQL with
HALLOPS_TEST_DATABASE): one SQL text for both, rows read by name and position, write jobs that see their own
writes, savepoints that undo only their part, gapless event sequences under concurrent writers, and the relay
that hands each hall's events on in order and exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from hallops.events.relay import Relay
from hallops.storage.db import Database, Event, IntegrityError, Tx, open_database
from hallops.storage.postgres import NOTICE_BYTES, heard, notices, translate
from tests.conftest import Clock, on_postgres


@pytest.fixture
async def db(database: str, clock: Clock) -> AsyncIterator[Database]:
    d = open_database(database, clock=clock)
    await d.open()
    hall = await d.write(lambda tx: tx.insert(
        "INSERT INTO halls (code, name, timezone, created_at) VALUES (?, ?, ?, ?)", ("h", "H", "Asia/Shanghai", 0)))
    assert hall == 1
    yield d
    await d.close()


def test_placeholders_become_psycopgs_and_quoted_text_is_left_alone() -> None:
    assert translate("SELECT * FROM t WHERE a = ? AND b = ?") == "SELECT * FROM t WHERE a = %s AND b = %s"
    assert translate("UPDATE t SET s = :new WHERE id = :id") == "UPDATE t SET s = %(new)s WHERE id = %(id)s"
    assert translate("SELECT '?', ':x', 'a''?' FROM t WHERE n LIKE '10%' AND m = ?") == \
        "SELECT '?', ':x', 'a''?' FROM t WHERE n LIKE '10%%' AND m = %s"
    assert translate("SELECT x::bigint FROM t WHERE y = ?") == "SELECT x::bigint FROM t WHERE y = %s"


async def test_rows_read_by_name_by_position_and_as_dicts(db: Database) -> None:
    row = await db.one("SELECT id, code, name FROM halls WHERE code = ?", ("h",))
    assert row is not None
    assert (row["id"], row[1], row["name"]) == (1, "h", "H")
    assert dict(row) == {"id": 1, "code": "h", "name": "H"}
    total = await db.one("SELECT sum(event_seq) AS s, count(*) AS n FROM halls")
    assert total is not None and (total["s"], total["n"]) == (0, 1)  # plain ints on both backends


async def test_a_job_sees_its_own_writes_and_a_savepoint_undoes_only_its_part(db: Database) -> None:
    def job(tx: Tx) -> list[str]:
        tx.run("INSERT INTO departments (hall_id, code, name) VALUES (?, ?, ?)", (1, "a", "A"))
        try:
            with tx.savepoint():
                tx.run("INSERT INTO departments (hall_id, code, name) VALUES (?, ?, ?)", (1, "b", "B"))
                tx.run("INSERT INTO departments (hall_id, code, name) VALUES (?, ?, ?)", (1, "a", "again"))
        except IntegrityError:
            pass
        tx.run("INSERT INTO departments (hall_id, code, name) VALUES (?, ?, ?)", (1, "c", "C"))
        return [r["code"] for r in tx.all("SELECT code FROM departments ORDER BY code")]

    assert await db.write(job) == ["a", "c"]
    assert [r[0] for r in await db.all("SELECT code FROM departments ORDER BY code")] == ["a", "c"]


async def test_a_failing_job_leaves_nothing(db: Database) -> None:
    def job(tx: Tx) -> None:
        tx.emit(1, "test.one", {})
        tx.run("INSERT INTO departments (hall_id, code, name) VALUES (?, ?, ?)", (1, "x", "X"))
        raise RuntimeError("refused")

    with pytest.raises(RuntimeError):
        await db.write(job)
    assert (await db.one("SELECT count(*) FROM departments"))[0] == 0
    assert (await db.one("SELECT event_seq FROM halls WHERE id = 1"))[0] == 0


async def test_concurrent_writers_of_one_hall_get_a_gapless_sequence(db: Database) -> None:
    def job(tx: Tx) -> int:
        seq = tx.emit(1, "test.tick", {"n": 1}).seq
        tx.run("UPDATE halls SET notice = ? WHERE id = ?", (f"n{seq}", 1))
        return seq

    seqs = await asyncio.gather(*(db.write(job) for _ in range(200)))
    assert sorted(seqs) == list(range(1, 201))
    rows = await db.all("SELECT seq FROM events WHERE hall_id = 1 ORDER BY seq")
    assert [r[0] for r in rows] == list(range(1, 201))


@on_postgres
async def test_postgres_writers_race_and_retry_instead_of_losing_an_update(database: str, clock: Clock) -> None:
    """Two databases objects are two processes' worth of connections: their counters never lose an increment."""
    a, b = open_database(database, clock=clock, writers=4), open_database(database, clock=clock, writers=4)
    await a.open()
    await b.open()
    try:
        await a.write(lambda tx: tx.run("INSERT INTO halls (code, name, timezone, created_at) VALUES (?,?,?,?)",
                                        ("h", "H", "Asia/Shanghai", 0)))

        def bump(tx: Tx) -> int:
            n = tx.one("SELECT event_seq FROM halls WHERE code = 'h'")[0]  # read, then write: a lost update if
            tx.run("UPDATE halls SET event_seq = ? WHERE code = 'h'", (n + 1,))  # two ran at once unchecked
            return int(n) + 1

        got = await asyncio.gather(*(db.write(bump) for _ in range(60) for db in (a, b)))
        assert sorted(got) == list(range(1, 121))
        assert a.retries + b.retries > 0  # the race did happen, and was run again
    finally:
        await a.close()
        await b.close()


async def test_the_relay_hands_events_on_in_order_and_once(db: Database) -> None:
    """Events arrive out of order (two writer threads) and again by word of another process; the subscriber
    sees 1, 2, 3 … once each, reading from the database what it was not handed."""
    def job(tx: Tx) -> Event:
        return tx.emit(1, "test.tick", {})

    evs = [await db.write(job) for _ in range(6)]
    out: list[int] = []
    relay = Relay(db.events_between, lambda batch: out.extend(e.seq for e in batch))
    relay.heard(1, 0)  # at start: nothing owed before now
    relay.committed([evs[1]])  # 2 before 1: held, 1 read back
    relay.committed([evs[0]])  # already handed on by then, or now: never twice
    relay.heard(1, 5)  # another process committed up to 5
    relay.committed([evs[2]])
    for _ in range(200):
        if out[-1:] == [5]:
            break
        await asyncio.sleep(0.01)
    relay.committed([evs[5]])
    await asyncio.sleep(0.05)
    assert out == [1, 2, 3, 4, 5, 6]


def test_a_notice_carries_the_event_when_it_fits() -> None:
    small = Event(3, 17, "ticket.called", 1764640800.125, {"ticket": {"id": 9, "number": "A012"}, "note": "叫号"})
    big = Event(3, 18, "day.closed", 1764640801.5, {"expired_ids": list(range(3000))})
    words = notices([small, big])
    assert words[1] == "3:18"  # too big for a notification: its number only, the listener reads it
    assert len(words[0].encode()) <= NOTICE_BYTES
    assert heard(words[0]) == (3, 17, small)
    assert heard(words[1]) == (3, 18, None)
    assert heard("12:5") == (12, 5, None)  # what older processes send


async def test_the_relay_hands_on_an_event_heard_with_its_word_without_reading(db: Database) -> None:
    evs = [await db.write(lambda tx: tx.emit(1, "test.tick", {"n": 1})) for _ in range(4)]
    out: list[int] = []
    reads = 0

    async def read(hall_id: int, after: int, upto: int) -> list[Event]:
        nonlocal reads
        reads += 1
        return await db.events_between(hall_id, after, upto)

    relay = Relay(read, lambda batch: out.extend(e.seq for e in batch))
    relay.heard(1, 1)  # at start: 1 and before are not owed
    relay.heard(1, 2, evs[1])
    relay.heard(1, 3, evs[2])
    assert (out, reads) == ([2, 3], 0)  # handed on at once, nothing read
    relay.heard(1, 2, evs[1])  # the same word again (its own process hears it too): dropped
    assert out == [2, 3]
    relay.heard(1, 4, None)  # an event too big to come along: read
    for _ in range(200):
        if out[-1:] == [4]:
            break
        await asyncio.sleep(0.01)
    assert (out, reads) == ([2, 3, 4], 1)


@on_postgres
async def test_a_long_job_among_short_ones_is_not_starved(database: str, clock: Clock) -> None:
    """Short writers of one hall keep winning the optimistic race; the long job escalates and runs alone."""
    import time as _time

    db = open_database(database, clock=clock, writers=6)
    await db.open()
    try:
        await db.write(lambda tx: tx.run("INSERT INTO halls (code, name, timezone, created_at) VALUES (?,?,?,?)",
                                         ("h", "H", "Asia/Shanghai", 0)))
        stop = False

        async def short_writer() -> int:
            n = 0
            while not stop:
                await db.write(lambda tx: tx.emit(1, "test.short", {}))
                n += 1
            return n

        def long_job(tx: Tx) -> int:
            tx.one("SELECT count(*) FROM events WHERE hall_id = 1")
            _time.sleep(0.03)  # a slow read before the write: every short writer commits meanwhile
            return tx.emit(1, "test.long", {}).seq

        shorts = [asyncio.ensure_future(short_writer()) for _ in range(5)]
        await asyncio.sleep(0.2)
        seq = await db.write(long_job)
        stop = True
        done = await asyncio.gather(*shorts)
        assert seq > 0 and sum(done) > 0
        rows = await db.all("SELECT seq FROM events WHERE hall_id = 1 ORDER BY seq")
        assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
    finally:
        await db.close()


@on_postgres
async def test_a_row_held_elsewhere_answers_busy_instead_of_hanging(database: str, clock: Clock) -> None:
    import psycopg

    from hallops.storage.db import Busy

    db = open_database(database, clock=clock, lock_timeout="300ms")
    await db.open()
    try:
        await db.write(lambda tx: tx.run("INSERT INTO halls (code, name, timezone, created_at) VALUES (?,?,?,?)",
                                         ("h", "H", "Asia/Shanghai", 0)))
        with psycopg.connect(database) as other:  # another session holds the hall's row
            other.execute("SELECT * FROM halls WHERE id = 1 FOR UPDATE")
            t0 = asyncio.get_running_loop().time()
            with pytest.raises(Busy):
                await db.write(lambda tx: tx.emit(1, "test.blocked", {}))
            assert asyncio.get_running_loop().time() - t0 < 3
            other.rollback()
        assert (await db.write(lambda tx: tx.emit(1, "test.after", {}))).seq == 1  # nothing of the refused one
    finally:
        await db.close()
