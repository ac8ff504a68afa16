"""`Store`: everything the layers above may ask of storage, as async methods.

This is the seam for a second backend: handlers, the hub and the CLI use only these methods and the
plain dicts they return, never SQL. Writes run as whole-transaction jobs (tickets.py) on the single writer;
reads run on the reader pool. Accounts, tokens and signing keys moved to `accounts.AccountStore` and
`accounts.SigningKeys`, layout writes to `layout.LayoutStore` (ports.py).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any, TypeVar

from hallops.domain.actors import Actor
from hallops.domain.errors import E, NotFound
from hallops.domain.estimate import ServiceStats, estimate_from_stats, service_stats
from hallops.domain.events import Ev
from hallops.domain.model import Channel, Priority
from hallops.domain.tickets import Action
from hallops.domain.windows import WindowAction
from hallops.storage import tickets
from hallops.storage.db import Database, Event, Tx
from hallops.storage.rules import Rules, service_day_of, zone
from hallops.storage.views import TICKET_COLUMNS, TICKET_FROM, ahead_args, ahead_sql, iso, ticket_json

T = TypeVar("T")


class Store:
    def __init__(self, db: Database, rules: Rules) -> None:
        self.db = db
        self.rules = rules

    async def write(self, fn: Callable[[Tx], T]) -> T:
        return await self.db.write(fn)

    def now(self) -> float:
        return self.db.clock()

    # -- tickets and windows -------------------------------------------------------------------------------

    async def issue_ticket(self, *, hall_id: int, queue: str | int, channel: Channel, priority: Priority,
                           actor: Actor, appointment_at: float | None = None,
                           idempotency: tuple[str, str, str] | None = None) -> tuple[dict[str, Any], bool]:
        return await self.db.write(lambda tx: tickets.issue_ticket(
            tx, self.rules, hall_id=hall_id, queue=queue, channel=channel, priority=priority,
            appointment_at=appointment_at, actor=actor, idempotency=idempotency))

    async def call_next(self, window_id: int, actor: Actor) -> dict[str, Any] | None:
        return await self.db.write(lambda tx: tickets.call_next(tx, self.rules, window_id=window_id, actor=actor))

    async def ticket_action(self, ticket_id: int, action: Action, actor: Actor,
                            body: dict[str, Any]) -> dict[str, Any]:
        return await self.db.write(lambda tx: tickets.ticket_action(
            tx, self.rules, ticket_id=ticket_id, action=action, actor=actor, body=body))

    async def window_action(self, window_id: int, action: WindowAction, actor: Actor,
                            body: dict[str, Any]) -> dict[str, Any]:
        return await self.db.write(lambda tx: tickets.window_action(
            tx, window_id=window_id, action=action, actor=actor, body=body))

    async def close_day(self, hall_id: int, *, through_today: bool, actor: Actor) -> dict[str, Any]:
        return await self.db.write(lambda tx: tickets.close_day(
            tx, self.rules, hall_id=hall_id, through_today=through_today, actor=actor))

    # -- reading -------------------------------------------------------------------------------------------

    async def resolve_hall(self, ref: str | int, actor: Actor) -> dict[str, Any]:
        """A hall by id or code; another hall than the actor's does not exist for them."""
        if isinstance(ref, int) or str(ref).isdigit():
            row = await self.db.one("SELECT * FROM halls WHERE id = ?", (int(ref),))
        else:
            row = await self.db.one("SELECT * FROM halls WHERE code = ?", (str(ref),))
        if row is None:
            raise NotFound(E.HALL_NOT_FOUND, f"大厅不存在 (no hall {ref!r})")
        actor.check_hall(row["id"])
        return dict(row)

    async def halls(self, actor: Actor) -> list[dict[str, Any]]:
        rows = await self.db.all("SELECT id, code, name, name_en, timezone, notice, event_seq FROM halls ORDER BY id")
        return [dict(r) for r in rows if actor.hall_id is None or r["id"] == actor.hall_id]

    async def hall_layout(self, hall_id: int) -> dict[str, Any]:
        async with self.db.snapshot() as conn:
            hall = await conn.all("SELECT * FROM halls WHERE id = ?", (hall_id,))
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
            wq = await conn.all(
                "SELECT wq.window_id, q.prefix FROM window_queues wq JOIN queues q ON q.id = wq.queue_id "
                "JOIN windows w ON w.id = wq.window_id WHERE w.hall_id = ? ORDER BY wq.window_id, wq.position",
                (hall_id,))
        if not hall:
            raise NotFound(E.HALL_NOT_FOUND, f"大厅不存在 (no hall {hall_id})")
        served: dict[int, list[str]] = {}
        for r in wq:
            served.setdefault(r["window_id"], []).append(r["prefix"])
        h = dict(next(iter(hall)))
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

    async def hall_state(self, hall_id: int) -> dict[str, Any]:
        """Everything a screen or tablet needs to start from, read as one snapshot with its sequence."""
        now = self.now()
        async with self.db.snapshot() as conn:
            hall_rows = list(await conn.all(
                "SELECT id, code, name, timezone, notice, event_seq FROM halls WHERE id = ?", (hall_id,)))
            if not hall_rows:
                raise NotFound(E.HALL_NOT_FOUND, f"大厅不存在 (no hall {hall_id})")
            hall = hall_rows[0]
            day = service_day_of(now, hall["timezone"], self.rules)
            queues = await conn.all(
                "SELECT id, prefix, name, name_en, kind, category, target_wait_minutes FROM queues "
                "WHERE hall_id = ? AND active = 1 ORDER BY prefix", (hall_id,))
            waiting = await conn.all(
                "SELECT queue_id, count(*) AS n, min(issued_at) AS oldest FROM tickets "
                "WHERE hall_id = ? AND status = 'waiting' GROUP BY queue_id", (hall_id,))
            windows = await conn.all(
                "SELECT w.id, w.number, w.name, w.name_en, w.kind, w.scope, w.area, w.key_window, w.state,"
                " w.pause_reason, w.state_since, u.id AS clerk_id, u.display_name AS clerk_name,"
                " t.id AS t_id, t.number AS t_number, t.status AS t_status, t.called_at AS t_called_at,"
                " t.started_at AS t_started_at, t.recall_count AS t_recalls "
                "FROM windows w LEFT JOIN users u ON u.id = w.clerk_user_id "
                "LEFT JOIN tickets t ON t.id = w.current_ticket_id "
                "WHERE w.hall_id = ? AND w.active = 1 ORDER BY w.number", (hall_id,))
            wq = await conn.all(
                "SELECT wq.window_id, q.prefix FROM window_queues wq JOIN queues q ON q.id = wq.queue_id "
                "JOIN windows w ON w.id = wq.window_id WHERE w.hall_id = ? ORDER BY wq.window_id, wq.position",
                (hall_id,))
            # The calls the hall heard today, from the call events: a ticket transferred on since still counts.
            day_start = dt.datetime.combine(dt.date.fromisoformat(day), self.rules.rollover,
                                            tzinfo=zone(hall["timezone"])).timestamp()
            calls = await conn.all(
                "SELECT type, at, payload FROM events WHERE hall_id = ? AND type IN ('ticket.called', "
                "'ticket.recalled') AND at >= ? ORDER BY seq DESC LIMIT 12", (hall_id, day_start))
            counts = await conn.all(
                "SELECT status, count(*) AS n FROM tickets WHERE hall_id = ? AND service_day = ? GROUP BY status",
                (hall_id, day))
        wait_by_q = {r["queue_id"]: r for r in waiting}
        served: dict[int, list[str]] = {}
        for r in wq:
            served.setdefault(r["window_id"], []).append(r["prefix"])
        by_status = {r["status"]: r["n"] for r in counts}
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
            } for q in queues],
            "windows": [{
                "id": w["id"], "number": w["number"], "name": w["name"], "name_en": w["name_en"], "kind": w["kind"],
                "scope": w["scope"], "area": w["area"], "key_window": bool(w["key_window"]), "state": w["state"],
                "pause_reason": w["pause_reason"], "state_since": iso(w["state_since"]),
                "clerk": {"id": w["clerk_id"], "display_name": w["clerk_name"]} if w["clerk_id"] else None,
                "queues": served.get(w["id"], []),
                "current": {"id": w["t_id"], "number": w["t_number"], "status": w["t_status"],
                            "called_at": iso(w["t_called_at"]), "started_at": iso(w["t_started_at"]),
                            "recall_count": w["t_recalls"]} if w["t_id"] else None,
            } for w in windows],
            "latest_calls": [_call_json(c["type"], c["at"], json.loads(c["payload"])) for c in calls],
            "today": {
                "issued": sum(by_status.values()),
                "waiting": by_status.get("waiting", 0),
                "served": by_status.get("done", 0),
                "no_show": by_status.get("no_show", 0),
                "by_status": by_status,
            },
        }

    async def ticket(self, ticket_id: int, actor: Actor) -> dict[str, Any]:
        row = await self.db.one(f"SELECT {TICKET_COLUMNS} FROM {TICKET_FROM} WHERE t.id = ?", (ticket_id,))
        if row is None:
            raise NotFound(E.TICKET_NOT_FOUND, f"号票不存在 (no ticket {ticket_id})")
        actor.check_hall(row["hall_id"])
        out = ticket_json(row)
        out["items"] = [dict(r) for r in await self.db.all(
            "SELECT i.id, i.code, i.name FROM ticket_items ti JOIN service_items i ON i.id = ti.item_id "
            "WHERE ti.ticket_id = ? ORDER BY ti.at", (ticket_id,))]
        out["history"] = await self.ticket_history(row["hall_id"], ticket_id)
        return out

    async def ticket_history(self, hall_id: int, ticket_id: int) -> list[dict[str, Any]]:
        rows = await self.db.all("SELECT seq, type, at, payload FROM events WHERE ticket_id = ? AND hall_id = ? "
                                 "ORDER BY seq", (ticket_id, hall_id))
        out = []
        for r in rows:
            p = json.loads(r["payload"])
            out.append({"seq": r["seq"], "type": r["type"], "at": iso(r["at"]),
                        "window": (p.get("window") or {}).get("number"), "status": p["ticket"]["status"],
                        **({"from": p["from"], "to": p["to"]} if "from" in p else {})})
        return out

    async def ticket_status(self, token: str) -> dict[str, Any]:
        """The public view of one ticket, by its unguessable token."""
        row = await self.db.one(f"SELECT {TICKET_COLUMNS}, q.avg_service_minutes FROM {TICKET_FROM} "
                                "WHERE t.token = ?", (token,))
        if row is None:
            raise NotFound(E.TICKET_NOT_FOUND, "号票不存在 (no such ticket)")
        ahead = 0
        estimate = None
        if row["status"] == "waiting":
            params = self.rules.policy
            r = await self.db.one(ahead_sql(row["target_window_id"] is not None),
                                  ahead_args(params, row))
            ahead = int(r[0]) if r else 0
            svc = await self.recent_service_stats(row["queue_id"], row["avg_service_minutes"])
            wins = await self.db.one(
                "SELECT count(*) FROM windows w JOIN window_queues wq ON wq.window_id = w.id "
                "WHERE wq.queue_id = ? AND w.state = 'open' AND w.active = 1", (row["queue_id"],))
            rng = estimate_from_stats(ahead, svc, int(wins[0]) if wins else 0)
            estimate = {"low_minutes": rng.low, "high_minutes": rng.high}
        return {
            "number": row["number"], "status": row["status"], "queue": row["queue_prefix"],
            "queue_name": row["queue_name"], "queue_name_en": row["queue_name_en"],
            "issued_at": iso(row["issued_at"]), "people_ahead": ahead, "position": ahead + 1 if
            row["status"] == "waiting" else 0, "estimated_wait": estimate,
            # Where the citizen goes (called), is (serving, parked) or was served (done, no-show).
            "window": row["window_number"], "window_name": row["window_name"],
            "called_at": iso(row["called_at"]), "hall_id": row["hall_id"],
        }

    async def recent_service_stats(self, queue_id: int, default: float) -> ServiceStats:
        """Service times of the last two hours in this queue, leaning on the typical time when few."""
        rows = await self.db.all("SELECT (ended_at - started_at) / 60.0 FROM tickets WHERE queue_id = ? "
                                 "AND status = 'done' AND started_at IS NOT NULL AND ended_at > ? "
                                 "ORDER BY ended_at DESC LIMIT 200", (queue_id, self.now() - 7200))
        return service_stats([float(r[0]) for r in rows], float(default))

    async def events_after(self, hall_id: int, after: int, limit: int = 500) -> list[dict[str, Any]]:
        rows = await self.db.all("SELECT seq, type, at, payload FROM events WHERE hall_id = ? AND seq > ? "
                                 "ORDER BY seq LIMIT ?", (hall_id, after, limit))
        return [{"seq": r["seq"], "type": r["type"], "at": iso(r["at"]), "payload": json.loads(r["payload"])}
                for r in rows]


def _call_json(type_: str, at: float, p: dict[str, Any]) -> dict[str, Any]:
    t, w = p["ticket"], p.get("window") or {}
    return {"ticket_id": t["id"], "number": t["number"], "queue": t["queue"], "window": w.get("number"),
            "window_id": w.get("id"), "window_name": w.get("name"), "area": w.get("area"), "called_at": iso(at),
            "recall_count": t.get("recall_count", 0),
            "kind": "recall" if type_ == Ev.TICKET_RECALLED else p.get("reason", "call")}


def event_json(ev: Event) -> dict[str, Any]:
    """The wire form of a committed event, the same as `events_after` gives."""
    return {"seq": ev.seq, "type": ev.type, "at": iso(ev.at), "payload": ev.payload, "hall_id": ev.hall_id}
