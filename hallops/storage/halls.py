"""`HallStore`: the halls' port — a hall by code or id, the list, the layout, the live state, the event log."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from hallops.domain.events import Ev
from hallops.storage.db import Database, Event, Reader, Row
from hallops.storage.rules import Rules, service_day_of, zone
from hallops.storage.views import iso

_WINDOW_QUEUES = ("SELECT wq.window_id, q.prefix FROM window_queues wq JOIN queues q ON q.id = wq.queue_id "
                  "JOIN windows w ON w.id = wq.window_id WHERE w.hall_id = ? ORDER BY wq.window_id, wq.position")


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
        rows = await self.db.all("SELECT id, code, name, name_en, timezone, notice, event_seq FROM halls ORDER BY id")
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
            served = _served(await conn.all(_WINDOW_QUEUES, (hall_id,)))
        h = dict(hall)
        return {
            "hall": {k: h[k] for k in ("id", "code", "name", "name_en", "timezone", "notice")},
            "departments": [dict(r) for r in depts],
            "queues": [{k: r[k] for k in ("id", "prefix", "name", "name_en", "category", "category_en", "kind",
                                          "department", "target_wait_minutes", "daily_cap", "hours",
                                          "avg_service_minutes")} | {"active": bool(r["active"])}
                       for r in queues],
            "service_items": [dict(r) | {"active": bool(r["active"])} for r in items],
            "windows": [dict(r) | {"key_window": bool(r["key_window"]), "active": bool(r["active"]),
                                   "queues": served.get(r["id"], [])} for r in windows],
        }

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
        return _state_json(hall, day, now, rows)

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
        "waiting": await conn.all(
            "SELECT queue_id, count(*) AS n, min(issued_at) AS oldest FROM tickets "
            "WHERE hall_id = ? AND status = 'waiting' GROUP BY queue_id", (hall_id,)),
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
            "SELECT status, count(*) AS n FROM tickets WHERE hall_id = ? AND service_day = ? GROUP BY status",
            (hall_id, day)),
    }


def _served(rows: list[Row]) -> dict[int, list[str]]:
    served: dict[int, list[str]] = {}
    for r in rows:
        served.setdefault(r["window_id"], []).append(r["prefix"])
    return served


def _state_json(hall: Row, day: str, now: float, rows: dict[str, list[Row]]) -> dict[str, Any]:
    wait_by_q = {r["queue_id"]: r for r in rows["waiting"]}
    served = _served(rows["wq"])
    by_status = {r["status"]: r["n"] for r in rows["counts"]}
    return {
        "hall": {"id": hall["id"], "code": hall["code"], "name": hall["name"], "notice": hall["notice"]},
        "seq": hall["event_seq"],
        "service_day": day,
        "now": iso(now),
        "queues": [{
            "id": q["id"], "prefix": q["prefix"], "name": q["name"], "name_en": q["name_en"], "kind": q["kind"],
            "category": q["category"], "target_wait_minutes": q["target_wait_minutes"],
            "waiting": wait_by_q[q["id"]]["n"] if q["id"] in wait_by_q else 0,
            "longest_wait_seconds": round(now - wait_by_q[q["id"]]["oldest"]) if q["id"] in wait_by_q else 0,
        } for q in rows["queues"]],
        "windows": [{
            "id": w["id"], "number": w["number"], "name": w["name"], "name_en": w["name_en"], "kind": w["kind"],
            "scope": w["scope"], "area": w["area"], "key_window": bool(w["key_window"]), "state": w["state"],
            "pause_reason": w["pause_reason"], "state_since": iso(w["state_since"]),
            "clerk": {"id": w["clerk_id"], "display_name": w["clerk_name"]} if w["clerk_id"] else None,
            "queues": served.get(w["id"], []),
            "current": {"id": w["t_id"], "number": w["t_number"], "status": w["t_status"],
                        "called_at": iso(w["t_called_at"]), "started_at": iso(w["t_started_at"]),
                        "recall_count": w["t_recalls"]} if w["t_id"] else None,
        } for w in rows["windows"]],
        "latest_calls": [call_json(c["type"], c["at"], json.loads(c["payload"])) for c in rows["calls"]],
        "today": {
            "issued": sum(by_status.values()),
            "waiting": by_status.get("waiting", 0),
            "served": by_status.get("done", 0),
            "no_show": by_status.get("no_show", 0),
            "by_status": by_status,
        },
    }


def call_json(type_: str, at: float, p: dict[str, Any]) -> dict[str, Any]:
    t, w = p["ticket"], p.get("window") or {}
    return {"ticket_id": t["id"], "number": t["number"], "queue": t["queue"], "window": w.get("number"),
            "window_id": w.get("id"), "window_name": w.get("name"), "area": w.get("area"), "called_at": iso(at),
            "recall_count": t.get("recall_count", 0),
            "kind": "recall" if type_ == Ev.TICKET_RECALLED else p.get("reason", "call")}


def event_json(ev: Event) -> dict[str, Any]:
    """The wire form of a committed event, the same as `events_after` gives."""
    return {"seq": ev.seq, "type": ev.type, "at": iso(ev.at), "payload": ev.payload, "hall_id": ev.hall_id}
