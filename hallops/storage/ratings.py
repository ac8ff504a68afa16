"""好差评 in storage: ratings, the unrated sweep, bad-rating follow-ups with their evidence, case numbers of
visits, the calendar's overrides, the daily scan, the figures and the windows' quality scores, and the outbox.

`RatingsPort` is what hallops/usecases/ratings.py calls. Who may rate, what a rating holds and which step a
follow-up may take are decided by hallops/domain/ratings.py inside the write jobs, on the rows they loaded.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

from hallops.domain.actors import Actor
from hallops.domain.errors import Conflict, E, Forbidden, InvalidInput, NotFound
from hallops.domain.events import Ev
from hallops.domain.model import Role
from hallops.domain.ratings import (
    FOLLOWUP_DONE,
    FOLLOWUP_LABELS,
    LEVEL_LABELS,
    REASONS,
    SCORES,
    UNRATED,
    VOIDED,
    FollowupAction,
    FollowupState,
    FollowupStatus,
    Level,
    RatingRules,
    check_can_rate,
    check_rater,
    check_rating,
    followup_step,
    is_bad,
)
from hallops.storage import audit
from hallops.storage import quality as q
from hallops.storage.db import Database, IntegrityError, Row, Tx

REASON_NAMES = {k: zh for k, zh, _ in REASONS}

# -- ratings -----------------------------------------------------------------------------------------------------

_TICKET_SQL = ("SELECT t.id, t.hall_id, t.number, t.status, t.ended_at, t.issued_at, t.first_called_at, t.window_id,"
               " t.clerk_user_id, t.queue_id, t.service_day, t.token, t.recall_count, t.transfer_count,"
               " t.park_count, qu.department_id, qu.name AS queue_name, qu.target_wait_minutes,"
               " w.number AS window_number, w.name AS window_name, u.display_name AS clerk_name "
               "FROM tickets t JOIN queues qu ON qu.id = t.queue_id LEFT JOIN windows w ON w.id = t.window_id "
               "LEFT JOIN users u ON u.id = t.clerk_user_id")


def rules_of(settings: dict[str, Any]) -> RatingRules:
    return RatingRules(int(settings["rating_limit_minutes"]), int(settings["pad_minutes"]),
                       int(settings["followup_days"]))


def _items(tx: Tx, ticket_id: int) -> list[Row]:
    return tx.all("SELECT i.code, i.name, i.department_id FROM ticket_items ti JOIN service_items i ON i.id = "
                  "ti.item_id WHERE ti.ticket_id = ? ORDER BY i.code", (ticket_id,))


def rate(tx: Tx, *, ticket: Row, rater: str, rater_window: int | None, spec: dict[str, Any]) -> dict[str, Any]:
    """Record the citizen's rating of a visit (or of one item of it); a bad one opens its follow-up."""
    check_rater(rater, rater_window, ticket["window_id"])
    settings = q.tx_settings(tx, ticket["hall_id"])
    item_code = spec.get("item") or ""
    department = ticket["department_id"]
    if item_code:
        found = {r["code"]: r for r in _items(tx, ticket["id"])}
        if item_code not in found:
            raise InvalidInput(E.BAD_RATING, f"本次未办理事项 {item_code} (item not handled on this visit)",
                               field="item")
        department = found[item_code]["department_id"] or department
    already = tx.one("SELECT 1 FROM ratings WHERE ticket_id = ? AND item_code = ?", (ticket["id"], item_code))
    check_can_rate(ticket_status=ticket["status"], ended_at=ticket["ended_at"], now=tx.now, rules=rules_of(settings),
                   already=already is not None)
    level = Level(spec["level"])
    indicators, reasons, comment = spec.get("indicators") or {}, spec.get("reasons") or [], spec.get("comment") or ""
    check_rating(level, indicators, reasons, comment)
    cn = tx.one("SELECT case_number FROM visit_case_numbers WHERE ticket_id = ? AND item_code IN (?, '') "
                "ORDER BY item_code DESC", (ticket["id"], item_code))
    case_number = cn["case_number"] if cn else ""
    try:
        with tx.savepoint():
            rating_id = tx.insert(
                "INSERT INTO ratings (hall_id, ticket_id, item_code, level, given_level, indicators, reasons, comment,"
                " channel, window_id, clerk_user_id, clerk_name, department_id, queue_id, service_day, case_number,"
                " visit_ended_at, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (ticket["hall_id"], ticket["id"], item_code, level.value, level.value,
                 json.dumps(indicators), json.dumps(reasons, ensure_ascii=False), comment,
                 "pad" if rater == Role.RATING_PAD.value else "phone", ticket["window_id"], ticket["clerk_user_id"],
                 ticket["clerk_name"] or "", department, ticket["queue_id"], ticket["service_day"], case_number,
                 ticket["ended_at"], tx.now))
    except IntegrityError:
        raise Conflict(E.ALREADY_RATED, "已评价，每次办事只能评价一次 (this visit is already rated)") from None
    rating = rating_json(_rating_row(tx, rating_id))
    followup = _open_followup(tx, rating_id, ticket, department, settings) if is_bad(level) else None
    tx.emit(ticket["hall_id"], Ev.RATING_GIVEN, {"rating": _rating_brief(rating), "bad": followup is not None,
                                                 "followup": followup and {"id": followup["id"],
                                                                           "due_day": followup["due_day"]}})
    q.enqueue_province(tx, ticket["hall_id"], "rating", rating_id, case_number, province_rating(rating))
    return {**rating, "followup": followup}


def _rating_row(tx: Tx, rating_id: int) -> Row:
    r = tx.one(f"{RATING_SELECT} WHERE r.id = ?", (rating_id,))
    assert r is not None
    return r


RATING_SELECT = ("SELECT r.*, t.number AS ticket_number, w.number AS window_number, d.name AS department_name, "
                 "qu.name AS queue_name FROM ratings r JOIN tickets t ON t.id = r.ticket_id "
                 "LEFT JOIN windows w ON w.id = r.window_id LEFT JOIN departments d ON d.id = r.department_id "
                 "LEFT JOIN queues qu ON qu.id = r.queue_id")


def rating_json(r: Row) -> dict[str, Any]:
    given = r["given_level"]
    return {"id": r["id"], "hall_id": r["hall_id"], "ticket_id": r["ticket_id"], "ticket_number": r["ticket_number"],
            "item": r["item_code"] or None, "level": r["level"], "given_level": given,
            "level_name": LEVEL_LABELS[Level(given)][0] if given else "未评价",
            "indicators": json.loads(r["indicators"]), "reasons": json.loads(r["reasons"]),
            "reason_names": [REASON_NAMES.get(k, k) for k in json.loads(r["reasons"])], "comment": r["comment"],
            "channel": r["channel"], "window_id": r["window_id"], "window_number": r["window_number"],
            "clerk_user_id": r["clerk_user_id"], "clerk_name": r["clerk_name"], "department_id": r["department_id"],
            "department_name": r["department_name"], "queue_id": r["queue_id"], "queue_name": r["queue_name"],
            "service_day": r["service_day"], "case_number": r["case_number"],
            "rated_at": q.iso_ts(r["created_at"])}


def _rating_brief(r: dict[str, Any]) -> dict[str, Any]:
    return {k: r[k] for k in ("id", "ticket_number", "level", "level_name", "window_id", "window_number",
                              "clerk_name", "department_name", "item")}


def province_rating(r: dict[str, Any]) -> dict[str, Any]:
    """What the province's 好差评 system is sent for one rating (see http/ratings.py for the adapter)."""
    return {"type": "evaluation", "case_number": r["case_number"], "ticket": r["ticket_number"],
            "item": r["item"], "level": r["given_level"], "score": SCORES[Level(r["given_level"])],
            "indicators": r["indicators"], "reasons": r["reasons"], "comment": r["comment"], "channel": r["channel"],
            "window": r["window_number"], "clerk": r["clerk_name"], "department": r["department_name"],
            "rated_at": r["rated_at"]}


def expire_unrated(tx: Tx) -> dict[int, int]:
    """Record as unrated every finished visit whose time to rate ran out (once: the unique key holds)."""
    out: dict[int, int] = {}
    for h in tx.all("SELECT id FROM halls ORDER BY id"):
        limit = int(q.tx_settings(tx, h["id"])["rating_limit_minutes"]) * 60
        rows = tx.all(f"{_TICKET_SQL} WHERE t.hall_id = ? AND t.status = 'done' AND t.ended_at < ? AND t.ended_at >= ? "
                      "AND NOT EXISTS (SELECT 1 FROM ratings r WHERE r.ticket_id = t.id)",
                      (h["id"], tx.now - limit, tx.now - limit - 7 * 86400))
        for t in rows:
            tx.run("INSERT INTO ratings (hall_id, ticket_id, item_code, level, channel, window_id, clerk_user_id,"
                   " clerk_name, department_id, queue_id, service_day, visit_ended_at, created_at) "
                   "VALUES (?,?,'',?,'none',?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                   (h["id"], t["id"], UNRATED, t["window_id"], t["clerk_user_id"], t["clerk_name"] or "",
                    t["department_id"], t["queue_id"], t["service_day"], t["ended_at"], tx.now))
        if rows:
            out[h["id"]] = len(rows)
            tx.emit(h["id"], Ev.RATING_UNRATED, {"count": len(rows)})
    return out


# -- follow-ups ---------------------------------------------------------------------------------------------------

def _open_followup(tx: Tx, rating_id: int, ticket: Row, department: int | None,
                   settings: dict[str, Any]) -> dict[str, Any]:
    deadline, tz = q.deadline_now(tx, ticket["hall_id"], int(settings["followup_days"]))
    head = tx.one("SELECT user_id FROM department_heads WHERE department_id = ?", (department,)) if department else None
    fid = tx.insert(
        "INSERT INTO followups (hall_id, rating_id, status, clerk_user_id, head_user_id, department_id, window_id,"
        " received_day, due_day, due_at, provisional, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (ticket["hall_id"], rating_id, FollowupStatus.OPEN.value, ticket["clerk_user_id"],
         head["user_id"] if head else None, department, ticket["window_id"], deadline.received.isoformat(),
         deadline.due.isoformat(), q.end_of_day(deadline.due, tz), int(deadline.provisional), tx.now, tx.now))
    system = Actor(Role.ADMIN, display_name="系统")
    q.log(tx, ticket["hall_id"], "followup", fid, system, "opened", None, FollowupStatus.OPEN.value,
          "差评自动转办 (opened by a bad rating)", {"deadline": deadline.as_json()})
    out = followup_json(_followup_row(tx, fid), tx.now)
    tx.emit(ticket["hall_id"], Ev.FOLLOWUP_CHANGED, {"followup": _followup_brief(out), "action": "opened"})
    rating = out["rating"]
    text = (f"### 差评提醒 (bad rating)\n> {rating['window_number'] or '—'} 号窗口 {rating['clerk_name'] or ''}，"
            f"号票 {rating['ticket_number']}：**{rating['level_name']}**\n"
            f"> 原因：{'、'.join(rating['reason_names']) or '—'}"
            f"；留言：{rating['comment'] or '—'}\n> 请于 {out['due_day']} 前核实整改并回访")
    q.enqueue_robots(tx, ticket["hall_id"], "bad_rating", fid, "差评提醒", text)
    return out


FOLLOWUP_SELECT = ("SELECT f.*, cu.display_name AS clerk_name, hu.display_name AS head_name, "
                   "d.name AS department_name FROM followups f LEFT JOIN users cu ON cu.id = f.clerk_user_id "
                   "LEFT JOIN users hu ON hu.id = f.head_user_id LEFT JOIN departments d ON d.id = f.department_id")


def _followup_row(tx: Tx, fid: int) -> Row:
    r = tx.one(f"{FOLLOWUP_SELECT} WHERE f.id = ?", (fid,))
    if r is None:
        raise NotFound(E.FOLLOWUP_NOT_FOUND, f"差评处理不存在 (no follow-up {fid})")
    r = dict(r)
    r["_rating"] = _rating_row(tx, r["rating_id"])
    return r


def followup_json(r: dict[str, Any], now: float) -> dict[str, Any]:
    status = FollowupStatus(r["status"])
    done = status in FOLLOWUP_DONE
    return {"id": r["id"], "hall_id": r["hall_id"], "status": status.value, "status_name": FOLLOWUP_LABELS[status],
            "appealed": bool(r["appealed"]), "clerk_user_id": r["clerk_user_id"], "clerk_name": r["clerk_name"],
            "head_user_id": r["head_user_id"], "head_name": r["head_name"], "department_id": r["department_id"],
            "department_name": r["department_name"], "window_id": r["window_id"],
            "received_day": r["received_day"], "due_day": r["due_day"], "provisional": bool(r["provisional"]),
            "overdue": (not done and now >= r["due_at"]) or (done and (r["closed_at"] or 0) >= r["due_at"]),
            "answer_way": r["answer_way"], "answer_result": r["answer_result"],
            "created_at": q.iso_ts(r["created_at"]), "closed_at": q.iso_ts(r["closed_at"]),
            "rating": rating_json(r["_rating"])}


def _followup_brief(f: dict[str, Any]) -> dict[str, Any]:
    return {k: f[k] for k in ("id", "status", "status_name", "due_day", "clerk_name", "department_name")}


def _may_see_followup(actor: Actor, r: dict[str, Any]) -> bool:
    if actor.is_supervisor:
        return True
    return actor.user_id is not None and actor.user_id in (r["clerk_user_id"], r["head_user_id"])


def followup_act(tx: Tx, fid: int, action: FollowupAction, actor: Actor, note: str, way: str,
                 result: str) -> dict[str, Any]:
    r = _followup_row(tx, fid)
    actor.check_hall(r["hall_id"])
    if not _may_see_followup(actor, r):
        raise NotFound(E.FOLLOWUP_NOT_FOUND, f"差评处理不存在 (no follow-up {fid})")
    state = FollowupState(FollowupStatus(r["status"]), bool(r["appealed"]),
                          FollowupStatus(r["before_appeal"]) if r["before_appeal"] else None)
    new = followup_step(state, action, is_manager=actor.is_supervisor,
                        is_responsible=actor.user_id is not None and actor.user_id in (r["clerk_user_id"],
                                                                                      r["head_user_id"]),
                        is_appellant=actor.user_id is not None and actor.user_id == r["appellant_user_id"],
                        note=note, way=way, result=result)
    done = new.status in FOLLOWUP_DONE
    answered = action is FollowupAction.ANSWER
    tx.run("UPDATE followups SET status = ?, appealed = ?, before_appeal = ?, updated_at = ?, closed_at = ?,"
           " appellant_user_id = ?, answer_way = ?, answer_result = ? WHERE id = ?",
           (new.status.value, int(new.appealed), new.before_appeal.value if new.before_appeal else None, tx.now,
            tx.now if done else None,
            actor.user_id if action is FollowupAction.APPEAL else r["appellant_user_id"],
            way if answered else r["answer_way"], result if answered else r["answer_result"], fid))
    if new.status is FollowupStatus.VOIDED:
        tx.run("UPDATE ratings SET level = ? WHERE id = ?", (VOIDED, r["rating_id"]))
    q.log(tx, r["hall_id"], "followup", fid, actor, action.value, r["status"], new.status.value, note,
          {"way": way, "result": result} if action is FollowupAction.ANSWER else None)
    out = followup_json(_followup_row(tx, fid), tx.now)
    tx.emit(r["hall_id"], Ev.FOLLOWUP_CHANGED, {"followup": _followup_brief(out), "action": action.value})
    if action in (FollowupAction.ANSWER, FollowupAction.CLOSE, FollowupAction.UPHOLD):
        q.enqueue_province(tx, r["hall_id"], "followup", fid, out["rating"]["case_number"],
                           {"type": "rectification", "case_number": out["rating"]["case_number"],
                            "rating_level": out["rating"]["given_level"], "status": out["status"], "step": action.value,
                            "note": note, "way": way, "result": result, "at": q.iso_ts(tx.now)})
    return out


def evidence(tx: Tx, r: dict[str, Any]) -> dict[str, Any]:
    """The visit's facts from the event log, for deciding an appeal: wait against target, recalls, transfers,
    the window's pauses that day, the day's patrol findings at that window."""
    t = tx.one(f"{_TICKET_SQL} WHERE t.id = ?", (r["_rating"]["ticket_id"],))
    assert t is not None
    wait = (t["first_called_at"] - t["issued_at"]) / 60 if t["first_called_at"] else None
    history = [{"type": e["type"], "at": q.iso_ts(e["at"]), "payload": json.loads(e["payload"])}
               for e in tx.all("SELECT type, at, payload FROM events WHERE ticket_id = ? ORDER BY seq", (t["id"],))]
    pauses: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    if t["window_id"] is not None:
        tz = q.hall_tz(tx, t["hall_id"])
        day = dt.date.fromisoformat(t["service_day"])
        start, end = q.end_of_day(day - dt.timedelta(days=1), tz), q.end_of_day(day, tz)
        j = tx.dialect
        for e in tx.all(f"SELECT type, at, {j.json_text('payload', 'reason')} AS reason FROM events WHERE hall_id = ? "
                        f"AND type IN (?, ?) AND at >= ? AND at < ? AND {j.json_int('payload', 'window', 'id')} = ? "
                        "ORDER BY seq", (t["hall_id"], Ev.WINDOW_PAUSED.value, Ev.WINDOW_RESUMED.value, start, end,
                                         t["window_id"])):
            pauses.append({"type": e["type"], "at": q.iso_ts(e["at"]), "reason": e["reason"]})
        for f in tx.all("SELECT id, category, severity, description, status, created_at FROM findings "
                        "WHERE window_id = ? AND created_at >= ? AND created_at < ? ORDER BY created_at",
                        (t["window_id"], start, end)):
            findings.append({**dict(f), "created_at": q.iso_ts(f["created_at"])})
    return {"ticket": {"number": t["number"], "queue": t["queue_name"], "issued_at": q.iso_ts(t["issued_at"]),
                       "ended_at": q.iso_ts(t["ended_at"])},
            "wait_minutes": round(wait, 1) if wait is not None else None,
            "target_wait_minutes": t["target_wait_minutes"],
            "waited_over_target": wait is not None and wait > t["target_wait_minutes"],
            "recalls": t["recall_count"], "transfers": t["transfer_count"], "parks": t["park_count"],
            "history": history, "window_pauses": pauses, "findings": findings}


def followup_detail(tx: Tx, fid: int, actor: Actor) -> dict[str, Any]:
    r = _followup_row(tx, fid)
    actor.check_hall(r["hall_id"])
    if not _may_see_followup(actor, r):
        raise NotFound(E.FOLLOWUP_NOT_FOUND, f"差评处理不存在 (no follow-up {fid})")
    logs = tx.all("SELECT * FROM work_log WHERE subject = 'followup' AND subject_id = ? ORDER BY at, id", (fid,))
    return {**followup_json(r, tx.now), "evidence": evidence(tx, r), "log": q.log_of(logs)}


# -- the port -------------------------------------------------------------------------------------------------------

class RatingsPort:
    def __init__(self, db: Database) -> None:
        self._db = db

    def now(self) -> float:
        return self._db.clock()

    async def ticket_by_token(self, token: str) -> dict[str, Any]:
        r = await self._db.one(f"{_TICKET_SQL} WHERE t.token = ?", (token,))
        if r is None:
            raise NotFound(E.TICKET_NOT_FOUND, "号票不存在 (no such ticket)")
        return dict(r)

    async def ticket(self, ticket_id: int) -> dict[str, Any]:
        r = await self._db.one(f"{_TICKET_SQL} WHERE t.id = ?", (ticket_id,))
        if r is None:
            raise NotFound(E.TICKET_NOT_FOUND, f"号票不存在 (no ticket {ticket_id})")
        return dict(r)

    async def rate(self, ticket_id: int, rater: str, rater_window: int | None, spec: dict[str, Any]) -> dict[str, Any]:
        def job(tx: Tx) -> dict[str, Any]:
            t = tx.one(f"{_TICKET_SQL} WHERE t.id = ?", (ticket_id,))
            if t is None:
                raise NotFound(E.TICKET_NOT_FOUND, f"号票不存在 (no ticket {ticket_id})")
            return rate(tx, ticket=t, rater=rater, rater_window=rater_window, spec=spec)
        return await self._db.write(job)

    async def rating_state(self, ticket_id: int, now: float) -> dict[str, Any]:
        """What the citizen sees: the items, what is rated, whether the visit may still be rated."""
        async with self._db.snapshot() as r:
            t = await r.one(f"{_TICKET_SQL} WHERE t.id = ?", (ticket_id,))
            if t is None:
                raise NotFound(E.TICKET_NOT_FOUND, f"号票不存在 (no ticket {ticket_id})")
            s = await r.one("SELECT settings FROM quality_settings WHERE hall_id = ?", (t["hall_id"],))
            rated = await r.all(f"{RATING_SELECT} WHERE r.ticket_id = ?", (ticket_id,))
            items = await r.all("SELECT i.code, i.name FROM ticket_items ti JOIN service_items i ON i.id = ti.item_id "
                                "WHERE ti.ticket_id = ? ORDER BY i.code", (ticket_id,))
        rules = rules_of(q.settings_of(s))
        ratings = [rating_json(x) for x in rated]
        visit = next((x for x in ratings if x["item"] is None), None)
        in_time = (t["status"] == "done" and t["ended_at"] is not None
                   and now <= t["ended_at"] + rules.limit_minutes * 60)
        open_ = in_time and visit is None
        rated_items = {x["item"] for x in ratings}
        return {"ticket": {"id": t["id"], "number": t["number"], "status": t["status"],
                           "window_number": t["window_number"], "clerk_name": t["clerk_name"],
                           "queue_name": t["queue_name"]},
                "items": [dict(i) for i in items], "rated": ratings, "can_rate": open_,
                "open_items": [i["code"] for i in items if in_time and i["code"] not in rated_items],
                "rate_until": q.iso_ts(t["ended_at"] + rules.limit_minutes * 60) if t["ended_at"] else None}

    async def pad_current(self, window_id: int, now: float) -> dict[str, Any] | None:
        """The visit the window's pad offers: the last one finished there, within the pad's minutes, unrated."""
        async with self._db.snapshot() as r:
            w = await r.one("SELECT hall_id FROM windows WHERE id = ?", (window_id,))
            if w is None:
                raise NotFound(E.WINDOW_NOT_FOUND, f"窗口不存在 (no window {window_id})")
            s = q.settings_of(await r.one("SELECT settings FROM quality_settings WHERE hall_id = ?", (w["hall_id"],)))
            t = await r.one(f"{_TICKET_SQL} WHERE t.window_id = ? AND t.status = 'done' AND t.ended_at >= ? "
                            "ORDER BY t.ended_at DESC LIMIT 1", (window_id, now - int(s["pad_minutes"]) * 60))
        if t is None:
            return None
        state = await self.rating_state(t["id"], now)
        return state if state["can_rate"] else None

    async def window_info(self, window_id: int) -> dict[str, Any]:
        async with self._db.snapshot() as r:
            w = await r.one("SELECT w.id, w.hall_id, w.number, w.name, u.display_name AS clerk_name FROM windows w "
                            "LEFT JOIN users u ON u.id = w.clerk_user_id WHERE w.id = ?", (window_id,))
        if w is None:
            raise NotFound(E.WINDOW_NOT_FOUND, f"窗口不存在 (no window {window_id})")
        return dict(w)

    async def expire_unrated(self) -> dict[int, int]:
        return await self._db.write(expire_unrated)

    async def ratings(self, hall_id: int, start: float, end: float, *, bad_only: bool = False,
                      window_id: int | None = None, limit: int = 200) -> list[dict[str, Any]]:
        cond = " AND r.level IN ('dissatisfied', 'very_dissatisfied')" if bad_only else ""
        params: list[Any] = [hall_id, start, end]
        if window_id is not None:
            cond += " AND r.window_id = ?"
            params.append(window_id)
        rows = await self._db.all(f"{RATING_SELECT} WHERE r.hall_id = ? AND r.created_at >= ? AND r.created_at < ? "
                                  f"AND r.level <> 'unrated'{cond} ORDER BY r.created_at DESC LIMIT {int(limit)}",
                                  params)
        return [rating_json(r) for r in rows]

    # follow-ups
    async def followups(self, hall_id: int, actor: Actor, now: float, *, open_only: bool) -> list[dict[str, Any]]:
        def job(tx: Tx) -> list[dict[str, Any]]:
            cond = " AND f.status NOT IN ('closed', 'voided')" if open_only else ""
            params: list[Any] = [hall_id]
            if not actor.is_supervisor:
                cond += " AND (f.clerk_user_id = ? OR f.head_user_id = ?)"
                params += [actor.user_id or -1, actor.user_id or -1]
            rows = tx.all(f"{FOLLOWUP_SELECT} WHERE f.hall_id = ?{cond} ORDER BY f.due_day, f.id", params)
            out = []
            for r in rows:
                d = dict(r)
                d["_rating"] = _rating_row(tx, r["rating_id"])
                out.append(followup_json(d, now))
            return out
        return await self._db.write(job)  # a read, but through the rows helpers the write jobs use

    async def followup(self, fid: int, actor: Actor) -> dict[str, Any]:
        return await self._db.write(lambda tx: followup_detail(tx, fid, actor))

    async def followup_act(self, fid: int, action: FollowupAction, actor: Actor, note: str, way: str,
                           result: str) -> dict[str, Any]:
        return await self._db.write(lambda tx: followup_act(tx, fid, action, actor, note, way, result))

    # settings, calendar, department heads, case numbers
    async def settings(self, hall_id: int) -> dict[str, Any]:
        return q.settings_of(await self._db.one("SELECT settings FROM quality_settings WHERE hall_id = ?", (hall_id,)))

    async def save_settings(self, hall_id: int, changes: dict[str, Any], actor: Actor | None) -> dict[str, Any]:
        def job(tx: Tx) -> dict[str, Any]:
            out = q.save_settings(tx, hall_id, changes)
            audit.setting(tx, actor, "quality-settings", hall_id=hall_id, after=changes)
            return out
        return await self._db.write(job)

    async def calendar_rows(self, hall_id: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        async with self._db.snapshot() as r:
            days = await r.all("SELECT day, workday, note FROM calendar_days WHERE hall_id = ? ORDER BY day",
                               (hall_id,))
            years = await r.all("SELECT year, note FROM calendar_years WHERE hall_id = ? ORDER BY year", (hall_id,))
        return [dict(d) for d in days], [dict(y) for y in years]

    async def bounds_of(self, hall_id: int, first: dt.date, last: dt.date) -> tuple[float, float]:
        """The instants a run of the hall's local days starts and ends."""
        tz = ZoneInfo(await self.timezone(hall_id))
        return q.end_of_day(first - dt.timedelta(days=1), tz), q.end_of_day(last, tz)

    async def timezone(self, hall_id: int) -> str:
        r = await self._db.one("SELECT timezone FROM halls WHERE id = ?", (hall_id,))
        if r is None:
            raise NotFound(E.HALL_NOT_FOUND, f"大厅不存在 (no hall {hall_id})")
        return str(r["timezone"])

    async def set_days(self, hall_id: int, days: list[tuple[str, bool | None, str]],
                       years: list[tuple[int, bool, str]], actor: Actor | None) -> None:
        def job(tx: Tx) -> None:
            audit.setting(tx, actor, "calendar", hall_id=hall_id, after={
                "days": [{"day": d, "workday": w, "note": n} for d, w, n in days],
                "years": [{"year": y, "confirmed": c, "note": n} for y, c, n in years]})
            q.hall_tz(tx, hall_id)
            for day, workday, note in days:
                if workday is None:
                    tx.run("DELETE FROM calendar_days WHERE hall_id = ? AND day = ?", (hall_id, day))
                else:
                    tx.run("INSERT INTO calendar_days (hall_id, day, workday, note, updated_at) VALUES (?,?,?,?,?) "
                           "ON CONFLICT (hall_id, day) DO UPDATE SET workday = excluded.workday, note = excluded.note,"
                           " updated_at = excluded.updated_at", (hall_id, day, int(workday), note, tx.now))
            for year, confirmed, note in years:
                if confirmed:
                    tx.run("INSERT INTO calendar_years (hall_id, year, note, confirmed_at) VALUES (?,?,?,?) "
                           "ON CONFLICT (hall_id, year) DO UPDATE SET note = excluded.note",
                           (hall_id, year, note, tx.now))
                else:
                    tx.run("DELETE FROM calendar_years WHERE hall_id = ? AND year = ?", (hall_id, year))
        await self._db.write(job)

    async def set_department_head(self, hall_id: int, department_id: int, user_id: int | None,
                                  actor: Actor | None) -> None:
        def job(tx: Tx) -> None:
            if tx.one("SELECT 1 FROM departments WHERE id = ? AND hall_id = ?", (department_id, hall_id)) is None:
                raise NotFound(E.DEPARTMENT_NOT_FOUND, f"部门不存在 (no department {department_id})")
            audit.setting(tx, actor, "departments/head", hall_id=hall_id,
                          after={"department": department_id, "user": user_id})
            if user_id is None:
                tx.run("DELETE FROM department_heads WHERE department_id = ?", (department_id,))
                return
            u = tx.one("SELECT hall_id FROM users WHERE id = ? AND active = 1", (user_id,))
            if u is None or (u["hall_id"] is not None and u["hall_id"] != hall_id):
                raise InvalidInput(E.USER_NOT_FOUND, f"人员不存在 (no staff member {user_id})", field="user")
            tx.run("INSERT INTO department_heads (department_id, user_id) VALUES (?, ?) ON CONFLICT (department_id) "
                   "DO UPDATE SET user_id = excluded.user_id", (department_id, user_id))
        await self._db.write(job)

    async def set_case_numbers(self, ticket_id: int, actor: Actor, numbers: dict[str, str]) -> dict[str, str]:
        """办件编号 of a visit ('' key) or its items; entered by the clerk who served it (or a manager)."""
        def job(tx: Tx) -> dict[str, str]:
            t = tx.one("SELECT hall_id, clerk_user_id, window_id, status FROM tickets WHERE id = ?", (ticket_id,))
            if t is None:
                raise NotFound(E.TICKET_NOT_FOUND, f"号票不存在 (no ticket {ticket_id})")
            actor.check_hall(t["hall_id"])
            if not actor.is_supervisor and not (actor.user_id is not None and actor.user_id == t["clerk_user_id"]) \
                    and not (actor.window_id is not None and actor.window_id == t["window_id"]):
                raise Forbidden(E.FORBIDDEN, "只有办理人可填写办件编号 (only who served enters the case number)")
            items = {r["code"] for r in _items(tx, ticket_id)} | {""}
            for code, number in numbers.items():
                if code not in items:
                    raise InvalidInput(E.BAD_CASE_NUMBER, f"本次未办理事项 {code} (item not handled)",
                                       field="case_numbers")
                tx.run("INSERT INTO visit_case_numbers (ticket_id, item_code, case_number, at) VALUES (?,?,?,?) "
                       "ON CONFLICT (ticket_id, item_code) DO UPDATE SET case_number = excluded.case_number, "
                       "at = excluded.at", (ticket_id, code, number, tx.now))
                tx.run("UPDATE ratings SET case_number = ? WHERE ticket_id = ? AND item_code = ? AND case_number = ''",
                       (number, ticket_id, code))
            return {r["item_code"]: r["case_number"] for r in tx.all(
                "SELECT item_code, case_number FROM visit_case_numbers WHERE ticket_id = ?", (ticket_id,))}
        return await self._db.write(job)

    # the outbox
    async def claim_due(self, lease_seconds: float, limit: int = 20) -> list[dict[str, Any]]:
        return await self._db.write(lambda tx: q.claim_due(tx, lease_seconds, limit))

    async def record_attempt(self, delivery_id: int, ok: bool, http_status: int | None, error: str | None,
                             retry_at: float | None) -> None:
        await self._db.write(lambda tx: q.record_attempt(tx, delivery_id, ok, http_status, error, retry_at))

    async def retry_delivery(self, delivery_id: int, hall_id: int) -> None:
        await self._db.write(lambda tx: q.retry(tx, delivery_id, hall_id))

    async def deliveries(self, hall_id: int, limit: int = 100) -> list[dict[str, Any]]:
        rows = await self._db.all("SELECT * FROM quality_outbox WHERE hall_id = ? ORDER BY id DESC LIMIT ?",
                                  (hall_id, limit))
        return [q.delivery_json(r) for r in rows]

