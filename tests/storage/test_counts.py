"""The counters a hall's state is read from (waiting_lines, and migration 0016's queue_held and day_counts, kept by
triggers) give
exactly what counting the tickets gives, through every move a ticket makes, on both backends; and the migration
counts the tickets a database already holds."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest

from hallops.cli import demo_layout
from hallops.domain.actors import Actor
from hallops.domain.model import Channel, Priority, Role
from hallops.domain.tickets import Action
from hallops.domain.windows import WindowAction
from hallops.storage import migrations
from hallops.storage.db import POSTGRESQL, Database, open_database
from hallops.storage.ports import Ports
from hallops.storage.rules import Rules
from tests.conftest import SHANGHAI, Clock

ADMIN = Actor(Role.ADMIN)
# What the state showed before the counters, counted over the tickets: the counters must always agree.
COUNTED_WAITING = ("SELECT queue_id, count(*) AS n, min(issued_at) AS oldest FROM tickets "
                   "WHERE hall_id = ? AND status = 'waiting' GROUP BY queue_id")
COUNTED_TODAY = "SELECT status, count(*) AS n FROM tickets WHERE hall_id = ? AND service_day = ? GROUP BY status"


@pytest.fixture
async def ports(database: str, clock: Clock) -> AsyncIterator[Ports]:
    db = open_database(database, clock=clock)
    await db.open()
    yield Ports.build(db, Rules())
    await db.close()


class Hall:
    def __init__(self, ports: Ports, hall_id: int, clock: Clock) -> None:
        self.ports, self.id, self.clock = ports, hall_id, clock
        self.seq = 0

    @classmethod
    async def load(cls, ports: Ports, clock: Clock) -> Hall:
        return cls(ports, await ports.layout.load_layout(demo_layout()), clock)

    async def queue(self, prefix: str) -> int:
        row = await self.ports.db.one("SELECT id FROM queues WHERE hall_id = ? AND prefix = ?", (self.id, prefix))
        assert row is not None
        return int(row[0])

    async def window(self, number: int) -> int:
        row = await self.ports.db.one("SELECT id FROM windows WHERE hall_id = ? AND number = ?", (self.id, number))
        assert row is not None
        return int(row[0])

    async def issue(self, prefix: str, priority: Priority = Priority.NONE) -> dict[str, Any]:
        self.clock.advance(10)
        ticket, _ = await self.ports.tickets.issue(hall_id=self.id, queue=prefix, channel=Channel.KIOSK,
                                                   priority=priority, actor=ADMIN)
        return ticket

    async def shows(self, waiting: dict[str, int], today: dict[str, int]) -> None:
        """The state shows these waiting counts (by queue prefix, others 0) and today's tickets by status —
        and the same as counting the tickets would."""
        state = await self.ports.halls.state(self.id)
        assert state is not None
        shown = {q["prefix"]: q["waiting"] for q in state["queues"] if q["waiting"]}
        assert shown == waiting
        assert state["today"]["by_status"] == today
        assert state["today"]["issued"] == sum(today.values())
        counted = {r["queue_id"]: r for r in await self.ports.db.all(COUNTED_WAITING, (self.id,))}
        by_id = {q["id"]: q for q in state["queues"]}
        assert {q: int(r["n"]) for q, r in counted.items()} == {q: by_id[q]["waiting"] for q in by_id
                                                                if by_id[q]["waiting"]}
        for q, r in counted.items():  # the longest wait, from the oldest waiting ticket's issue time
            assert by_id[q]["longest_wait_seconds"] == round(self.clock() - r["oldest"])
        counted_today = await self.ports.db.all(COUNTED_TODAY, (self.id, state["service_day"]))
        assert {r["status"]: int(r["n"]) for r in counted_today} == today

    async def carried(self) -> dict[str, int]:
        """The waiting counts the last event carried (by prefix), and that they match the counting."""
        events = await self.ports.halls.events_after(self.id, 0, limit=10_000)
        last = events[-1]["payload"]
        prefixes = {int(r[0]): r[1] for r in await self.ports.db.all("SELECT id, prefix FROM queues WHERE hall_id = ?",
                                                                     (self.id,))}
        counted = {r["queue_id"]: int(r["n"]) for r in await self.ports.db.all(COUNTED_WAITING, (self.id,))}
        for part in last["queues"]:
            assert part["waiting"] == counted.get(part["id"], 0)
        return {prefixes[p["id"]]: p["waiting"] for p in last["queues"]}


async def test_the_counters_follow_every_move_a_ticket_makes(ports: Ports, clock: Clock) -> None:
    hall = await Hall.load(ports, clock)
    t = ports.tickets
    await hall.shows({}, {})
    a1, a2, a3 = [await hall.issue("A") for _ in range(3)]
    b1, b2 = [await hall.issue("B") for _ in range(2)]
    assert (a3["people_ahead"], b2["people_ahead"]) == (2, 1)
    await hall.shows({"A": 3, "B": 2}, {"waiting": 5})

    w1, w3 = await hall.window(1), await hall.window(3)  # both serve A first, then B
    for w in (w1, w3):
        await t.window_act(w, WindowAction.OPEN, ADMIN, {})
    assert (await t.call_next(w1, ADMIN) or {})["id"] == a1["id"]
    assert await hall.carried() == {"A": 2}
    await hall.shows({"A": 2, "B": 2}, {"waiting": 4, "called": 1})

    await t.act(b1["id"], Action.CANCEL, ADMIN, {})
    assert await hall.carried() == {"B": 1}
    await hall.shows({"A": 2, "B": 1}, {"waiting": 3, "called": 1, "cancelled": 1})

    # transferred to another queue: it waits in B now
    await t.act(a1["id"], Action.TRANSFER, ADMIN, {"queue": "B", "placement": "end"})
    assert await hall.carried() == {"B": 2, "A": 2}
    await hall.shows({"A": 2, "B": 2}, {"waiting": 4, "cancelled": 1})

    # transferred to one window: it stands in that window's line, and still counts in its queue
    assert (await t.call_next(w1, ADMIN) or {})["id"] == a2["id"]
    await hall.shows({"A": 1, "B": 2}, {"waiting": 3, "called": 1, "cancelled": 1})
    await t.act(a2["id"], Action.TRANSFER, ADMIN, {"window": w3, "placement": "issue_time"})
    assert await hall.carried() == {"A": 2}
    await hall.shows({"A": 2, "B": 2}, {"waiting": 4, "cancelled": 1})
    line = await ports.db.one("SELECT sum(n) FROM waiting_lines WHERE target_window_id = ?", (w3,))
    assert line is not None and line[0] == 1  # the window's line, apart from the queue's

    # no-show
    assert (await t.call_next(w3, ADMIN) or {})["id"] == a2["id"]
    await t.act(a2["id"], Action.NO_SHOW, ADMIN, {})
    await hall.shows({"A": 1, "B": 2}, {"waiting": 3, "no_show": 1, "cancelled": 1})

    # served, parked, called back, finished
    p = await hall.issue("B", Priority.ELDERLY)
    assert p["people_ahead"] == 0  # boosted ahead of the two in B
    await hall.shows({"A": 1, "B": 3}, {"waiting": 4, "no_show": 1, "cancelled": 1})
    assert (await t.call_next(w1, ADMIN) or {})["id"] == p["id"]
    await t.act(p["id"], Action.START, ADMIN, {})
    await hall.shows({"A": 1, "B": 2}, {"waiting": 3, "serving": 1, "no_show": 1, "cancelled": 1})
    await t.act(p["id"], Action.PARK, ADMIN, {})
    await hall.shows({"A": 1, "B": 2}, {"waiting": 3, "parked": 1, "no_show": 1, "cancelled": 1})
    await t.act(p["id"], Action.CALL_BACK, ADMIN, {})
    await hall.shows({"A": 1, "B": 2}, {"waiting": 3, "called": 1, "no_show": 1, "cancelled": 1})
    await t.act(p["id"], Action.START, ADMIN, {})
    await t.act(p["id"], Action.FINISH, ADMIN, {})
    await hall.shows({"A": 1, "B": 2}, {"waiting": 3, "done": 1, "no_show": 1, "cancelled": 1})

    # one ticket left called at a window, one parked, one waiting: the next day's close expires all three
    assert (await t.call_next(w1, ADMIN) or {})["id"] == a3["id"]
    assert (await t.call_next(w3, ADMIN) or {})["id"] == b2["id"]
    await t.act(b2["id"], Action.START, ADMIN, {})
    await t.act(b2["id"], Action.PARK, ADMIN, {})
    await hall.shows({"B": 1}, {"waiting": 1, "called": 1, "parked": 1, "done": 1, "no_show": 1, "cancelled": 1})
    yesterday = (await ports.halls.state(hall.id) or {})["service_day"]
    clock.set(dt.datetime(2026, 12, 1, 3, 30, tzinfo=SHANGHAI))  # the next service day
    await hall.shows({"B": 1}, {})  # still waiting, from yesterday, until the close
    closed = await t.close_day(hall.id, through_today=False, actor=ADMIN)
    assert closed["expired"] == 3
    assert await hall.carried() == {q: 0 for q in await _prefixes(ports, hall.id)}
    await hall.shows({}, {})
    rows = await ports.db.all("SELECT status, n FROM day_counts WHERE hall_id = ? AND service_day = ? AND n > 0 "
                              "ORDER BY status", (hall.id, yesterday))
    assert [(r[0], int(r[1])) for r in rows] == [("cancelled", 1), ("done", 1), ("expired", 3), ("no_show", 1)]
    a = await hall.issue("A")
    assert a["people_ahead"] == 0
    await hall.shows({"A": 1}, {"waiting": 1})


async def _prefixes(ports: Ports, hall_id: int) -> list[str]:
    return [r[0] for r in await ports.db.all("SELECT prefix FROM queues WHERE hall_id = ? ORDER BY id", (hall_id,))]


async def test_people_ahead_of_a_new_ticket_under_priority_and_appointments(ports: Ports, clock: Clock) -> None:
    """Counted before the insert, from the line's length: the same as counting the line from the front."""
    hall = await Hall.load(ports, clock)
    a1 = await hall.issue("A")
    a2 = await hall.issue("A")
    p1 = await hall.issue("A", Priority.ELDERLY)  # boosted ahead of both
    assert (a1["people_ahead"], a2["people_ahead"], p1["people_ahead"]) == (0, 1, 0)
    a3 = await hall.issue("A")
    assert a3["people_ahead"] == 3
    clock.advance(10)
    appt, _ = await ports.tickets.issue(hall_id=hall.id, queue="A", channel=Channel.APPOINTMENT,
                                        priority=Priority.NONE, actor=ADMIN, appointment_at=clock())
    assert appt["people_ahead"] == 1  # behind the priority ticket, ahead of the walk-ins (30 min boost)
    for ticket in (a1, a2, p1, a3, appt):
        status = await ports.tickets.status(ticket["token"])
        assert status is not None
        assert status["people_ahead"] == {a1["id"]: 2, a2["id"]: 3, p1["id"]: 0, a3["id"]: 4,
                                          appt["id"]: 1}[ticket["id"]]


async def test_the_migration_counts_the_tickets_already_there(ports: Ports, clock: Clock) -> None:
    hall = await Hall.load(ports, clock)
    for prefix in "AABBC":
        await hall.issue(prefix)
    w1 = await hall.window(1)
    await ports.tickets.window_act(w1, WindowAction.OPEN, ADMIN, {})
    called = await ports.tickets.call_next(w1, ADMIN)
    assert called is not None
    await ports.tickets.act(called["id"], Action.NO_SHOW, ADMIN, {})
    called = await ports.tickets.call_next(w1, ADMIN)
    assert called is not None
    await ports.tickets.act(called["id"], Action.TRANSFER, ADMIN, {"window": w1, "placement": "end"})
    db = ports.db
    kept = await _counters(db)
    assert kept == ([(await hall.queue("A"), 1)],  # held for window 1
                    [(hall.id, "2026-11-30", "no_show", 1), (hall.id, "2026-11-30", "waiting", 4)])
    await _unmigrate(db)
    if db.dialect == POSTGRESQL:
        import psycopg

        with psycopg.connect(db.url, autocommit=True) as conn:  # type: ignore[attr-defined]
            assert migrations.apply_postgres(conn) == ["0016_ticket_counts"]
    else:
        import sqlite3

        lite = sqlite3.connect(db.path, isolation_level=None)  # type: ignore[attr-defined]
        assert migrations.apply_sqlite(lite) == ["0016_ticket_counts"]
        lite.close()
    assert await _counters(db) == kept
    await hall.issue("C")  # and the triggers are back
    assert (await hall.ports.halls.state(hall.id) or {})["today"]["by_status"] == {"no_show": 1, "waiting": 5}


async def _counters(db: Database) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    waiting = await db.all("SELECT queue_id, n FROM queue_held WHERE n > 0 ORDER BY queue_id")
    days = await db.all("SELECT hall_id, service_day, status, n FROM day_counts WHERE n > 0 "
                        "ORDER BY service_day, status")
    return [tuple(r) for r in waiting], [tuple(r) for r in days]


async def _unmigrate(db: Database) -> None:
    """Back to the schema before migration 0016 (its counters gone), the tickets kept."""
    drops = (["DROP FUNCTION tickets_count_change() CASCADE"] if db.dialect == POSTGRESQL else
             [f"DROP TRIGGER tickets_{t}" for t in ("count_insert", "count_day", "held_insert", "held_leave",
                                                    "held_join", "count_delete")])
    drops += ["DROP TABLE queue_held", "DROP TABLE day_counts", "DELETE FROM schema_migrations WHERE version = 16"]

    def job(tx: Any) -> None:
        for sql in drops:
            tx.run(sql)
    await db.write(job)
