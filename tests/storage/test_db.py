"""The database itself: migrations from empty, one writer with group commit, restarts."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from hallops.cli import demo_layout
from hallops.domain.actors import Actor
from hallops.domain.errors import Conflict
from hallops.domain.model import Channel, Priority, Role
from hallops.domain.windows import WindowAction
from hallops.storage import migrations
from hallops.storage.accounts import SigningKeys
from hallops.storage.db import Tx
from hallops.storage.layout import LayoutStore
from hallops.storage.ports import Ports
from hallops.storage.rules import Rules
from hallops.storage.sqlite import SQLiteDatabase as Database
from tests.conftest import Clock

ADMIN = Actor(Role.ADMIN)


async def open_store(path: Path, clock: Clock) -> Ports:
    db = Database(path, clock=clock)
    await db.open()
    return Ports.build(db, Rules())


async def test_migrations_apply_from_empty_once_and_are_recorded(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "fresh.db"
    store = await open_store(path, clock)
    await store.db.close()
    conn = sqlite3.connect(path)
    versions = migrations.applied(conn)
    assert versions == [v for v, _, _ in migrations.available()] and versions[0] == 1
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"halls", "queues", "windows", "tickets", "events", "users", "api_tokens"} <= tables
    assert migrations.apply_sqlite(conn) == []  # nothing left to do
    conn.close()


async def test_the_writer_runs_fsync_full(tmp_path: Path, clock: Clock) -> None:
    store = await open_store(tmp_path / "s.db", clock)
    sync = await store.db.write(lambda tx: tx.one("PRAGMA synchronous")[0])
    await store.db.close()
    assert sync == 2  # FULL


async def test_a_failing_job_rolls_back_alone_inside_a_group_commit(tmp_path: Path, clock: Clock) -> None:
    store = await open_store(tmp_path / "g.db", clock)
    hall_id = await LayoutStore(store.db).load_layout({"hall": {"code": "h", "name": "H"},
                                       "queues": [{"prefix": "A", "name": "A", "kind": "general"}]})

    def good(tx: Tx) -> int:
        tx.emit(hall_id, "test.good", {})
        return 1

    def bad(tx: Tx) -> int:
        tx.emit(hall_id, "test.bad", {})
        tx.run("UPDATE halls SET name = 'changed' WHERE id = ?", (hall_id,))
        raise Conflict("nope", "refused")

    results = await asyncio.gather(*[store.db.write(fn) for fn in (good, bad, good, bad, good)],
                                   return_exceptions=True)
    assert [r if isinstance(r, int) else type(r).__name__ for r in results] == [1, "Conflict", 1, "Conflict", 1]
    evs = await store.halls.events_after(hall_id, 1)
    assert [e["type"] for e in evs] == ["test.good"] * 3
    assert [e["seq"] for e in evs] == [2, 3, 4]  # no gap where a refused job had taken a number
    assert (await store.db.one("SELECT name FROM halls"))[0] == "H"
    await store.db.close()


async def test_queued_writes_finish_before_close(tmp_path: Path, clock: Clock) -> None:
    store = await open_store(tmp_path / "c.db", clock)
    hall_id = await LayoutStore(store.db).load_layout({"hall": {"code": "h", "name": "H"},
                                       "queues": [{"prefix": "A", "name": "A", "kind": "general"}]})
    pending = [asyncio.ensure_future(store.tickets.issue(hall_id=hall_id, queue="A", channel=Channel.KIOSK,
                                                        priority=Priority.NONE, actor=ADMIN)) for _ in range(20)]
    await asyncio.sleep(0)
    await store.db.close()
    assert all(p.done() and not p.exception() for p in pending)
    conn = sqlite3.connect(tmp_path / "c.db")
    assert conn.execute("SELECT count(*) FROM tickets").fetchone()[0] == 20
    conn.close()


async def test_numbering_and_queues_continue_after_a_restart(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "r.db"
    store = await open_store(path, clock)
    hall_id = await LayoutStore(store.db).load_layout(demo_layout())
    for _ in range(2):
        await store.tickets.issue(hall_id=hall_id, queue="A", channel=Channel.KIOSK, priority=Priority.NONE,
                                 actor=ADMIN)
    await store.db.close()

    store = await open_store(path, clock)
    t, _ = await store.tickets.issue(hall_id=hall_id, queue="A", channel=Channel.KIOSK, priority=Priority.NONE,
                                    actor=ADMIN)
    assert t["number"] == "A003" and t["people_ahead"] == 2
    w = (await store.halls.layout(hall_id))["windows"][0]["id"]
    await store.tickets.window_act(w, WindowAction.OPEN, ADMIN, {})
    called = await store.tickets.call_next(w, ADMIN)
    assert called is not None and called["number"] == "A001"
    await store.db.close()


async def test_a_database_that_is_not_sqlite_fails_fast(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not a database" * 100)
    db = Database(path, clock=clock)
    with pytest.raises(sqlite3.DatabaseError):
        await db.open()


async def test_a_signing_secret_is_made_once_and_survives_a_restart(tmp_path: Path, clock: Clock,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HALLOPS_SECRET_KEY", raising=False)
    store = await open_store(tmp_path / "k.db", clock)
    keys = SigningKeys(store.db)
    first = await keys.key("device-cookie")
    assert len(first) == 32 and first != await keys.key("other-purpose")
    await store.db.close()
    store = await open_store(tmp_path / "k.db", clock)
    keys = SigningKeys(store.db)
    assert await keys.key("device-cookie") == first
    monkeypatch.setenv("HALLOPS_SECRET_KEY", "from-the-environment")
    keys.forget()
    env_key = await keys.key("device-cookie")
    assert env_key != first and env_key == await keys.key("device-cookie")
    await store.db.close()
