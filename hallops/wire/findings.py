"""The shapes of a finding and its photos: in API responses (`finding_json`, `finding_detail_json`,
`photo_json`) and in event payloads (`finding_brief`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hallops.domain.patrols import DEFAULT_CHECKLIST, OTHER_CATEGORY, FindingStatus, is_overdue
from hallops.domain.supervision import SUPERVISION_CHECKLIST
from hallops.wire import iso

Row = Mapping[str, Any]  # a row read by name, or a dict of its columns

_DEFAULT_NAMES = {it.code: it for it in (*SUPERVISION_CHECKLIST, *DEFAULT_CHECKLIST, OTHER_CATEGORY)}


def finding_json(r: Row) -> dict[str, Any]:
    """A finding as the API shows it, from its columns (and `overdue`, decided by the use case)."""
    cat = _DEFAULT_NAMES.get(r["category"])
    return {
        "id": r["id"], "hall_id": r["hall_id"], "patrol_id": r["patrol_id"], "visit_id": r["visit_id"],
        "category": r["category"],
        "category_name": r["category_name"] or (cat.name if cat else r["category"]),
        "category_name_en": r["category_name_en"] or (cat.name_en if cat else ""),
        "severity": r["severity"], "description": r["description"],
        "window": {"id": r["window_id"], "number": r["window_number"], "name": r["window_name"]}
        if r["window_id"] else None,
        "clerk": {"id": r["clerk_user_id"], "display_name": r["clerk_name"]} if r["clerk_user_id"] else None,
        "area": r["area"],
        "responsible": {"user_id": r["responsible_user_id"], "name": r["responsible_name"]},
        "due_at": iso(r["due_at"]), "due_provisional": bool(r["due_provisional"]),
        "overdue": bool(r["overdue"]), "status": FindingStatus(r["status"]).value,
        "escalation": r["escalation"], "repeat_count": r["repeat_count"],
        "created_at": iso(r["created_at"]), "created_by": r["created_by_name"],
        "rectification": r["rectification"], "rectified_at": iso(r["rectified_at"]),
        "rectified_by": r["rectified_by_name"] or None, "rectified_by_user_id": r["rectified_by_user_id"],
        "verified_at": iso(r["verified_at"]), "verified_by": r["verified_by_name"] or None,
        "reopen_count": r["reopen_count"], "updated_at": iso(r["updated_at"]),
    }


def photo_json(r: Row) -> dict[str, Any]:
    return {"id": r["id"], "stage": r["stage"], "mime": r["mime"], "size": r["size"],
            "uploaded_at": iso(r["uploaded_at"]), "uploaded_by": r["uploaded_by_name"],
            "url": f"/api/v1/finding-photos/{r['id']}"}


def finding_detail_json(r: Row) -> dict[str, Any]:
    """A finding with its photos and its history."""
    return finding_json(r) | {"photos": [photo_json(p) for p in r["photos"]],
                              "log": [dict(e) | {"at": iso(e["at"])} for e in r["log"]]}


def finding_brief(r: Row, now: float) -> dict[str, Any]:
    """What an event carries: no description or names (events reach every screen of the hall)."""
    return {"id": r["id"], "status": r["status"], "category": r["category"], "severity": r["severity"],
            "window": r["window_number"], "window_id": r["window_id"], "escalation": r["escalation"],
            "overdue": is_overdue(FindingStatus(r["status"]), r["due_at"], now), "patrol_id": r["patrol_id"]}
