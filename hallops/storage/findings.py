"""Findings in storage: write jobs (functions of a Tx), reads, and `FindingsPort`, what the use cases call.

Who may see a finding is decided here, in one SQL condition (`_visible_sql`), so the list, the detail, the
photos and every change obey the same rule: staff of the hall see its findings; a clerk sees those about
the window they are signed in to (or their token is bound to), about them, or given to them to fix.
What a finding may do next (its transitions, who verifies, escalation) is decided by hallops/domain/patrols.py,
called from the jobs on the rows they loaded.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hallops.domain.actors import Actor
from hallops.domain.calendar import WorkCalendar
from hallops.domain.errors import E, InvalidInput, NotFound
from hallops.domain.events import Ev
from hallops.domain.model import Role
from hallops.domain.patrols import (
    OTHER_CATEGORY,
    SUPERVISOR_ACTIONS,
    Escalation,
    FindingAction,
    FindingStatus,
    PatrolStatus,
    PhotoStage,
    Severity,
    check_due,
    check_finding_changeable,
    check_finding_subject,
    check_patrol_open,
    check_photo,
    default_deadline,
    default_responsible,
    escalation_for,
    finding_step,
    may_see_finding,
)
from hallops.domain.supervision import check_closes_visit_finding
from hallops.storage import quality as q
from hallops.storage.db import Database, Row, Tx
from hallops.storage.finding_views import FINDING_SELECT, finding_brief
from hallops.storage.patrols import actor_name, ensure_checklist, hall_row, load_patrol
from hallops.storage.photos import PhotoFiles, photo_digest
from hallops.storage.views import iso


def _visible_sql(actor: Actor) -> tuple[str, dict[str, Any]]:
    """The SQL condition (on alias f) for the findings this actor may see within their hall."""
    if actor.role is not Role.CLERK:
        return "1 = 1", {}  # a boolean on both backends (PostgreSQL refuses a bare integer)
    if actor.window_id is not None:
        return "f.window_id = :v_window", {"v_window": actor.window_id}
    return ("(f.window_id IN (SELECT id FROM windows WHERE clerk_user_id = :v_user) OR f.clerk_user_id = :v_user"
            " OR f.responsible_user_id = :v_user)"), {"v_user": actor.user_id if actor.user_id is not None else -1}


def _visible(row: Row | None, finding_id: int, actor: Actor) -> Row:
    """The finding's row if this actor may see it (the domain decides); else it does not exist for them."""
    if row is None or not may_see_finding(
            actor, window_id=row["window_id"], window_clerk_user_id=row["window_clerk_user_id"],
            clerk_user_id=row["clerk_user_id"], responsible_user_id=row["responsible_user_id"]):
        raise NotFound(E.FINDING_NOT_FOUND, f"问题不存在或无权查看 (no finding {finding_id})")
    actor.check_hall(row["hall_id"])
    return row


def load_finding(tx: Tx, finding_id: int, actor: Actor) -> Row:
    return _visible(tx.one(f"{FINDING_SELECT} WHERE f.id = ?", (finding_id,)), finding_id, actor)


def _log(tx: Tx, finding_id: int, actor: Actor, action: str, from_status: str | None, to_status: str | None,
         note: str) -> None:
    tx.run("INSERT INTO finding_log (finding_id, at, user_id, actor_name, actor_role, action, from_status,"
           " to_status, note) VALUES (?,?,?,?,?,?,?,?,?)",
           (finding_id, tx.now, actor.user_id, actor_name(actor), actor.role.value, action, from_status, to_status,
            note))


def _emit_finding(tx: Tx, finding_id: int, type_: str, actor: Actor, **extra: Any) -> dict[str, Any]:
    row = load_finding(tx, finding_id, Actor(Role.ADMIN))
    tx.emit(row["hall_id"], type_, {"finding": finding_brief(row, tx.now), **extra})
    return dict(row)


def _user_in_hall(tx: Tx, user_id: int, hall_id: int, field: str) -> Row:
    u = tx.one("SELECT id, display_name, role, hall_id FROM users WHERE id = ? AND active = 1", (user_id,))
    if u is None or (u["hall_id"] is not None and u["hall_id"] != hall_id):
        raise InvalidInput(E.USER_NOT_FOUND, f"人员不存在 (no staff member {user_id})", field=field)
    return u


def default_dues(calendar: WorkCalendar, settings: dict[str, Any], tz: ZoneInfo,
                 now: float) -> dict[Severity, tuple[float, bool]]:
    """Each severity's default due instant (the end of its due day in the hall's time) for a finding made now,
    and whether it is provisional (counted over a year nobody has published)."""
    found = q.local_date(now, tz)
    out = {}
    for sev in Severity:
        d = default_deadline(calendar, found, sev, settings)
        out[sev] = (q.end_of_day(d.due, tz), d.provisional)
    return out


def create_finding(tx: Tx, *, hall_id: int, spec: dict[str, Any], actor: Actor) -> dict[str, Any]:
    hall_row(tx, hall_id, actor)
    items = {r["code"] for r in ensure_checklist(tx, hall_id)} | {OTHER_CATEGORY.code}
    category = spec["category"]
    patrol_id = spec.get("patrol")
    if patrol_id is not None:
        p = load_patrol(tx, patrol_id, actor)
        if p["hall_id"] != hall_id:
            raise InvalidInput(E.PATROL_NOT_FOUND, "巡查不属于该大厅 (patrol of another hall)", field="patrol")
        check_patrol_open(PatrolStatus(p["status"]))
        items |= set(json.loads(p["items"]))
    items |= set(spec.get("visit_items", ()))  # a supervision visit's checklist (storage/supervision.py)
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
    check_finding_subject(window_id, clerk_id, area)
    responsible_id = default_responsible(spec.get("responsible"), clerk_id,
                                         window["clerk_user_id"] if window else None)
    responsible_name = (spec.get("responsible_name") or "").strip()
    if responsible_id is not None:
        responsible_name = responsible_name or _user_in_hall(tx, responsible_id, hall_id, "responsible")[
            "display_name"]
    severity = Severity(spec.get("severity") or Severity.MINOR)
    due_at = spec.get("due_at")
    provisional = False
    if isinstance(due_at, dt.datetime):
        due = due_at.timestamp()
    else:  # the severity's working days on the hall's calendar, to the end of the due day
        dues = default_dues(q.tx_calendar(tx, hall_id), q.tx_settings(tx, hall_id), q.hall_tz(tx, hall_id), tx.now)
        due, provisional = dues[severity]
    check_due(due, tx.now)
    escalation, repeats = Escalation.NONE, 1
    if window_id is not None:
        times = [r[0] for r in tx.all("SELECT created_at FROM findings WHERE window_id = ? AND category = ?",
                                      (window_id, category))]
        escalation, repeats = escalation_for([*times, tx.now], tx.now)
    fid = tx.insert(
        "INSERT INTO findings (hall_id, patrol_id, category, severity, description, window_id, clerk_user_id, area,"
        " responsible_user_id, responsible_name, due_at, due_provisional, status, escalation, repeat_count,"
        " created_at, created_by_user_id, created_by_name, updated_at, visit_id)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (hall_id, patrol_id, category, severity.value, spec["description"], window_id, clerk_id, area,
         responsible_id, responsible_name, due, int(provisional), FindingStatus.OPEN.value, escalation.value,
         repeats, tx.now, actor.user_id, actor_name(actor), tx.now, spec.get("visit")))
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
    if row["visit_id"] is not None and action in SUPERVISOR_ACTIONS:
        check_closes_visit_finding(actor, row["hall_id"])  # a supervision visit's finding is closed from above
    current = FindingStatus(row["status"])
    device = actor.token_id if actor.user_id is None else None  # a token with no person behind it
    new = finding_step(current, action, is_supervisor=actor.is_supervisor, actor_user_id=actor.user_id,
                       rectified_by_user_id=row["rectified_by_user_id"], note=note, actor_token_id=device,
                       rectified_by_token_id=row["rectified_by_token_id"])
    sets = "status = :new, updated_at = :now"
    if action is FindingAction.RECTIFY:
        sets += (", rectification = :note, rectified_at = :now, rectified_by_user_id = :uid,"
                 " rectified_by_token_id = :device, rectified_by_name = :name")
    elif action is FindingAction.VERIFY:
        sets += ", verified_at = :now, verified_by_user_id = :uid, verified_by_name = :name"
    elif action is FindingAction.REOPEN:
        sets += ", reopen_count = reopen_count + 1"
    tx.run(f"UPDATE findings SET {sets} WHERE id = :id",
           {"new": new.value, "now": tx.now, "note": note, "uid": actor.user_id, "device": device,
            "name": actor_name(actor),
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
    check_finding_changeable(FindingStatus(row["status"]))
    if row["visit_id"] is not None:
        check_closes_visit_finding(actor, row["hall_id"])  # a supervision visit's finding is changed from above
    sets: dict[str, Any] = {}
    if changes.get("severity") is not None:
        sets["severity"] = Severity(changes["severity"]).value
    if isinstance(changes.get("due_at"), dt.datetime):
        due = changes["due_at"].timestamp()
        check_due(due, tx.now)
        sets["due_at"], sets["due_provisional"] = due, 0  # a date the manager chose is settled
    if changes.get("responsible") is not None:
        u = _user_in_hall(tx, changes["responsible"], row["hall_id"], "responsible")
        sets["responsible_user_id"], sets["responsible_name"] = u["id"], u["display_name"]
    elif changes.get("responsible_name"):
        sets["responsible_user_id"], sets["responsible_name"] = None, changes["responsible_name"]
    if not sets:
        return dict(row)
    tx.run(f"UPDATE findings SET {', '.join(f'{k} = :{k}' for k in sets)}, updated_at = :now WHERE id = :id",
           {**sets, "now": tx.now, "id": finding_id})
    _log(tx, finding_id, actor, "update", None, None, json.dumps(
        {k: (iso(v) if k == "due_at" else v) for k, v in sets.items() if k != "due_provisional"},
        ensure_ascii=False))
    return _emit_finding(tx, finding_id, Ev.FINDING_UPDATED, actor)


def add_photo(tx: Tx, *, finding_id: int, stage: PhotoStage, path: str, mime: str, size: int, sha256: str,
              actor: Actor) -> dict[str, Any]:
    row = load_finding(tx, finding_id, actor)
    check_photo(FindingStatus(row["status"]), stage, actor.is_supervisor)
    pid = tx.insert("INSERT INTO finding_photos (finding_id, hall_id, stage, path, mime, size, sha256, uploaded_at,"
                 " uploaded_by_user_id, uploaded_by_name) VALUES (?,?,?,?,?,?,?,?,?,?)",
                 (finding_id, row["hall_id"], stage.value, path, mime, size, sha256, tx.now, actor.user_id,
                  actor_name(actor)))
    tx.run("UPDATE findings SET updated_at = ? WHERE id = ?", (tx.now, finding_id))
    _log(tx, finding_id, actor, "photo", None, None, stage.value)
    _emit_finding(tx, finding_id, Ev.FINDING_PHOTO_ADDED, actor, photo={"id": pid, "stage": stage.value})
    return {"id": pid, "stage": stage.value, "mime": mime, "size": size, "uploaded_at": tx.now,
            "uploaded_by_name": actor_name(actor)}



# -- reads -----------------------------------------------------------------------------------------------

class FindingsPort:
    """Findings for the use cases: every change one write job, every read one snapshot, photo files beside
    the database (written before the job that records them, removed when it fails)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.files = PhotoFiles(db.data_dir.resolve() / "photos")

    def now(self) -> float:
        return self.db.clock()

    async def create(self, hall_id: int, spec: dict[str, Any], actor: Actor) -> dict[str, Any]:
        return await self.db.write(lambda tx: create_finding(tx, hall_id=hall_id, spec=spec, actor=actor))

    async def act(self, finding_id: int, action: FindingAction, note: str, actor: Actor) -> dict[str, Any]:
        return await self.db.write(lambda tx: finding_action(tx, finding_id=finding_id, action=action, note=note,
                                                             actor=actor))

    async def comment(self, finding_id: int, note: str, actor: Actor) -> dict[str, Any]:
        return await self.db.write(lambda tx: comment(tx, finding_id=finding_id, note=note, actor=actor))

    async def update(self, finding_id: int, changes: dict[str, Any], actor: Actor) -> dict[str, Any]:
        return await self.db.write(lambda tx: update_finding(tx, finding_id=finding_id, changes=changes,
                                                             actor=actor))

    async def add_photo(self, finding_id: int, hall_id: int, stage: PhotoStage, data: bytes, mime: str, month: str,
                        actor: Actor) -> dict[str, Any]:
        rel = await asyncio.to_thread(self.files.save, hall_id, data, mime, month)
        digest = photo_digest(data)
        try:
            return await self.db.write(lambda tx: add_photo(tx, finding_id=finding_id, stage=stage, path=rel,
                                                            mime=mime, size=len(data), sha256=digest, actor=actor))
        except BaseException:
            await asyncio.to_thread(self.files.remove, rel)  # no file without its row
            raise

    async def photo_file(self, photo_id: int, actor: Actor) -> tuple[Path, str] | None:
        """A photo's file and type, if the actor may see its finding; None when the file is gone."""
        row = await self.photo(photo_id, actor)
        path = self.files.path(row["path"])
        return (path, row["mime"]) if await asyncio.to_thread(path.is_file) else None

    async def clerk_window(self, actor: Actor) -> dict[str, Any] | None:
        """The window a clerk works at: the one their token is bound to, else the one they are signed in to."""
        if actor.window_id is not None:
            row = await self.db.one("SELECT id, number, name FROM windows WHERE id = ?", (actor.window_id,))
        else:
            row = await self.db.one("SELECT id, number, name FROM windows WHERE clerk_user_id = ?", (actor.user_id,))
        return dict(row) if row else None

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
        return [dict(r) for r in rows]

    async def default_dues(self, hall_id: int) -> dict[Severity, tuple[float, bool]]:
        """What a finding made now would be due by, per severity, when the manager gives no date."""
        async with self.db.snapshot() as r:
            hall = await r.one("SELECT timezone FROM halls WHERE id = ?", (hall_id,))
            days = await r.all("SELECT day, workday FROM calendar_days WHERE hall_id = ?", (hall_id,))
            years = await r.all("SELECT year FROM calendar_years WHERE hall_id = ?", (hall_id,))
            settings = await r.one("SELECT settings FROM quality_settings WHERE hall_id = ?", (hall_id,))
        if hall is None:
            raise NotFound(E.HALL_NOT_FOUND, f"大厅不存在 (no hall {hall_id})")
        return default_dues(q.calendar_of(days, years), q.settings_of(settings), ZoneInfo(hall["timezone"]),
                            self.now())

    async def finding_counts(self, hall_id: int, now: float) -> dict[str, int]:
        r = await self.db.one(
            "SELECT count(*) FILTER (WHERE status <> 'verified') AS open,"
            " count(*) FILTER (WHERE status IN ('open', 'rectifying', 'reopened') AND due_at < :now) AS overdue,"
            " count(*) FILTER (WHERE status = 'rectified') AS to_verify,"
            " count(*) FILTER (WHERE status <> 'verified' AND escalation <> 'none') AS escalated "
            "FROM findings WHERE hall_id = :hall", {"hall": hall_id, "now": now})
        return {k: int(r[k] or 0) for k in ("open", "overdue", "to_verify", "escalated")} if r else {}

    async def finding(self, finding_id: int, actor: Actor) -> dict[str, Any]:
        """A finding's columns with its photos' and its log's, if the actor may see it."""
        async with self.db.snapshot() as conn:
            row = await conn.one(f"{FINDING_SELECT} WHERE f.id = ?", (finding_id,))
            photos = await conn.all(
                "SELECT * FROM finding_photos WHERE finding_id = ? ORDER BY id", (finding_id,))
            log = await conn.all(
                "SELECT at, actor_name, actor_role, action, from_status, to_status, note FROM finding_log "
                "WHERE finding_id = ? ORDER BY id", (finding_id,))
        return dict(_visible(row, finding_id, actor)) | {"photos": [dict(p) for p in photos],
                                                          "log": [dict(r) for r in log]}

    async def photo(self, photo_id: int, actor: Actor) -> dict[str, Any]:
        """A photo's file and type, if the actor may see its finding."""
        row = await self.db.one("SELECT * FROM finding_photos WHERE id = ?", (photo_id,))
        if row is None:
            raise NotFound(E.PHOTO_NOT_FOUND, "照片不存在 (no such photo)")
        actor.check_hall(row["hall_id"])
        try:
            _visible(await self.db.one(f"{FINDING_SELECT} WHERE f.id = ?", (row["finding_id"],)), row["finding_id"],
                     actor)
        except NotFound:
            raise NotFound(E.PHOTO_NOT_FOUND, "照片不存在 (no such photo)") from None
        return dict(row)

