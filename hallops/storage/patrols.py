"""Patrols, checklists and findings in SQLite: write jobs (functions of a Tx) and reads (`PatrolReads`).

Who may see a finding is decided here, in one SQL condition (`_visible_sql`), so the list, the detail, the
photos and every change obey the same rule: staff of the hall see its findings; a clerk sees those about
the window they are signed in to (or their token is bound to), about them, or given to them to fix.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hallops.domain.actors import Actor
from hallops.domain.errors import Conflict, E, Forbidden, InvalidInput, NotFound
from hallops.domain.events import Ev
from hallops.domain.model import Role
from hallops.domain.patrols import (
    DEFAULT_CHECKLIST,
    OTHER_CATEGORY,
    SUPERVISOR_ACTIONS,
    CheckResult,
    Escalation,
    FindingAction,
    FindingStatus,
    OpeningHours,
    PatrolKind,
    PatrolStatus,
    QuotaProgress,
    Severity,
    check_verifier,
    default_due,
    escalation_for,
    is_overdue,
    local_minute,
    missing_items,
    next_finding_status,
    quota_progress,
)
from hallops.storage.db import Database, Row, Tx
from hallops.storage.rules import Rules, service_day_of, zone
from hallops.storage.views import iso

if TYPE_CHECKING:
    from hallops.storage.store import Store

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


def actor_name(actor: Actor) -> str:
    """The name a record keeps of who acted: the person's name, or the token's label."""
    if actor.display_name:
        return actor.display_name
    return f"{actor.role.value} token {actor.token_id}" if actor.token_id else actor.role.value


def progress_json(p: QuotaProgress) -> dict[str, Any]:
    due = None
    if p.next_due_minute is not None:
        m = round(p.next_due_minute)
        due = f"{m // 60:02d}:{m % 60:02d}"
    return {"kind": p.kind.value, "quota": p.quota, "done": p.done, "expected": p.expected, "behind": p.behind,
            "behind_minutes": round(p.behind_minutes), "remaining": p.remaining, "next_due": due}


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


def _hall_row(tx: Tx, hall_id: int, actor: Actor) -> Row:
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


def _load_patrol(tx: Tx, patrol_id: int, actor: Actor) -> Row:
    row = tx.one("SELECT * FROM patrols WHERE id = ?", (patrol_id,))
    if row is None:
        raise NotFound(E.PATROL_NOT_FOUND, f"巡查记录不存在 (no patrol {patrol_id})")
    actor.check_hall(row["hall_id"])
    return row


def _patrol_brief(row: Row, window_number: int | None = None) -> dict[str, Any]:
    return {"id": row["id"], "kind": row["kind"], "status": row["status"], "window_id": row["window_id"],
            "window": window_number, "inspector": row["inspector_name"], "service_day": row["service_day"]}


def _emit_patrol(tx: Tx, row_id: int, type_: str, **extra: Any) -> None:
    row = tx.one("SELECT p.*, w.number AS window_number FROM patrols p LEFT JOIN windows w ON w.id = p.window_id "
                 "WHERE p.id = ?", (row_id,))
    assert row is not None
    done = tx_done_today(tx, row["hall_id"], row["service_day"])
    tx.emit(row["hall_id"], type_, {"patrol": _patrol_brief(row, row["window_number"]), "done_today": done,
                                    **extra})


# -- settings and checklist ------------------------------------------------------------------------------

def update_settings(tx: Tx, hall_id: int, changes: dict[str, Any], actor: Actor) -> dict[str, Any]:
    _hall_row(tx, hall_id, actor)
    return _save_settings(tx, hall_id, changes)


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


async def configure_demo(store: Store, hall_id: int) -> None:
    """The demo hall takes tickets any day, so it is patrolled any day: a trial on a Sunday sees the quota,
    not "closed today". Opening hours and quotas stay the defaults (or what a manager set). Idempotent."""
    def job(tx: Tx) -> None:
        if tx_settings(tx, hall_id).raw["weekdays"] != DEMO_WEEKDAYS:
            _save_settings(tx, hall_id, {"weekdays": DEMO_WEEKDAYS})
    await store.db.write(job)


def set_checklist(tx: Tx, hall_id: int, items: Sequence[dict[str, str]], actor: Actor) -> list[dict[str, Any]]:
    """Replace the hall's checklist: the given items in this order; items left out are retired (kept for the
    findings that name them)."""
    _hall_row(tx, hall_id, actor)
    codes = [it["code"] for it in items]
    if len(set(codes)) != len(codes):
        raise InvalidInput(E.DUPLICATE_ITEM, "检查项编码重复 (checklist codes must be unique)")
    if OTHER_CATEGORY.code in codes:
        raise InvalidInput(E.RESERVED_CODE, "“other” 为保留编码 (“other” is reserved)")
    ensure_checklist(tx, hall_id)
    tx.run("UPDATE checklist_items SET active = 0 WHERE hall_id = ?", (hall_id,))
    for pos, it in enumerate(items):
        tx.run("INSERT INTO checklist_items (hall_id, code, name, name_en, position, active) VALUES (?,?,?,?,?,1) "
               "ON CONFLICT (hall_id, code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en,"
               " position = excluded.position, active = 1",
               (hall_id, it["code"], it["name"], it.get("name_en", ""), pos))
    tx.emit(hall_id, Ev.PATROL_CHECKLIST_CHANGED, {"items": codes})
    return [dict(r) for r in ensure_checklist(tx, hall_id)]


# -- patrols ---------------------------------------------------------------------------------------------

def start_patrol(tx: Tx, rules: Rules, *, hall_id: int, kind: PatrolKind, window_id: int | None, note: str,
                 actor: Actor) -> int:
    hall = _hall_row(tx, hall_id, actor)
    if kind is PatrolKind.SPOT:
        if window_id is None:
            raise InvalidInput(E.WINDOW_REQUIRED, "重点窗口抽查须选择窗口 (a spot check needs a window)",
                               field="window")
        w = tx.one("SELECT id, key_window FROM windows WHERE id = ? AND hall_id = ? AND active = 1",
                   (window_id, hall_id))
        if w is None:
            raise InvalidInput(E.WINDOW_NOT_FOUND, f"窗口不存在 (no window {window_id})", field="window")
        if not w["key_window"]:
            raise InvalidInput(E.NOT_KEY_WINDOW, "只能抽查重点窗口 (spot checks are for key windows)",
                               field="window")
    elif window_id is not None:
        raise InvalidInput(E.WINDOW_NOT_ALLOWED, "全面巡查不针对单个窗口 (a full patrol covers the whole hall)",
                           field="window")
    items = [r["code"] for r in ensure_checklist(tx, hall_id)]
    day = service_day_of(tx.now, hall["timezone"], rules)
    pid = tx.insert("INSERT INTO patrols (hall_id, kind, service_day, status, window_id, items, inspector_user_id,"
                 " inspector_name, note, started_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                 (hall_id, kind.value, day, PatrolStatus.OPEN.value, window_id, json.dumps(items), actor.user_id,
                  actor_name(actor), note, tx.now))
    _emit_patrol(tx, pid, Ev.PATROL_STARTED)
    return pid


def _require_open(row: Row) -> None:
    if row["status"] != PatrolStatus.OPEN:
        raise Conflict(E.PATROL_CLOSED, f"巡查已{'完成' if row['status'] == 'done' else '取消'} "
                                        f"(the patrol is {row['status']})", status=row["status"])


def check_item(tx: Tx, *, patrol_id: int, item: str, result: CheckResult, note: str, actor: Actor) -> None:
    row = _load_patrol(tx, patrol_id, actor)
    _require_open(row)
    if item not in json.loads(row["items"]):
        raise InvalidInput(E.UNKNOWN_ITEM, f"检查项不存在 (no checklist item {item!r})", field="item")
    if result is CheckResult.PASS and tx.one("SELECT 1 FROM findings WHERE patrol_id = ? AND category = ?",
                                             (patrol_id, item)):
        raise Conflict(E.ITEM_HAS_FINDING, "该项已记录问题，不能标为合格 (this item already has a finding)")
    tx.run("INSERT INTO patrol_checks (patrol_id, item_code, result, note, at) VALUES (?,?,?,?,?) "
           "ON CONFLICT (patrol_id, item_code) DO UPDATE SET result = excluded.result, note = excluded.note,"
           " at = excluded.at", (patrol_id, item, result.value, note, tx.now))
    _emit_patrol(tx, patrol_id, Ev.PATROL_CHECKED, item=item, result=result.value)


def finish_patrol(tx: Tx, *, patrol_id: int, note: str | None, actor: Actor) -> None:
    row = _load_patrol(tx, patrol_id, actor)
    _require_open(row)
    checked = [r["item_code"] for r in tx.all("SELECT item_code FROM patrol_checks WHERE patrol_id = ?",
                                              (patrol_id,))]
    left = missing_items(json.loads(row["items"]), checked)
    if left:
        raise Conflict(E.ITEMS_UNCHECKED, f"还有 {len(left)} 项未检查 ({len(left)} checklist items not done)",
                       items=left)
    tx.run("UPDATE patrols SET status = 'done', finished_at = ?, note = coalesce(?, note) WHERE id = ?",
           (tx.now, note, patrol_id))
    _emit_patrol(tx, patrol_id, Ev.PATROL_FINISHED)


def cancel_patrol(tx: Tx, *, patrol_id: int, actor: Actor) -> None:
    row = _load_patrol(tx, patrol_id, actor)
    _require_open(row)
    if tx.one("SELECT 1 FROM findings WHERE patrol_id = ?", (patrol_id,)):
        raise Conflict(E.PATROL_HAS_FINDINGS, "巡查已记录问题，请完成巡查 (the patrol has findings; finish it)")
    tx.run("UPDATE patrols SET status = 'cancelled', finished_at = ? WHERE id = ?", (tx.now, patrol_id))
    _emit_patrol(tx, patrol_id, Ev.PATROL_CANCELLED)


# -- findings --------------------------------------------------------------------------------------------

FINDING_SELECT = """SELECT f.*, w.number AS window_number, w.name AS window_name, cu.display_name AS clerk_name,
    coalesce(ci.name, '') AS category_name, coalesce(ci.name_en, '') AS category_name_en
    FROM findings f LEFT JOIN windows w ON w.id = f.window_id LEFT JOIN users cu ON cu.id = f.clerk_user_id
    LEFT JOIN checklist_items ci ON ci.hall_id = f.hall_id AND ci.code = f.category"""

_DEFAULT_NAMES = {it.code: it for it in (*DEFAULT_CHECKLIST, OTHER_CATEGORY)}


def finding_json(r: Row | dict[str, Any], now: float) -> dict[str, Any]:
    cat = _DEFAULT_NAMES.get(r["category"])
    status = FindingStatus(r["status"])
    return {
        "id": r["id"], "hall_id": r["hall_id"], "patrol_id": r["patrol_id"], "category": r["category"],
        "category_name": r["category_name"] or (cat.name if cat else r["category"]),
        "category_name_en": r["category_name_en"] or (cat.name_en if cat else ""),
        "severity": r["severity"], "description": r["description"],
        "window": {"id": r["window_id"], "number": r["window_number"], "name": r["window_name"]}
        if r["window_id"] else None,
        "clerk": {"id": r["clerk_user_id"], "display_name": r["clerk_name"]} if r["clerk_user_id"] else None,
        "area": r["area"],
        "responsible": {"user_id": r["responsible_user_id"], "name": r["responsible_name"]},
        "due_at": iso(r["due_at"]), "overdue": is_overdue(status, r["due_at"], now), "status": status.value,
        "escalation": r["escalation"], "repeat_count": r["repeat_count"],
        "created_at": iso(r["created_at"]), "created_by": r["created_by_name"],
        "rectification": r["rectification"], "rectified_at": iso(r["rectified_at"]),
        "rectified_by": r["rectified_by_name"] or None, "rectified_by_user_id": r["rectified_by_user_id"],
        "verified_at": iso(r["verified_at"]), "verified_by": r["verified_by_name"] or None,
        "reopen_count": r["reopen_count"], "updated_at": iso(r["updated_at"]),
    }


def finding_brief(r: Row, now: float) -> dict[str, Any]:
    """What an event carries: no description or names (events reach every screen of the hall)."""
    return {"id": r["id"], "status": r["status"], "category": r["category"], "severity": r["severity"],
            "window": r["window_number"], "window_id": r["window_id"], "escalation": r["escalation"],
            "overdue": is_overdue(FindingStatus(r["status"]), r["due_at"], now), "patrol_id": r["patrol_id"]}


def _visible_sql(actor: Actor) -> tuple[str, dict[str, Any]]:
    """The SQL condition (on alias f) for the findings this actor may see within their hall."""
    if actor.role is not Role.CLERK:
        return "1", {}
    if actor.window_id is not None:
        return "f.window_id = :v_window", {"v_window": actor.window_id}
    return ("(f.window_id IN (SELECT id FROM windows WHERE clerk_user_id = :v_user) OR f.clerk_user_id = :v_user"
            " OR f.responsible_user_id = :v_user)"), {"v_user": actor.user_id if actor.user_id is not None else -1}


def load_finding(tx: Tx, finding_id: int, actor: Actor) -> Row:
    cond, params = _visible_sql(actor)
    row = tx.one(f"{FINDING_SELECT} WHERE f.id = :id AND {cond}", {"id": finding_id, **params})
    if row is None:
        raise NotFound(E.FINDING_NOT_FOUND, f"问题不存在或无权查看 (no finding {finding_id})")
    actor.check_hall(row["hall_id"])
    return row


def _log(tx: Tx, finding_id: int, actor: Actor, action: str, from_status: str | None, to_status: str | None,
         note: str) -> None:
    tx.run("INSERT INTO finding_log (finding_id, at, user_id, actor_name, actor_role, action, from_status,"
           " to_status, note) VALUES (?,?,?,?,?,?,?,?,?)",
           (finding_id, tx.now, actor.user_id, actor_name(actor), actor.role.value, action, from_status, to_status,
            note))


def _emit_finding(tx: Tx, finding_id: int, type_: str, actor: Actor, **extra: Any) -> dict[str, Any]:
    row = load_finding(tx, finding_id, Actor(Role.ADMIN))
    tx.emit(row["hall_id"], type_, {"finding": finding_brief(row, tx.now), **extra})
    return finding_json(row, tx.now)


def _user_in_hall(tx: Tx, user_id: int, hall_id: int, field: str) -> Row:
    u = tx.one("SELECT id, display_name, role, hall_id FROM users WHERE id = ? AND active = 1", (user_id,))
    if u is None or (u["hall_id"] is not None and u["hall_id"] != hall_id):
        raise InvalidInput(E.USER_NOT_FOUND, f"人员不存在 (no staff member {user_id})", field=field)
    return u


def create_finding(tx: Tx, *, hall_id: int, spec: dict[str, Any], actor: Actor) -> dict[str, Any]:
    _hall_row(tx, hall_id, actor)
    items = {r["code"] for r in ensure_checklist(tx, hall_id)} | {OTHER_CATEGORY.code}
    category = spec["category"]
    patrol_id = spec.get("patrol")
    if patrol_id is not None:
        p = _load_patrol(tx, patrol_id, actor)
        if p["hall_id"] != hall_id:
            raise InvalidInput(E.PATROL_NOT_FOUND, "巡查不属于该大厅 (patrol of another hall)", field="patrol")
        _require_open(p)
        items |= set(json.loads(p["items"]))
    if category not in items:
        raise InvalidInput(E.UNKNOWN_CATEGORY, f"问题类别不存在 (no category {category!r})", field="category")
    window_id, clerk_id, area = spec.get("window"), spec.get("clerk"), (spec.get("area") or "").strip()
    window = None
    if window_id is not None:
        window = tx.one("SELECT id, clerk_user_id, area FROM windows WHERE id = ? AND hall_id = ?",
                        (window_id, hall_id))
        if window is None:
            raise InvalidInput(E.WINDOW_NOT_FOUND, f"窗口不存在 (no window {window_id})", field="window")
        area = area or window["area"]
    if clerk_id is not None:
        _user_in_hall(tx, clerk_id, hall_id, "clerk")
    if window is None and clerk_id is None and not area:
        raise InvalidInput(E.SUBJECT_REQUIRED, "请指明窗口、人员或区域 (name a window, a clerk or an area)",
                           field="window")
    # Who fixes it: as given, else the clerk named, else whoever is signed in at the window now.
    responsible_id = spec.get("responsible")
    if responsible_id is None:
        responsible_id = clerk_id if clerk_id is not None else (window["clerk_user_id"] if window else None)
    responsible_name = (spec.get("responsible_name") or "").strip()
    if responsible_id is not None:
        responsible_name = responsible_name or _user_in_hall(tx, responsible_id, hall_id, "responsible")[
            "display_name"]
    severity = Severity(spec.get("severity") or Severity.MINOR)
    due_at = spec.get("due_at")
    due = due_at.timestamp() if isinstance(due_at, dt.datetime) else default_due(severity, tx.now)
    if due <= tx.now:
        raise InvalidInput(E.DUE_IN_PAST, "整改期限须晚于现在 (the due date must be in the future)", field="due_at")
    escalation, repeats = Escalation.NONE, 1
    if window_id is not None:
        times = [r[0] for r in tx.all("SELECT created_at FROM findings WHERE window_id = ? AND category = ?",
                                      (window_id, category))]
        escalation, repeats = escalation_for([*times, tx.now], tx.now)
    fid = tx.insert(
        "INSERT INTO findings (hall_id, patrol_id, category, severity, description, window_id, clerk_user_id, area,"
        " responsible_user_id, responsible_name, due_at, status, escalation, repeat_count, created_at,"
        " created_by_user_id, created_by_name, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (hall_id, patrol_id, category, severity.value, spec["description"], window_id, clerk_id, area,
         responsible_id, responsible_name, due, FindingStatus.OPEN.value, escalation.value, repeats, tx.now,
         actor.user_id, actor_name(actor), tx.now))
    if patrol_id is not None:
        tx.run("INSERT INTO patrol_checks (patrol_id, item_code, result, note, at) VALUES (?,?,'finding','',?) "
               "ON CONFLICT (patrol_id, item_code) DO UPDATE SET result = 'finding', at = excluded.at",
               (patrol_id, category, tx.now))
    _log(tx, fid, actor, "opened", None, FindingStatus.OPEN.value, spec["description"])
    out = _emit_finding(tx, fid, Ev.FINDING_OPENED, actor)
    if escalation is not Escalation.NONE:
        tx.emit(hall_id, Ev.FINDING_ESCALATED, {"finding": finding_brief(load_finding(tx, fid, actor), tx.now),
                                               "repeat_count": repeats})
    return out


def finding_action(tx: Tx, *, finding_id: int, action: FindingAction, note: str, actor: Actor) -> dict[str, Any]:
    row = load_finding(tx, finding_id, actor)
    if action in SUPERVISOR_ACTIONS:
        if not actor.is_supervisor:
            raise Forbidden(E.FORBIDDEN, "只有管理人员可以验收或退回 (only managers verify or reopen)")
        if action is FindingAction.VERIFY:
            check_verifier(actor.user_id, row["rectified_by_user_id"])
    current = FindingStatus(row["status"])
    new = next_finding_status(current, action)
    if action in (FindingAction.RECTIFY, FindingAction.REOPEN) and not note:
        raise InvalidInput(E.NOTE_REQUIRED, "请填写说明 (say what was done, or why it is reopened)", field="note")
    sets = "status = :new, updated_at = :now"
    if action is FindingAction.RECTIFY:
        sets += (", rectification = :note, rectified_at = :now, rectified_by_user_id = :uid,"
                 " rectified_by_name = :name")
    elif action is FindingAction.VERIFY:
        sets += ", verified_at = :now, verified_by_user_id = :uid, verified_by_name = :name"
    elif action is FindingAction.REOPEN:
        sets += ", reopen_count = reopen_count + 1"
    tx.run(f"UPDATE findings SET {sets} WHERE id = :id",
           {"new": new.value, "now": tx.now, "note": note, "uid": actor.user_id, "name": actor_name(actor),
            "id": finding_id})
    _log(tx, finding_id, actor, action.value, current.value, new.value, note)
    return _emit_finding(tx, finding_id, f"finding.{new.value}", actor)


def comment(tx: Tx, *, finding_id: int, note: str, actor: Actor) -> dict[str, Any]:
    """An answer or a remark, kept in the finding's log (a clerk answering about their window)."""
    load_finding(tx, finding_id, actor)
    tx.run("UPDATE findings SET updated_at = ? WHERE id = ?", (tx.now, finding_id))
    _log(tx, finding_id, actor, "comment", None, None, note)
    return _emit_finding(tx, finding_id, Ev.FINDING_COMMENTED, actor)


def update_finding(tx: Tx, *, finding_id: int, changes: dict[str, Any], actor: Actor) -> dict[str, Any]:
    """A manager changes who fixes it, by when, or how grave it is."""
    row = load_finding(tx, finding_id, actor)
    if row["status"] == FindingStatus.VERIFIED:
        raise Conflict(E.FINDING_CLOSED, "问题已验收，不能修改 (the finding is verified)")
    sets: dict[str, Any] = {}
    if changes.get("severity") is not None:
        sets["severity"] = Severity(changes["severity"]).value
    if isinstance(changes.get("due_at"), dt.datetime):
        due = changes["due_at"].timestamp()
        if due <= tx.now:
            raise InvalidInput(E.DUE_IN_PAST, "整改期限须晚于现在 (the due date must be in the future)",
                               field="due_at")
        sets["due_at"] = due
    if changes.get("responsible") is not None:
        u = _user_in_hall(tx, changes["responsible"], row["hall_id"], "responsible")
        sets["responsible_user_id"], sets["responsible_name"] = u["id"], u["display_name"]
    elif changes.get("responsible_name"):
        sets["responsible_user_id"], sets["responsible_name"] = None, changes["responsible_name"]
    if not sets:
        return finding_json(row, tx.now)
    tx.run(f"UPDATE findings SET {', '.join(f'{k} = :{k}' for k in sets)}, updated_at = :now WHERE id = :id",
           {**sets, "now": tx.now, "id": finding_id})
    _log(tx, finding_id, actor, "update", None, None, json.dumps(
        {k: (iso(v) if k == "due_at" else v) for k, v in sets.items()}, ensure_ascii=False))
    return _emit_finding(tx, finding_id, Ev.FINDING_UPDATED, actor)


def add_photo(tx: Tx, *, finding_id: int, stage: str, path: str, mime: str, size: int, sha256: str,
              actor: Actor) -> dict[str, Any]:
    row = load_finding(tx, finding_id, actor)
    if row["status"] == FindingStatus.VERIFIED:
        raise Conflict(E.FINDING_CLOSED, "问题已验收，不能再添加照片 (the finding is verified)")
    if stage == "found" and not actor.is_supervisor:
        raise Forbidden(E.FORBIDDEN, "工作人员只能上传整改照片 (clerks add photos of the fix)")
    pid = tx.insert("INSERT INTO finding_photos (finding_id, hall_id, stage, path, mime, size, sha256, uploaded_at,"
                 " uploaded_by_user_id, uploaded_by_name) VALUES (?,?,?,?,?,?,?,?,?,?)",
                 (finding_id, row["hall_id"], stage, path, mime, size, sha256, tx.now, actor.user_id,
                  actor_name(actor)))
    tx.run("UPDATE findings SET updated_at = ? WHERE id = ?", (tx.now, finding_id))
    _log(tx, finding_id, actor, "photo", None, None, stage)
    _emit_finding(tx, finding_id, Ev.FINDING_PHOTO_ADDED, actor, photo={"id": pid, "stage": stage})
    return photo_json({"id": pid, "stage": stage, "mime": mime, "size": size, "uploaded_at": tx.now,
                       "uploaded_by_name": actor_name(actor)})


def photo_json(r: Row | dict[str, Any]) -> dict[str, Any]:
    return {"id": r["id"], "stage": r["stage"], "mime": r["mime"], "size": r["size"],
            "uploaded_at": iso(r["uploaded_at"]), "uploaded_by": r["uploaded_by_name"],
            "url": f"/api/v1/finding-photos/{r['id']}"}


# -- reads -----------------------------------------------------------------------------------------------

class PatrolReads:
    """Reads on the reader pool; each multi-query read is one snapshot."""

    def __init__(self, db: Database, rules: Rules) -> None:
        self.db = db
        self.rules = rules

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
        return {"service_day": day, "settings": settings.raw, "progress": [progress_json(p) for p in progress],
                "patrols": [self._patrol_row(p) for p in patrols]}

    @staticmethod
    def _patrol_row(p: Row) -> dict[str, Any]:
        return {"id": p["id"], "kind": p["kind"], "status": p["status"], "window_id": p["window_id"],
                "window": p["window_number"], "inspector": p["inspector_name"],
                "started_at": iso(p["started_at"]), "finished_at": iso(p["finished_at"]),
                "items": len(json.loads(p["items"])), "checked": p["checked"], "findings": p["findings"],
                "note": p["note"]}

    async def patrols(self, hall_id: int, day: str | None, limit: int = 200) -> list[dict[str, Any]]:
        cond, params = ("AND p.service_day = ?", (day,)) if day else ("", ())
        rows = await self.db.all(
            "SELECT p.*, w.number AS window_number, (SELECT count(*) FROM findings f WHERE f.patrol_id = p.id)"
            " AS findings, (SELECT count(*) FROM patrol_checks c WHERE c.patrol_id = p.id) AS checked "
            f"FROM patrols p LEFT JOIN windows w ON w.id = p.window_id WHERE p.hall_id = ? {cond} "
            "ORDER BY p.started_at DESC LIMIT ?", (hall_id, *params, limit))
        return [self._patrol_row(r) for r in rows]

    async def patrol(self, patrol_id: int, actor: Actor, now: float) -> dict[str, Any]:
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
                          "at": iso(c["at"]) if c else None})
        return self._patrol_row(p) | {"window_name": p["window_name"], "service_day": p["service_day"],
                                      "checklist": items, "finding_list": [finding_json(f, now) for f in findings]}

    async def findings(self, hall_id: int, actor: Actor, now: float, *, status: str | None = None,
                       window_id: int | None = None, overdue: bool = False, open_only: bool = False,
                       limit: int = 200) -> list[dict[str, Any]]:
        cond, params = _visible_sql(actor)
        where = [f"f.hall_id = :hall AND {cond}"]
        params |= {"hall": hall_id, "limit": limit, "now": now}
        if status:
            where.append("f.status = :status")
            params["status"] = status
        if open_only:
            where.append("f.status <> 'verified'")
        if window_id is not None:
            where.append("f.window_id = :window")
            params["window"] = window_id
        if overdue:
            where.append("f.status IN ('open', 'rectifying', 'reopened') AND f.due_at < :now")
        # Overdue first, then what waits for action, then the newest.
        rows = await self.db.all(
            f"{FINDING_SELECT} WHERE {' AND '.join(where)} ORDER BY "
            "(f.status IN ('open', 'rectifying', 'reopened') AND f.due_at < :now) DESC, "
            "(f.status = 'verified') ASC, f.escalation <> 'none' DESC, f.due_at ASC LIMIT :limit", params)
        return [finding_json(r, now) for r in rows]

    async def finding_counts(self, hall_id: int, now: float) -> dict[str, int]:
        r = await self.db.one(
            "SELECT count(*) FILTER (WHERE status <> 'verified') AS open,"
            " count(*) FILTER (WHERE status IN ('open', 'rectifying', 'reopened') AND due_at < :now) AS overdue,"
            " count(*) FILTER (WHERE status = 'rectified') AS to_verify,"
            " count(*) FILTER (WHERE status <> 'verified' AND escalation <> 'none') AS escalated "
            "FROM findings WHERE hall_id = :hall", {"hall": hall_id, "now": now})
        return {k: int(r[k] or 0) for k in ("open", "overdue", "to_verify", "escalated")} if r else {}

    async def finding(self, finding_id: int, actor: Actor, now: float) -> dict[str, Any]:
        cond, params = _visible_sql(actor)
        async with self.db.snapshot() as conn:
            rows = list(await conn.all(f"{FINDING_SELECT} WHERE f.id = :id AND {cond}",
                                                    {"id": finding_id, **params}))
            photos = await conn.all(
                "SELECT * FROM finding_photos WHERE finding_id = ? ORDER BY id", (finding_id,))
            log = await conn.all(
                "SELECT at, actor_name, actor_role, action, from_status, to_status, note FROM finding_log "
                "WHERE finding_id = ? ORDER BY id", (finding_id,))
        if not rows:
            raise NotFound(E.FINDING_NOT_FOUND, f"问题不存在或无权查看 (no finding {finding_id})")
        actor.check_hall(rows[0]["hall_id"])
        return finding_json(rows[0], now) | {
            "photos": [photo_json(p) for p in photos],
            "log": [dict(r) | {"at": iso(r["at"])} for r in log]}

    async def photo(self, photo_id: int, actor: Actor) -> dict[str, Any]:
        """A photo's file and type, if the actor may see its finding."""
        row = await self.db.one("SELECT * FROM finding_photos WHERE id = ?", (photo_id,))
        if row is None:
            raise NotFound(E.PHOTO_NOT_FOUND, "照片不存在 (no such photo)")
        actor.check_hall(row["hall_id"])
        cond, params = _visible_sql(actor)
        if await self.db.one(f"SELECT 1 FROM findings f WHERE f.id = :id AND {cond}",
                             {"id": row["finding_id"], **params}) is None:
            raise NotFound(E.PHOTO_NOT_FOUND, "照片不存在 (no such photo)")
        return dict(row)

    async def staff(self, hall_id: int) -> list[dict[str, Any]]:
        """The hall's staff, for choosing who fixes a finding."""
        rows = await self.db.all("SELECT id, username, display_name, role FROM users WHERE active = 1 AND "
                                 "(hall_id = ? OR hall_id IS NULL) AND role <> 'admin' ORDER BY role, id", (hall_id,))
        return [dict(r) for r in rows]


# -- photo files -----------------------------------------------------------------------------------------

MAX_PHOTO_BYTES = 5 * 1024 * 1024
PHOTO_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


def sniff_image(head: bytes) -> str | None:
    """The image type from its first bytes (never from a file name or a header the client chose)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


class PhotoFiles:
    """Photos on disk beside the database: <root>/<hall>/<yyyy-mm>/<uuid>.<ext>. Blocking: call in a thread."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self, hall_id: int, data: bytes, mime: str, month: str) -> str:
        rel = Path(str(hall_id)) / month / f"{uuid.uuid4().hex}.{PHOTO_TYPES[mime]}"
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)  # never a half-written photo under its final name
        return rel.as_posix()

    def path(self, rel: str) -> Path:
        p = (self.root / rel).resolve()
        if not p.is_relative_to(self.root.resolve()):
            raise NotFound(E.PHOTO_NOT_FOUND, "照片不存在 (no such photo)")
        return p

    def remove(self, rel: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(rel).unlink()


def photo_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
