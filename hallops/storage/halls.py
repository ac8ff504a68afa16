"""`HallStore`: the halls' port — a hall by code or id, the list, the layout, the live state, the event log.

The JSON shapes are hallops/wire/halls.py's."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

from hallops.domain.halltree import TREE_ROLES, scope_of
from hallops.domain.model import Role
from hallops.storage.db import Database, Reader, Row
from hallops.storage.rules import Rules, service_day_of, zone
from hallops.wire import iso
from hallops.wire.halls import event_json, layout_json, state_json

# Each queue's waiting tickets from the counters the triggers keep: its own line (waiting_lines) and those of its
# tickets held for one window (queue_held, migration 0016); and its oldest waiting ticket by one probe of the
# index tickets_waiting (hall_id, status, queue_id, issued_at). Flat however long the lines, where a count over
# the waiting tickets grew with them. tickets.queue_parts reads the same for the queues an event changed.
WAITING_N = ("CAST((SELECT coalesce(sum(l.n), 0) FROM waiting_lines l WHERE l.queue_id = q.id "
             "AND l.target_window_id = 0) + coalesce((SELECT h.n FROM queue_held h WHERE h.queue_id = q.id), 0) "
             "AS INTEGER)")
WAITING_OLDEST = ("(SELECT min(t.issued_at) FROM tickets t WHERE t.hall_id = :hall AND t.status = 'waiting' "
                  "AND t.queue_id = w.queue_id)")
WAITING_BY_QUEUE = (f"SELECT w.queue_id, w.n, {WAITING_OLDEST} AS oldest FROM (SELECT q.id AS queue_id, {WAITING_N} "
                    "AS n FROM queues q WHERE q.hall_id = :hall) AS w WHERE w.n > 0")
_WINDOW_QUEUES = ("SELECT wq.window_id, q.prefix FROM window_queues wq JOIN queues q ON q.id = wq.queue_id "
                  "JOIN windows w ON w.id = wq.window_id WHERE w.hall_id = ? ORDER BY wq.window_id, wq.position")


class HallTree:
    """The hall tree (hall id → parent id) for scoping actors, read at most every `ttl` seconds: it changes when
    an administrator adds or moves a centre, which this process forgets at once (`forget`) and another process
    within `ttl`."""

    def __init__(self, db: Database, ttl: float = 2.0) -> None:
        self.db, self.ttl = db, ttl
        self._parents: dict[int, int | None] | None = None
        self._until = 0.0

    def forget(self) -> None:
        self._parents = None

    async def parents(self) -> dict[int, int | None]:
        now = time.monotonic()
        if self._parents is None or now >= self._until:
            rows = await self.db.all("SELECT id, parent_id FROM halls")
            self._parents = {int(r["id"]): (None if r["parent_id"] is None else int(r["parent_id"])) for r in rows}
            self._until = now + self.ttl
        return self._parents

    async def scope(self, role: Role, hall_id: int | None) -> frozenset[int] | None:
        if hall_id is None or role not in TREE_ROLES:
            return None  # every hall, or the actor's own hall alone (Actor.sees)
        return scope_of(role, hall_id, await self.parents())


class HallStore:
    def __init__(self, db: Database, rules: Rules) -> None:
        self.db = db
        self.rules = rules

    async def ping(self) -> None:
        """The health check: the database answers."""
        await self.db.one("SELECT 1")

    async def find(self, ref: str | int) -> dict[str, Any] | None:
        """A hall's row by id (an int) or code (a str)."""
        if isinstance(ref, int):
            row = await self.db.one("SELECT * FROM halls WHERE id = ?", (ref,))
        else:
            row = await self.db.one("SELECT * FROM halls WHERE code = ?", (ref,))
        return dict(row) if row is not None else None

    async def all(self) -> list[dict[str, Any]]:
        rows = await self.db.all("SELECT id, code, name, name_en, timezone, notice, event_seq, parent_id, level "
                                 "FROM halls ORDER BY id")
        return [dict(r) for r in rows]

    async def layout(self, hall_id: int) -> dict[str, Any] | None:
        async with self.db.snapshot() as conn:
            hall = await conn.one("SELECT * FROM halls WHERE id = ?", (hall_id,))
            if hall is None:
                return None
            depts = await conn.all(
                "SELECT id, code, name, name_en FROM departments WHERE hall_id = ? ORDER BY id", (hall_id,))
            queues = await conn.all(
                "SELECT q.*, d.code AS department FROM queues q LEFT JOIN departments d ON d.id = q.department_id "
                "WHERE q.hall_id = ? ORDER BY q.prefix", (hall_id,))
            items = await conn.all(
                "SELECT i.id, i.code, i.name, i.name_en, i.active, d.code AS department, q.prefix AS queue "
                "FROM service_items i LEFT JOIN departments d ON d.id = i.department_id "
                "LEFT JOIN queues q ON q.id = i.queue_id WHERE i.hall_id = ? ORDER BY i.id", (hall_id,))
            windows = await conn.all(
                "SELECT id, number, name, name_en, kind, scope, key_window, area, active FROM windows "
                "WHERE hall_id = ? ORDER BY number", (hall_id,))
            wq = await conn.all(_WINDOW_QUEUES, (hall_id,))
        return layout_json(hall, depts, queues, items, windows, wq)

    async def state(self, hall_id: int) -> dict[str, Any] | None:
        """Everything a screen or tablet needs to start from, read as one snapshot with its sequence."""
        now = self.db.clock()
        async with self.db.snapshot() as conn:
            hall = await conn.one("SELECT id, code, name, timezone, notice, event_seq FROM halls WHERE id = ?",
                                  (hall_id,))
            if hall is None:
                return None
            day = service_day_of(now, hall["timezone"], self.rules)
            rows = await _state_rows(conn, hall, day, self.rules)
        return state_json(hall, day, now, rows)

    async def events_after(self, hall_id: int, after: int, limit: int = 500) -> list[dict[str, Any]]:
        rows = await self.db.all("SELECT seq, type, at, payload FROM events WHERE hall_id = ? AND seq > ? "
                                 "ORDER BY seq LIMIT ?", (hall_id, after, limit))
        return [{"seq": r["seq"], "type": r["type"], "at": iso(r["at"]), "payload": json.loads(r["payload"])}
                for r in rows]


async def _state_rows(conn: Reader, hall: Row, day: str, rules: Rules) -> dict[str, list[Row]]:
    hall_id = hall["id"]
    # The calls the hall heard today, from the call events: a ticket transferred on since still counts.
    day_start = dt.datetime.combine(dt.date.fromisoformat(day), rules.rollover,
                                    tzinfo=zone(hall["timezone"])).timestamp()
    return {
        "queues": await conn.all(
            "SELECT id, prefix, name, name_en, kind, category, target_wait_minutes FROM queues "
            "WHERE hall_id = ? AND active = 1 ORDER BY prefix", (hall_id,)),
        "waiting": await conn.all(WAITING_BY_QUEUE, {"hall": hall_id}),
        "windows": await conn.all(
            "SELECT w.id, w.number, w.name, w.name_en, w.kind, w.scope, w.area, w.key_window, w.state,"
            " w.pause_reason, w.state_since, u.id AS clerk_id, u.display_name AS clerk_name,"
            " t.id AS t_id, t.number AS t_number, t.status AS t_status, t.called_at AS t_called_at,"
            " t.started_at AS t_started_at, t.recall_count AS t_recalls "
            "FROM windows w LEFT JOIN users u ON u.id = w.clerk_user_id "
            "LEFT JOIN tickets t ON t.id = w.current_ticket_id "
            "WHERE w.hall_id = ? AND w.active = 1 ORDER BY w.number", (hall_id,)),
        "wq": await conn.all(_WINDOW_QUEUES, (hall_id,)),
        "calls": await conn.all(
            "SELECT type, at, payload FROM events WHERE hall_id = ? AND type IN ('ticket.called', "
            "'ticket.recalled') AND at >= ? ORDER BY seq DESC LIMIT 12", (hall_id, day_start)),
        "counts": await conn.all(
            "SELECT status, n FROM day_counts WHERE hall_id = ? AND service_day = ? AND n > 0 ORDER BY status",
            (hall_id, day)),
    }


__all__ = ["HallStore", "event_json"]
