"""Reading the audit log: admins filter it and export it (CSV, XLSX). A hall-bound admin reads their hall's
rows and those about no hall in particular (sign-ins)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import TYPE_CHECKING, Any

from hallops.domain.actors import Actor
from hallops.storage.audit import EXPORT_LIMIT, MAX_PAGE, AuditQuery
from hallops.usecases.accounts import require_admin

if TYPE_CHECKING:
    from hallops.usecases import Context

EXPORT_COLUMNS = (("id", "序号 id"), ("at", "时间 at (UTC)"), ("actor", "操作人 actor"), ("role", "角色 role"),
                  ("address", "来源 address"), ("action", "操作 action"), ("target_kind", "对象 target"),
                  ("target_id", "对象编号 target id"), ("summary", "摘要 summary"), ("before", "修改前 before"),
                  ("after", "修改后 after"), ("hall_id", "大厅 hall"))


class Audit:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.port = ctx.ports.audit

    def _query(self, actor: Actor, filters: dict[str, Any], limit: int) -> AuditQuery:
        require_admin(actor)
        hall_id = filters.get("hall_id")
        if actor.hall_id is not None:
            halls = tuple(sorted(actor.scope or {actor.hall_id}))
            if hall_id is not None and actor.sees(hall_id):
                halls = (hall_id,)  # one centre of the admin's part of the tree
            return AuditQuery(hall_id=actor.hall_id, hall_scope=True, halls=halls, action=filters.get("action"),
                              actor=filters.get("actor"), target_kind=filters.get("target_kind"),
                              since=filters.get("since"), until=filters.get("until"), text=filters.get("text"),
                              limit=limit, before_id=filters.get("before_id"))
        return AuditQuery(hall_id=hall_id, action=filters.get("action"), actor=filters.get("actor"),
                          target_kind=filters.get("target_kind"), since=filters.get("since"),
                          until=filters.get("until"), text=filters.get("text"), limit=limit,
                          before_id=filters.get("before_id"))

    async def entries(self, actor: Actor, filters: dict[str, Any], limit: int = 100) -> list[dict[str, Any]]:
        """Newest first; page on with `before_id` (the last id seen)."""
        return await self.port.query(self._query(actor, filters, max(1, min(limit, MAX_PAGE))))

    async def export(self, actor: Actor, filters: dict[str, Any], fmt: str) -> tuple[bytes, str]:
        """(the file, its media type): every row the filters select, up to EXPORT_LIMIT."""
        rows = await self.port.query(self._query(actor, filters, EXPORT_LIMIT))
        table = [[_cell(r[k]) for k, _ in EXPORT_COLUMNS] for r in rows]
        heads = [h for _, h in EXPORT_COLUMNS]
        if fmt == "xlsx":
            import asyncio

            return await asyncio.to_thread(_xlsx, heads, table), \
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(heads)
        w.writerows(table)
        # With a BOM so that Excel opens the Chinese text as UTF-8.
        return ("\ufeff" + buf.getvalue()).encode("utf-8"), "text/csv; charset=utf-8"


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, dict | list):
        import json

        return json.dumps(v, ensure_ascii=False, separators=(",", ":"))
    return str(v)


def _xlsx(heads: list[str], table: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("audit")
    ws.append(heads)
    for row in table:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def parse_when(text: str | None, end: bool = False) -> float | None:
    """A filter date "2026-12-01" (the whole day, Shanghai time) or an ISO time."""
    if not text:
        return None
    tz = dt.timezone(dt.timedelta(hours=8))
    if len(text) == 10:
        day = dt.date.fromisoformat(text) + dt.timedelta(days=1 if end else 0)
        return dt.datetime.combine(day, dt.time(0), tzinfo=tz).timestamp()
    when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (when if when.tzinfo else when.replace(tzinfo=tz)).timestamp()
