"""Write jobs for the life of a ticket and of a window. Each runs inside one transaction (see db.py):
checks, the change and its event commit together or not at all."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from hallops.domain.actors import Actor
from hallops.domain.errors import Conflict, E, Forbidden, InvalidInput, NotFound
from hallops.domain.events import Ev
from hallops.domain.model import Channel, Priority, Role, TicketStatus, TransferPlacement, WindowState
from hallops.domain.numbering import IssuingHours, format_number
from hallops.domain.policy import APPOINTMENT_BIT, BOOST_CLASSES, Candidate, PolicyParams, boost_class, choose_next
from hallops.domain.tickets import Action, check_recall, next_status
from hallops.domain.windows import WindowAction, next_window_state, require_open_for_calls
from hallops.storage.db import IntegrityError, Row, Tx
from hallops.storage.rules import Rules, service_day_of, zone
from hallops.storage.views import (
    TICKET_COLUMNS,
    TICKET_FROM,
    ahead_args,
    ahead_sql,
    ends_sql,
    line_ends,
    ticket_brief,
    ticket_json,
    window_brief,
)

S = TicketStatus
MAX_NUMBER_SKIPS = 1000
APPOINTMENT_REACH = 12 * 3600.0


# -- reading inside a transaction ------------------------------------------------------------------------

def load_ticket(tx: Tx, ticket_id: int) -> Row:
    row = tx.one(f"SELECT {TICKET_COLUMNS} FROM {TICKET_FROM} WHERE t.id = ?", (ticket_id,))
    if row is None:
        raise NotFound(E.TICKET_NOT_FOUND, f"号票不存在 (no ticket {ticket_id})")
    return row


def load_window(tx: Tx, window_id: int, actor: Actor) -> Row:
    row = tx.one("SELECT * FROM windows WHERE id = ? AND active = 1", (window_id,))
    if row is None:
        raise NotFound(E.WINDOW_NOT_FOUND, f"窗口不存在 (no window {window_id})")
    actor.check_hall(row["hall_id"])
    return row


def find_queue(tx: Tx, hall_id: int, ref: str | int) -> Row:
    """An active queue of the hall by id or prefix, with the hall's time zone beside it."""
    col, value = ("q.id", ref) if isinstance(ref, int) else ("q.prefix", ref.upper())
    row = tx.one(f"SELECT q.*, h.timezone FROM queues q JOIN halls h ON h.id = q.hall_id "
                 f"WHERE {col} = ? AND q.hall_id = ? AND q.active = 1", (value, hall_id))
    if row is None:
        if tx.one("SELECT 1 FROM halls WHERE id = ?", (hall_id,)) is None:
            raise NotFound(E.HALL_NOT_FOUND, f"大厅不存在 (no hall {hall_id})")
        raise NotFound(E.QUEUE_NOT_FOUND, f"业务类型不存在 (no queue {ref!r} in this hall)")
    return row


def people_ahead(tx: Tx, t: Row, params: PolicyParams, *, fresh: bool = False) -> int:
    """Waiting tickets placed before `t` in its queue (or at the window it was transferred to).
    `fresh`: t was just issued, so few stand behind it and counting from the end is cheap."""
    if t["status"] != S.WAITING:
        return 0
    row = tx.one(ahead_sql(t["target_window_id"] is not None, from_end=fresh),
                 ahead_args(params, t))
    assert row is not None
    return int(row[0])


def _event_ticket(tx: Tx, ticket_id: int, type_: str, **extra: Any) -> dict[str, Any]:
    row = load_ticket(tx, ticket_id)
    tx.emit(row["hall_id"], type_, {"ticket": ticket_brief(row), **extra})
    return ticket_json(row)


# -- issuing ---------------------------------------------------------------------------------------------

def issue_ticket(tx: Tx, rules: Rules, *, hall_id: int, queue: str | int, channel: Channel,
                 priority: Priority, appointment_at: float | None, actor: Actor,
                 idempotency: tuple[str, str, str] | None) -> tuple[dict[str, Any], bool]:
    """Issue a ticket; return (ticket, created). `idempotency` is (scope, key, request hash)."""
    actor.check_hall(hall_id)
    if appointment_at is not None and (channel is not Channel.APPOINTMENT
                                       or abs(appointment_at - tx.now) > APPOINTMENT_REACH):
        # An appointment is boosted ahead of walk-ins: only a check-in near its slot may claim one.
        raise InvalidInput(E.BAD_APPOINTMENT, "预约时间只用于预约签到，且须在当前时间前后 12 小时内 "
                                              "(appointment_at is for appointment check-ins within 12 h of now)",
                           field="appointment_at")
    if idempotency is not None:
        scope, key, digest = idempotency
        prior = tx.one("SELECT ticket_id, request_hash FROM idempotency_keys WHERE scope = ? AND key = ? "
                       "AND created_at > ?", (scope, key, tx.now - rules.idempotency_hours * 3600))
        if prior is not None:
            if prior["request_hash"] != digest:
                raise InvalidInput(E.IDEMPOTENCY_KEY_REUSED,
                                   "该幂等键已用于另一请求 (Idempotency-Key was used for a different request)")
            row = load_ticket(tx, prior["ticket_id"])
            return ticket_json(row) | {"people_ahead": people_ahead(tx, row, rules.policy)}, False
    q = find_queue(tx, hall_id, queue)
    local = dt.datetime.fromtimestamp(tx.now, zone(q["timezone"]))
    if not IssuingHours.parse(q["hours"]).contains(local.time()):
        raise Conflict(E.OUTSIDE_HOURS, f"当前不在取号时间（{q['hours']}）(not issuing now; hours {q['hours']})",
                       hours=q["hours"])
    day = service_day_of(tx.now, q["timezone"], rules)
    sort_at = appointment_at if appointment_at is not None else tx.now
    bclass = boost_class(priority, appointment_at is not None)
    # A number can be taken already when a queue's prefix was changed today (A renamed, B renamed to A):
    # the counter steps on past it rather than refusing every ticket for the rest of the day.
    for _ in range(MAX_NUMBER_SKIPS):
        serial_row = tx.one("INSERT INTO day_counters (queue_id, service_day, last_serial) VALUES (?, ?, 1) "
                            "ON CONFLICT (queue_id, service_day) "
                            "DO UPDATE SET last_serial = day_counters.last_serial + 1 "
                            "RETURNING last_serial", (q["id"], day))
        assert serial_row is not None
        serial = int(serial_row[0])
        if q["daily_cap"] and serial > q["daily_cap"]:
            raise Conflict(E.QUEUE_FULL, "今日该业务号源已满 (today's tickets for this queue are all issued)",
                           cap=q["daily_cap"])
        number = format_number(q["prefix"], serial)
        token = secrets.token_urlsafe(16)
        try:
            with tx.savepoint():
                ticket_id = tx.insert(
                    "INSERT INTO tickets (hall_id, service_day, number, serial, origin_queue_id, queue_id, token,"
                " channel, priority, boost_class, status, issued_at, sort_at, appointment_at)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (hall_id, day, number, serial, q["id"], q["id"], token, channel.value, priority.value, bclass,
                     S.WAITING.value, tx.now, sort_at, appointment_at))
            break
        except IntegrityError:  # the savepoint undid the failed insert alone: try the next number
            continue
    else:
        raise Conflict(E.NUMBER_TAKEN, f"号码 {number} 今日已使用 (numbers of this prefix are taken today)")
    if idempotency is not None:
        tx.run("INSERT INTO idempotency_keys (scope, key, request_hash, ticket_id, created_at) "
               "VALUES (?, ?, ?, ?, ?) ON CONFLICT (scope, key) DO UPDATE SET request_hash = excluded.request_hash,"
               " ticket_id = excluded.ticket_id, created_at = excluded.created_at", (*idempotency, ticket_id, tx.now))
    # The new row as load_ticket would read it back (tests/http/test_tickets.py checks they agree).
    new: dict[str, Any] = {
        "id": ticket_id, "hall_id": hall_id, "service_day": day, "number": number, "queue_id": q["id"],
        "origin_queue_id": q["id"], "token": token, "channel": channel.value, "priority": priority.value,
        "boost_class": bclass, "status": S.WAITING.value, "issued_at": tx.now, "sort_at": sort_at,
        "appointment_at": appointment_at, "first_called_at": None, "called_at": None, "started_at": None,
        "ended_at": None, "window_id": None, "target_window_id": None, "clerk_user_id": None, "recall_count": 0,
        "transfer_count": 0, "park_count": 0, "queue_prefix": q["prefix"], "queue_name": q["name"],
        "queue_name_en": q["name_en"], "window_number": None, "window_name": None}
    ahead = people_ahead(tx, new, rules.policy, fresh=True)
    tx.emit(hall_id, Ev.TICKET_ISSUED, {"ticket": ticket_brief(new), "people_ahead": ahead})
    return ticket_json(new) | {"people_ahead": ahead}, True


# -- calling ---------------------------------------------------------------------------------------------

def _require_idle(tx: Tx, w: Row) -> None:
    if w["current_ticket_id"] is not None:
        cur = tx.one("SELECT number, status FROM tickets WHERE id = ?", (w["current_ticket_id"],))
        number = cur["number"] if cur else "?"
        raise Conflict(E.WINDOW_BUSY,
                       f"当前号票 {number} 尚未办结，请先办结、过号或转移 (window still has ticket {number})",
                       ticket_id=w["current_ticket_id"])


def candidates(tx: Tx, hall_id: int, window_id: int, queue_ids: list[int]) -> list[Candidate]:
    """The head of every line and boost class the window may call: within one, the policy's order is
    sort_at order, so the heads are all it needs to look at — each one an index seek."""
    cols = "id, queue_id, sort_at, priority, boost_class, target_window_id"
    heads, args = [], []
    for c in BOOST_CLASSES:
        for q in queue_ids:
            heads.append(f"SELECT * FROM (SELECT {cols} FROM tickets WHERE queue_id = ? AND status = 'waiting' "
                         f"AND target_window_id IS NULL AND boost_class = ? ORDER BY sort_at, id LIMIT 1) AS h")
            args += [q, c]
        heads.append(f"SELECT * FROM (SELECT {cols} FROM tickets WHERE target_window_id = ? AND status = 'waiting' "
                     f"AND boost_class = ? ORDER BY sort_at, id LIMIT 1) AS h")
        args += [window_id, c]
    rows = tx.all(" UNION ALL ".join(heads), args)
    return [Candidate(r["id"], r["queue_id"], r["sort_at"], Priority(r["priority"]),
                      bool(r["boost_class"] & APPOINTMENT_BIT), r["target_window_id"]) for r in rows]


def window_queue_ids(tx: Tx, window_id: int) -> list[int]:
    return [r[0] for r in tx.all("SELECT queue_id FROM window_queues WHERE window_id = ? ORDER BY position",
                                 (window_id,))]


def call_next(tx: Tx, rules: Rules, *, window_id: int, actor: Actor) -> dict[str, Any] | None:
    w = load_window(tx, window_id, actor)
    actor.check_window(w["id"], w["clerk_user_id"])
    require_open_for_calls(WindowState(w["state"]))
    _require_idle(tx, w)
    chosen = choose_next(w["id"], window_queue_ids(tx, w["id"]),
                         candidates(tx, w["hall_id"], w["id"], window_queue_ids(tx, w["id"])), rules.policy)
    if chosen is None:
        return None
    changed = tx.run("UPDATE tickets SET status = 'called', window_id = ?, target_window_id = NULL, called_at = ?,"
                 " first_called_at = coalesce(first_called_at, ?), clerk_user_id = ? "
                 "WHERE id = ? AND status = 'waiting'",
                 (w["id"], tx.now, tx.now, w["clerk_user_id"] or actor.user_id, chosen.ticket_id))
    assert changed == 1, "a candidate must be waiting inside the same transaction"
    tx.run("UPDATE windows SET current_ticket_id = ? WHERE id = ?", (chosen.ticket_id, w["id"]))
    return _event_ticket(tx, chosen.ticket_id, Ev.TICKET_CALLED, window=window_brief(w), reason="call")


# -- acting on one ticket --------------------------------------------------------------------------------

def ticket_action(tx: Tx, rules: Rules, *, ticket_id: int, action: Action, actor: Actor,
                  body: dict[str, Any]) -> dict[str, Any]:
    t = load_ticket(tx, ticket_id)
    actor.check_hall(t["hall_id"])
    status = S(t["status"])
    w = None
    if t["window_id"] is not None and status in (S.CALLED, S.SERVING, S.PARKED):
        w = load_window(tx, t["window_id"], actor)
        actor.check_window(w["id"], w["clerk_user_id"])
    elif action not in (Action.CANCEL, Action.TRANSFER):
        next_status(status, action)  # a waiting ticket cannot be started, parked … : say so
    elif actor.role is Role.CLERK:
        raise Forbidden(E.NOT_YOUR_TICKET, "只能操作本窗口的号票 (this ticket is not at your window)")
    new = next_status(status, action)
    wid = w["id"] if w is not None else None
    now = tx.now
    extra: dict[str, Any] = {}

    if action is Action.RECALL:
        check_recall(t["recall_count"], rules.recall_limit)
        tx.run("UPDATE tickets SET recall_count = recall_count + 1, called_at = ? WHERE id = ?", (now, t["id"]))
        extra["window"] = window_brief(w) if w is not None else None
        return _event_ticket(tx, t["id"], Ev.TICKET_RECALLED, **extra)
    if action is Action.START:
        tx.run("UPDATE tickets SET status = ?, started_at = ? WHERE id = ?", (new, now, t["id"]))
    elif action is Action.PARK:
        tx.run("UPDATE tickets SET status = ?, park_count = park_count + 1 WHERE id = ?", (new, t["id"]))
        tx.run("UPDATE windows SET current_ticket_id = NULL WHERE id = ?", (wid,))
    elif action is Action.CALL_BACK:
        assert w is not None
        if WindowState(w["state"]) is WindowState.CLOSED:
            raise Conflict(E.WINDOW_NOT_OPEN, "窗口已关闭，不能回呼 (window is closed)")
        _require_idle(tx, w)
        tx.run("UPDATE tickets SET status = ?, called_at = ?, recall_count = 0 WHERE id = ?", (new, now, t["id"]))
        tx.run("UPDATE windows SET current_ticket_id = ? WHERE id = ?", (t["id"], wid))
        return _event_ticket(tx, t["id"], Ev.TICKET_CALLED, window=window_brief(w), reason="call_back")
    elif action is Action.FINISH:
        items = _resolve_items(tx, t["hall_id"], body.get("items") or [])
        tx.many("INSERT INTO ticket_items (ticket_id, item_id, window_id, at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", [(t["id"], i, wid, now) for i in items])
        tx.run("UPDATE tickets SET status = ?, ended_at = ? WHERE id = ?", (new, now, t["id"]))
        tx.run("UPDATE windows SET current_ticket_id = NULL WHERE id = ? AND current_ticket_id = ?",
               (wid, t["id"]))
        extra["items"] = items
    elif action in (Action.NO_SHOW, Action.CANCEL):
        tx.run("UPDATE tickets SET status = ?, ended_at = ? WHERE id = ?", (new, now, t["id"]))
        if wid is not None:
            tx.run("UPDATE windows SET current_ticket_id = NULL WHERE id = ? AND current_ticket_id = ?",
                   (wid, t["id"]))
    elif action is Action.TRANSFER:
        extra = _transfer(tx, rules, t, w, body)
    else:  # pragma: no cover - every action is handled above
        raise AssertionError(action)
    type_ = {Action.START: Ev.TICKET_STARTED, Action.PARK: Ev.TICKET_PARKED, Action.FINISH: Ev.TICKET_FINISHED,
             Action.NO_SHOW: Ev.TICKET_NO_SHOW, Action.CANCEL: Ev.TICKET_CANCELLED,
             Action.TRANSFER: Ev.TICKET_TRANSFERRED}[action]
    if w is not None:
        extra.setdefault("window", window_brief(w))
    return _event_ticket(tx, t["id"], type_, **extra)


def _resolve_items(tx: Tx, hall_id: int, refs: list[int | str]) -> list[int]:
    ids: list[int] = []
    for ref in refs:
        col = "id" if isinstance(ref, int) else "code"
        row = tx.one(f"SELECT id FROM service_items WHERE {col} = ? AND hall_id = ?", (ref, hall_id))
        if row is None:
            raise InvalidInput(E.ITEM_NOT_FOUND, f"办理事项不存在 (no service item {ref!r})", item=ref)
        ids.append(row[0])
    return list(dict.fromkeys(ids))


def _transfer(tx: Tx, rules: Rules, t: Row, w: Row | None,
              body: dict[str, Any]) -> dict[str, Any]:
    """Back to waiting in another queue and/or for another window; the ticket keeps its number."""
    queue_ref, window_ref = body.get("queue"), body.get("window")
    if queue_ref is None and window_ref is None:
        raise InvalidInput(E.TRANSFER_TARGET_MISSING, "请指定转移到的业务或窗口 (give a queue or a window)")
    placement = TransferPlacement(body.get("placement") or TransferPlacement.END)
    q = find_queue(tx, t["hall_id"], queue_ref) if queue_ref is not None else None
    target_w = None
    if window_ref is not None:
        target_w = tx.one("SELECT * FROM windows WHERE id = ? AND hall_id = ? AND active = 1",
                          (window_ref, t["hall_id"]))
        if target_w is None:
            raise NotFound(E.WINDOW_NOT_FOUND, f"目标窗口不存在 (no window {window_ref} in this hall)")
    queue_id = q["id"] if q is not None else t["queue_id"]
    params = rules.policy
    boost = params.boost(Priority(t["priority"]), t["appointment_at"] is not None)
    if placement is TransferPlacement.ISSUE_TIME:
        sort_at = t["issued_at"]
    else:
        # Front: just before the first waiting ticket there; end: just after the last (and never before now).
        row = tx.one(ends_sql(target_w is not None),
                     {"q": queue_id, "tw": target_w["id"] if target_w is not None else None})
        assert row is not None
        first, last = line_ends(params, row)
        if placement is TransferPlacement.FRONT:
            sort_at = min((first if first is not None else tx.now - boost) - 0.001 + boost, tx.now)
        else:
            sort_at = max((last if last is not None else tx.now - boost) + 0.001 + boost, tx.now)
    tx.run("UPDATE tickets SET status = 'waiting', queue_id = ?, target_window_id = ?, sort_at = ?, window_id = NULL,"
           " clerk_user_id = NULL, called_at = NULL, started_at = NULL, recall_count = 0,"
           " transfer_count = transfer_count + 1 WHERE id = ?",
           (queue_id, target_w["id"] if target_w else None, sort_at, t["id"]))
    if w is not None:
        tx.run("UPDATE windows SET current_ticket_id = NULL WHERE id = ? AND current_ticket_id = ?",
               (w["id"], t["id"]))
    return {"from": {"queue": t["queue_prefix"], "window": t["window_number"]},
            "to": {"queue": q["prefix"] if q is not None else t["queue_prefix"],
                   "window": target_w["number"] if target_w is not None else None,
                   "window_id": target_w["id"] if target_w is not None else None},
            "placement": placement.value}


# -- windows ---------------------------------------------------------------------------------------------

WINDOW_EVENTS = {WindowAction.OPEN: Ev.WINDOW_OPENED, WindowAction.PAUSE: Ev.WINDOW_PAUSED,
                 WindowAction.RESUME: Ev.WINDOW_RESUMED, WindowAction.CLOSE: Ev.WINDOW_CLOSED}


def window_action(tx: Tx, *, window_id: int, action: WindowAction, actor: Actor,
                  body: dict[str, Any]) -> dict[str, Any]:
    w = load_window(tx, window_id, actor)
    clerk_id = w["clerk_user_id"]
    if action is WindowAction.OPEN:
        if actor.role is Role.CLERK:
            if actor.window_id is not None and actor.window_id != w["id"]:
                raise Forbidden(E.NOT_YOUR_WINDOW, "该令牌绑定其他窗口 (this token is bound to another window)")
            clerk_id = actor.user_id
        elif actor.is_supervisor:
            clerk_id = _clerk_by_name(tx, body.get("clerk"), w["hall_id"]) if body.get("clerk") else None
        else:
            raise Forbidden(E.FORBIDDEN, "无权开启窗口 (this role cannot open windows)")
    else:
        actor.check_window(w["id"], w["clerk_user_id"])
    new = next_window_state(WindowState(w["state"]), action)
    if action is WindowAction.OPEN and clerk_id is not None:
        elsewhere = tx.one("SELECT number FROM windows WHERE clerk_user_id = ? AND id <> ?", (clerk_id, w["id"]))
        if elsewhere is not None:
            raise Conflict(E.CLERK_ELSEWHERE,
                           f"该工作人员已登录 {elsewhere['number']} 号窗口，请先关闭 "
                           f"(already signed in at window {elsewhere['number']})")
    reason = None
    if action is WindowAction.PAUSE:
        reason = str(body.get("reason") or "").strip()
        if not reason:
            raise InvalidInput(E.REASON_REQUIRED, "请填写暂停原因 (a reason is required to pause)")
    if action is WindowAction.CLOSE:
        _require_idle(tx, w)
        parked = tx.one("SELECT number FROM tickets WHERE window_id = ? AND status = 'parked'", (w["id"],))
        if parked is not None:
            raise Conflict(E.TICKETS_PARKED, f"窗口仍有挂起的号票 {parked['number']}，请先回呼或转移 "
                                             f"(ticket {parked['number']} is parked here)")
        held = tx.one("SELECT count(*), min(number) FROM tickets WHERE target_window_id = ? AND status = 'waiting'",
                      (w["id"],))
        if held is not None and held[0]:
            raise Conflict(E.TICKETS_WAITING_FOR_WINDOW,
                           f"有 {held[0]} 张号票（如 {held[1]}）转至本窗口等候，请先叫号或转到其他窗口 "
                           f"({held[0]} tickets were transferred to this window and wait for it)", count=held[0])
        clerk_id = None
    tx.run("UPDATE windows SET state = ?, pause_reason = ?, state_since = ?, clerk_user_id = ? WHERE id = ?",
           (new, reason, tx.now, clerk_id, w["id"]))
    row = tx.one("SELECT * FROM windows WHERE id = ?", (w["id"],))
    assert row is not None
    view = window_state_json(tx, row)
    tx.emit(w["hall_id"], WINDOW_EVENTS[action], {"window": view})
    return view


def _clerk_by_name(tx: Tx, username: Any, hall_id: int) -> int:
    row = tx.one("SELECT id, hall_id FROM users WHERE username = ? AND role = 'clerk' AND active = 1",
                 (str(username),))
    if row is None or (row["hall_id"] is not None and row["hall_id"] != hall_id):
        raise InvalidInput(E.CLERK_NOT_FOUND, f"工作人员不存在 (no clerk {username!r})")
    return int(row["id"])


def window_state_json(tx: Tx, w: Row) -> dict[str, Any]:
    clerk = None
    if w["clerk_user_id"] is not None:
        u = tx.one("SELECT id, username, display_name FROM users WHERE id = ?", (w["clerk_user_id"],))
        if u is not None:
            clerk = {"id": u["id"], "username": u["username"], "display_name": u["display_name"]}
    return {"id": w["id"], "number": w["number"], "name": w["name"], "kind": w["kind"], "area": w["area"],
            "state": w["state"], "pause_reason": w["pause_reason"], "clerk": clerk,
            "current_ticket_id": w["current_ticket_id"]}


# -- the day's close -------------------------------------------------------------------------------------

def close_day(tx: Tx, rules: Rules, *, hall_id: int, through_today: bool, actor: Actor) -> dict[str, Any]:
    """Expire what was never served (kept, never deleted) and sign clerks out of idle windows.

    Automatic at rollover for the days before today; a manager may also close today early."""
    actor.check_hall(hall_id)
    hall = tx.one("SELECT timezone FROM halls WHERE id = ?", (hall_id,))
    if hall is None:
        raise NotFound(E.HALL_NOT_FOUND, f"大厅不存在 (no hall {hall_id})")
    today = service_day_of(tx.now, hall["timezone"], rules)
    op = "<=" if through_today else "<"
    expired = tx.all(f"UPDATE tickets SET status = 'expired', ended_at = ? WHERE hall_id = ? AND service_day {op} ?"
                     " AND status IN ('waiting', 'called', 'parked') RETURNING id, number, service_day",
                     (tx.now, hall_id, today))
    if expired:
        ids = [r["id"] for r in expired]
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            tx.run(f"UPDATE windows SET current_ticket_id = NULL WHERE hall_id = ? AND current_ticket_id IN "
                   f"({', '.join('?' * len(part))})", (hall_id, *part))
    # Windows left open from an earlier day are signed out; a manager's early close signs out all idle ones.
    day_start = dt.datetime.combine(dt.date.fromisoformat(today), rules.rollover,
                                    tzinfo=zone(hall["timezone"])).timestamp()
    closed = tx.all("UPDATE windows SET state = 'closed', pause_reason = NULL, state_since = ?, clerk_user_id = NULL"
                    " WHERE hall_id = ? AND state <> 'closed' AND current_ticket_id IS NULL"
                    " AND (? = 1 OR coalesce(state_since, 0) < ?) RETURNING number",
                    (tx.now, hall_id, through_today, day_start))
    if not expired and not closed:
        return {"expired": 0, "windows_closed": [], "through": today if through_today else None}
    result = {"expired": len(expired), "expired_ids": sorted(r["id"] for r in expired),
              "days": sorted({r["service_day"] for r in expired}),
              "windows_closed": sorted(r["number"] for r in closed),
              "through": today if through_today else None}
    tx.emit(hall_id, Ev.DAY_CLOSED, result)
    return result
