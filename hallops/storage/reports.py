"""Storage of statistics and briefings: a day's tickets and work events, the daily roll-up, the sections
read from other features' tables, kept briefings, work-group webhooks and their deliveries.

`ReportsPort` is what the application layer (hallops/usecases/reports.py, briefings.py) and the figures
(hallops/reports/) ask: whole write jobs and snapshot reads returning plain values. The SQL is written once
for SQLite and PostgreSQL (see db.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from hallops.domain.actors import Actor
from hallops.domain.errors import Conflict, E, NotFound
from hallops.domain.events import Ev
from hallops.storage import audit
from hallops.storage.db import Database, Reader, Row, Tx
from hallops.storage.rules import zone

if TYPE_CHECKING:
    from hallops.storage.subtree_reports import SubtreeReads

# Counter columns of report_rollup, in one place (figures.py accumulates exactly these).
COUNTERS = ("issued", "served", "no_show", "cancelled", "expired", "waiting", "transferred", "transfers",
            "transfers_out", "within_target", "bundle", "single", "appointments", "appointments_kept",
            "appointments_missed", "priority", "calls", "call_backs", "recalls")
ROLLUP_COLUMNS = (*COUNTERS, "wait_sum", "wait_max", "service_sum", "service_max", "waits", "services")

TICKET_FIELDS = ("id, origin_queue_id, queue_id, window_id, clerk_user_id, channel, priority, status, issued_at,"
                 " first_called_at, started_at, ended_at, transfer_count, appointment_at")
ACTIVE_STATUSES = "('waiting', 'called', 'serving', 'parked')"


@dataclass(frozen=True, slots=True)
class HallMeta:
    """What turning rows into figures needs to know of the hall: names, targets and kinds."""

    hall: dict[str, Any]
    queues: dict[int, dict[str, Any]]
    windows: dict[int, dict[str, Any]]
    departments: dict[int, dict[str, Any]]
    users: dict[int, dict[str, Any]]

    @property
    def tz(self) -> Any:
        return zone(self.hall["timezone"])


# The events a day's figures read besides its tickets (see migration 0006: one partial index holds them).
WORK_EVENTS = (Ev.TICKET_CALLED, Ev.TICKET_RECALLED, Ev.TICKET_TRANSFERRED, Ev.WINDOW_OPENED, Ev.WINDOW_CLOSED)
_WORK_TYPES = ", ".join(f"'{t}'" for t in WORK_EVENTS)


@dataclass(frozen=True, slots=True)
class WorkEvent:
    """One of the day's work events, reduced to what the figures need."""

    type: str
    ticket_id: int | None
    window_id: int | None  # the window that called, recalled, transferred away, or was signed in to
    reason: str | None  # of ticket.called: "call" or "call_back"
    clerk_id: int | None  # of window.opened: who signed in (None: opened without a clerk)


@dataclass(frozen=True, slots=True)
class DayRows:
    tickets: list[Row]
    departments: dict[int, set[int]]  # ticket id -> departments of the items it handled
    events: list[WorkEvent]  # in sequence order


@dataclass(frozen=True, slots=True)
class DueDelivery:
    """A delivery claimed for one attempt: what to post, and where."""

    id: int
    attempts: int
    message: str
    kind: str
    url: str
    secret: str


def _count_if(cond: str) -> str:
    """Rows meeting `cond`, the same on both backends (PostgreSQL cannot sum a boolean)."""
    return f"sum(CASE WHEN {cond} THEN 1 ELSE 0 END)"


_APPOINTMENTS_SQL = (
    "SELECT count(*) AS booked, " + _count_if("a.status = 'checked_in'") + " AS checked_in, "
    + _count_if("a.status = 'cancelled'") + " AS cancelled, "
    + _count_if("a.status = 'booked' AND s.ends_at < ?") + " AS missed "
    "FROM appointments a JOIN appointment_slots s ON s.id = a.slot_id "
    "WHERE a.hall_id = ? AND s.starts_at >= ? AND s.starts_at < ?")

BRIEFING_LIST = ("id, hall_id, kind, period_start, period_end, generated_at, generated_by, annotation, annotated_by,"
                 " annotated_at, published_at, published_by")


class ReportsPort:
    """Statistics and briefings in storage: every method one snapshot read or one whole write job."""

    def __init__(self, db: Database) -> None:
        self._db = db

    @cached_property
    def subtree(self) -> SubtreeReads:
        """The same figures' reads over many halls at once (a district's subtree), one grouped query each."""
        from hallops.storage.subtree_reports import SubtreeReads

        return SubtreeReads(self._db)

    # -- the hall and its days ---------------------------------------------------------------------------

    async def hall(self, hall_id: int) -> dict[str, Any]:
        r = await self._db.one("SELECT * FROM halls WHERE id = ?", (hall_id,))
        if r is None:
            raise NotFound(E.HALL_NOT_FOUND, f"大厅不存在 (no hall {hall_id})")
        return dict(r)

    async def hall_meta(self, hall_id: int) -> HallMeta:
        async with self._db.snapshot() as conn:
            hall = await conn.all("SELECT id, code, name, timezone FROM halls WHERE id = ?", (hall_id,))
            queues = await conn.all(
                "SELECT id, prefix, name, kind, department_id, target_wait_minutes FROM queues WHERE hall_id = ?",
                (hall_id,))
            windows = await conn.all(
                "SELECT id, number, name, kind, key_window FROM windows WHERE hall_id = ?", (hall_id,))
            depts = await conn.all("SELECT id, code, name FROM departments WHERE hall_id = ?", (hall_id,))
            users = await conn.all(
                "SELECT id, username, display_name FROM users WHERE hall_id = ? OR hall_id IS NULL", (hall_id,))
        if not hall:
            raise NotFound(E.HALL_NOT_FOUND, f"大厅不存在 (no hall {hall_id})")
        return HallMeta(dict(hall[0]), {r["id"]: dict(r) for r in queues}, {r["id"]: dict(r) for r in windows},
                        {r["id"]: dict(r) for r in depts}, {r["id"]: dict(r) for r in users})

    async def day_rows(self, hall_id: int, day: str, bounds: tuple[float, float]) -> DayRows:
        """One service day's tickets, the departments of their items and its work events (calls, recalls,
        transfers, window sign-ins), read as one snapshot."""
        async with self._db.snapshot() as conn:
            tickets = list(await conn.all(
                f"SELECT {TICKET_FIELDS} FROM tickets WHERE hall_id = ? AND service_day = ?", (hall_id, day)))
            items = await conn.all(
                "SELECT DISTINCT ti.ticket_id, si.department_id FROM tickets t "
                "JOIN ticket_items ti ON ti.ticket_id = t.id JOIN service_items si ON si.id = ti.item_id "
                "WHERE t.hall_id = ? AND t.service_day = ? AND si.department_id IS NOT NULL", (hall_id, day))
            events = await conn.all(work_events_sql(conn), (hall_id, *bounds))
        depts: dict[int, set[int]] = {}
        for r in items:
            depts.setdefault(int(r[0]), set()).add(int(r[1]))
        return DayRows(tickets, depts, [WorkEvent(*tuple(r)[1:]) for r in events])

    async def built_days(self, hall_id: int, start: str, end: str) -> set[str]:
        rows = await self._db.all("SELECT service_day FROM report_days WHERE hall_id = ? "
                                  "AND service_day BETWEEN ? AND ?", (hall_id, start, end))
        return {r[0] for r in rows}

    async def days_with_active_tickets(self, hall_id: int, start: str, end: str) -> set[str]:
        """Days whose tickets are not all final yet: they cannot be rolled up (the rollover will close them)."""
        rows = await self._db.all("SELECT DISTINCT service_day FROM tickets WHERE hall_id = ? "
                                  f"AND service_day BETWEEN ? AND ? AND status IN {ACTIVE_STATUSES}",
                                  (hall_id, start, end))
        return {r[0] for r in rows}

    async def first_ticket_day(self, hall_id: int) -> str | None:
        r = await self._db.one("SELECT min(service_day) FROM tickets WHERE hall_id = ?", (hall_id,))
        return r[0] if r else None

    async def last_ticket_day(self, hall_id: int, before: str, since: str) -> str | None:
        """The last service day before `before` (not earlier than `since`) that had tickets."""
        r = await self._db.one("SELECT max(service_day) FROM tickets WHERE hall_id = ? AND service_day < ? "
                               "AND service_day >= ?", (hall_id, before, since))
        return r[0] if r else None

    async def has_tickets(self, hall_id: int, day: str) -> bool:
        return await self._db.one("SELECT 1 FROM tickets WHERE hall_id = ? AND service_day = ? LIMIT 1",
                                  (hall_id, day)) is not None

    async def store_rollup(self, hall_id: int, day: str, rows: Sequence[tuple[str, str, dict[str, Any]]],
                           tickets: int) -> None:
        """Replace one closed day's roll-up (a rebuild gives the same rows, so running twice is harmless;
        two processes building the same day at once: the later one's upsert makes it retry)."""
        await self._db.write(lambda tx: _store_rollup(tx, hall_id, day, rows, tickets))

    async def rollup_rows(self, hall_id: int, dims: Iterable[str], start: str, end: str) -> list[Row]:
        dims = list(dims)
        marks = ",".join("?" * len(dims))
        return await self._db.all(f"SELECT dim, service_day, key, {', '.join(ROLLUP_COLUMNS)} FROM report_rollup "
                                  f"WHERE hall_id = ? AND dim IN ({marks}) AND service_day BETWEEN ? AND ?",
                                  (hall_id, *dims, start, end))

    # -- other features' tables, read when they exist ------------------------------------------------------

    async def patrols(self, hall_id: int, start: str, end: str, start_ts: float, end_ts: float,
                      now: float) -> dict[str, Any] | None:
        """Patrol settings, patrols done per day and kind, findings raised, fixed and open; None when the
        patrol feature's tables do not exist."""
        async with self._db.snapshot() as conn:
            if not await _tables_exist(conn, "patrols", "findings", "patrol_settings"):
                return None
            settings = await conn.one(
                "SELECT weekdays, full_quota, spot_quota FROM patrol_settings WHERE hall_id = ?", (hall_id,))
            done = await conn.all(
                "SELECT service_day, kind, count(*) AS n FROM patrols WHERE hall_id = ? "
                "AND service_day BETWEEN ? AND ? AND status = 'done' GROUP BY service_day, kind",
                (hall_id, start, end))
            raised = await conn.all(
                "SELECT severity, count(*) AS n FROM findings WHERE hall_id = ? AND created_at >= ? "
                "AND created_at < ? GROUP BY severity", (hall_id, start_ts, end_ts))
            counts = await conn.one(
                f"SELECT {_count_if('rectified_at >= ? AND rectified_at < ?')} AS rectified,"
                f" {_count_if('verified_at >= ? AND verified_at < ?')} AS verified FROM findings WHERE hall_id = ?",
                (start_ts, end_ts, start_ts, end_ts, hall_id))
            still_open = await conn.all(
                "SELECT f.id, f.category, f.severity, f.description, f.status, f.due_at, f.responsible_name,"
                " f.area, f.escalation, w.number AS window FROM findings f LEFT JOIN windows w ON w.id = f.window_id "
                "WHERE f.hall_id = ? AND f.status IN ('open', 'rectifying', 'reopened') AND f.created_at < ? "
                "ORDER BY f.due_at", (hall_id, end_ts))
        s = dict(settings) if settings else {"weekdays": "1,2,3,4,5", "full_quota": 6, "spot_quota": 4}
        return {"settings": s, "done": [{**dict(r), "n": int(r["n"])} for r in done],
                "raised": {r["severity"]: int(r["n"]) for r in raised},
                "rectified": int(counts["rectified"] or 0) if counts else 0,
                "verified": int(counts["verified"] or 0) if counts else 0,
                "open": [dict(r) | {"overdue": r["due_at"] < now} for r in still_open]}

    async def appointments(self, hall_id: int, start_ts: float, end_ts: float, now: float) -> dict[str, int] | None:
        """Bookings of the period's slots by outcome; None when the appointment tables do not exist."""
        async with self._db.snapshot() as conn:
            if not await _tables_exist(conn, "appointments", "appointment_slots"):
                return None
            r = await conn.one(_APPOINTMENTS_SQL, (now, hall_id, start_ts, end_ts))
        return {k: int(r[k] or 0) for k in ("booked", "checked_in", "cancelled", "missed")} if r else {}

    async def ratings(self, hall_id: int, start_ts: float, end_ts: float) -> dict[str, int] | None:
        """好差评 counted by level, when a ratings table with (hall_id, level, created_at) exists; else None."""
        async with self._db.snapshot() as conn:
            if not {"hall_id", "level", "created_at"} <= await _columns(conn, "ratings"):
                return None
            rows = await conn.all("SELECT level, count(*) AS n FROM ratings WHERE hall_id = ? AND created_at >= ? "
                                  "AND created_at < ? GROUP BY level", (hall_id, start_ts, end_ts))
        return {r["level"]: int(r["n"]) for r in rows}

    async def cases(self, hall_id: int, start_ts: float, end_ts: float, now: float) -> dict[str, int] | None:
        """咨询投诉 received, closed, closed on time and overdue, when a cases table with (hall_id, kind,
        created_at, due_at, closed_at) exists; else None."""
        async with self._db.snapshot() as conn:
            if not {"hall_id", "kind", "created_at", "due_at", "closed_at"} <= await _columns(conn, "cases"):
                return None
            r = await conn.one(
                f"SELECT count(*) AS received, {_count_if('closed_at IS NOT NULL')} AS closed,"
                f" {_count_if('closed_at IS NOT NULL AND closed_at <= due_at')} AS on_time,"
                f" {_count_if('closed_at IS NULL AND due_at < ?')} AS overdue FROM cases "
                "WHERE hall_id = ? AND created_at >= ? AND created_at < ?", (now, hall_id, start_ts, end_ts))
        assert r is not None
        return {k: int(r[k] or 0) for k in ("received", "closed", "on_time", "overdue")}

    async def quality(self, hall_id: int, start_ts: float, end_ts: float, monthly: bool) -> dict[str, Any]:
        """Follow-ups of bad ratings, ratings and cases by department, and in a monthly briefing the windows'
        ranking (红旗窗口, 服务之星): storage/cases.py (issue 12)."""
        from hallops.storage.cases import briefing_figures

        return await self._db.write(lambda tx: briefing_figures(tx, hall_id, start_ts, end_ts, monthly))

    # -- settings and webhooks -----------------------------------------------------------------------------

    async def settings(self, hall_id: int) -> dict[str, Any]:
        r = await self._db.one("SELECT daily_at, base_url FROM report_settings WHERE hall_id = ?", (hall_id,))
        return dict(r) if r else {"daily_at": "18:00", "base_url": ""}

    async def all_settings(self) -> list[dict[str, Any]]:
        rows = await self._db.all("SELECT h.id AS hall_id, h.timezone, coalesce(s.daily_at, '18:00') AS daily_at "
                                  "FROM halls h LEFT JOIN report_settings s ON s.hall_id = h.id ORDER BY h.id")
        return [dict(r) for r in rows]

    async def save_settings(self, hall_id: int, values: dict[str, Any], actor: Actor | None) -> dict[str, Any]:
        def job(tx: Tx) -> dict[str, Any]:
            out = _save_settings(tx, hall_id, values)
            audit.setting(tx, actor, "report-settings", hall_id=hall_id,
                          after={k: v for k, v in values.items() if v is not None})
            return out
        return await self._db.write(job)

    async def webhooks(self, hall_id: int, *, active_only: bool = False) -> list[dict[str, Any]]:
        rows = await self._db.all("SELECT * FROM report_webhooks WHERE hall_id = ?"
                                  + (" AND active = 1" if active_only else "") + " ORDER BY id", (hall_id,))
        return [dict(r) for r in rows]

    async def add_webhook(self, hall_id: int, kind: str, label: str, url: str, secret: str,
                          actor: Actor | None) -> dict[str, Any]:
        def job(tx: Tx) -> dict[str, Any]:
            out = _add_webhook(tx, hall_id, kind, label, url, secret)
            audit.setting(tx, actor, "report-webhooks", hall_id=hall_id,
                          after={"id": out["id"], "kind": kind, "label": label, "url": url, "secret": secret})
            return out
        return await self._db.write(job)

    async def set_webhook_active(self, hall_id: int, webhook_id: int, active: bool,
                                 actor: Actor | None) -> dict[str, Any]:
        def job(tx: Tx) -> dict[str, Any]:
            out = _set_webhook_active(tx, hall_id, webhook_id, active)
            audit.setting(tx, actor, "report-webhooks", hall_id=hall_id, after={"id": webhook_id, "active": active})
            return out
        return await self._db.write(job)

    # -- briefings -----------------------------------------------------------------------------------------

    async def save_briefing(self, hall_id: int, kind: str, start: str, end: str, data: dict[str, Any],
                            by: str) -> int:
        """Keep a briefing; regenerating one replaces its figures and keeps its annotation and publication."""
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        return await self._db.write(lambda tx: _save_briefing(tx, hall_id, kind, start, end, text, by))

    async def briefing(self, briefing_id: int) -> dict[str, Any]:
        r = await self._db.one(f"SELECT {BRIEFING_LIST}, data FROM briefings WHERE id = ?", (briefing_id,))
        if r is None:
            raise NotFound(E.BRIEFING_NOT_FOUND, f"简报不存在 (no briefing {briefing_id})")
        out = dict(r)
        out["data"] = json.loads(out["data"])
        return out

    async def find_briefing(self, hall_id: int, kind: str, start: str) -> int | None:
        r = await self._db.one("SELECT id FROM briefings WHERE hall_id = ? AND kind = ? AND period_start = ?",
                               (hall_id, kind, start))
        return int(r[0]) if r else None

    async def briefings(self, hall_id: int, limit: int = 60) -> list[dict[str, Any]]:
        rows = await self._db.all(
            f"SELECT {BRIEFING_LIST}, (SELECT count(*) FROM briefing_deliveries d WHERE d.briefing_id = b.id "
            "AND d.state = 'failed') AS failed, (SELECT count(*) FROM briefing_deliveries d "
            "WHERE d.briefing_id = b.id AND d.state = 'pending') AS pending FROM briefings b WHERE hall_id = ? "
            "ORDER BY period_start DESC, kind LIMIT ?", (hall_id, limit))
        return [dict(r) for r in rows]

    async def annotate(self, briefing_id: int, hall_id: int, text: str, by: str) -> None:
        await self._db.write(lambda tx: _annotate(tx, briefing_id, hall_id, text, by))

    # -- publication and deliveries ------------------------------------------------------------------------

    async def publish(self, briefing_id: int, hall_id: int, by: str, messages: dict[int, str]) -> list[int]:
        """Mark published and queue one delivery per webhook (message bodies fixed now)."""
        return await self._db.write(lambda tx: _publish(tx, briefing_id, hall_id, by, messages))

    async def claim_due(self, lease_seconds: float, limit: int = 20) -> list[DueDelivery]:
        """The deliveries due now, each held back from every other worker (in this process or another) for
        `lease_seconds`, until its attempt is recorded; a worker that dies mid-post lets the lease run out."""
        return await self._db.write(lambda tx: _claim_due(tx, lease_seconds, limit))

    async def record_attempt(self, delivery_id: int, ok: bool, http_status: int | None, error: str | None,
                             next_at: float | None) -> None:
        """One attempt's outcome: sent, or pending again at `next_at`, or failed for good (next_at None)."""
        await self._db.write(lambda tx: _record_attempt(tx, delivery_id, ok, http_status, error, next_at))

    async def retry_delivery(self, delivery_id: int, hall_id: int) -> None:
        await self._db.write(lambda tx: _retry_delivery(tx, delivery_id, hall_id))

    async def deliveries(self, hall_id: int, briefing_id: int | None = None, limit: int = 50) -> list[dict[str, Any]]:
        where = "b.hall_id = ?" + (" AND d.briefing_id = ?" if briefing_id is not None else "")
        params: tuple[Any, ...] = (hall_id, briefing_id) if briefing_id is not None else (hall_id,)
        rows = await self._db.all(
            "SELECT d.id, d.briefing_id, d.state, d.attempts, d.next_attempt_at, d.last_error, d.created_at,"
            " d.sent_at, w.kind, w.label, b.kind AS briefing_kind, b.period_start FROM briefing_deliveries d "
            f"JOIN briefings b ON b.id = d.briefing_id JOIN report_webhooks w ON w.id = d.webhook_id WHERE {where} "
            "ORDER BY d.id DESC LIMIT ?", (*params, limit))
        return [dict(r) for r in rows]


# -- reads shared by several methods ---------------------------------------------------------------------

def work_events_sql(conn: Reader, halls: int = 1) -> str:
    """The work events of `halls` halls (their ids first, then the instants from and to) in each hall's order,
    each row (hall_id, then WorkEvent's fields), read through the partial index events_work."""
    j = conn.dialect
    # INDEXED BY: SQLite's planner could otherwise walk every event of these types the hall ever had.
    hint = "INDEXED BY events_work " if j.name == "sqlite" else ""
    return (f"SELECT hall_id, type, {j.json_int('payload', 'ticket', 'id')}, {j.json_int('payload', 'window', 'id')},"
            f" {j.json_text('payload', 'reason')}, {j.json_int('payload', 'window', 'clerk', 'id')} "
            f"FROM events {hint}WHERE hall_id IN ({','.join('?' * halls)}) AND type IN ({_WORK_TYPES}) "
            "AND at >= ? AND at < ? ORDER BY hall_id, seq")


async def _columns(conn: Reader, table: str) -> set[str]:
    if conn.dialect.name == "postgresql":
        rows = await conn.all("SELECT column_name FROM information_schema.columns "
                              "WHERE table_schema = current_schema() AND table_name = ?", (table,))
    else:
        rows = await conn.all("SELECT name FROM pragma_table_info(?)", (table,))
    return {r[0] for r in rows}


async def _tables_exist(conn: Reader, *names: str) -> bool:
    marks = ",".join("?" * len(names))
    if conn.dialect.name == "postgresql":
        sql = ("SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() "
               f"AND table_name IN ({marks})")
    else:
        sql = f"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ({marks})"
    r = await conn.one(sql, names)
    return r is not None and int(r[0]) == len(names)


# -- write jobs ------------------------------------------------------------------------------------------

def _store_rollup(tx: Tx, hall_id: int, day: str, rows: Sequence[tuple[str, str, dict[str, Any]]],
                  tickets: int) -> None:
    tx.run("DELETE FROM report_rollup WHERE hall_id = ? AND service_day = ?", (hall_id, day))
    cols = ", ".join(ROLLUP_COLUMNS)
    marks = ", ".join("?" * (4 + len(ROLLUP_COLUMNS)))
    updates = ", ".join(f"{c} = excluded.{c}" for c in ROLLUP_COLUMNS)
    tx.many(f"INSERT INTO report_rollup (hall_id, dim, service_day, key, {cols}) VALUES ({marks}) "
            f"ON CONFLICT (hall_id, dim, service_day, key) DO UPDATE SET {updates}",
            [(hall_id, dim, day, key, *(v[c] for c in ROLLUP_COLUMNS)) for dim, key, v in rows])
    tx.run("INSERT INTO report_days (hall_id, service_day, tickets, built_at) VALUES (?, ?, ?, ?) "
           "ON CONFLICT (hall_id, service_day) DO UPDATE SET tickets = excluded.tickets, built_at = excluded.built_at",
           (hall_id, day, tickets, tx.now))


def _save_settings(tx: Tx, hall_id: int, values: dict[str, Any]) -> dict[str, Any]:
    tx.run("INSERT INTO report_settings (hall_id) VALUES (?) ON CONFLICT DO NOTHING", (hall_id,))
    for k in ("daily_at", "base_url"):
        if values.get(k) is not None:
            tx.run(f"UPDATE report_settings SET {k} = ? WHERE hall_id = ?", (values[k], hall_id))
    r = tx.one("SELECT daily_at, base_url FROM report_settings WHERE hall_id = ?", (hall_id,))
    assert r is not None
    return dict(r)


def _add_webhook(tx: Tx, hall_id: int, kind: str, label: str, url: str, secret: str) -> dict[str, Any]:
    webhook_id = tx.insert("INSERT INTO report_webhooks (hall_id, kind, label, url, secret, created_at) "
                           "VALUES (?,?,?,?,?,?)", (hall_id, kind, label, url, secret, tx.now))
    r = tx.one("SELECT * FROM report_webhooks WHERE id = ?", (webhook_id,))
    assert r is not None
    return dict(r)


def _set_webhook_active(tx: Tx, hall_id: int, webhook_id: int, active: bool) -> dict[str, Any]:
    r = tx.one("UPDATE report_webhooks SET active = ? WHERE id = ? AND hall_id = ? RETURNING *",
               (int(active), webhook_id, hall_id))
    if r is None:
        raise NotFound(E.WEBHOOK_NOT_FOUND, f"推送地址不存在 (no webhook {webhook_id})")
    return dict(r)


def _save_briefing(tx: Tx, hall_id: int, kind: str, start: str, end: str, data: str, by: str) -> int:
    r = tx.one("INSERT INTO briefings (hall_id, kind, period_start, period_end, data, generated_at, generated_by) "
               "VALUES (?,?,?,?,?,?,?) ON CONFLICT (hall_id, kind, period_start) DO UPDATE SET "
               "data = excluded.data, generated_at = excluded.generated_at, generated_by = excluded.generated_by, "
               "period_end = excluded.period_end RETURNING id", (hall_id, kind, start, end, data, tx.now, by))
    assert r is not None
    return int(r[0])


def _annotate(tx: Tx, briefing_id: int, hall_id: int, text: str, by: str) -> None:
    changed = tx.run("UPDATE briefings SET annotation = ?, annotated_by = ?, annotated_at = ? "
                     "WHERE id = ? AND hall_id = ?", (text, by, tx.now, briefing_id, hall_id))
    if changed == 0:
        raise NotFound(E.BRIEFING_NOT_FOUND, f"简报不存在 (no briefing {briefing_id})")


def _publish(tx: Tx, briefing_id: int, hall_id: int, by: str, messages: dict[int, str]) -> list[int]:
    if not messages:
        raise Conflict(E.NO_WEBHOOKS, "尚未配置工作群推送地址 (no active work-group webhook for this hall)")
    if tx.run("UPDATE briefings SET published_at = ?, published_by = ? WHERE id = ? AND hall_id = ?",
              (tx.now, by, briefing_id, hall_id)) == 0:
        raise NotFound(E.BRIEFING_NOT_FOUND, f"简报不存在 (no briefing {briefing_id})")
    return [tx.insert("INSERT INTO briefing_deliveries (briefing_id, webhook_id, state, next_attempt_at, message, "
                      "created_at) VALUES (?, ?, 'pending', ?, ?, ?)", (briefing_id, webhook_id, tx.now, body, tx.now))
            for webhook_id, body in messages.items()]


def _claim_due(tx: Tx, lease_seconds: float, limit: int) -> list[DueDelivery]:
    rows = tx.all(
        "SELECT d.id, d.attempts, d.message, w.kind, w.url, w.secret FROM briefing_deliveries d "
        "JOIN report_webhooks w ON w.id = d.webhook_id WHERE d.state = 'pending' AND d.next_attempt_at <= ? "
        "ORDER BY d.next_attempt_at, d.id LIMIT ?", (tx.now, limit))
    # Pushing the next attempt past the lease is the claim: a concurrent claimer of the same row loses the
    # race (PostgreSQL retries its job, which then no longer finds the row due).
    tx.many("UPDATE briefing_deliveries SET next_attempt_at = ? WHERE id = ?",
            [(tx.now + lease_seconds, r["id"]) for r in rows])
    return [DueDelivery(int(r["id"]), int(r["attempts"]), r["message"], r["kind"], r["url"], r["secret"])
            for r in rows]


def _record_attempt(tx: Tx, delivery_id: int, ok: bool, http_status: int | None, error: str | None,
                    next_at: float | None) -> None:
    tx.run("INSERT INTO briefing_attempts (delivery_id, at, ok, http_status, error) VALUES (?, ?, ?, ?, ?)",
           (delivery_id, tx.now, int(ok), http_status, error))
    if ok:
        tx.run("UPDATE briefing_deliveries SET state = 'sent', attempts = attempts + 1, sent_at = ?, "
               "next_attempt_at = NULL, last_error = NULL WHERE id = ?", (tx.now, delivery_id))
    else:
        tx.run("UPDATE briefing_deliveries SET state = ?, attempts = attempts + 1, next_attempt_at = ?, "
               "last_error = ? WHERE id = ?", ("pending" if next_at is not None else "failed", next_at, error,
                                               delivery_id))


def _retry_delivery(tx: Tx, delivery_id: int, hall_id: int) -> None:
    r = tx.one("SELECT d.state FROM briefing_deliveries d JOIN briefings b ON b.id = d.briefing_id "
               "WHERE d.id = ? AND b.hall_id = ?", (delivery_id, hall_id))
    if r is None:
        raise NotFound(E.DELIVERY_NOT_FOUND, f"推送记录不存在 (no delivery {delivery_id})")
    if r["state"] == "sent":
        raise Conflict(E.ALREADY_SENT, "该推送已成功，无需重试 (this delivery was sent)")
    tx.run("UPDATE briefing_deliveries SET state = 'pending', attempts = 0, next_attempt_at = ? WHERE id = ?",
           (tx.now, delivery_id))
