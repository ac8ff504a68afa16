"""The shapes of a patrol and the day's quota: in API responses (`patrol_json`, `patrol_detail_json`,
`quota_json`, `progress_json`) and in event payloads (`patrol_brief`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hallops.domain.patrols import QuotaProgress
from hallops.wire import iso
from hallops.wire.findings import finding_json

Row = Mapping[str, Any]  # a row read by name, or a dict of its columns

def progress_json(p: QuotaProgress) -> dict[str, Any]:
    due = None
    if p.next_due_minute is not None:
        m = round(p.next_due_minute)
        due = f"{m // 60:02d}:{m % 60:02d}"
    return {"kind": p.kind.value, "quota": p.quota, "done": p.done, "expected": p.expected, "behind": p.behind,
            "behind_minutes": round(p.behind_minutes), "remaining": p.remaining, "next_due": due}


def patrol_json(p: Row) -> dict[str, Any]:
    return {"id": p["id"], "kind": p["kind"], "status": p["status"], "window_id": p["window_id"],
            "window": p["window_number"], "inspector": p["inspector_name"],
            "started_at": iso(p["started_at"]), "finished_at": iso(p["finished_at"]),
            "items": len(p["items"]), "checked": p["checked"], "findings": p["findings"], "note": p["note"]}


def patrol_detail_json(p: Row) -> dict[str, Any]:
    """A patrol with its checklist (each item's answer) and its findings."""
    findings = p["findings"]
    return patrol_json({**p, "findings": len(findings)}) | {
        "window_name": p["window_name"], "service_day": p["service_day"],
        "checklist": [{**i, "at": iso(i["at"])} for i in p["checklist"]],
        "finding_list": [finding_json(f) for f in findings]}


def quota_json(q: Row) -> dict[str, Any]:
    return {"service_day": q["service_day"], "settings": q["settings"],
            "progress": [progress_json(p) for p in q["progress"]], "patrols": [patrol_json(p) for p in q["patrols"]]}


def patrol_brief(row: Row, window_number: int | None = None) -> dict[str, Any]:
    return {"id": row["id"], "kind": row["kind"], "status": row["status"], "window_id": row["window_id"],
            "window": window_number, "inspector": row["inspector_name"], "service_day": row["service_day"]}
