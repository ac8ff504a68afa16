"""The shapes of an alert: in API responses (`alert_json`) and in event payloads (`alert_brief`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hallops.domain.alerts import KIND_LABELS, AlertKind
from hallops.wire import iso

Row = Mapping[str, Any]  # a row read by name, or a dict of its columns


def alert_json(r: Row) -> dict[str, Any]:
    """An alert as the API shows it, from its columns and `duration_seconds` (given by the use case)."""
    kind = AlertKind(r["kind"])
    return {"id": r["id"], "hall_id": r["hall_id"], "key": r["key"], "kind": kind.value,
            "kind_name": KIND_LABELS[kind][0], "kind_name_en": KIND_LABELS[kind][1], "level": r["level"],
            "message": r["message"], "queue_id": r["queue_id"], "window_id": r["window_id"], "value": r["value"],
            "threshold": r["threshold"], "last_value": r["last_value"], "peak_value": r["peak_value"],
            "raised_at": iso(r["raised_at"]), "acknowledged_at": iso(r["acknowledged_at"]),
            "acknowledged_by": r["acknowledged_by_name"] or None, "ack_note": r["ack_note"],
            "cleared_at": iso(r["cleared_at"]), "active": r["cleared_at"] is None,
            "duration_seconds": r["duration_seconds"]}


def alert_brief(r: Row) -> dict[str, Any]:
    """What an alert's event carries (the API's full shape is in http/alerts.py)."""
    kind = AlertKind(r["kind"])
    return {"id": r["id"], "key": r["key"], "kind": kind.value, "kind_name": KIND_LABELS[kind][0],
            "level": r["level"], "message": r["message"], "queue_id": r["queue_id"], "window_id": r["window_id"],
            "raised_at": iso(r["raised_at"]), "acknowledged_at": iso(r["acknowledged_at"]),
            "acknowledged_by": r["acknowledged_by_name"] or None, "cleared_at": iso(r["cleared_at"]),
            "active": r["cleared_at"] is None}
