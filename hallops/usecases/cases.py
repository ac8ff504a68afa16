"""咨询投诉 cases (register, import, each step of their life), the daily deadline scan, and the figures of
ratings, follow-ups and cases with the windows' quality scores.

Managers register, assign, approve extensions, remind and close; the person a case is assigned to works it
(start, reply, ask for more time). hallops/domain/cases.py decides each step inside the write job.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from hallops.domain.actors import Actor
from hallops.domain.cases import CaseAction
from hallops.domain.errors import E, InvalidInput
from hallops.domain.model import Role
from hallops.domain.stats import Period, PeriodKind
from hallops.usecases.patrols import STAFF, SUPERVISORS, require_role

if TYPE_CHECKING:
    from hallops.usecases import Context

MAX_IMPORT_ROWS = 2000
IMPORT_COLUMNS = ("source", "kind", "subject", "content", "ref", "citizen_name", "citizen_phone", "department",
                  "received_at", "working_days")


class Cases:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.port = ctx.ports.cases

    async def create(self, actor: Actor, hall_id: int, spec: dict[str, Any]) -> dict[str, Any]:
        require_role(actor, SUPERVISORS)
        actor.check_hall(hall_id)
        return await self.port.create(hall_id, spec, actor)

    async def import_text(self, actor: Actor, hall_id: int, text: str, fmt: str,
                          validate: Any) -> list[dict[str, Any]]:
        """CSV (a header row; columns as IMPORT_COLUMNS) or JSON (an array of objects). `validate` turns one
        row into a spec (the HTTP layer's body model); a bad row is named with its line and field."""
        require_role(actor, SUPERVISORS)
        actor.check_hall(hall_id)
        rows = _rows(text, fmt)
        if not rows:
            raise InvalidInput(E.EMPTY_CSV, "没有可导入的记录 (nothing to import)")
        if len(rows) > MAX_IMPORT_ROWS:
            raise InvalidInput(E.CSV_TOO_LONG, f"一次最多导入 {MAX_IMPORT_ROWS} 条 (at most {MAX_IMPORT_ROWS} rows)")
        specs = []
        for line, raw in rows:
            clean = {k: v for k, v in raw.items() if v not in (None, "")}
            try:
                spec = validate(clean)
            except ValidationError as e:
                err = e.errors()[0]
                field = ".".join(str(p) for p in err["loc"]) or "row"
                raise InvalidInput(E.BAD_IMPORT, f"第 {line} 行 {field}：{err['msg']} (line {line}, field {field})",
                                   field=f"line {line}: {field}") from None
            specs.append({**spec, "_line": line})
        return await self.port.import_many(hall_id, specs, actor)

    async def list_cases(self, actor: Actor, hall_id: int, *, status: str | None, open_only: bool,
                   overdue: bool) -> list[dict[str, Any]]:
        require_role(actor, STAFF)
        actor.check_hall(hall_id)
        return await self.port.list_cases(hall_id, actor, self.ctx.clock(), status=status, open_only=open_only,
                                    overdue=overdue)

    async def get(self, actor: Actor, case_id: int) -> dict[str, Any]:
        require_role(actor, STAFF)
        return await self.port.get(case_id, actor)

    async def act(self, actor: Actor, case_id: int, action: CaseAction, body: dict[str, Any]) -> dict[str, Any]:
        require_role(actor, STAFF)
        await self.port.act(case_id, action, actor, body)
        return await self.port.get(case_id, actor)

    # -- the daily scan and the figures ---------------------------------------------------------------------

    async def scan_due(self) -> dict[int, dict[str, Any]]:
        """The loop's step: each hall once a working day at its scan time."""
        return await self.port.scan_all()

    async def scan_now(self, actor: Actor, hall_id: int) -> dict[str, Any]:
        require_role(actor, SUPERVISORS)
        actor.check_hall(hall_id)
        return await self.port.scan_now(hall_id)

    async def last_scan(self, actor: Actor, hall_id: int) -> dict[str, Any] | None:
        require_role(actor, STAFF)
        actor.check_hall(hall_id)
        return await self.port.last_scan(hall_id)

    async def figures(self, actor: Actor, hall_id: int, period: Period) -> dict[str, Any]:
        """Completion, on-time, satisfaction and overdue figures of a period, by department and window."""
        require_role(actor, SUPERVISORS)
        actor.check_hall(hall_id)
        start, end = await self.ctx_bounds(hall_id, period)
        return {"period": {"kind": period.kind.value, "from": period.start.isoformat(), "to": period.end.isoformat()},
                **await self.port.figures(hall_id, start, end)}

    async def window_scores(self, actor: Actor, hall_id: int, month: dt.date) -> dict[str, Any]:
        """The month's ranking of windows (红旗窗口, 服务之星), each score explained by its parts."""
        require_role(actor, SUPERVISORS)
        actor.check_hall(hall_id)
        period = Period.month_of(month)
        start, end = await self.ctx_bounds(hall_id, period)
        return {"month": period.start.strftime("%Y-%m"), "windows": await self.port.window_scores(hall_id, start, end)}

    async def ctx_bounds(self, hall_id: int, period: Period) -> tuple[float, float]:
        return await self.ctx.ports.ratings.bounds_of(hall_id, period.start, period.end)


def _rows(text: str, fmt: str) -> list[tuple[int, dict[str, Any]]]:
    if fmt == "json":
        try:
            data = json.loads(text)
        except ValueError as e:
            raise InvalidInput(E.BAD_JSON, f"不是有效的 JSON (not valid JSON: {e})") from None
        if not isinstance(data, list) or not all(isinstance(x, dict) for x in data):
            raise InvalidInput(E.BAD_IMPORT, "JSON 须为对象数组 (a JSON array of objects)")
        return [(i, x) for i, x in enumerate(data, 1)]
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    unknown = set(reader.fieldnames or ()) - set(IMPORT_COLUMNS)
    if not reader.fieldnames or unknown or not {"source", "subject"} <= set(reader.fieldnames):
        raise InvalidInput(E.CSV_COLUMNS, f"表头应为 {','.join(IMPORT_COLUMNS)} 中的列，且含 source, subject "
                                          f"(unknown or missing columns: {sorted(unknown) or 'source, subject'})")
    return [(reader.line_num, dict(r)) for r in reader]


PERIOD_KINDS = {"day": PeriodKind.DAILY, "week": PeriodKind.WEEKLY, "month": PeriodKind.MONTHLY}
__all__ = ["IMPORT_COLUMNS", "PERIOD_KINDS", "Cases", "Role"]
