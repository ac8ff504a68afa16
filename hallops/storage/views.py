"""Rows to the JSON shapes of the API, and the few SQL fragments that place a ticket in its queue."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from hallops.domain.policy import PolicyParams


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# The ticket's key within its queue (domain.policy.queue_key), written in SQL.
QUEUE_KEY_SQL = ("(sort_at - CASE WHEN appointment_at IS NOT NULL THEN max(:ab, CASE WHEN priority <> 'none' "
                 "THEN :pb ELSE 0 END) WHEN priority <> 'none' THEN :pb ELSE 0 END)")


def key_params(p: PolicyParams) -> dict[str, float]:
    return {"ab": p.appointment_boost, "pb": p.priority_boost}


TICKET_COLUMNS = """t.id, t.hall_id, t.service_day, t.number, t.queue_id, t.origin_queue_id, t.token, t.channel,
    t.priority, t.status, t.issued_at, t.sort_at, t.appointment_at, t.first_called_at, t.called_at, t.started_at,
    t.ended_at, t.window_id, t.target_window_id, t.clerk_user_id, t.recall_count, t.transfer_count, t.park_count,
    q.prefix AS queue_prefix, q.name AS queue_name, q.name_en AS queue_name_en,
    w.number AS window_number, w.name AS window_name"""

TICKET_FROM = """tickets t JOIN queues q ON q.id = t.queue_id LEFT JOIN windows w ON w.id = t.window_id"""


def ticket_json(r: sqlite3.Row, *, with_token: bool = True) -> dict[str, Any]:
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


def ticket_brief(r: sqlite3.Row) -> dict[str, Any]:
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
    }


def window_brief(r: sqlite3.Row) -> dict[str, Any]:
    return {"id": r["id"], "number": r["number"], "name": r["name"], "area": r["area"]}
