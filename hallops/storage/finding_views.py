"""A finding as storage reads it (the SELECT that joins its window's, clerk's and category's names) and as
its events carry it (hallops/wire/findings.py). Shared by the patrol and finding storage modules."""

from __future__ import annotations

from hallops.wire.findings import finding_brief

FINDING_SELECT = """SELECT f.*, w.number AS window_number, w.name AS window_name, cu.display_name AS clerk_name,
    w.clerk_user_id AS window_clerk_user_id, coalesce(ci.name, '') AS category_name,
    coalesce(ci.name_en, '') AS category_name_en
    FROM findings f LEFT JOIN windows w ON w.id = f.window_id LEFT JOIN users cu ON cu.id = f.clerk_user_id
    LEFT JOIN checklist_items ci ON ci.hall_id = f.hall_id AND ci.code = f.category"""

__all__ = ["FINDING_SELECT", "finding_brief"]
