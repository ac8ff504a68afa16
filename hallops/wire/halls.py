"""The shapes of a hall: its layout, its live state (what a screen starts from), the calls it heard, and an
event as clients receive it."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from hallops.domain.events import Ev
from hallops.wire import iso

if TYPE_CHECKING:
    from hallops.storage.db import Event

Row = Mapping[str, Any]
Rows = Sequence[Any]  # rows read by name


def layout_json(hall: Row, depts: Rows, queues: Rows, items: Rows, windows: Rows, wq: Rows) -> dict[str, Any]:
    """A hall's layout: the hall, its departments, queues, service items and windows (with the queues each
    serves, in order)."""
    served = _served(wq)
    h = dict(hall)
    return {
        "hall": {k: h[k] for k in ("id", "code", "name", "name_en", "timezone", "notice", "parent_id", "level")},
        "departments": [dict(r) for r in depts],
        "queues": [{k: r[k] for k in ("id", "prefix", "name", "name_en", "category", "category_en", "kind",
                                      "department", "target_wait_minutes", "daily_cap", "hours",
                                      "avg_service_minutes")} | {"active": bool(r["active"])}
                   for r in queues],
        "service_items": [dict(r) | {"active": bool(r["active"])} for r in items],
        "windows": [dict(r) | {"key_window": bool(r["key_window"]), "active": bool(r["active"]),
                               "queues": served.get(r["id"], [])} for r in windows],
    }


def _served(rows: Rows) -> dict[int, list[str]]:
    served: dict[int, list[str]] = {}
    for r in rows:
        served.setdefault(r["window_id"], []).append(r["prefix"])
    return served


def state_json(hall: Row, day: str, now: float, rows: Mapping[str, Rows]) -> dict[str, Any]:
    """Everything a screen or tablet needs to start from (rows of one snapshot: see storage/halls.py)."""
    wait_by_q = {r["queue_id"]: r for r in rows["waiting"]}
    served = _served(rows["wq"])
    by_status = {r["status"]: r["n"] for r in rows["counts"]}
    return {
        "hall": {"id": hall["id"], "code": hall["code"], "name": hall["name"], "notice": hall["notice"]},
        "seq": hall["event_seq"],
        "service_day": day,
        "now": iso(now),
        "queues": [{
            "id": q["id"], "prefix": q["prefix"], "name": q["name"], "name_en": q["name_en"], "kind": q["kind"],
            "category": q["category"], "target_wait_minutes": q["target_wait_minutes"],
            "waiting": wait_by_q[q["id"]]["n"] if q["id"] in wait_by_q else 0,
            "longest_wait_seconds": round(now - wait_by_q[q["id"]]["oldest"]) if q["id"] in wait_by_q else 0,
        } for q in rows["queues"]],
        "windows": [{
            "id": w["id"], "number": w["number"], "name": w["name"], "name_en": w["name_en"], "kind": w["kind"],
            "scope": w["scope"], "area": w["area"], "key_window": bool(w["key_window"]), "state": w["state"],
            "pause_reason": w["pause_reason"], "state_since": iso(w["state_since"]),
            "clerk": {"id": w["clerk_id"], "display_name": w["clerk_name"]} if w["clerk_id"] else None,
            "queues": served.get(w["id"], []),
            "current": {"id": w["t_id"], "number": w["t_number"], "status": w["t_status"],
                        "called_at": iso(w["t_called_at"]), "started_at": iso(w["t_started_at"]),
                        "recall_count": w["t_recalls"]} if w["t_id"] else None,
        } for w in rows["windows"]],
        "latest_calls": [call_json(c["type"], c["at"], json.loads(c["payload"])) for c in rows["calls"]],
        "today": {
            "issued": sum(by_status.values()),
            "waiting": by_status.get("waiting", 0),
            "served": by_status.get("done", 0),
            "no_show": by_status.get("no_show", 0),
            "by_status": by_status,
        },
    }


def call_json(type_: str, at: float, p: dict[str, Any]) -> dict[str, Any]:
    t, w = p["ticket"], p.get("window") or {}
    return {"ticket_id": t["id"], "number": t["number"], "queue": t["queue"], "window": w.get("number"),
            "window_id": w.get("id"), "window_name": w.get("name"), "area": w.get("area"), "called_at": iso(at),
            "recall_count": t.get("recall_count", 0),
            "kind": "recall" if type_ == Ev.TICKET_RECALLED else p.get("reason", "call")}


def event_json(ev: Event) -> dict[str, Any]:
    """The wire form of a committed event, the same as `events_after` gives."""
    return {"seq": ev.seq, "type": ev.type, "at": iso(ev.at), "payload": ev.payload, "hall_id": ev.hall_id}
