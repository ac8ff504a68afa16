"""Supervision visits (巡察) in storage: write jobs (functions of a Tx), reads, and `SupervisionPort`, what the use
cases call. Who may supervise which centre, what a visit allows next and how the plan's coverage is counted are
decided by hallops/domain/supervision.py, called from the jobs on the rows they loaded.

A visit's findings are the visited centre's findings, recorded by the findings' own write job
(storage/findings.py `create_finding`, which keeps the visit's id on them), in the same transaction that marks
the visit's item.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from hallops.domain.actors import Actor
from hallops.domain.errors import E, NotFound
from hallops.domain.model import Role
from hallops.domain.patrols import CheckResult, actor_name, check_finish, check_item_answer
from hallops.domain.supervision import (
    SUPERVISION_CHECKLIST,
    Period,
    VisitAction,
    VisitMode,
    VisitStatus,
    check_cancel,
    check_category,
    check_district,
    check_no_visit_in_progress,
    check_sub_centre,
    check_supervises,
    check_visit_visible,
    default_responsible,
    finding_area,
    next_visit_status,
)
from hallops.storage.db import Database, Row, Tx
from hallops.storage.finding_views import FINDING_SELECT
from hallops.storage.findings import create_finding

_NAMES = {it.code: it for it in SUPERVISION_CHECKLIST}
# A visit with its centre's names, the name of the centre it was made from, and its counts.
_VISIT_SELECT = ("SELECT v.*, h.code AS hall_code, h.name AS hall_name, h.name_en AS hall_name_en,"
                 " h.level AS hall_level, h.parent_id AS hall_parent_id, fh.name AS from_hall_name,"
                 " (SELECT count(*) FROM findings f WHERE f.visit_id = v.id) AS findings,"
                 " (SELECT count(*) FROM supervision_checks c WHERE c.visit_id = v.id) AS checked "
                 "FROM supervision_visits v JOIN halls h ON h.id = v.hall_id"
                 " LEFT JOIN halls fh ON fh.id = v.from_hall_id")


def _hall(tx: Tx, hall_id: int) -> Row:
    row = tx.one("SELECT id, parent_id FROM halls WHERE id = ?", (hall_id,))
    if row is None:
        raise NotFound(E.HALL_NOT_FOUND, f"大厅不存在 (no hall {hall_id})")
    return row


def load_visit(tx: Tx, visit_id: int, actor: Actor) -> Row:
    """The visit's row, if this actor may see it (the domain decides); else it does not exist for them."""
    row = tx.one("SELECT * FROM supervision_visits WHERE id = ?", (visit_id,))
    check_visit_visible(actor, visit_id, row["hall_id"] if row else None, row["from_hall_id"] if row else None)
    assert row is not None
    return row


def _step(tx: Tx, visit_id: int, action: VisitAction, actor: Actor) -> tuple[Row, VisitStatus]:
    """The visit and the status `action` leads to, or the refusal (the visit is finished or cancelled)."""
    row = load_visit(tx, visit_id, actor)
    return row, next_visit_status(VisitStatus(row["status"]), action)


# -- write jobs ------------------------------------------------------------------------------------------

def start_visit(tx: Tx, *, hall_id: int, mode: VisitMode, note: str, actor: Actor) -> int:
    check_supervises(actor, hall_id)
    check_sub_centre(_hall(tx, hall_id)["parent_id"])
    running = tx.one("SELECT id FROM supervision_visits WHERE hall_id = ? AND status = 'started'", (hall_id,))
    check_no_visit_in_progress(running["id"] if running else None)
    items = [it.code for it in SUPERVISION_CHECKLIST]
    return tx.insert(
        "INSERT INTO supervision_visits (hall_id, from_hall_id, mode, status, items, inspector_user_id,"
        " inspector_name, note, started_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (hall_id, actor.hall_id, mode.value, VisitStatus.STARTED.value, json.dumps(items), actor.user_id,
         actor_name(actor), note, tx.now, tx.now))


def _mark(tx: Tx, visit_id: int, item: str, result: CheckResult, note: str) -> None:
    tx.run("INSERT INTO supervision_checks (visit_id, item_code, result, note, at) VALUES (?,?,?,?,?) "
           "ON CONFLICT (visit_id, item_code) DO UPDATE SET result = excluded.result, note = excluded.note,"
           " at = excluded.at", (visit_id, item, result.value, note, tx.now))
    tx.run("UPDATE supervision_visits SET updated_at = ? WHERE id = ?", (tx.now, visit_id))


def check_item(tx: Tx, *, visit_id: int, item: str, result: CheckResult, note: str, actor: Actor) -> None:
    row, _ = _step(tx, visit_id, VisitAction.CHECK, actor)
    has_finding = tx.one("SELECT 1 FROM findings WHERE visit_id = ? AND category = ?", (visit_id, item))
    check_item_answer(json.loads(row["items"]), item, result, has_finding is not None)
    _mark(tx, visit_id, item, result, note)


def raise_finding(tx: Tx, *, visit_id: int, spec: dict[str, Any], actor: Actor) -> int:
    """A finding of the visited centre, by the findings' own job (due date, escalation, event), given to the
    centre's manager unless someone is named; the visit's item is marked."""
    row, _ = _step(tx, visit_id, VisitAction.RAISE, actor)
    items = json.loads(row["items"])
    check_category(items, spec["category"])
    hall_id = row["hall_id"]
    staff = tx.all("SELECT id, role FROM users WHERE hall_id = ? AND active = 1 AND role IN ('manager', 'admin') "
                   "ORDER BY id", (hall_id,))
    responsible = default_responsible(spec.get("responsible"), (spec.get("responsible_name") or "").strip(),
                                      [(r["id"], Role(r["role"])) for r in staff])
    area = finding_area(spec.get("window"), spec.get("clerk"), (spec.get("area") or "").strip())
    finding = create_finding(tx, hall_id=hall_id, actor=actor, spec=spec | {
        "patrol": None, "visit": visit_id, "visit_items": items, "responsible": responsible, "area": area})
    if spec["category"] in items:
        _mark(tx, visit_id, spec["category"], CheckResult.FINDING, "")
    return int(finding["id"])


def set_note(tx: Tx, *, visit_id: int, note: str, actor: Actor) -> None:
    _step(tx, visit_id, VisitAction.NOTE, actor)
    tx.run("UPDATE supervision_visits SET note = ?, updated_at = ? WHERE id = ?", (note, tx.now, visit_id))


def finish_visit(tx: Tx, *, visit_id: int, note: str | None, actor: Actor) -> None:
    row, new = _step(tx, visit_id, VisitAction.FINISH, actor)
    checked = [r["item_code"] for r in tx.all("SELECT item_code FROM supervision_checks WHERE visit_id = ?",
                                              (visit_id,))]
    check_finish(json.loads(row["items"]), checked)
    tx.run("UPDATE supervision_visits SET status = ?, finished_at = ?, updated_at = ?, note = coalesce(?, note) "
           "WHERE id = ?", (new.value, tx.now, tx.now, note, visit_id))


def cancel_visit(tx: Tx, *, visit_id: int, actor: Actor) -> None:
    _, new = _step(tx, visit_id, VisitAction.CANCEL, actor)
    counted = tx.one("SELECT count(*) AS n FROM findings WHERE visit_id = ?", (visit_id,))
    check_cancel(int(counted["n"]) if counted else 0)
    tx.run("UPDATE supervision_visits SET status = ?, finished_at = ?, updated_at = ? WHERE id = ?",
           (new.value, tx.now, tx.now, visit_id))


def set_period(tx: Tx, *, hall_id: int, period: Period, actor: Actor) -> None:
    actor.check_hall(hall_id)
    check_district(_hall(tx, hall_id)["parent_id"])
    tx.run("INSERT INTO supervision_plans (hall_id, period) VALUES (?, ?) "
           "ON CONFLICT (hall_id) DO UPDATE SET period = excluded.period", (hall_id, period.value))


# -- the port --------------------------------------------------------------------------------------------

def _visit_record(v: Row) -> dict[str, Any]:
    return dict(v) | {"items": json.loads(v["items"])}


class SupervisionPort:
    """Supervision visits and the plan for the use cases: every change one write job, every read one snapshot."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def start(self, hall_id: int, mode: VisitMode, note: str, actor: Actor) -> int:
        return await self.db.write(lambda tx: start_visit(tx, hall_id=hall_id, mode=mode, note=note, actor=actor),
                                   hall=hall_id)

    async def check(self, visit_id: int, item: str, result: CheckResult, note: str, actor: Actor) -> None:
        await self.db.write(lambda tx: check_item(tx, visit_id=visit_id, item=item, result=result, note=note,
                                                  actor=actor))

    async def raise_finding(self, visit_id: int, spec: dict[str, Any], actor: Actor) -> int:
        return await self.db.write(lambda tx: raise_finding(tx, visit_id=visit_id, spec=spec, actor=actor))

    async def set_note(self, visit_id: int, note: str, actor: Actor) -> None:
        await self.db.write(lambda tx: set_note(tx, visit_id=visit_id, note=note, actor=actor))

    async def finish(self, visit_id: int, note: str | None, actor: Actor) -> None:
        await self.db.write(lambda tx: finish_visit(tx, visit_id=visit_id, note=note, actor=actor))

    async def cancel(self, visit_id: int, actor: Actor) -> None:
        await self.db.write(lambda tx: cancel_visit(tx, visit_id=visit_id, actor=actor))

    async def set_period(self, hall_id: int, period: Period, actor: Actor) -> None:
        await self.db.write(lambda tx: set_period(tx, hall_id=hall_id, period=period, actor=actor))

    async def visit(self, visit_id: int, actor: Actor) -> dict[str, Any]:
        """A visit's columns and its centre's, its checklist with each item's answer, and its findings' columns."""
        async with self.db.snapshot() as conn:
            v = await conn.one(f"{_VISIT_SELECT} WHERE v.id = ?", (visit_id,))
            check_visit_visible(actor, visit_id, v["hall_id"] if v else None, v["from_hall_id"] if v else None)
            assert v is not None
            checks = await conn.all("SELECT item_code, result, note, at FROM supervision_checks WHERE visit_id = ?",
                                    (visit_id,))
            findings = await conn.all(f"{FINDING_SELECT} WHERE f.visit_id = ? ORDER BY f.id", (visit_id,))
        by_code = {c["item_code"]: c for c in checks}
        checklist = []
        for code in json.loads(v["items"]):
            it, c = _NAMES.get(code), by_code.get(code)
            checklist.append({"code": code, "name": it.name if it else code, "name_en": it.name_en if it else "",
                              "result": c["result"] if c else None, "note": c["note"] if c else "",
                              "at": c["at"] if c else None})
        return _visit_record(v) | {"checklist": checklist, "findings": [dict(f) for f in findings]}

    async def visits(self, hall_ids: Sequence[int], status: VisitStatus | None, limit: int) -> list[dict[str, Any]]:
        """Visits of these centres, the newest first."""
        if not hall_ids:
            return []
        cond, params = ("AND v.status = ?", [status.value]) if status else ("", [])
        rows = await self.db.all(
            f"{_VISIT_SELECT} WHERE v.hall_id IN ({','.join('?' * len(hall_ids))}) {cond} "
            "ORDER BY v.started_at DESC, v.id DESC LIMIT ?", (*hall_ids, *params, limit))
        return [_visit_record(r) for r in rows]

    async def parents(self) -> dict[int, int | None]:
        """The hall tree: each hall's parent."""
        rows = await self.db.all("SELECT id, parent_id FROM halls")
        return {int(r["id"]): (None if r["parent_id"] is None else int(r["parent_id"])) for r in rows}

    async def plan(self, now: float) -> dict[str, Any]:
        """What the plan is counted from, as one snapshot: every hall (id, code, names, level, parent, time zone),
        each district's period (no row: the default), and each centre's last visit finished by `now`."""
        async with self.db.snapshot() as conn:
            halls = await conn.all("SELECT id, code, name, name_en, level, parent_id, timezone FROM halls ORDER BY id")
            plans = await conn.all("SELECT hall_id, period FROM supervision_plans")
            last = await conn.all(
                "SELECT v.hall_id, v.id, v.mode, v.finished_at, v.inspector_name FROM supervision_visits v JOIN ("
                "SELECT hall_id, max(finished_at) AS at FROM supervision_visits WHERE status = 'finished'"
                " AND finished_at <= ? GROUP BY hall_id) m ON m.hall_id = v.hall_id AND m.at = v.finished_at "
                "WHERE v.status = 'finished' ORDER BY v.id", (now,))
        return {"halls": [dict(h) for h in halls],
                "periods": {int(p["hall_id"]): Period(p["period"]) for p in plans},
                "last_visits": {int(r["hall_id"]): dict(r) for r in last}}
