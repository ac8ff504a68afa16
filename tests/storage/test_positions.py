"""Positions in a line: counted from the front, from the end (trigger-kept line lengths) and by the pure
policy, they must agree for every waiting ticket after any mix of issues, calls, transfers and cancels."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from hallops.cli import demo_layout
from hallops.domain.actors import Actor
from hallops.domain.model import Channel, Priority, Role
from hallops.domain.policy import Candidate, queue_key
from hallops.domain.tickets import Action
from hallops.domain.windows import WindowAction
from hallops.storage.layout import LayoutStore
from hallops.storage.ports import Ports
from hallops.storage.rules import Rules
from hallops.storage.sqlite import SQLiteDatabase as Database
from hallops.storage.views import ahead_args, ahead_sql
from tests.conftest import Clock

ADMIN = Actor(Role.ADMIN)


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_three_ways_of_counting_agree(tmp_path: Path, clock: Clock, seed: int) -> None:
    rnd = random.Random(seed)
    db = Database(tmp_path / "p.db", clock=clock)
    await db.open()
    store = Ports.build(db, Rules())
    hall = await LayoutStore(db).load_layout(demo_layout())
    windows = [w["id"] for w in (await store.halls.layout(hall))["windows"][:4]]
    for w in windows:
        await store.tickets.window_act(w, WindowAction.OPEN, ADMIN, {})
    for _ in range(160):
        clock.advance(rnd.choice([0, 0, 1, 30, 200]))
        roll = rnd.random()
        if roll < 0.55:
            appt = clock() + rnd.choice([-600, 0, 900]) if rnd.random() < 0.15 else None
            await store.tickets.issue(hall_id=hall, queue=rnd.choice("AAB"),
                                     channel=Channel.APPOINTMENT if appt else Channel.KIOSK,
                                     priority=rnd.choice([Priority.NONE] * 4 + [Priority.ELDERLY]), actor=ADMIN,
                                     appointment_at=appt)
        elif roll < 0.8:
            w = rnd.choice(windows)
            state = (await store.halls.state(hall))
            cur = next(x["current"] for x in state["windows"] if x["id"] == w)
            if cur:
                action = rnd.choice([Action.NO_SHOW, Action.TRANSFER])
                body = {"queue": rnd.choice("AB"), "placement": rnd.choice(["front", "end", "issue_time"])}
                if rnd.random() < 0.3:
                    body = {"window": rnd.choice(windows), "placement": "end"}
                await store.tickets.act(cur["id"], action, ADMIN, body)
            else:
                await store.tickets.call_next(w, ADMIN)
        else:
            waiting = await db.all("SELECT id FROM tickets WHERE status = 'waiting'")
            if waiting:
                await store.tickets.act(rnd.choice(waiting)[0], Action.CANCEL, ADMIN, {})

    rows = await db.all("SELECT * FROM tickets WHERE status = 'waiting'")
    p = store.rules.policy

    def line(r: object) -> tuple:
        return ("w", r["target_window_id"]) if r["target_window_id"] is not None else ("q", r["queue_id"])

    checked = 0
    for r in rows:
        mine = queue_key(Candidate(r["id"], r["queue_id"], r["sort_at"], Priority(r["priority"]),
                                   bool(r["boost_class"] & 2), r["target_window_id"]), p)
        expected = sum(1 for o in rows if line(o) == line(r) and queue_key(
            Candidate(o["id"], o["queue_id"], o["sort_at"], Priority(o["priority"]), bool(o["boost_class"] & 2),
                      o["target_window_id"]), p) < mine)
        args = ahead_args(p, r)
        front = (await db.one(ahead_sql(r["target_window_id"] is not None), args))[0]
        end = (await db.one(ahead_sql(r["target_window_id"] is not None, from_end=True), args))[0]
        assert front == end == expected, (dict(r), front, end, expected)
        checked += 1
    assert checked > 10
    lines = await db.all("SELECT sum(n) FROM waiting_lines")
    assert lines[0][0] == len(rows)  # the trigger-kept lengths match the table
    await db.close()
