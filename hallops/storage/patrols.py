"""Patrols and checklists in storage: write jobs (functions of a Tx), reads, and `PatrolsPort`, what the use
cases call. What a patrol allows (which window, which item, when it may finish or be cancelled) is decided by
hallops/domain/patrols.py, called from the jobs on the rows they loaded. Findings: storage/findings.py.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hallops.domain.actors import Actor
from hallops.domain.errors import E, NotFound
from hallops.domain.events import Ev
from hallops.domain.patrols import (
    DEFAULT_CHECKLIST,
    OTHER_CATEGORY,
    CheckResult,
    OpeningHours,
    PatrolKind,
    PatrolStatus,
    QuotaProgress,
    actor_name,
    check_cancel,
    check_checklist_codes,
    check_finish,
    check_item_answer,
    check_patrol_open,
    check_patrol_window,
    local_minute,
    quota_progress,
)
from hallops.storage import audit
from hallops.storage.db import Database, Row, Tx
from hallops.storage.finding_views import FINDING_SELECT
from hallops.storage.rules import Rules, service_day_of, zone
from hallops.wire.patrols import patrol_brief

# The names of the standard items, for a checklist item a hall has no row of (a patrol keeps its codes).
_DEFAULT_NAMES = {it.code: it for it in (*DEFAULT_CHECKLIST, OTHER_CATEGORY)}
DEFAULT_SETTINGS: dict[str, Any] = {"opening_hours": "09:00-12:00,13:00-17:00", "weekdays": "1,2,3,4,5",
                                    "full_quota": 6, "spot_quota": 4, "grace_minutes": 30}


@dataclass(frozen=True, slots=True)
class PatrolSettings:
    opening: OpeningHours
    full_quota: int
    spot_quota: int
    grace_minutes: int
    raw: dict[str, Any]

    @classmethod
    def from_row(cls, row: Row | dict[str, Any] | None) -> PatrolSettings:
        raw = dict(DEFAULT_SETTINGS) | ({k: row[k] for k in DEFAULT_SETTINGS} if row is not None else {})
        return cls(OpeningHours.parse(raw["opening_hours"], raw["weekdays"]), int(raw["full_quota"]),
                   int(raw["spot_quota"]), int(raw["grace_minutes"]), raw)

    def quota(self, kind: PatrolKind) -> int:
        return self.full_quota if kind is PatrolKind.FULL else self.spot_quota


def hall_progress(settings: PatrolSettings, done: dict[str, int], now: float, tz: str) -> list[QuotaProgress]:
    local = dt.datetime.fromtimestamp(now, zone(tz))
    return [quota_progress(k, settings.opening, settings.quota(k), done.get(k.value, 0), local.date(),
                           local_minute(local), settings.grace_minutes) for k in PatrolKind]


# -- reading inside a transaction ------------------------------------------------------------------------

def tx_settings(tx: Tx, hall_id: int) -> PatrolSettings:
    return PatrolSettings.from_row(tx.one("SELECT * FROM patrol_settings WHERE hall_id = ?", (hall_id,)))


def tx_done_today(tx: Tx, hall_id: int, day: str) -> dict[str, int]:
    rows = tx.all("SELECT kind, count(*) AS n FROM patrols WHERE hall_id = ? AND service_day = ? AND status = 'done' "
                  "GROUP BY kind", (hall_id, day))
    return {r["kind"]: r["n"] for r in rows}


def hall_row(tx: Tx, hall_id: int, actor: Actor) -> Row:
    actor.check_hall(hall_id)
    row = tx.one("SELECT id, timezone FROM halls WHERE id = ?", (hall_id,))
    if row is None:
        raise NotFound(E.HALL_NOT_FOUND, f"大厅不存在 (no hall {hall_id})")
    return row


def ensure_checklist(tx: Tx, hall_id: int) -> list[Row]:
    """The hall's active checklist; a hall without one gets the defaults now."""
    if tx.one("SELECT 1 FROM checklist_items WHERE hall_id = ? LIMIT 1", (hall_id,)) is None:
        for pos, it in enumerate(DEFAULT_CHECKLIST):
            tx.run("INSERT INTO checklist_items (hall_id, code, name, name_en, position) VALUES (?,?,?,?,?)",
                   (hall_id, it.code, it.name, it.name_en, pos))
    return tx.all("SELECT code, name, name_en FROM checklist_items WHERE hall_id = ? AND active = 1 "
                  "ORDER BY position, id", (hall_id,))


def load_patrol(tx: Tx, patrol_id: int, actor: Actor) -> Row:
    row = tx.one("SELECT * FROM patrols WHERE id = ?", (patrol_id,))
    if row is None:
        raise NotFound(E.PATROL_NOT_FOUND, f"巡查记录不存在 (no patrol {patrol_id})")
    actor.check_hall(row["hall_id"])
    return row


def _emit_patrol(tx: Tx, row_id: int, type_: str, **extra: Any) -> None:
    row = tx.one("SELECT p.*, w.number AS window_number FROM patrols p LEFT JOIN windows w ON w.id = p.window_id "
                 "WHERE p.id = ?", (row_id,))
    assert row is not None
    done = tx_done_today(tx, row["hall_id"], row["service_day"])
    tx.emit(row["hall_id"], type_, {"patrol": patrol_brief(row, row["window_number"]), "done_today": done,
                                    **extra})


# -- settings and checklist ------------------------------------------------------------------------------

def update_settings(tx: Tx, hall_id: int, changes: dict[str, Any], actor: Actor) -> dict[str, Any]:
    hall_row(tx, hall_id, actor)
    merged = _save_settings(tx, hall_id, changes)
    audit.setting(tx, actor, "patrol-settings", hall_id=hall_id, after=changes)
    return merged


def _save_settings(tx: Tx, hall_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    current = tx_settings(tx, hall_id).raw
    merged = current | {k: v for k, v in changes.items() if k in DEFAULT_SETTINGS and v is not None}
    PatrolSettings.from_row(merged)  # refuses bad hours or weekdays before anything is stored
    tx.run("INSERT INTO patrol_settings (hall_id, opening_hours, weekdays, full_quota, spot_quota, grace_minutes) "
           "VALUES (:hall, :opening_hours, :weekdays, :full_quota, :spot_quota, :grace_minutes) "
           "ON CONFLICT (hall_id) DO UPDATE SET opening_hours = excluded.opening_hours, weekdays = excluded.weekdays,"
           " full_quota = excluded.full_quota, spot_quota = excluded.spot_quota,"
           " grace_minutes = excluded.grace_minutes", merged | {"hall": hall_id})
    tx.emit(hall_id, Ev.PATROL_SETTINGS_CHANGED, {"settings": merged})
    return merged


DEMO_WEEKDAYS = "1,2,3,4,5,6,7"


def configure_demo(tx: Tx, hall_id: int) -> None:
    """The demo hall takes tickets any day, so it is patrolled any day: a trial on a Sunday sees the quota,
    not "closed today". Opening hours and quotas stay the defaults (or what a manager set). Idempotent."""
    if tx_settings(tx, hall_id).raw["weekdays"] != DEMO_WEEKDAYS:
        _save_settings(tx, hall_id, {"weekdays": DEMO_WEEKDAYS})


def set_checklist(tx: Tx, hall_id: int, items: Sequence[dict[str, str]], actor: Actor) -> list[dict[str, Any]]:
    """Replace the hall's checklist: the given items in this order; items left out are retired (kept for the
    findings that name them)."""
    hall_row(tx, hall_id, actor)
    codes = [it["code"] for it in items]
    check_checklist_codes(codes)
    ensure_checklist(tx, hall_id)
    tx.run("UPDATE checklist_items SET active = 0 WHERE hall_id = ?", (hall_id,))
    for pos, it in enumerate(items):
        tx.run("INSERT INTO checklist_items (hall_id, code, name, name_en, position, active) VALUES (?,?,?,?,?,1) "
               "ON CONFLICT (hall_id, code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en,"
               " position = excluded.position, active = 1",
               (hall_id, it["code"], it["name"], it.get("name_en", ""), pos))
    tx.emit(hall_id, Ev.PATROL_CHECKLIST_CHANGED, {"items": codes})
    audit.setting(tx, actor, "checklist", hall_id=hall_id, after={"items": [dict(it) for it in items]})
    return [dict(r) for r in ensure_checklist(tx, hall_id)]


# -- patrols ---------------------------------------------------------------------------------------------

def start_patrol(tx: Tx, rules: Rules, *, hall_id: int, kind: PatrolKind, window_id: int | None, note: str,
                 actor: Actor) -> int:
    hall = hall_row(tx, hall_id, actor)
    key_window = None
    if window_id is not None:
        w = tx.one("SELECT key_window FROM windows WHERE id = ? AND hall_id = ? AND active = 1", (window_id, hall_id))
        key_window = bool(w["key_window"]) if w is not None else None
    check_patrol_window(kind, window_id, key_window)
    items = [r["code"] for r in ensure_checklist(tx, hall_id)]
    day = service_day_of(tx.now, hall["timezone"], rules)
    pid = tx.insert("INSERT INTO patrols (hall_id, kind, service_day, status, window_id, items, inspector_user_id,"
                 " inspector_name, note, started_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                 (hall_id, kind.value, day, PatrolStatus.OPEN.value, window_id, json.dumps(items), actor.user_id,
                  actor_name(actor), note, tx.now))
    _emit_patrol(tx, pid, Ev.PATROL_STARTED)
    return pid


def _require_open(row: Row) -> None:
    check_patrol_open(PatrolStatus(row["status"]))


def check_item(tx: Tx, *, patrol_id: int, item: str, result: CheckResult, note: str, actor: Actor) -> None:
    row = load_patrol(tx, patrol_id, actor)
    _require_open(row)
    has_finding = tx.one("SELECT 1 FROM findings WHERE patrol_id = ? AND category = ?", (patrol_id, item))
    check_item_answer(json.loads(row["items"]), item, result, has_finding is not None)
    tx.run("INSERT INTO patrol_checks (patrol_id, item_code, result, note, at) VALUES (?,?,?,?,?) "
           "ON CONFLICT (patrol_id, item_code) DO UPDATE SET result = excluded.result, note = excluded.note,"
           " at = excluded.at", (patrol_id, item, result.value, note, tx.now))
    _emit_patrol(tx, patrol_id, Ev.PATROL_CHECKED, item=item, result=result.value)


def finish_patrol(tx: Tx, *, patrol_id: int, note: str | None, actor: Actor) -> None:
    row = load_patrol(tx, patrol_id, actor)
    _require_open(row)
    checked = [r["item_code"] for r in tx.all("SELECT item_code FROM patrol_checks WHERE patrol_id = ?",
                                              (patrol_id,))]
    check_finish(json.loads(row["items"]), checked)
    tx.run("UPDATE patrols SET status = 'done', finished_at = ?, note = coalesce(?, note) WHERE id = ?",
           (tx.now, note, patrol_id))
    _emit_patrol(tx, patrol_id, Ev.PATROL_FINISHED)


def cancel_patrol(tx: Tx, *, patrol_id: int, actor: Actor) -> None:
    row = load_patrol(tx, patrol_id, actor)
    _require_open(row)
    counted = tx.one("SELECT count(*) AS n FROM findings WHERE patrol_id = ?", (patrol_id,))
    check_cancel(int(counted["n"]) if counted else 0)
    tx.run("UPDATE patrols SET status = 'cancelled', finished_at = ? WHERE id = ?", (tx.now, patrol_id))
    _emit_patrol(tx, patrol_id, Ev.PATROL_CANCELLED)


# -- reads -----------------------------------------------------------------------------------------------

def _patrol_record(p: Row) -> dict[str, Any]:
    """A patrol's columns, its checklist (kept as JSON text) as the list of its item codes."""
    return dict(p) | {"items": json.loads(p["items"])}


class PatrolsPort:
    """Patrols for the use cases: every change one write job, every read one snapshot."""

    def __init__(self, db: Database, rules: Rules) -> None:
        self.db = db
        self.rules = rules

    def now(self) -> float:
        return self.db.clock()

    async def update_settings(self, hall_id: int, changes: dict[str, Any], actor: Actor) -> dict[str, Any]:
        return await self.db.write(lambda tx: update_settings(tx, hall_id, changes, actor))

    async def configure_demo(self, hall_id: int) -> None:
        await self.db.write(lambda tx: configure_demo(tx, hall_id))

    async def set_checklist(self, hall_id: int, items: Sequence[dict[str, str]], actor: Actor) -> list[dict[str, Any]]:
        return await self.db.write(lambda tx: set_checklist(tx, hall_id, items, actor))

    async def start(self, hall_id: int, kind: PatrolKind, window_id: int | None, note: str, actor: Actor) -> int:
        return await self.db.write(lambda tx: start_patrol(tx, self.rules, hall_id=hall_id, kind=kind,
                                                           window_id=window_id, note=note, actor=actor))

    async def check(self, patrol_id: int, item: str, result: CheckResult, note: str, actor: Actor) -> None:
        await self.db.write(lambda tx: check_item(tx, patrol_id=patrol_id, item=item, result=result, note=note,
                                                  actor=actor))

    async def finish(self, patrol_id: int, note: str | None, actor: Actor) -> None:
        await self.db.write(lambda tx: finish_patrol(tx, patrol_id=patrol_id, note=note, actor=actor))

    async def cancel(self, patrol_id: int, actor: Actor) -> None:
        await self.db.write(lambda tx: cancel_patrol(tx, patrol_id=patrol_id, actor=actor))

    async def settings(self, hall_id: int) -> PatrolSettings:
        return PatrolSettings.from_row(await self.db.one("SELECT * FROM patrol_settings WHERE hall_id = ?",
                                                         (hall_id,)))

    async def checklist(self, hall_id: int) -> list[dict[str, Any]]:
        rows = await self.db.all("SELECT code, name, name_en FROM checklist_items WHERE hall_id = ? AND active = 1 "
                                 "ORDER BY position, id", (hall_id,))
        if rows:
            return [dict(r) for r in rows]
        has_any = await self.db.one("SELECT 1 FROM checklist_items WHERE hall_id = ? LIMIT 1", (hall_id,))
        return [] if has_any else [{"code": i.code, "name": i.name, "name_en": i.name_en} for i in DEFAULT_CHECKLIST]

    async def quota(self, hall_id: int, now: float) -> dict[str, Any]:
        """The day's quota, progress and schedule, with the day's patrols."""
        hall = await self.db.one("SELECT timezone FROM halls WHERE id = ?", (hall_id,))
        if hall is None:
            raise NotFound(E.HALL_NOT_FOUND, f"大厅不存在 (no hall {hall_id})")
        day = service_day_of(now, hall["timezone"], self.rules)
        settings = await self.settings(hall_id)
        async with self.db.snapshot() as conn:
            patrols = await conn.all(
                "SELECT p.*, w.number AS window_number, (SELECT count(*) FROM findings f WHERE f.patrol_id = p.id)"
                " AS findings, (SELECT count(*) FROM patrol_checks c WHERE c.patrol_id = p.id) AS checked "
                "FROM patrols p LEFT JOIN windows w ON w.id = p.window_id "
                "WHERE p.hall_id = ? AND p.service_day = ? AND p.status <> 'cancelled' ORDER BY p.started_at",
                (hall_id, day))
        done: dict[str, int] = {}
        for p in patrols:
            if p["status"] == "done":
                done[p["kind"]] = done.get(p["kind"], 0) + 1
        progress = hall_progress(settings, done, now, hall["timezone"])
        return {"service_day": day, "settings": settings.raw, "progress": progress,
                "patrols": [_patrol_record(p) for p in patrols]}

    async def patrols(self, hall_id: int, day: str | None, limit: int = 200) -> list[dict[str, Any]]:
        cond, params = ("AND p.service_day = ?", (day,)) if day else ("", ())
        rows = await self.db.all(
            "SELECT p.*, w.number AS window_number, (SELECT count(*) FROM findings f WHERE f.patrol_id = p.id)"
            " AS findings, (SELECT count(*) FROM patrol_checks c WHERE c.patrol_id = p.id) AS checked "
            f"FROM patrols p LEFT JOIN windows w ON w.id = p.window_id WHERE p.hall_id = ? {cond} "
            "ORDER BY p.started_at DESC LIMIT ?", (hall_id, *params, limit))
        return [_patrol_record(r) for r in rows]

    async def patrol(self, patrol_id: int, actor: Actor) -> dict[str, Any]:
        """A patrol's columns, its checklist with each item's answer, and its findings' columns."""
        async with self.db.snapshot() as conn:
            rows = list(await conn.all(
                "SELECT p.*, w.number AS window_number, w.name AS window_name,"
                " (SELECT count(*) FROM findings f WHERE f.patrol_id = p.id) AS findings,"
                " (SELECT count(*) FROM patrol_checks c WHERE c.patrol_id = p.id) AS checked "
                "FROM patrols p LEFT JOIN windows w ON w.id = p.window_id WHERE p.id = ?", (patrol_id,)))
            if not rows:
                raise NotFound(E.PATROL_NOT_FOUND, f"巡查记录不存在 (no patrol {patrol_id})")
            p = rows[0]
            actor.check_hall(p["hall_id"])
            names = await conn.all(
                "SELECT code, name, name_en FROM checklist_items WHERE hall_id = ?", (p["hall_id"],))
            checks = await conn.all(
                "SELECT item_code, result, note, at FROM patrol_checks WHERE patrol_id = ?", (patrol_id,))
            findings = await conn.all(f"{FINDING_SELECT} WHERE f.patrol_id = ? ORDER BY f.id",
                                                   (patrol_id,))
        by_code = {r["code"]: r for r in names}
        by_check = {r["item_code"]: r for r in checks}
        items = []
        for code in json.loads(p["items"]):
            n = by_code.get(code)
            d = _DEFAULT_NAMES.get(code)
            c = by_check.get(code)
            items.append({"code": code, "name": n["name"] if n else (d.name if d else code),
                          "name_en": n["name_en"] if n else (d.name_en if d else ""),
                          "result": c["result"] if c else None, "note": c["note"] if c else "",
                          "at": c["at"] if c else None})
        return _patrol_record(p) | {"checklist": items, "findings": [dict(f) for f in findings]}

    async def staff(self, hall_id: int) -> list[dict[str, Any]]:
        """The hall's staff, for choosing who fixes a finding."""
        rows = await self.db.all("SELECT id, username, display_name, role FROM users WHERE active = 1 AND "
                                 "(hall_id = ? OR hall_id IS NULL) AND role <> 'admin' ORDER BY role, id", (hall_id,))
        return [dict(r) for r in rows]


