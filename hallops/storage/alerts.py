"""Alerts in storage: the hall's snapshot for the rules, one evaluation as one write job, the log, the settings.

One evaluation reads the hall and writes the changes in the same transaction, so two evaluations (the
background loop and a manager's "check now") can never raise the same alert twice; the partial unique index
`alerts_active` says so again in the schema.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from hallops.domain.actors import Actor
from hallops.domain.alerts import (
    DEFAULT_RULES,
    KIND_LABELS,
    PER_QUEUE,
    AlertKind,
    QueueLoad,
    Rule,
    Rules,
    Snapshot,
    WindowLoad,
    conditions,
    reconcile,
)
from hallops.domain.errors import Conflict, E, InvalidInput, NotFound
from hallops.domain.events import Ev
from hallops.domain.patrols import local_minute
from hallops.storage import audit
from hallops.storage.db import Database, Tx
from hallops.storage.patrols import actor_name, hall_progress, tx_done_today, tx_settings
from hallops.storage.rules import Rules as StoreRules
from hallops.storage.rules import service_day_of, zone
from hallops.wire.alerts import alert_brief


def tx_rules(tx: Tx, hall_id: int) -> Rules:
    hall: dict[AlertKind, Rule] = {}
    queues: dict[tuple[AlertKind, int], Rule] = {}
    for r in tx.all("SELECT kind, queue_id, enabled, threshold FROM alert_rules WHERE hall_id = ?", (hall_id,)):
        try:
            kind = AlertKind(r["kind"])
        except ValueError:
            continue  # a kind this version no longer knows
        rule = Rule(bool(r["enabled"]), r["threshold"])
        if r["queue_id"]:
            queues[(kind, r["queue_id"])] = rule
        else:
            hall[kind] = rule
    return Rules(hall, queues)


def snapshot(tx: Tx, store_rules: StoreRules, hall_id: int) -> Snapshot:
    hall = tx.one("SELECT timezone FROM halls WHERE id = ?", (hall_id,))
    if hall is None:
        raise NotFound(E.HALL_NOT_FOUND, f"大厅不存在 (no hall {hall_id})")
    now = tx.now
    day = service_day_of(now, hall["timezone"], store_rules)
    queues = tx.all(
        "SELECT q.id, q.prefix, q.name, q.target_wait_minutes, count(t.id) AS waiting, min(t.issued_at) AS oldest "
        "FROM queues q LEFT JOIN tickets t ON t.queue_id = q.id AND t.status = 'waiting' "
        "WHERE q.hall_id = ? AND q.active = 1 GROUP BY q.id ORDER BY q.prefix", (hall_id,))
    # Waiting tickets by queue, and those sent to one window; each window adds up what it may call.
    by_queue = {q["id"]: 0 for q in queues}
    by_target: dict[int, int] = {}
    for r in tx.all("SELECT queue_id, target_window_id, count(*) AS n FROM tickets WHERE hall_id = ? AND "
                    "status = 'waiting' GROUP BY queue_id, target_window_id", (hall_id,)):
        if r["target_window_id"] is None:
            by_queue[r["queue_id"]] = by_queue.get(r["queue_id"], 0) + r["n"]
        else:
            by_target[r["target_window_id"]] = by_target.get(r["target_window_id"], 0) + r["n"]
    served: dict[int, list[int]] = {}
    for r in tx.all("SELECT wq.window_id, wq.queue_id FROM window_queues wq JOIN windows w ON w.id = wq.window_id "
                    "WHERE w.hall_id = ?", (hall_id,)):
        served.setdefault(r["window_id"], []).append(r["queue_id"])
    last = {r["window_id"]: r["last"] for r in tx.all(
        "SELECT window_id, max(CASE WHEN coalesce(ended_at, 0) > coalesce(called_at, 0) THEN coalesce(ended_at, 0) "
        "ELSE coalesce(called_at, 0) END) AS last FROM tickets "
        "WHERE hall_id = ? AND service_day = ? AND window_id IS NOT NULL GROUP BY window_id", (hall_id, day))}
    windows = []
    for w in tx.all("SELECT id, number, name, key_window, state, state_since, clerk_user_id, current_ticket_id "
                    "FROM windows WHERE hall_id = ? AND active = 1 ORDER BY number", (hall_id,)):
        since = [t for t in (w["state_since"], last.get(w["id"])) if t]
        windows.append(WindowLoad(
            w["id"], w["number"], w["name"], bool(w["key_window"]), w["state"], w["state_since"],
            w["clerk_user_id"] is not None, w["current_ticket_id"] is not None, max(since) if since else None,
            by_target.get(w["id"], 0) + sum(by_queue.get(q, 0) for q in served.get(w["id"], []))))
    settings = tx_settings(tx, hall_id)
    local = dt.datetime.fromtimestamp(now, zone(hall["timezone"]))
    return Snapshot(
        now,
        tuple(QueueLoad(q["id"], q["prefix"], q["name"], q["waiting"],
                        (now - q["oldest"]) if q["oldest"] is not None else 0.0, q["target_wait_minutes"])
              for q in queues),
        tuple(windows),
        settings.opening.minutes_open_since(local.date(), local_minute(local)),
        tuple(hall_progress(settings, tx_done_today(tx, hall_id, day), now, hall["timezone"])))


def evaluate(tx: Tx, store_rules: StoreRules, hall_id: int) -> dict[str, int]:
    """Raise, keep and clear this hall's alerts from its state now."""
    # Take the hall's row lock first, as every writer that emits does: two evaluations of one hall in several
    # processes then run one after the other, and on PostgreSQL the later one is run again on the state the
    # first committed (instead of raising the same alert twice against the `alerts_active` index).
    tx.run("UPDATE halls SET event_seq = event_seq WHERE id = ?", (hall_id,))
    found = conditions(snapshot(tx, store_rules, hall_id), tx_rules(tx, hall_id))
    active = {r["key"]: r["id"] for r in tx.all("SELECT id, key FROM alerts WHERE hall_id = ? AND cleared_at IS NULL",
                                                 (hall_id,))}
    plan = reconcile(active, found)
    for c in plan.raise_:
        alert_id = tx.insert("INSERT INTO alerts (hall_id, key, kind, level, message, queue_id, window_id, value,"
                             " threshold,"
                     " last_value, peak_value, raised_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                     (hall_id, c.key, c.kind.value, c.level, c.message, c.queue_id, c.window_id, c.value, c.limit,
                      c.value, c.value, tx.now))
        _emit(tx, alert_id, Ev.ALERT_RAISED)
    for key in plan.clear:
        tx.run("UPDATE alerts SET cleared_at = ? WHERE id = ?", (tx.now, active[key]))
        _emit(tx, active[key], Ev.ALERT_CLEARED)
    for c in plan.keep:
        # The figure moves while the alert stands: kept up to date, but no new alert and no event.
        tx.run("UPDATE alerts SET last_value = ?, peak_value = CASE WHEN peak_value > ? THEN peak_value ELSE ? END, "
               "message = ?, level = CASE WHEN level = 'critical' THEN level ELSE ? END WHERE id = ?",
               (c.value, c.value, c.value, c.message, c.level, active[c.key]))
    return {"raised": len(plan.raise_), "cleared": len(plan.clear), "active": len(plan.raise_) + len(plan.keep)}


def evaluate_all(tx: Tx, store_rules: StoreRules) -> dict[int, dict[str, int]]:
    return {h["id"]: evaluate(tx, store_rules, h["id"]) for h in tx.all("SELECT id FROM halls ORDER BY id")}


def _emit(tx: Tx, alert_id: int, type_: str) -> dict[str, Any]:
    row = tx.one("SELECT * FROM alerts WHERE id = ?", (alert_id,))
    assert row is not None
    tx.emit(row["hall_id"], type_, {"alert": alert_brief(row)})
    return dict(row)


def acknowledge(tx: Tx, *, alert_id: int, note: str, actor: Actor) -> dict[str, Any]:
    row = tx.one("SELECT * FROM alerts WHERE id = ?", (alert_id,))
    if row is None:
        raise NotFound(E.ALERT_NOT_FOUND, f"告警不存在 (no alert {alert_id})")
    actor.check_hall(row["hall_id"])
    if row["acknowledged_at"] is not None:
        raise Conflict(E.ALREADY_ACKNOWLEDGED,
                       f"该告警已由 {row['acknowledged_by_name']} 确认 (already acknowledged by "
                       f"{row['acknowledged_by_name']})", acknowledged_by=row["acknowledged_by_name"])
    tx.run("UPDATE alerts SET acknowledged_at = ?, acknowledged_by_user_id = ?, acknowledged_by_name = ?, "
           "ack_note = ? WHERE id = ?", (tx.now, actor.user_id, actor_name(actor), note, alert_id))
    return _emit(tx, alert_id, Ev.ALERT_ACKNOWLEDGED)


def set_rules(tx: Tx, *, hall_id: int, changes: Sequence[dict[str, Any]], actor: Actor) -> None:
    """Upsert the hall's rules; `inherit` removes a setting so the hall's (or the default) applies again."""
    actor.check_hall(hall_id)
    for ch in changes:
        kind = AlertKind(ch["kind"])
        queue_id = 0
        if ch.get("queue") is not None:
            if kind not in PER_QUEUE:
                raise InvalidInput(E.NOT_PER_QUEUE, f"{kind.value} 不能按业务类型设置 (not set per queue)",
                                   field="queue")
            q = tx.one("SELECT id FROM queues WHERE hall_id = ? AND prefix = ?", (hall_id, str(ch["queue"]).upper()))
            if q is None:
                raise InvalidInput(E.QUEUE_NOT_FOUND, f"业务类型不存在 (no queue {ch['queue']!r})", field="queue")
            queue_id = q["id"]
        if ch.get("inherit"):
            tx.run("DELETE FROM alert_rules WHERE hall_id = ? AND kind = ? AND queue_id = ?",
                   (hall_id, kind.value, queue_id))
            continue
        threshold = ch.get("threshold")
        if threshold is None and kind is not AlertKind.QUEUE_WAIT:
            threshold = DEFAULT_RULES[kind].limit
        tx.run("INSERT INTO alert_rules (hall_id, kind, queue_id, enabled, threshold) VALUES (?,?,?,?,?) "
               "ON CONFLICT (hall_id, kind, queue_id) DO UPDATE SET enabled = excluded.enabled,"
               " threshold = excluded.threshold",
               (hall_id, kind.value, queue_id, 1 if ch.get("enabled", True) else 0, threshold))
    tx.emit(hall_id, Ev.ALERT_RULES_CHANGED, {"count": len(changes)})
    audit.setting(tx, actor, "alert-rules", hall_id=hall_id, after={"rules": [dict(ch) for ch in changes]})


class AlertsPort:
    """Alerts for the use cases: one evaluation of every hall is one write job; reads are snapshots."""

    def __init__(self, db: Database, store_rules: StoreRules) -> None:
        self.db = db
        self.store_rules = store_rules

    def now(self) -> float:
        return self.db.clock()

    async def evaluate_all(self) -> dict[int, dict[str, int]]:
        return await self.db.write(lambda tx: evaluate_all(tx, self.store_rules))

    async def acknowledge(self, alert_id: int, note: str, actor: Actor) -> dict[str, Any]:
        return await self.db.write(lambda tx: acknowledge(tx, alert_id=alert_id, note=note, actor=actor))

    async def set_rules(self, hall_id: int, changes: Sequence[dict[str, Any]], actor: Actor) -> None:
        await self.db.write(lambda tx: set_rules(tx, hall_id=hall_id, changes=changes, actor=actor))

    async def floor_figures(self, hall_id: int, now: float) -> dict[str, Any]:
        return await floor_figures(self.db, hall_id, now, self.store_rules)

    async def alerts(self, hall_id: int, *, active_only: bool = False, since: float | None = None,
                     limit: int = 200) -> list[dict[str, Any]]:
        """The hall's alerts' columns, the active ones first, then the newest."""
        where = "hall_id = ?" + (" AND cleared_at IS NULL" if active_only else "")
        params: list[Any] = [hall_id]
        if since is not None:
            where += " AND (raised_at >= ? OR cleared_at IS NULL)"
            params.append(since)
        rows = await self.db.all(f"SELECT * FROM alerts WHERE {where} "
                                 "ORDER BY cleared_at IS NULL DESC, raised_at DESC LIMIT ?", (*params, limit))
        return [dict(r) for r in rows]

    async def rules(self, hall_id: int) -> dict[str, Any]:
        rows = await self.db.all(
            "SELECT r.kind, r.enabled, r.threshold, q.prefix FROM alert_rules r LEFT JOIN queues q "
            "ON q.id = r.queue_id WHERE r.hall_id = ? ORDER BY r.kind, q.prefix", (hall_id,))
        hall = {r["kind"]: r for r in rows if r["prefix"] is None}
        out = []
        for kind, default in DEFAULT_RULES.items():
            h = hall.get(kind.value)
            out.append({"kind": kind.value, "name": KIND_LABELS[kind][0], "name_en": KIND_LABELS[kind][1],
                        "per_queue": kind in PER_QUEUE,
                        "enabled": bool(h["enabled"]) if h else default.enabled,
                        "threshold": h["threshold"] if h else default.limit, "default_threshold": default.limit,
                        "queues": [{"queue": r["prefix"], "enabled": bool(r["enabled"]), "threshold": r["threshold"]}
                                   for r in rows if r["kind"] == kind.value and r["prefix"] is not None]})
        return {"rules": out}


async def floor_figures(db: Database, hall_id: int, now: float, store_rules: StoreRules) -> dict[str, Any]:
    """What the manager's dashboard adds to the hall state: tickets issued and served by hour today, and since
    when each window has had nobody at its counter."""
    hall = await db.one("SELECT timezone FROM halls WHERE id = ?", (hall_id,))
    if hall is None:
        raise NotFound(E.HALL_NOT_FOUND, f"大厅不存在 (no hall {hall_id})")
    tz = zone(hall["timezone"])
    day = service_day_of(now, hall["timezone"], store_rules)
    async with db.snapshot() as conn:
        tickets = await conn.all(
            "SELECT issued_at, ended_at, status, window_id, called_at FROM tickets WHERE hall_id = ? AND "
            "service_day = ?", (hall_id, day))
    issued: dict[int, int] = {}
    served: dict[int, int] = {}
    last: dict[int, float] = {}
    for t in tickets:
        h = dt.datetime.fromtimestamp(t["issued_at"], tz).hour
        issued[h] = issued.get(h, 0) + 1
        if t["status"] == "done" and t["ended_at"] is not None:
            h = dt.datetime.fromtimestamp(t["ended_at"], tz).hour
            served[h] = served.get(h, 0) + 1
        if t["window_id"] is not None:
            at = max(t["ended_at"] or 0, t["called_at"] or 0)
            last[t["window_id"]] = max(last.get(t["window_id"], 0), at)
    hours = sorted(issued.keys() | served.keys())
    return {"hourly": [{"hour": h, "issued": issued.get(h, 0), "served": served.get(h, 0)}
                       for h in range(hours[0], hours[-1] + 1)] if hours else [],
            "last_activity": {k: v for k, v in last.items() if v}}
