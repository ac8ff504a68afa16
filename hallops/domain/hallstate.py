"""The hall's state as screens show it, folded from its events: the one reference every client follows.

A state has the shape of `GET /api/v1/halls/{hall}/state` (queues with waiting counts and longest wait,
windows with their state, clerk and current ticket, the latest calls, today's counters, the sequence number),
plus one field per queue the snapshot leaves implicit: `oldest_at`, when its oldest waiting ticket was issued
(`adopt` fills it in from a snapshot). `fold(state, event)` applies one wire event (`{"seq", "type", "at",
"payload"}`) and returns the new state; the input is left as it was. Nothing here reads a clock: the longest
wait follows the event's time, and `at(state, now)` moves it to any other moment.

Events carry what a screen cannot know by itself (hallops/storage/tickets.py): those that take a ticket out of
a waiting line or put one back (call, cancel, transfer, the day's close) carry the lines' new counts
(`payload.queues`), ticket events carry the status the ticket left (`payload.was`) where it is not implied by
their type, and the day's close carries today's counters. So no client re-derives a count and nothing drifts.

displays/static/hallstate.js is this module in JavaScript, one handler per event type in the same order;
tests/browser/test_state_agreement.py replays a recorded busy day through both and against the server.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from typing import Any

State = dict[str, Any]
Event = dict[str, Any]

RECENT_CALLS = 12  # as many as the snapshot lists
CALL_TYPES = frozenset({"ticket.called", "ticket.recalled"})
# Events a fold cannot apply: the hall's layout changed (windows, queues, names, the notice): take a snapshot.
SNAPSHOT_TYPES = frozenset({"layout.changed"})


def parse_time(iso: str) -> float:
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def needs_snapshot(event: Event) -> bool:
    return event["type"] in SNAPSHOT_TYPES


def adopt(snapshot: State) -> State:
    """A snapshot as a fold's starting point: a copy, with each queue's `oldest_at` filled in."""
    state = copy.deepcopy(snapshot)
    now = parse_time(state["now"])
    for q in state["queues"]:
        if "oldest_at" not in q:
            q["oldest_at"] = iso(now - q["longest_wait_seconds"]) if q["waiting"] else None
    return state


def at(state: State, now: float) -> State:
    """The same state seen at `now`: the longest waits move on."""
    out = copy.deepcopy(state)
    _set_now(out, now)
    return out


def fold(state: State, event: Event) -> State:
    """The state after `event` (the next in sequence)."""
    out = copy.deepcopy(state)
    fold_into(out, event)
    return out


def fold_into(state: State, event: Event) -> None:
    """`fold`, changing `state` itself: for a holder that owns its state (the district board keeps one per
    centre and folds every event of the district)."""
    handler = HANDLERS.get(event["type"])
    if handler is not None:
        handler(state, event["payload"] or {}, event["at"])
    state["seq"] = event["seq"]
    _set_now(state, parse_time(event["at"]))


def call_of(event: Event) -> dict[str, Any] | None:
    """The entry a call event adds to `latest_calls` (the shape the snapshot lists), or None."""
    if event["type"] not in CALL_TYPES:
        return None
    p = event["payload"]
    t, w = p["ticket"], p.get("window") or {}
    return {"ticket_id": t["id"], "number": t["number"], "queue": t["queue"], "window": w.get("number"),
            "window_id": w.get("id"), "window_name": w.get("name"), "area": w.get("area"), "called_at": event["at"],
            "recall_count": t.get("recall_count", 0),
            "kind": "recall" if event["type"] == "ticket.recalled" else p.get("reason", "call")}


# -- the parts of a state --------------------------------------------------------------------------------------

def _set_now(state: State, now: float) -> None:
    state["now"] = iso(now)
    for q in state["queues"]:
        q["longest_wait_seconds"] = round(now - parse_time(q["oldest_at"])) if q["waiting"] and q["oldest_at"] else 0


def _queue(state: State, ticket: dict[str, Any]) -> dict[str, Any] | None:
    qid, prefix = ticket.get("queue_id"), ticket.get("queue")
    return next((q for q in state["queues"] if q["id"] == qid or (qid is None and q["prefix"] == prefix)), None)


def _window(state: State, window_id: int | None) -> dict[str, Any] | None:
    return next((w for w in state["windows"] if w["id"] == window_id), None) if window_id is not None else None


def _lines(state: State, p: dict[str, Any]) -> None:
    """The waiting lines the event says it changed, as they are now."""
    for part in p.get("queues") or []:
        q = next((q for q in state["queues"] if q["id"] == part["id"]), None)
        if q is not None:
            q["waiting"], q["oldest_at"] = part["waiting"], part["oldest_at"]


def _count(state: State, was: str | None, now: str | None) -> None:
    """Today's counters: one ticket moved from status `was` to `now` (None: not counted there)."""
    by = state["today"]["by_status"]
    if was is not None:
        by[was] = by.get(was, 0) - 1
        if by[was] <= 0:
            del by[was]
    if now is not None:
        by[now] = by.get(now, 0) + 1
    _totals(state)


def _totals(state: State) -> None:
    today = state["today"]
    by = today["by_status"]
    today.update(issued=sum(by.values()), waiting=by.get("waiting", 0), served=by.get("done", 0),
                 no_show=by.get("no_show", 0))


def _new_day(state: State, day: str | None) -> None:
    """A ticket or a close of a later service day: today's counters and the day's calls start afresh."""
    if day and day != state.get("service_day"):
        state["service_day"] = day
        state["today"]["by_status"] = {}
        state["latest_calls"] = []
        _totals(state)


def _leave_window(state: State, p: dict[str, Any]) -> None:
    """The ticket is no longer its window's current one (parked, finished, missed, moved, cancelled)."""
    t = p["ticket"]
    w = _window(state, (p.get("window") or {}).get("id") or t.get("window_id"))
    if w is not None and w["current"] is not None and w["current"]["id"] == t["id"]:
        w["current"] = None


# -- one handler per event type --------------------------------------------------------------------------------

def _issued(state: State, p: dict[str, Any], at: str) -> None:
    _new_day(state, p.get("service_day"))
    q = _queue(state, p["ticket"])
    if q is not None:
        q["waiting"] += 1
        q["oldest_at"] = q["oldest_at"] or at
    _count(state, None, "waiting")


def _called(state: State, p: dict[str, Any], at: str) -> None:
    t = p["ticket"]
    _lines(state, p)
    w = _window(state, (p.get("window") or {}).get("id"))
    if w is not None:
        w["current"] = {"id": t["id"], "number": t["number"], "status": "called", "called_at": at,
                        "started_at": p.get("started_at"), "recall_count": t.get("recall_count", 0)}
    _count(state, "parked" if p.get("reason") == "call_back" else "waiting", "called")
    _heard(state, p, at, "ticket.called")


def _recalled(state: State, p: dict[str, Any], at: str) -> None:
    t = p["ticket"]
    w = _window(state, (p.get("window") or {}).get("id"))
    if w is not None and w["current"] is not None and w["current"]["id"] == t["id"]:
        w["current"].update(called_at=at, recall_count=t.get("recall_count", 0))
    _heard(state, p, at, "ticket.recalled")


def _heard(state: State, p: dict[str, Any], at: str, type_: str) -> None:
    call = call_of({"type": type_, "at": at, "payload": p})
    state["latest_calls"] = [call, *state["latest_calls"]][:RECENT_CALLS]


def _started(state: State, p: dict[str, Any], at: str) -> None:
    t = p["ticket"]
    w = _window(state, (p.get("window") or {}).get("id") or t.get("window_id"))
    if w is not None and w["current"] is not None and w["current"]["id"] == t["id"]:
        w["current"].update(status="serving", started_at=at)
    _count(state, "called", "serving")


def _ended(was: str | None, now: str) -> Callable[[State, dict[str, Any], str], None]:
    """Parked, finished, missed, cancelled, moved on: off the window; counted from what it was to what it is."""
    def handler(state: State, p: dict[str, Any], at: str) -> None:
        _leave_window(state, p)
        _lines(state, p)
        _count(state, p.get("was") or was, now)
    return handler


def _window_changed(state: State, p: dict[str, Any], at: str) -> None:
    ev_w = p["window"]
    w = _window(state, ev_w["id"])
    if w is not None:
        clerk = ev_w.get("clerk")
        w.update(state=ev_w["state"], pause_reason=ev_w.get("pause_reason"), state_since=at,
                 clerk={"id": clerk["id"], "display_name": clerk["display_name"]} if clerk else None)


def _day_closed(state: State, p: dict[str, Any], at: str) -> None:
    expired = set(p.get("expired_ids") or [])
    closed = set(p.get("windows_closed") or [])
    for w in state["windows"]:
        if w["current"] is not None and w["current"]["id"] in expired:
            w["current"] = None
        if w["number"] in closed:
            w.update(state="closed", pause_reason=None, state_since=at, clerk=None)
    _lines(state, p)
    _new_day(state, p.get("service_day"))
    if "today" in p:
        state["today"]["by_status"] = dict(p["today"])
        _totals(state)


HANDLERS: dict[str, Callable[[State, dict[str, Any], str], None]] = {
    "ticket.issued": _issued,
    "ticket.called": _called,
    "ticket.recalled": _recalled,
    "ticket.started": _started,
    "ticket.parked": _ended("serving", "parked"),
    "ticket.finished": _ended("serving", "done"),
    "ticket.no_show": _ended("called", "no_show"),
    "ticket.cancelled": _ended("waiting", "cancelled"),
    "ticket.transferred": _ended("waiting", "waiting"),
    "ticket.expired": _ended("waiting", "expired"),
    "day.closed": _day_closed,
    "window.opened": _window_changed,
    "window.paused": _window_changed,
    "window.resumed": _window_changed,
    "window.closed": _window_changed,
}
