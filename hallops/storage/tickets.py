"""Write jobs for the life of a ticket and of a window, and `TicketStore`, the port the use cases call.

Each job runs inside one transaction (see db.py): the rows are loaded, the domain's rules checked against them
(hallops/domain/windows.py, transfers.py, ticket_access.py, no_show.py), the change and its event commit
together or not at all."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any

from hallops.domain.actors import Actor
from hallops.domain.errors import Conflict, E, InvalidInput, NotFound
from hallops.domain.estimate import ServiceStats, estimate_from_stats, service_stats
from hallops.domain.events import Ev
from hallops.domain.model import Channel, Priority, TicketStatus, WindowState
from hallops.domain.no_show import AutoNoShow
from hallops.domain.numbering import IssuingHours, format_number
from hallops.domain.policy import APPOINTMENT_BIT, BOOST_CLASSES, Candidate, PolicyParams, boost_class, choose_next
from hallops.domain.ticket_access import check_off_window, stands_at_window
from hallops.domain.tickets import Action, check_recall, next_status
from hallops.domain.transfers import place, transfer_request
from hallops.domain.windows import (
    WindowAction,
    WindowLoad,
    check_window_actor,
    clerk_on_open,
    next_window_state,
    pause_reason,
    require_clerk_free,
    require_closable,
    require_idle,
    require_may_call_back,
    require_open_for_calls,
)
from hallops.storage import bundles
from hallops.storage.db import Database, Row, Tx
from hallops.storage.halls import WAITING_N, WAITING_OLDEST
from hallops.storage.rules import Rules, service_day_of, zone
from hallops.storage.views import (
    TICKET_COLUMNS,
    TICKET_FROM,
    ahead_args,
    ahead_sql,
    ends_sql,
    iso,
    line_ends,
    ticket_brief,
    ticket_json,
    window_brief,
)
from hallops.wire import tickets as wire
from hallops.wire.tickets import history_json, status_json

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


def _queue_and_place(tx: Tx, hall_id: int, ref: str | int, bclass: int, sort_at: float,
                     params: PolicyParams) -> Row:
    """find_queue's row and, in the same statement (one fewer per ticket issued), `ahead`: how many of the
    queue's line will stand before a ticket about to be issued into it with this boost class and key.

    Counted from the end as ahead_sql(from_end=True) counts it once the ticket is in: the line's length
    (waiting_lines, kept by triggers) less, per class, those whose key is past the new one. The new ticket will
    have the highest id, so every waiting ticket with an equal key stands before it."""
    own = params.class_boost(bclass)
    lims = {f"lim{c}": sort_at + (params.class_boost(c) - own) if c != bclass else sort_at for c in BOOST_CLASSES}
    by_id = isinstance(ref, int)
    row = tx.one(_QUEUE_AND_PLACE[by_id], {"ref": ref if by_id else str(ref).upper(), "hall": hall_id, **lims})
    return row if row is not None else find_queue(tx, hall_id, ref)  # find_queue says which is missing


def _queue_and_place_sql(col: str) -> str:
    behind = " - ".join(f"(SELECT count(*) FROM tickets WHERE queue_id = q.id AND status = 'waiting' "
                        f"AND target_window_id IS NULL AND boost_class = {c} AND sort_at > :lim{c})"
                        for c in BOOST_CLASSES)
    return (f"SELECT q.*, h.timezone, (SELECT coalesce(sum(n), 0) FROM waiting_lines WHERE queue_id = q.id "
            f"AND target_window_id = 0) - {behind} AS ahead FROM queues q JOIN halls h ON h.id = q.hall_id "
            f"WHERE {col} = :ref AND q.hall_id = :hall AND q.active = 1")


_QUEUE_AND_PLACE = {True: _queue_and_place_sql("q.id"), False: _queue_and_place_sql("q.prefix")}


def people_ahead(tx: Tx, t: Row, params: PolicyParams) -> int:
    """Waiting tickets placed before `t` in its queue (or at the window it was transferred to)."""
    if t["status"] != S.WAITING:
        return 0
    row = tx.one(ahead_sql(t["target_window_id"] is not None), ahead_args(params, t))
    assert row is not None
    return int(row[0])


def _event_ticket(tx: Tx, ticket_id: int, type_: str, **extra: Any) -> dict[str, Any]:
    row = load_ticket(tx, ticket_id)
    if type_ in _QUEUE_CHANGES:  # the lines it changed, as screens show them (hallops/domain/hallstate.py)
        moved_from = [extra["from"]["queue_id"]] if "from" in extra else []
        extra["queues"] = queue_parts(tx, row["hall_id"], row["queue_id"], *moved_from)
    tx.emit(row["hall_id"], type_, {"ticket": ticket_brief(row), **extra})
    return ticket_json(row)


# Events that take a ticket out of a waiting line (or put one back) carry the lines' new waiting counts.
_QUEUE_CHANGES = frozenset({Ev.TICKET_CALLED, Ev.TICKET_CANCELLED, Ev.TICKET_TRANSFERRED})


def queue_parts(tx: Tx, hall_id: int, *queue_ids: int) -> list[dict[str, Any]]:
    """The waiting count and oldest waiting ticket of these queues: what an event that changed them carries.
    From the counters the triggers keep and one index probe per queue, as the hall's state reads them
    (storage/halls.py): a long line costs no more."""
    ids = list(dict.fromkeys(queue_ids))
    if not ids:
        return []
    marks = ", ".join(f":q{i}" for i in range(len(ids)))
    rows = {r["queue_id"]: r for r in tx.all(
        f"SELECT w.queue_id, w.n, {WAITING_OLDEST} AS oldest FROM (SELECT q.id AS queue_id, {WAITING_N} AS n "
        f"FROM queues q WHERE q.hall_id = :hall AND q.id IN ({marks})) AS w WHERE w.n > 0",
        {"hall": hall_id, **{f"q{i}": q for i, q in enumerate(ids)}})}
    return [{"id": q, "waiting": int(rows[q]["n"]) if q in rows else 0,
             "oldest_at": iso(rows[q]["oldest"]) if q in rows else None} for q in ids]


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
    sort_at = appointment_at if appointment_at is not None else tx.now
    bclass = boost_class(priority, appointment_at is not None)
    q = _queue_and_place(tx, hall_id, queue, bclass, sort_at, rules.policy)
    local = dt.datetime.fromtimestamp(tx.now, zone(q["timezone"]))
    if not IssuingHours.parse(q["hours"]).contains(local.time()):
        raise Conflict(E.OUTSIDE_HOURS, f"当前不在取号时间（{q['hours']}）(not issuing now; hours {q['hours']})",
                       hours=q["hours"])
    day = service_day_of(tx.now, q["timezone"], rules)
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
        # A number taken inserts nothing (and fires no trigger), so no savepoint is needed to undo it.
        inserted = tx.one(
            "INSERT INTO tickets (hall_id, service_day, number, serial, origin_queue_id, queue_id, token,"
            " channel, priority, boost_class, status, issued_at, sort_at, appointment_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (hall_id, service_day, number) DO NOTHING RETURNING id",
            (hall_id, day, number, serial, q["id"], q["id"], token, channel.value, priority.value, bclass,
             S.WAITING.value, tx.now, sort_at, appointment_at))
        if inserted is not None:
            ticket_id = int(inserted[0])
            break
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
    ahead = int(q["ahead"])  # counted before the insert, in the same transaction: the line is the same
    tx.emit(hall_id, Ev.TICKET_ISSUED, {"ticket": ticket_brief(new), "people_ahead": ahead, "service_day": day})
    return ticket_json(new) | {"people_ahead": ahead}, True


# -- calling ---------------------------------------------------------------------------------------------

def _current_number(tx: Tx, w: Row) -> str | None:
    if w["current_ticket_id"] is None:
        return None
    cur = tx.one("SELECT number FROM tickets WHERE id = ?", (w["current_ticket_id"],))
    return cur["number"] if cur else None


def _require_idle(tx: Tx, w: Row) -> None:
    require_idle(w["current_ticket_id"], _current_number(tx, w))


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
    check_window_actor(actor, w["id"], w["clerk_user_id"])
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
    if stands_at_window(status, t["window_id"]):
        w = load_window(tx, t["window_id"], actor)
        check_window_actor(actor, w["id"], w["clerk_user_id"])
    else:
        check_off_window(actor, status, action)
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
        require_may_call_back(WindowState(w["state"]))
        _require_idle(tx, w)
        tx.run("UPDATE tickets SET status = ?, called_at = ?, recall_count = 0 WHERE id = ?", (new, now, t["id"]))
        tx.run("UPDATE windows SET current_ticket_id = ? WHERE id = ?", (t["id"], wid))
        return _event_ticket(tx, t["id"], Ev.TICKET_CALLED, window=window_brief(w), reason="call_back",
                             started_at=iso(t["started_at"]))  # served before it was parked
    elif action is Action.FINISH:
        items = _resolve_items(tx, t["hall_id"], body.get("items") or [])
        tx.many("INSERT INTO ticket_items (ticket_id, item_id, window_id, at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", [(t["id"], i, wid, now) for i in items])
        onward = bundles.advance(tx, t["id"])  # 一件事一次办: on to the bundle's next stop, with its number
        if onward is not None:
            extra = _transfer(tx, rules, t, w, {"queue": onward["queue_id"], "placement": "issue_time"})
            return _event_ticket(tx, t["id"], Ev.TICKET_TRANSFERRED, was=status.value, items=items, bundle=onward,
                                 **extra, **({"window": window_brief(w)} if w is not None else {}))
        tx.run("UPDATE tickets SET status = ?, ended_at = ? WHERE id = ?", (new, now, t["id"]))
        tx.run("UPDATE windows SET current_ticket_id = NULL WHERE id = ? AND current_ticket_id = ?",
               (wid, t["id"]))
        extra["items"] = items
        if t["started_at"] is not None:  # what the phones' wait estimates learn from (domain/lines.py)
            extra["service_seconds"] = now - t["started_at"]
    elif action in (Action.NO_SHOW, Action.CANCEL):
        _end(tx, t["id"], new, wid)
    elif action is Action.TRANSFER:
        extra = _transfer(tx, rules, t, w, body)
    else:  # pragma: no cover - every action is handled above
        raise AssertionError(action)
    type_ = {Action.START: Ev.TICKET_STARTED, Action.PARK: Ev.TICKET_PARKED, Action.FINISH: Ev.TICKET_FINISHED,
             Action.NO_SHOW: Ev.TICKET_NO_SHOW, Action.CANCEL: Ev.TICKET_CANCELLED,
             Action.TRANSFER: Ev.TICKET_TRANSFERRED}[action]
    if w is not None:
        extra.setdefault("window", window_brief(w))
    return _event_ticket(tx, t["id"], type_, was=status.value, **extra)


def _end(tx: Tx, ticket_id: int, status: TicketStatus, window_id: int | None) -> None:
    tx.run("UPDATE tickets SET status = ?, ended_at = ? WHERE id = ?", (status, tx.now, ticket_id))
    if window_id is not None:
        tx.run("UPDATE windows SET current_ticket_id = NULL WHERE id = ? AND current_ticket_id = ?",
               (window_id, ticket_id))


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
    req = transfer_request(body)
    queue_ref, window_ref, placement = req.queue, req.window, req.placement
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
    row = tx.one(ends_sql(target_w is not None),
                 {"q": queue_id, "tw": target_w["id"] if target_w is not None else None})
    assert row is not None
    first, last = line_ends(params, row)
    sort_at = place(placement, now=tx.now, issued_at=t["issued_at"], boost=boost, first=first, last=last)
    tx.run("UPDATE tickets SET status = 'waiting', queue_id = ?, target_window_id = ?, sort_at = ?, window_id = NULL,"
           " clerk_user_id = NULL, called_at = NULL, started_at = NULL, recall_count = 0,"
           " transfer_count = transfer_count + 1 WHERE id = ?",
           (queue_id, target_w["id"] if target_w else None, sort_at, t["id"]))
    if w is not None:
        tx.run("UPDATE windows SET current_ticket_id = NULL WHERE id = ? AND current_ticket_id = ?",
               (w["id"], t["id"]))
    return {"from": {"queue": t["queue_prefix"], "window": t["window_number"], "queue_id": t["queue_id"]},
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
        named = body.get("clerk") if actor.is_supervisor else None
        clerk_id = clerk_on_open(actor, w["id"], _clerk_by_name(tx, named, w["hall_id"]) if named else None)
    else:
        check_window_actor(actor, w["id"], w["clerk_user_id"])
    new = next_window_state(WindowState(w["state"]), action)
    if action is WindowAction.OPEN and clerk_id is not None:
        elsewhere = tx.one("SELECT number FROM windows WHERE clerk_user_id = ? AND id <> ?", (clerk_id, w["id"]))
        require_clerk_free(elsewhere["number"] if elsewhere is not None else None)
    reason = pause_reason(body.get("reason")) if action is WindowAction.PAUSE else None
    if action is WindowAction.CLOSE:
        require_closable(_window_load(tx, w))
        clerk_id = None
    tx.run("UPDATE windows SET state = ?, pause_reason = ?, state_since = ?, clerk_user_id = ? WHERE id = ?",
           (new, reason, tx.now, clerk_id, w["id"]))
    row = tx.one("SELECT * FROM windows WHERE id = ?", (w["id"],))
    assert row is not None
    view = window_state_json(tx, row)
    tx.emit(w["hall_id"], WINDOW_EVENTS[action], {"window": view})
    return view


def _window_load(tx: Tx, w: Row) -> WindowLoad:
    parked = tx.one("SELECT number FROM tickets WHERE window_id = ? AND status = 'parked'", (w["id"],))
    held = tx.one("SELECT count(*), min(number) FROM tickets WHERE target_window_id = ? AND status = 'waiting'",
                  (w["id"],))
    return WindowLoad(current_ticket_id=w["current_ticket_id"], current_number=_current_number(tx, w),
                      parked_number=parked["number"] if parked is not None else None,
                      held=int(held[0]) if held is not None else 0, held_first=held[1] if held is not None else None)


def _clerk_by_name(tx: Tx, username: Any, hall_id: int) -> int:
    row = tx.one("SELECT id, hall_id FROM users WHERE username = ? AND role = 'clerk' AND active = 1",
                 (str(username),))
    if row is None or (row["hall_id"] is not None and row["hall_id"] != hall_id):
        raise InvalidInput(E.CLERK_NOT_FOUND, f"工作人员不存在 (no clerk {username!r})")
    return int(row["id"])


def window_state_json(tx: Tx, w: Row) -> dict[str, Any]:
    clerk = None
    if w["clerk_user_id"] is not None:
        clerk = tx.one("SELECT id, username, display_name FROM users WHERE id = ?", (w["clerk_user_id"],))
    return wire.window_state_json(w, clerk)


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
                    (tx.now, hall_id, int(through_today), day_start))  # an int: PostgreSQL has no bool = int
    if not expired and not closed:
        return {"expired": 0, "windows_closed": [], "through": today if through_today else None}
    result = {"expired": len(expired), "expired_ids": sorted(r["id"] for r in expired),
              "days": sorted({r["service_day"] for r in expired}),
              "windows_closed": sorted(r["number"] for r in closed),
              "through": today if through_today else None,
              # What screens show that the close changed (hallops/domain/hallstate.py applies it).
              "service_day": today,
              "queues": queue_parts(tx, hall_id, *[r[0] for r in tx.all("SELECT id FROM queues WHERE hall_id = ?",
                                                                        (hall_id,))]),
              "today": {r[0]: int(r[1]) for r in tx.all("SELECT status, count(*) FROM tickets WHERE hall_id = ?"
                                                        " AND service_day = ? GROUP BY status", (hall_id, today))}}
    tx.emit(hall_id, Ev.DAY_CLOSED, result)
    return result


# -- auto-no-show ----------------------------------------------------------------------------------------

# Tickets called to a window, with their hall's auto-no-show setting: few rows (one per window at most).
_AT_WINDOWS = ("SELECT t.id, t.status, t.recall_count, t.called_at, s.no_show_after_recalls_seconds AS seconds "
               "FROM windows w JOIN tickets t ON t.id = w.current_ticket_id "
               "JOIN citizen_settings s ON s.hall_id = w.hall_id "
               "WHERE t.status = 'called' AND t.recall_count >= ? AND s.no_show_after_recalls_seconds > 0")


def _due(rows: list[Row], recall_limit: int, now: float) -> list[int]:
    return [int(r["id"]) for r in rows
            if AutoNoShow(recall_limit, int(r["seconds"])).is_due(S(r["status"]), int(r["recall_count"]),
                                                                 r["called_at"], now)]


def auto_no_show(tx: Tx, rules: Rules) -> list[dict[str, Any]]:
    """Mark no-show every called ticket whose hall's time after the last recall ran out (domain/no_show.py);
    each raises ticket.no_show with "auto": true."""
    out = []
    for ticket_id in _due(tx.all(_AT_WINDOWS, (rules.recall_limit,)), rules.recall_limit, tx.now):
        t = load_ticket(tx, ticket_id)
        w = tx.one("SELECT * FROM windows WHERE id = ?", (t["window_id"],))
        _end(tx, ticket_id, S.NO_SHOW, t["window_id"])
        out.append(_event_ticket(tx, ticket_id, Ev.TICKET_NO_SHOW,
                                 window=window_brief(w) if w is not None else None, auto=True))
    return out


# -- the port --------------------------------------------------------------------------------------------

class TicketStore:
    """The tickets' and windows' port: whole write jobs and snapshot reads, returning plain values."""

    def __init__(self, db: Database, rules: Rules) -> None:
        self.db = db
        self.rules = rules
        # Windows and tickets never move to another hall: their hall, once read, is known for good.
        self._window_hall: dict[int, int | None] = {}
        self._ticket_hall: dict[int, int | None] = {}

    async def _hall_of(self, cache: dict[int, int | None], sql: str, key: int) -> int | None:
        if not self.db.orders_by_hall:
            return None  # one writer (SQLite): no need to read it
        if key not in cache:
            row = await self.db.one(sql, (key,))
            if len(cache) > 100_000:
                cache.clear()
            cache[key] = int(row[0]) if row else None  # unknown: the job itself says not found
        return cache[key]

    async def _window_hall_of(self, window_id: int) -> int | None:
        return await self._hall_of(self._window_hall, "SELECT hall_id FROM windows WHERE id = ?", window_id)

    async def _ticket_hall_of(self, ticket_id: int) -> int | None:
        return await self._hall_of(self._ticket_hall, "SELECT hall_id FROM tickets WHERE id = ?", ticket_id)

    async def issue(self, *, hall_id: int, queue: str | int, channel: Channel, priority: Priority, actor: Actor,
                    appointment_at: float | None = None, idempotency: tuple[str, str, str] | None = None,
                    bundle_id: int | None = None) -> tuple[dict[str, Any], bool]:
        """Issue a ticket; one of a bundle (一件事) is marked as the bundle's in the same transaction."""
        def job(tx: Tx) -> tuple[dict[str, Any], bool]:
            ticket, created = issue_ticket(tx, self.rules, hall_id=hall_id, queue=queue, channel=channel,
                                           priority=priority, appointment_at=appointment_at, actor=actor,
                                           idempotency=idempotency)
            if created and bundle_id is not None:
                bundles.attach(tx, int(ticket["id"]), bundle_id)
            return ticket, created
        return await self.db.write(job, hall=hall_id)

    async def call_next(self, window_id: int, actor: Actor) -> dict[str, Any] | None:
        return await self.db.write(lambda tx: call_next(tx, self.rules, window_id=window_id, actor=actor),
                                   hall=await self._window_hall_of(window_id))

    async def act(self, ticket_id: int, action: Action, actor: Actor, body: dict[str, Any]) -> dict[str, Any]:
        return await self.db.write(lambda tx: ticket_action(
            tx, self.rules, ticket_id=ticket_id, action=action, actor=actor, body=body),
            hall=await self._ticket_hall_of(ticket_id))

    async def window_act(self, window_id: int, action: WindowAction, actor: Actor,
                         body: dict[str, Any]) -> dict[str, Any]:
        return await self.db.write(lambda tx: window_action(
            tx, window_id=window_id, action=action, actor=actor, body=body),
            hall=await self._window_hall_of(window_id))

    async def close_day(self, hall_id: int, *, through_today: bool, actor: Actor) -> dict[str, Any]:
        return await self.db.write(lambda tx: close_day(
            tx, self.rules, hall_id=hall_id, through_today=through_today, actor=actor), hall=hall_id)

    async def auto_no_show(self) -> list[dict[str, Any]]:
        """Look first (a cheap read, every few seconds), write only when a ticket is due."""
        if not self.rules.recall_limit:
            return []
        rows = await self.db.all(_AT_WINDOWS, (self.rules.recall_limit,))
        if not _due(rows, self.rules.recall_limit, self.db.clock()):
            return []
        return await self.db.write(lambda tx: auto_no_show(tx, self.rules))

    # -- reads ---------------------------------------------------------------------------------------------

    async def ticket(self, ticket_id: int) -> tuple[int, dict[str, Any]] | None:
        """(hall id, the ticket with its items and history), or None."""
        async with self.db.snapshot() as r:
            row = await r.one(f"SELECT {TICKET_COLUMNS} FROM {TICKET_FROM} WHERE t.id = ?", (ticket_id,))
            if row is None:
                return None
            items = await r.all("SELECT i.id, i.code, i.name FROM ticket_items ti JOIN service_items i "
                                "ON i.id = ti.item_id WHERE ti.ticket_id = ? ORDER BY ti.at", (ticket_id,))
            history = await r.all("SELECT seq, type, at, payload FROM events WHERE ticket_id = ? AND hall_id = ? "
                                  "ORDER BY seq", (ticket_id, row["hall_id"]))
        out = ticket_json(row)
        out["items"] = [dict(i) for i in items]
        out["history"] = [history_json(h["seq"], h["type"], h["at"], json.loads(h["payload"])) for h in history]
        return int(row["hall_id"]), out

    async def history(self, hall_id: int, ticket_id: int) -> list[dict[str, Any]]:
        rows = await self.db.all("SELECT seq, type, at, payload FROM events WHERE ticket_id = ? AND hall_id = ? "
                                 "ORDER BY seq", (ticket_id, hall_id))
        return [history_json(r["seq"], r["type"], r["at"], json.loads(r["payload"])) for r in rows]

    async def status(self, token: str) -> dict[str, Any] | None:
        """The public view of one ticket, by its unguessable token; None when there is none."""
        async with self.db.snapshot() as r:
            row = await r.one(f"SELECT {TICKET_COLUMNS}, q.avg_service_minutes FROM {TICKET_FROM} "
                              "WHERE t.token = ?", (token,))
            if row is None:
                return None
            ahead, estimate = 0, None
            if row["status"] == S.WAITING:
                n = await r.one(ahead_sql(row["target_window_id"] is not None), ahead_args(self.rules.policy, row))
                ahead = int(n[0]) if n else 0
                svc = service_stats([float(x[0]) for x in await r.all(_RECENT_SERVICE,
                                    (row["queue_id"], self.db.clock() - 7200))], float(row["avg_service_minutes"]))
                wins = await r.one("SELECT count(*) FROM windows w JOIN window_queues wq ON wq.window_id = w.id "
                                   "WHERE wq.queue_id = ? AND w.state = 'open' AND w.active = 1", (row["queue_id"],))
                rng = estimate_from_stats(ahead, svc, int(wins[0]) if wins else 0)
                estimate = {"low_minutes": rng.low, "high_minutes": rng.high}
        return status_json(row, ahead, estimate)

    async def recent_service_stats(self, queue_id: int, default: float) -> ServiceStats:
        """Service times of the last two hours in this queue, leaning on the typical time when few."""
        rows = await self.db.all(_RECENT_SERVICE, (queue_id, self.db.clock() - 7200))
        return service_stats([float(r[0]) for r in rows], float(default))


_RECENT_SERVICE = ("SELECT (ended_at - started_at) / 60.0 FROM tickets WHERE queue_id = ? AND status = 'done' "
                   "AND started_at IS NOT NULL AND ended_at > ? ORDER BY ended_at DESC LIMIT 200")
