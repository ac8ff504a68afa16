"""Statistics over a subtree of centres (issue 10): the reads behind a district's figures and its briefing.

Every read here is one grouped query over the subtree's hall ids — never one query per centre — so a district
of 63 centres costs what one centre costs, give or take the rows: the closed days' roll-ups by (hall, day,
dimension), the open day's tickets, the patrols, findings, follow-ups, cases and ratings counted by hall. The
event log is read only for the open day's work events (calls, recalls, transfers), through the partial index
that holds them, and only when the figures asked for show them.

`SubtreeReads` hangs on the reports port (`ReportsPort.subtree`); hallops/reports/subtree.py folds and merges.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from hallops.domain.cases import OPEN_CASE
from hallops.domain.patrols import PENDING_FIX
from hallops.storage.db import Database, Row, Tx
from hallops.storage.reports import (
    ACTIVE_STATUSES,
    ROLLUP_COLUMNS,
    TICKET_FIELDS,
    DayRows,
    HallMeta,
    WorkEvent,
    work_events_sql,
)

_PENDING_FIX = tuple(s.value for s in PENDING_FIX)
_OPEN_CASES = tuple(sorted(s.value for s in OPEN_CASE))


def _marks(n: int) -> str:
    return ",".join("?" * n)


def _sum_if(cond: str) -> str:
    """Rows meeting `cond`, the same on both backends (PostgreSQL cannot sum a boolean)."""
    return f"sum(CASE WHEN {cond} THEN 1 ELSE 0 END)"


class SubtreeReads:
    """Snapshot reads over many halls at once, and the one write the subtree's roll-up needs of its own."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def halls(self) -> list[dict[str, Any]]:
        """Every hall with its place in the tree (a district's tree is a few hundred rows at most)."""
        rows = await self._db.all("SELECT id, code, name, name_en, level, parent_id, timezone FROM halls ORDER BY id")
        return [dict(r) for r in rows]

    async def metas(self, ids: Sequence[int]) -> dict[int, HallMeta]:
        """Each hall's names, targets and kinds (what `ReportsPort.hall_meta` gives for one), five queries for all;
        an account bound to no hall belongs to every hall's names."""
        m = _marks(len(ids))
        async with self._db.snapshot() as conn:
            halls = await conn.all(f"SELECT id, code, name, timezone FROM halls WHERE id IN ({m})", ids)
            queues = await conn.all("SELECT id, hall_id, prefix, name, kind, department_id, target_wait_minutes "
                                    f"FROM queues WHERE hall_id IN ({m})", ids)
            windows = await conn.all(f"SELECT id, hall_id, number, name, kind, key_window FROM windows "
                                     f"WHERE hall_id IN ({m})", ids)
            depts = await conn.all(f"SELECT id, hall_id, code, name FROM departments WHERE hall_id IN ({m})", ids)
            users = await conn.all(f"SELECT id, hall_id, username, display_name FROM users "
                                   f"WHERE hall_id IN ({m}) OR hall_id IS NULL", ids)
        out = {int(h["id"]): HallMeta(dict(h), {}, {}, {}, {}) for h in halls}
        for rows, attr in ((queues, "queues"), (windows, "windows"), (depts, "departments")):
            for r in rows:
                getattr(out[int(r["hall_id"])], attr)[int(r["id"])] = dict(r)
        for r in users:
            for hid in ([int(r["hall_id"])] if r["hall_id"] is not None else list(out)):
                out[hid].users[int(r["id"])] = dict(r)
        return out

    async def built_days(self, ids: Sequence[int], start: str, end: str) -> set[tuple[int, str]]:
        """The (hall, day) pairs of the range whose roll-up is complete."""
        rows = await self._db.all(f"SELECT hall_id, service_day FROM report_days WHERE hall_id IN ({_marks(len(ids))}) "
                                  "AND service_day BETWEEN ? AND ?", (*ids, start, end))
        return {(int(r[0]), str(r[1])) for r in rows}

    async def ticket_days(self, ids: Sequence[int], start: str, end: str) -> dict[tuple[int, str], bool]:
        """The (hall, day) pairs of the range that had tickets, each with whether some are not final yet."""
        rows = await self._db.all(
            f"SELECT hall_id, service_day, {_sum_if(f'status IN {ACTIVE_STATUSES}')} AS active FROM tickets "
            f"WHERE hall_id IN ({_marks(len(ids))}) AND service_day BETWEEN ? AND ? GROUP BY hall_id, service_day",
            (*ids, start, end))
        return {(int(r[0]), str(r[1])): bool(r[2]) for r in rows}

    async def mark_empty_days(self, pairs: Iterable[tuple[int, str]]) -> None:
        """Closed days without a ticket are complete as they are: an empty roll-up, not asked for again."""
        rows = [(hid, day) for hid, day in pairs]
        if rows:
            await self._db.write(lambda tx: _mark_empty(tx, rows))

    async def rollup_rows(self, ids: Sequence[int], dims: Iterable[str], start: str, end: str) -> list[Row]:
        dims = list(dims)
        return await self._db.all(
            f"SELECT hall_id, dim, service_day, key, {', '.join(ROLLUP_COLUMNS)} FROM report_rollup "
            f"WHERE hall_id IN ({_marks(len(ids))}) AND dim IN ({_marks(len(dims))}) AND service_day BETWEEN ? AND ?",
            (*ids, *dims, start, end))

    async def day_rows(self, ids: Sequence[int], day: str, bounds: tuple[float, float] | None, *,
                       departments: bool = True) -> dict[int, DayRows]:
        """One service day of many halls as each hall's DayRows; its work events only when `bounds` (the day's
        instants) are given, the departments of the items handled only when asked."""
        m = _marks(len(ids))
        async with self._db.snapshot() as conn:
            tickets = await conn.all(f"SELECT hall_id, {TICKET_FIELDS} FROM tickets WHERE hall_id IN ({m}) "
                                     "AND service_day = ?", (*ids, day))
            items = await conn.all(
                "SELECT DISTINCT t.hall_id, ti.ticket_id, si.department_id FROM tickets t "
                "JOIN ticket_items ti ON ti.ticket_id = t.id JOIN service_items si ON si.id = ti.item_id "
                f"WHERE t.hall_id IN ({m}) AND t.service_day = ? AND si.department_id IS NOT NULL",
                (*ids, day)) if departments else []
            events = (await conn.all(work_events_sql(conn, len(ids)), (*ids, *bounds))
                      if bounds is not None else [])
        out = {hid: DayRows([], {}, []) for hid in ids}
        for t in tickets:
            out[int(t["hall_id"])].tickets.append(t)
        for r in items:
            out[int(r[0])].departments.setdefault(int(r[1]), set()).add(int(r[2]))
        for e in events:
            out[int(e[0])].events.append(WorkEvent(*tuple(e)[1:]))
        return out

    async def floor(self, ids: Sequence[int], start_day: str, end_day: str, start_ts: float, end_ts: float,
                    now: float) -> dict[int, dict[str, Any]]:
        """Each hall's patrol settings, patrols done by kind over the days, ratings of the period by level and
        its cases received, closed and on time; and, as they stand `now`, the findings awaiting their fix, the
        open bad-rating follow-ups and the open cases (raised before the period's end) with those overdue."""
        m = _marks(len(ids))
        out: dict[int, dict[str, Any]] = {hid: {"settings": None, "done": {}, "ratings": {}, "findings": (0, 0),
                                                "followups": (0, 0), "cases": (0, 0),
                                                "received": (0, 0, 0)} for hid in ids}
        async with self._db.snapshot() as conn:
            for r in await conn.all(f"SELECT hall_id, weekdays, full_quota, spot_quota FROM patrol_settings "
                                    f"WHERE hall_id IN ({m})", ids):
                out[int(r["hall_id"])]["settings"] = (r["weekdays"], int(r["full_quota"]), int(r["spot_quota"]))
            for r in await conn.all(f"SELECT hall_id, kind, count(*) AS n FROM patrols WHERE hall_id IN ({m}) "
                                    "AND service_day BETWEEN ? AND ? AND status = 'done' GROUP BY hall_id, kind",
                                    (*ids, start_day, end_day)):
                out[int(r["hall_id"])]["done"][str(r["kind"])] = int(r["n"])
            for r in await conn.all(f"SELECT hall_id, level, count(*) AS n FROM ratings WHERE hall_id IN ({m}) "
                                    "AND created_at >= ? AND created_at < ? GROUP BY hall_id, level",
                                    (*ids, start_ts, end_ts)):
                out[int(r["hall_id"])]["ratings"][str(r["level"])] = int(r["n"])
            for key, sql, params in (
                    ("findings", f"FROM findings WHERE hall_id IN ({m}) AND status IN ({_marks(len(_PENDING_FIX))}) "
                                 "AND created_at < ?", (now, *ids, *_PENDING_FIX, end_ts)),
                    ("followups", f"FROM followups WHERE hall_id IN ({m}) AND status NOT IN ('closed', 'voided') "
                                  "AND created_at < ?", (now, *ids, end_ts)),
                    ("cases", f"FROM cases WHERE hall_id IN ({m}) AND status IN ({_marks(len(_OPEN_CASES))}) "
                              "AND created_at < ?", (now, *ids, *_OPEN_CASES, end_ts))):
                # A finding is overdue once its due instant has passed; a follow-up or a case at its due instant.
                due = "due_at < ?" if key == "findings" else "due_at <= ?"
                for r in await conn.all(f"SELECT hall_id, count(*) AS n, {_sum_if(due)} AS overdue {sql} "
                                        "GROUP BY hall_id", params):
                    out[int(r["hall_id"])][key] = (int(r["n"]), int(r["overdue"] or 0))
            for r in await conn.all(
                    f"SELECT hall_id, count(*) AS n, {_sum_if('closed_at IS NOT NULL')} AS closed, "
                    f"{_sum_if('closed_at IS NOT NULL AND closed_at <= due_at')} AS on_time FROM cases "
                    f"WHERE hall_id IN ({m}) AND created_at >= ? AND created_at < ? GROUP BY hall_id",
                    (*ids, start_ts, end_ts)):
                out[int(r["hall_id"])]["received"] = (int(r["n"]), int(r["closed"] or 0), int(r["on_time"] or 0))
        return out


def _mark_empty(tx: Tx, rows: list[tuple[int, str]]) -> None:
    tx.many("INSERT INTO report_days (hall_id, service_day, tickets, built_at) VALUES (?, ?, 0, ?) "
            "ON CONFLICT (hall_id, service_day) DO NOTHING", [(hid, day, tx.now) for hid, day in rows])
