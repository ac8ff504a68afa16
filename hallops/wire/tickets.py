"""The shapes of a ticket and a window: in API responses (`ticket_json`, `status_json`, `window_state_json`,
`history_json`) and in event payloads (`ticket_brief`, `window_brief`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hallops.wire import iso

Row = Mapping[str, Any]  # a row read by name, or a dict of its columns


def ticket_json(r: Row, *, with_token: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": r["id"],
        "hall_id": r["hall_id"],
        "number": r["number"],
        "queue": r["queue_prefix"],
        "queue_id": r["queue_id"],
        "queue_name": r["queue_name"],
        "queue_name_en": r["queue_name_en"],
        "status": r["status"],
        "channel": r["channel"],
        "priority": r["priority"],
        "service_day": r["service_day"],
        "issued_at": iso(r["issued_at"]),
        "appointment_at": iso(r["appointment_at"]),
        "called_at": iso(r["called_at"]),
        "started_at": iso(r["started_at"]),
        "ended_at": iso(r["ended_at"]),
        "window_id": r["window_id"],
        "window": r["window_number"],
        "window_name": r["window_name"],
        "target_window_id": r["target_window_id"],
        "recall_count": r["recall_count"],
        "transfer_count": r["transfer_count"],
        "park_count": r["park_count"],
    }
    if with_token:
        out["token"] = r["token"]
    return out


def ticket_brief(r: Row) -> dict[str, Any]:
    """What an event carries of a ticket: enough for a screen, nothing secret (no token)."""
    return {
        "id": r["id"],
        "number": r["number"],
        "queue": r["queue_prefix"],
        "queue_id": r["queue_id"],
        "status": r["status"],
        "priority": r["priority"],
        "channel": r["channel"],
        "window": r["window_number"],
        "window_id": r["window_id"],
        "recall_count": r["recall_count"],
        # Its place in the waiting lines: what a phone's position is computed from without a read
        # (hallops/domain/lines.py). Times are epoch seconds, exactly as stored, so the order is the database's.
        "line": {"sort_at": r["sort_at"], "boost_class": r["boost_class"], "target_window_id": r["target_window_id"]},
    }


def window_brief(r: Row) -> dict[str, Any]:
    return {"id": r["id"], "number": r["number"], "name": r["name"], "name_en": r["name_en"], "area": r["area"]}


def window_state_json(w: Row, clerk: Row | None) -> dict[str, Any]:
    """A window after a change of its state; `clerk` is the signed-in user's row (id, username, display_name)."""
    return {"id": w["id"], "number": w["number"], "name": w["name"], "kind": w["kind"], "area": w["area"],
            "state": w["state"], "pause_reason": w["pause_reason"],
            "clerk": {"id": clerk["id"], "username": clerk["username"], "display_name": clerk["display_name"]}
            if clerk is not None else None,
            "current_ticket_id": w["current_ticket_id"]}


def history_json(seq: int, type_: str, at: float, p: dict[str, Any]) -> dict[str, Any]:
    return {"seq": seq, "type": type_, "at": iso(at), "window": (p.get("window") or {}).get("number"),
            "status": p["ticket"]["status"], **({"from": p["from"], "to": p["to"]} if "from" in p else {})}


def status_json(row: Row, ahead: int, estimate: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "number": row["number"], "status": row["status"], "queue": row["queue_prefix"],
        "queue_name": row["queue_name"], "queue_name_en": row["queue_name_en"],
        "issued_at": iso(row["issued_at"]), "people_ahead": ahead,
        "position": ahead + 1 if row["status"] == "waiting" else 0, "estimated_wait": estimate,
        # Where the citizen goes (called), is (serving, parked) or was served (done, no-show).
        "window": row["window_number"], "window_name": row["window_name"],
        "called_at": iso(row["called_at"]), "hall_id": row["hall_id"],
    }
