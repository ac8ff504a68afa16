"""A finding as storage reads it (the SELECT that joins its window's, clerk's and category's names) and as
its events carry it. Shared by the patrol and finding storage modules; the API's shapes are in http/."""

from __future__ import annotations

from typing import Any

from hallops.domain.patrols import FindingStatus, is_overdue
from hallops.storage.db import Row

FINDING_SELECT = """SELECT f.*, w.number AS window_number, w.name AS window_name, cu.display_name AS clerk_name,
    coalesce(ci.name, '') AS category_name, coalesce(ci.name_en, '') AS category_name_en
    FROM findings f LEFT JOIN windows w ON w.id = f.window_id LEFT JOIN users cu ON cu.id = f.clerk_user_id
    LEFT JOIN checklist_items ci ON ci.hall_id = f.hall_id AND ci.code = f.category"""

def finding_brief(r: Row, now: float) -> dict[str, Any]:
    """What an event carries: no description or names (events reach every screen of the hall)."""
    return {"id": r["id"], "status": r["status"], "category": r["category"], "severity": r["severity"],
            "window": r["window_number"], "window_id": r["window_id"], "escalation": r["escalation"],
            "overdue": is_overdue(FindingStatus(r["status"]), r["due_at"], now), "patrol_id": r["patrol_id"]}
