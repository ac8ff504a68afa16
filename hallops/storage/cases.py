"""咨询投诉 cases in storage, the daily deadline scan over cases and follow-ups, and the figures (completion,
on time, satisfaction, overdue; by department, window and period) with the windows' quality scores.

`CasesPort` is what hallops/usecases/cases.py calls. Deadlines are counted by hallops/domain/calendar.py on the
hall's calendar; which step a case may take is decided by hallops/domain/cases.py inside the write job.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from hallops.domain.actors import Actor
from hallops.domain.calendar import CountFrom, DueState
from hallops.domain.cases import (
    CASE_LABELS,
    OPEN_CASE,
    SOURCE_LABELS,
    CaseAction,
    CaseState,
    CaseStatus,
    Kind,
    Source,
    case_step,
)
from hallops.domain.errors import Conflict, E, InvalidInput, NotFound
from hallops.domain.events import Ev
from hallops.domain.model import Role
from hallops.domain.patrols import PENDING_FIX
from hallops.domain.ratings import BAD_LEVELS, SCORES, UNRATED, VOIDED, Level
from hallops.domain.scores import WindowParts, window_score
from hallops.storage import quality as q
from hallops.storage.db import Database, IntegrityError, Row, Tx
from hallops.storage.finding_views import FINDING_SELECT

CASE_SELECT = ("SELECT c.*, d.name AS department_name, w.number AS window_number FROM cases c "
               "LEFT JOIN departments d ON d.id = c.department_id LEFT JOIN windows w ON w.id = c.window_id")


def case_json(r: Row, now: float) -> dict[str, Any]:
    status = CaseStatus(r["status"])
    closed = status is CaseStatus.CLOSED
    return {"id": r["id"], "hall_id": r["hall_id"], "ref": r["ref"], "source": r["source"],
            "source_name": SOURCE_LABELS[Source(r["source"])], "kind": r["kind"], "subject": r["subject"],
            "content": r["content"], "citizen_name": r["citizen_name"], "citizen_phone": r["citizen_phone"],
            "department_id": r["department_id"], "department_name": r["department_name"], "window_id": r["window_id"],
            "window_number": r["window_number"], "assignee_user_id": r["assignee_user_id"],
            "assignee_name": r["assignee_name"], "status": status.value, "status_name": CASE_LABELS[status],
            "extension_pending": bool(r["extension_pending"]), "extension_days": r["extension_days"],
            "extensions": r["extensions"], "reminders": r["reminders"], "reply": r["reply"],
            "received_day": r["received_day"], "due_day": r["due_day"], "provisional": bool(r["provisional"]),
            "overdue": (not closed and now >= r["due_at"]),
            "on_time": (r["closed_at"] <= r["due_at"]) if closed else None,
            "created_at": q.iso_ts(r["created_at"]), "replied_at": q.iso_ts(r["replied_at"]),
            "closed_at": q.iso_ts(r["closed_at"])}


def _load(tx: Tx, case_id: int, actor: Actor) -> Row:
    r = tx.one(f"{CASE_SELECT} WHERE c.id = ?", (case_id,))
    if r is None or not (actor.is_supervisor or _works_on(tx, actor, r)):
        raise NotFound(E.CASE_NOT_FOUND, f"咨询投诉件不存在 (no case {case_id})")
    actor.check_hall(r["hall_id"])
    return r


def _works_on(tx: Tx, actor: Actor, r: Row) -> bool:
    """The person it is assigned to, or the head of its department (部门负责人)."""
    if actor.user_id is None:
        return False
    if actor.user_id == r["assignee_user_id"]:
        return True
    return r["department_id"] is not None and tx.one(
        "SELECT 1 FROM department_heads WHERE department_id = ? AND user_id = ?",
        (r["department_id"], actor.user_id)) is not None


def _staff(tx: Tx, hall_id: int, user_id: int, field: str) -> Row:
    u = tx.one("SELECT id, display_name, hall_id FROM users WHERE id = ? AND active = 1", (user_id,))
    if u is None or (u["hall_id"] is not None and u["hall_id"] != hall_id):
        raise InvalidInput(E.USER_NOT_FOUND, f"人员不存在 (no staff member {user_id})", field=field)
    return u


def _department(tx: Tx, hall_id: int, ref: int | str | None, field: str = "department") -> int | None:
    if ref is None or ref == "":
        return None
    col = "id" if isinstance(ref, int) else "code"
    r = tx.one(f"SELECT id FROM departments WHERE hall_id = ? AND {col} = ?", (hall_id, ref))
    if r is None:
        raise InvalidInput(E.DEPARTMENT_NOT_FOUND, f"部门不存在 (no department {ref!r})", field=field)
    return int(r["id"])


def create(tx: Tx, hall_id: int, spec: dict[str, Any], actor: Actor) -> dict[str, Any]:
    """Register one case; its deadline counted from when it was received (now, or the source's own time)."""
    tz = q.hall_tz(tx, hall_id)
    settings = q.tx_settings(tx, hall_id)
    kind = Kind(spec.get("kind") or Kind.CONSULTATION)
    days = int(spec.get("working_days") or settings[f"{kind.value}_days"])
    received_at = spec.get("received_at")
    received_ts = received_at.timestamp() if isinstance(received_at, dt.datetime) else tx.now
    if received_ts > tx.now + 60:
        raise InvalidInput(E.BAD_DATE, "受理时间不能晚于现在 (received in the future)", field="received_at")
    deadline = q.tx_calendar(tx, hall_id).deadline(q.local_date(received_ts, tz), days,
                                                   CountFrom(settings["count_from"]))
    department = _department(tx, hall_id, spec.get("department"))
    assignee = spec.get("assignee")
    assignee_name = _staff(tx, hall_id, assignee, "assignee")["display_name"] if assignee is not None else ""
    window = spec.get("window")
    if window is not None and tx.one("SELECT 1 FROM windows WHERE id = ? AND hall_id = ?", (window, hall_id)) is None:
        raise InvalidInput(E.WINDOW_NOT_FOUND, f"窗口不存在 (no window {window})", field="window")
    status = CaseStatus.ASSIGNED if (department is not None or assignee is not None) else CaseStatus.RECEIVED
    try:
        with tx.savepoint():
            cid = tx.insert(
                "INSERT INTO cases (hall_id, ref, source, kind, subject, content, citizen_name, citizen_phone,"
                " department_id, window_id, assignee_user_id, assignee_name, status, received_day, due_day, due_at,"
                " provisional, created_at, created_by_name, updated_at) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (hall_id, spec.get("ref") or "", Source(spec["source"]).value, kind.value, spec["subject"],
                 spec.get("content") or "", spec.get("citizen_name") or "", spec.get("citizen_phone") or "",
                 department, window, assignee, assignee_name, status.value, deadline.received.isoformat(),
                 deadline.due.isoformat(), q.end_of_day(deadline.due, tz), int(deadline.provisional), received_ts,
                 q.actor_name(actor), tx.now))
    except IntegrityError:
        raise Conflict(E.DUPLICATE_CASE, f"该来源编号已登记 (case {spec.get('ref')!r} of {spec['source']} exists)"
                       ) from None
    q.log(tx, hall_id, "case", cid, actor, "received", None, status.value, spec["subject"],
          {"deadline": deadline.as_json()})
    return _emit(tx, cid, "received")


def _emit(tx: Tx, cid: int, action: str) -> dict[str, Any]:
    r = tx.one(f"{CASE_SELECT} WHERE c.id = ?", (cid,))
    assert r is not None
    out = case_json(r, tx.now)
    tx.emit(r["hall_id"], Ev.CASE_CHANGED, {"case": {k: out[k] for k in (
        "id", "ref", "subject", "status", "status_name", "due_day", "assignee_name", "department_name")},
        "action": action})
    return out


def act(tx: Tx, cid: int, action: CaseAction, actor: Actor, body: dict[str, Any]) -> dict[str, Any]:
    r = _load(tx, cid, actor)
    note = (body.get("note") or "").strip()
    days = int(body.get("days") or 0)
    state = CaseState(CaseStatus(r["status"]), bool(r["extension_pending"]), r["extensions"])
    new = case_step(state, action, is_manager=actor.is_supervisor,
                    is_assignee=_works_on(tx, actor, r), note=note,
                    days=days)
    sets: dict[str, Any] = {"status": new.status.value, "extension_pending": int(new.extension_pending),
                            "extensions": new.extensions, "updated_at": tx.now}
    data: dict[str, Any] = {}
    if action is CaseAction.ASSIGN:
        dep = _department(tx, r["hall_id"], body.get("department"))
        if dep is None and body.get("assignee") is None:
            raise InvalidInput(E.INVALID_INPUT, "请指定承办部门或承办人 (give a department or a person)",
                               field="department")
        sets["department_id"] = dep if dep is not None else r["department_id"]
        if body.get("assignee") is not None:
            u = _staff(tx, r["hall_id"], body["assignee"], "assignee")
            sets["assignee_user_id"], sets["assignee_name"] = u["id"], u["display_name"]
        data = {"department_id": sets["department_id"], "assignee": sets.get("assignee_name")}
    elif action is CaseAction.REPLY:
        sets["reply"], sets["replied_at"] = note, tx.now
    elif action is CaseAction.CLOSE:
        sets["closed_at"] = tx.now
    elif action is CaseAction.REQUEST_EXTENSION:
        sets["extension_days"] = days
    elif action is CaseAction.APPROVE_EXTENSION:
        tz = q.hall_tz(tx, r["hall_id"])
        moved = q.tx_calendar(tx, r["hall_id"]).extend(dt.date.fromisoformat(r["due_day"]), r["extension_days"])
        sets["due_day"], sets["due_at"] = moved.due.isoformat(), q.end_of_day(moved.due, tz)
        sets["provisional"] = int(moved.provisional or bool(r["provisional"]))
        data = {"from": r["due_day"], "to": sets["due_day"], "days": r["extension_days"]}
    elif action is CaseAction.REMIND:
        sets["reminders"] = r["reminders"] + 1
    cols = ", ".join(f"{k} = ?" for k in sets)
    tx.run(f"UPDATE cases SET {cols} WHERE id = ?", (*sets.values(), cid))
    if action is CaseAction.REQUEST_EXTENSION:
        data = {"days": days}
    q.log(tx, r["hall_id"], "case", cid, actor, action.value, r["status"], new.status.value, note, data)
    return _emit(tx, cid, action.value)


def detail(tx: Tx, cid: int, actor: Actor) -> dict[str, Any]:
    r = _load(tx, cid, actor)
    logs = tx.all("SELECT * FROM work_log WHERE subject = 'case' AND subject_id = ? ORDER BY at, id", (cid,))
    return {**case_json(r, tx.now), "log": q.log_of(logs)}


# -- the daily scan ---------------------------------------------------------------------------------------------

def _hhmm(text: str) -> dt.time:
    h, m = text.split(":")
    return dt.time(int(h), int(m))


def scan_hall(tx: Tx, hall_id: int, *, force: bool = False) -> dict[str, Any] | None:
    """Once a working day at the hall's scan time: what is due within a working day, and what is overdue, among
    open cases, follow-ups and patrol findings awaiting their fix (one deadline engine: the hall's calendar).
    None when not due."""
    tz = q.hall_tz(tx, hall_id)
    settings = q.tx_settings(tx, hall_id)
    local = dt.datetime.fromtimestamp(tx.now, tz)
    today = local.date()
    cal = q.tx_calendar(tx, hall_id)
    if not force:
        if not cal.is_workday(today) or local.time() < _hhmm(settings["scan_at"]):
            return None
        if tx.one("SELECT 1 FROM scan_runs WHERE hall_id = ? AND day = ?", (hall_id, today.isoformat())):
            return None
    due_soon: list[dict[str, Any]] = []
    overdue: list[dict[str, Any]] = []
    open_statuses = tuple(s.value for s in OPEN_CASE)
    for c in tx.all(f"{CASE_SELECT} WHERE c.hall_id = ? AND c.status IN ({','.join('?' * len(open_statuses))}) "
                    "ORDER BY c.due_day, c.id", (hall_id, *open_statuses)):
        entry = {"subject": "case", "id": c["id"], "title": c["subject"], "due_day": c["due_day"],
                 "who": c["assignee_name"] or c["department_name"] or "未交办"}
        state = cal.due_state(dt.date.fromisoformat(c["due_day"]), today)
        (overdue if state is DueState.OVERDUE else due_soon if state is DueState.DUE_SOON else []).append(entry)
    for f in tx.all("SELECT f.id, f.due_day, u.display_name AS clerk_name, t.number FROM followups f "
                    "JOIN ratings r ON r.id = f.rating_id JOIN tickets t ON t.id = r.ticket_id "
                    "LEFT JOIN users u ON u.id = f.clerk_user_id WHERE f.hall_id = ? AND f.status NOT IN "
                    "('closed', 'voided') ORDER BY f.due_day, f.id", (hall_id,)):
        entry = {"subject": "followup", "id": f["id"], "title": f"差评 {f['number']}", "due_day": f["due_day"],
                 "who": f["clerk_name"] or ""}
        state = cal.due_state(dt.date.fromisoformat(f["due_day"]), today)
        (overdue if state is DueState.OVERDUE else due_soon if state is DueState.DUE_SOON else []).append(entry)
    findings_overdue = 0
    pending = tuple(s.value for s in PENDING_FIX)  # a rectified finding waits for the manager, not the fixer
    for f in tx.all(f"{FINDING_SELECT} WHERE f.hall_id = ? AND f.status IN ({','.join('?' * len(pending))}) "
                    "ORDER BY f.due_at, f.id", (hall_id, *pending)):
        due_day = q.local_date(f["due_at"] - 1, tz)  # a default due instant is the end of its day: 24:00
        entry = {"subject": "finding", "id": f["id"], "due_day": due_day.isoformat(),
                 "title": f"巡查问题 #{f['id']} {f['category_name'] or f['category']}"
                          + (f" {f['window_number']}号窗口" if f["window_number"] else ""),
                 "who": f["responsible_name"] or ""}
        if f["due_at"] < tx.now:  # a finding's due time is an instant (a manager may set one within the day)
            overdue.append(entry)
            findings_overdue += 1
        elif cal.due_state(due_day, today) is DueState.DUE_SOON:
            due_soon.append(entry)
    result = {"day": today.isoformat(), "due_soon": due_soon, "overdue": overdue,
              "findings_overdue": findings_overdue}
    tx.run("INSERT INTO scan_runs (hall_id, day, at, result) VALUES (?,?,?,?) ON CONFLICT (hall_id, day) "
           "DO UPDATE SET at = excluded.at, result = excluded.result",
           (hall_id, today.isoformat(), tx.now, json.dumps(result, ensure_ascii=False)))
    tx.emit(hall_id, Ev.DEADLINE_SCAN, result)
    lines = [f"### 每日到期扫描 {today.isoformat()} (daily deadline scan)",
             f"> 一个工作日内到期 **{len(due_soon)}** 件，已超期 **{len(overdue)}** 件，巡查问题超期 "
             f"{result['findings_overdue']} 件"]
    lines += [f"> 超期：{e['title']}（{e['who']}，应于 {e['due_day']}）" for e in overdue[:10]]
    lines += [f"> 将到期：{e['title']}（{e['who']}，{e['due_day']}）" for e in due_soon[:10]]
    q.enqueue_robots(tx, hall_id, "scan", None, f"每日到期扫描 {today.isoformat()}", "\n".join(lines))
    return result


def scan_all(tx: Tx) -> dict[int, dict[str, Any]]:
    out = {}
    for h in tx.all("SELECT id FROM halls ORDER BY id"):
        r = scan_hall(tx, h["id"])
        if r is not None:
            out[h["id"]] = r
    return out


# -- figures -------------------------------------------------------------------------------------------------------

def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _day_sql(tx: Tx, column: str, tz: Any, at: float) -> tuple[str, int]:
    """The local day number of an instant, in SQL: (expression, the zone's offset in seconds). The offset is
    the zone's at the period's start (China keeps one offset all year)."""
    offset = int(dt.datetime.fromtimestamp(at, tz).utcoffset().total_seconds())  # type: ignore[union-attr]
    if tx.dialect.name == "postgresql":
        return f"CAST(FLOOR(({column} + {offset}) / 86400) AS BIGINT)", offset
    return f"CAST(({column} + {offset}) / 86400 AS INTEGER)", offset


def _day_name(n: int) -> str:
    return (dt.date(1970, 1, 1) + dt.timedelta(days=int(n))).isoformat()


def _rating_groups(rows: list[Row], key: str, name: str) -> list[dict[str, Any]]:
    """Roll the fine-grained counts (department × window × day × level) up along one dimension."""
    out: dict[Any, dict[str, Any]] = {}
    for r in rows:
        g = out.setdefault(r[key], {"id": r[key], "name": r[name], "rated": 0, "bad": 0, "unrated": 0})
        n = int(r["n"])
        if r["level"] in SCORES_KEYS:
            g["rated"] += n
            g["bad"] += n if r["level"] in BAD_KEYS else 0
        elif r["level"] == UNRATED:
            g["unrated"] += n
    for g in out.values():
        g["satisfaction_rate"] = _rate(g["rated"] - g["bad"], g["rated"])
    return list(out.values())


_CASE_SUMS = ("count(*) AS received, sum(CASE WHEN c.closed_at IS NOT NULL THEN 1 ELSE 0 END) AS closed, "
              "sum(CASE WHEN c.closed_at IS NOT NULL AND c.closed_at <= c.due_at THEN 1 ELSE 0 END) AS on_time, "
              "sum(CASE WHEN c.closed_at IS NULL AND c.due_at <= ? THEN 1 ELSE 0 END) AS overdue")


def _case_row(r: Row, key: Any, name: Any) -> dict[str, Any]:
    g = {"id": key, "name": name, **{k: int(r[k] or 0) for k in ("received", "closed", "on_time", "overdue")}}
    g["completion_rate"] = _rate(g["closed"], g["received"])
    g["on_time_rate"] = _rate(g["on_time"], g["closed"])
    return g


def figures(tx: Tx, hall_id: int, start: float, end: float) -> dict[str, Any]:
    """Ratings, follow-ups and cases of a period [start, end): totals and by department, window and day, summed
    by the database (a year of a busy hall is some 200,000 ratings)."""
    tz = q.hall_tz(tx, hall_id)
    period = (hall_id, start, end)
    rday, _ = _day_sql(tx, "r.created_at", tz, start)
    # One pass over the period's ratings (a year of a busy hall is ~200,000), rolled up in Python.
    rows = tx.all(f"SELECT r.department_id, d.name AS department_name, r.window_id, w.number AS window_number, "
                  f"{rday} AS day, r.level, count(*) AS n FROM ratings r "
                  "LEFT JOIN departments d ON d.id = r.department_id LEFT JOIN windows w ON w.id = r.window_id "
                  "WHERE r.hall_id = ? AND r.created_at >= ? AND r.created_at < ? "
                  f"GROUP BY r.department_id, d.name, r.window_id, w.number, {rday}, r.level", period)
    levels = {lv.value: 0 for lv in Level} | {UNRATED: 0, VOIDED: 0}
    for r in rows:
        levels[r["level"]] += int(r["n"])
    by_dep = _rating_groups(rows, "department_id", "department_name")
    by_win = _rating_groups(rows, "window_id", "window_number")
    by_day = _rating_groups(rows, "day", "day")
    for g in by_day:
        g["id"] = g["name"] = _day_name(g["id"])
    rated_n = sum(levels[k] for k in SCORES_KEYS)
    bad_n = sum(levels[k] for k in BAD_KEYS)
    case_params = (tx.now, hall_id, start, end)
    where = "WHERE c.hall_id = ? AND c.created_at >= ? AND c.created_at < ?"
    tot_row = tx.one(f"SELECT {_CASE_SUMS} FROM cases c {where}", case_params)
    assert tot_row is not None
    tot = _case_row(tot_row, None, None)
    del tot["id"], tot["name"]
    cdep = [_case_row(r, r["department_id"], r["name"]) for r in tx.all(
        f"SELECT c.department_id, d.name, {_CASE_SUMS} FROM cases c LEFT JOIN departments d ON d.id = c.department_id "
        f"{where} GROUP BY c.department_id, d.name", case_params)]
    cday_sql, _ = _day_sql(tx, "c.created_at", tz, start)
    cday = [_case_row(r, _day_name(r["day"]), _day_name(r["day"])) for r in tx.all(
        f"SELECT {cday_sql} AS day, {_CASE_SUMS} FROM cases c {where} GROUP BY {cday_sql}", case_params)]
    fu = tx.one("SELECT count(*) AS n, sum(CASE WHEN status IN ('closed', 'voided') THEN 1 ELSE 0 END) AS done, "
                "sum(CASE WHEN status IN ('closed', 'voided') AND closed_at <= due_at THEN 1 ELSE 0 END) AS on_time, "
                "sum(CASE WHEN status NOT IN ('closed', 'voided') AND due_at <= ? THEN 1 ELSE 0 END) AS overdue, "
                "sum(CASE WHEN status = 'voided' THEN 1 ELSE 0 END) AS voided FROM followups "
                "WHERE hall_id = ? AND created_at >= ? AND created_at < ?", (tx.now, hall_id, start, end))
    assert fu is not None
    fdone = int(fu["done"] or 0)
    return {"ratings": {"levels": levels, "rated": rated_n, "bad": bad_n,
                        "satisfaction_rate": _rate(rated_n - bad_n, rated_n),
                        "by_department": sorted(by_dep, key=lambda g: str(g["name"] or "")),
                        "by_window": sorted(by_win, key=lambda g: g["name"] or 0),
                        "by_day": sorted(by_day, key=lambda g: g["name"])},
            "followups": {"opened": int(fu["n"] or 0), "done": fdone, "on_time": int(fu["on_time"] or 0),
                          "overdue": int(fu["overdue"] or 0), "voided": int(fu["voided"] or 0),
                          "completion_rate": _rate(fdone, int(fu["n"] or 0))},
            "cases": {**tot, "by_department": sorted(cdep, key=lambda g: str(g["name"] or "")),
                      "by_day": sorted(cday, key=lambda g: g["name"])}}


SCORES_KEYS = frozenset(lv.value for lv in Level)
BAD_KEYS = frozenset(lv.value for lv in BAD_LEVELS)


def window_scores(tx: Tx, hall_id: int, start: float, end: float) -> list[dict[str, Any]]:
    """Each window's quality score for 红旗窗口 / 服务之星, with its parts (one grouped query per part)."""
    weights = q.tx_settings(tx, hall_id)
    period = (hall_id, start, end)
    levels: dict[int, list[int]] = {}
    for r in tx.all("SELECT window_id, level, count(*) AS n FROM ratings WHERE hall_id = ? AND created_at >= ? "
                    "AND created_at < ? AND window_id IS NOT NULL GROUP BY window_id, level", period):
        if r["level"] in SCORES_KEYS:
            levels.setdefault(r["window_id"], []).extend([SCORES[Level(r["level"])]] * int(r["n"]))
    waits = {r["window_id"]: r for r in tx.all(
        "SELECT t.window_id, count(*) AS n, sum(CASE WHEN t.first_called_at - t.issued_at <= qu.target_wait_minutes "
        "* 60 THEN 1 ELSE 0 END) AS within FROM tickets t JOIN queues qu ON qu.id = t.queue_id "
        "WHERE t.hall_id = ? AND t.ended_at >= ? AND t.ended_at < ? AND t.status = 'done' "
        "AND t.first_called_at IS NOT NULL AND t.window_id IS NOT NULL GROUP BY t.window_id", period)}
    fnd = {r["window_id"]: r for r in tx.all(
        "SELECT window_id, count(*) AS n, sum(CASE WHEN rectified_at IS NOT NULL AND rectified_at <= due_at "
        "THEN 1 ELSE 0 END) AS fixed FROM findings WHERE hall_id = ? AND created_at >= ? AND created_at < ? "
        "AND window_id IS NOT NULL GROUP BY window_id", period)}
    cs = {r["window_id"]: r for r in tx.all(
        "SELECT window_id, count(*) AS n, sum(CASE WHEN closed_at IS NOT NULL AND closed_at <= due_at THEN 1 "
        "ELSE 0 END) AS on_time FROM cases WHERE hall_id = ? AND created_at >= ? AND created_at < ? "
        "AND window_id IS NOT NULL GROUP BY window_id", period)}
    out = []
    for w in tx.all("SELECT w.id, w.number, w.name, u.display_name AS clerk_name FROM windows w "
                    "LEFT JOIN users u ON u.id = w.clerk_user_id WHERE w.hall_id = ? AND w.active = 1 "
                    "ORDER BY w.number", (hall_id,)):
        wt, f, c = waits.get(w["id"]), fnd.get(w["id"]), cs.get(w["id"])
        parts = WindowParts(
            ratings=levels.get(w["id"], []), served=int(wt["n"]) if wt else 0,
            within_target=int(wt["within"] or 0) if wt else 0, findings=int(f["n"]) if f else 0,
            findings_fixed_on_time=int(f["fixed"] or 0) if f else 0, cases=int(c["n"]) if c else 0,
            cases_on_time=int(c["on_time"] or 0) if c else 0)
        score = window_score(parts, {k: float(weights[f"{k}_weight"]) for k in ("rating", "wait", "finding", "case")})
        out.append({"window_id": w["id"], "number": w["number"], "name": w["name"], "clerk_name": w["clerk_name"],
                    **score})
    out.sort(key=lambda s: (-(s["score"] if s["score"] is not None else -1), s["number"]))
    for i, s in enumerate(out, 1):
        s["rank"] = i
    return out


def briefing_figures(tx: Tx, hall_id: int, start: float, end: float, monthly: bool) -> dict[str, Any]:
    """What the briefing's sections 五 and 六 add to the counts: the follow-ups of bad ratings, ratings and cases
    by department, and in a monthly briefing the windows' ranking (红旗窗口, 服务之星) with each score's parts."""
    f = figures(tx, hall_id, start, end)
    out: dict[str, Any] = {"followups": f["followups"], "ratings_by_department": f["ratings"]["by_department"],
                           "cases_by_department": f["cases"]["by_department"],
                           "unrated": f["ratings"]["levels"][UNRATED],
                           "voided": f["ratings"]["levels"][VOIDED], "cases_on_time_rate": f["cases"]["on_time_rate"]}
    if monthly:
        out["window_ranking"] = [w for w in window_scores(tx, hall_id, start, end) if w["score"] is not None][:10]
    return out


# -- the port ---------------------------------------------------------------------------------------------------------

class CasesPort:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, hall_id: int, spec: dict[str, Any], actor: Actor) -> dict[str, Any]:
        return await self._db.write(lambda tx: create(tx, hall_id, spec, actor))

    async def import_many(self, hall_id: int, specs: list[dict[str, Any]], actor: Actor) -> list[dict[str, Any]]:
        """All rows or none: a bad row is named by its line and nothing is kept."""
        def job(tx: Tx) -> list[dict[str, Any]]:
            out = []
            for spec in specs:
                try:
                    out.append(create(tx, hall_id, spec, actor))
                except (InvalidInput, Conflict) as e:
                    raise InvalidInput(E.BAD_IMPORT, f"第 {spec['_line']} 行：{e.message} (line {spec['_line']})",
                                       field=f"line {spec['_line']}: {getattr(e, 'field', None) or 'row'}") from None
            return out
        return await self._db.write(job)

    async def get(self, cid: int, actor: Actor) -> dict[str, Any]:
        return await self._db.write(lambda tx: detail(tx, cid, actor))

    async def act(self, cid: int, action: CaseAction, actor: Actor, body: dict[str, Any]) -> dict[str, Any]:
        return await self._db.write(lambda tx: act(tx, cid, action, actor, body))

    async def list_cases(self, hall_id: int, actor: Actor, now: float, *, status: str | None, open_only: bool,
                   overdue: bool) -> list[dict[str, Any]]:
        cond, params = "c.hall_id = ?", list[Any]([hall_id])
        if not actor.is_supervisor:
            cond += (" AND (c.assignee_user_id = ? OR c.department_id IN "
                     "(SELECT department_id FROM department_heads WHERE user_id = ?))")
            params += [actor.user_id if actor.user_id is not None else -1] * 2
        if status:
            cond += " AND c.status = ?"
            params.append(status)
        if open_only or overdue:
            cond += " AND c.status <> 'closed'"
        if overdue:
            cond += " AND c.due_at <= ?"
            params.append(now)
        rows = await self._db.all(f"{CASE_SELECT} WHERE {cond} ORDER BY c.due_day, c.id LIMIT 500", params)
        return [case_json(r, now) for r in rows]

    async def scan_all(self) -> dict[int, dict[str, Any]]:
        return await self._db.write(scan_all)

    async def scan_now(self, hall_id: int) -> dict[str, Any]:
        out = await self._db.write(lambda tx: scan_hall(tx, hall_id, force=True))
        assert out is not None
        return out

    async def last_scan(self, hall_id: int) -> dict[str, Any] | None:
        r = await self._db.one("SELECT day, at, result FROM scan_runs WHERE hall_id = ? ORDER BY day DESC LIMIT 1",
                               (hall_id,))
        return {**json.loads(r["result"]), "at": q.iso_ts(r["at"])} if r else None

    async def figures(self, hall_id: int, start: float, end: float) -> dict[str, Any]:
        return await self._db.write(lambda tx: figures(tx, hall_id, start, end))

    async def window_scores(self, hall_id: int, start: float, end: float) -> list[dict[str, Any]]:
        return await self._db.write(lambda tx: window_scores(tx, hall_id, start, end))


SYSTEM = Actor(Role.ADMIN, display_name="系统")
