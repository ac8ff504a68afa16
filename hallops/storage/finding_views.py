"""How findings and their photos are shown: the SELECT that joins a finding's names, and its JSON shapes
(the detail, the brief an event carries, a photo). Shared by the patrol and finding storage modules."""

from __future__ import annotations

from typing import Any

from hallops.domain.patrols import DEFAULT_CHECKLIST, OTHER_CATEGORY, FindingStatus, is_overdue
from hallops.storage.db import Row
from hallops.storage.views import iso

FINDING_SELECT = """SELECT f.*, w.number AS window_number, w.name AS window_name, cu.display_name AS clerk_name,
    coalesce(ci.name, '') AS category_name, coalesce(ci.name_en, '') AS category_name_en
    FROM findings f LEFT JOIN windows w ON w.id = f.window_id LEFT JOIN users cu ON cu.id = f.clerk_user_id
    LEFT JOIN checklist_items ci ON ci.hall_id = f.hall_id AND ci.code = f.category"""

_DEFAULT_NAMES = {it.code: it for it in (*DEFAULT_CHECKLIST, OTHER_CATEGORY)}


def finding_json(r: Row | dict[str, Any], now: float) -> dict[str, Any]:
    cat = _DEFAULT_NAMES.get(r["category"])
    status = FindingStatus(r["status"])
    return {
        "id": r["id"], "hall_id": r["hall_id"], "patrol_id": r["patrol_id"], "category": r["category"],
        "category_name": r["category_name"] or (cat.name if cat else r["category"]),
        "category_name_en": r["category_name_en"] or (cat.name_en if cat else ""),
        "severity": r["severity"], "description": r["description"],
        "window": {"id": r["window_id"], "number": r["window_number"], "name": r["window_name"]}
        if r["window_id"] else None,
        "clerk": {"id": r["clerk_user_id"], "display_name": r["clerk_name"]} if r["clerk_user_id"] else None,
        "area": r["area"],
        "responsible": {"user_id": r["responsible_user_id"], "name": r["responsible_name"]},
        "due_at": iso(r["due_at"]), "overdue": is_overdue(status, r["due_at"], now), "status": status.value,
        "escalation": r["escalation"], "repeat_count": r["repeat_count"],
        "created_at": iso(r["created_at"]), "created_by": r["created_by_name"],
        "rectification": r["rectification"], "rectified_at": iso(r["rectified_at"]),
        "rectified_by": r["rectified_by_name"] or None, "rectified_by_user_id": r["rectified_by_user_id"],
        "verified_at": iso(r["verified_at"]), "verified_by": r["verified_by_name"] or None,
        "reopen_count": r["reopen_count"], "updated_at": iso(r["updated_at"]),
    }


def finding_brief(r: Row, now: float) -> dict[str, Any]:
    """What an event carries: no description or names (events reach every screen of the hall)."""
    return {"id": r["id"], "status": r["status"], "category": r["category"], "severity": r["severity"],
            "window": r["window_number"], "window_id": r["window_id"], "escalation": r["escalation"],
            "overdue": is_overdue(FindingStatus(r["status"]), r["due_at"], now), "patrol_id": r["patrol_id"]}


def photo_json(r: Row | dict[str, Any]) -> dict[str, Any]:
    return {"id": r["id"], "stage": r["stage"], "mime": r["mime"], "size": r["size"],
            "uploaded_at": iso(r["uploaded_at"]), "uploaded_by": r["uploaded_by_name"],
            "url": f"/api/v1/finding-photos/{r['id']}"}
