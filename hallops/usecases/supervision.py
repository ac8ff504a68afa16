"""Supervision visits of sub-centres (巡察) and the plan to visit every centre below the district in a period.

District staff (administrators and managers bound to a centre above the one visited) start a visit on site or
remote, answer its checklist, raise findings that the visited centre's manager rectifies, and finish it. Who
may do what, a visit's steps and the plan's coverage are decided by hallops/domain/supervision.py; the rules
that need the rows are checked inside the write job (storage/supervision.py).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from hallops.domain.actors import Actor
from hallops.domain.halltree import ancestors, depth_first, subtree
from hallops.domain.patrols import CheckResult, actor_name
from hallops.domain.supervision import (
    DEFAULT_PERIOD,
    Centre,
    Period,
    VisitMode,
    VisitStatus,
    coverage,
    may_see_visit,
)
from hallops.usecases.patrols import SUPERVISORS, require_role, with_overdue

if TYPE_CHECKING:
    from hallops.usecases import Context


class Supervision:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.port = ctx.ports.supervision

    def _supervisor(self, actor: Actor, hall_id: int) -> None:
        require_role(actor, SUPERVISORS)
        actor.check_hall(hall_id)

    # -- the plan --------------------------------------------------------------------------------------------

    async def coverage(self, actor: Actor, hall_id: int) -> dict[str, Any]:
        """Where the plan stands today for the centres below `hall_id` (a district or a street): visited in the
        period against the share expected by now, those not yet visited (the longest unvisited first), and the
        visits in progress this actor may see."""
        self._supervisor(actor, hall_id)
        now = self.ctx.clock()
        plan = await self.port.plan(now)
        halls = {int(h["id"]): h for h in plan["halls"]}
        parents = {i: h["parent_id"] for i, h in halls.items()}
        district = ([hall_id, *ancestors(parents, hall_id)])[-1]
        period: Period = plan["periods"].get(district, DEFAULT_PERIOD)
        tz = ZoneInfo(halls[district]["timezone"])  # the district's calendar: its days, its periods

        def day(at: float) -> dt.date:
            return dt.datetime.fromtimestamp(at, tz).date()
        ids = [i for i in depth_first(parents, [hall_id]) if i != hall_id]
        last = plan["last_visits"]
        cov = coverage([Centre(i, day(last[i]["finished_at"]) if i in last else None) for i in ids], day(now),
                       period)
        centres = {i: halls[i] | {"last_visit": last.get(i)} for i in ids}
        running = await self.port.visits(ids, VisitStatus.STARTED, limit=len(ids) or 1)
        return {"hall": halls[hall_id], "district_id": district, "coverage": cov, "centres": centres,
                "in_progress": [v for v in running if may_see_visit(actor, v["hall_id"], v["from_hall_id"])]}

    async def set_period(self, actor: Actor, hall_id: int, period: Period) -> dict[str, Any]:
        """The district centre's plan: every centre below it within a year, a half, a quarter or a month."""
        self._supervisor(actor, hall_id)
        await self.port.set_period(hall_id, period, actor)
        return await self.coverage(actor, hall_id)

    # -- visits ----------------------------------------------------------------------------------------------

    async def list(self, actor: Actor, hall_id: int, status: VisitStatus | None, limit: int = 200
                   ) -> list[dict[str, Any]]:
        """Visits of `hall_id` and the centres below it that this actor may see, the newest first."""
        self._supervisor(actor, hall_id)
        ids = sorted(subtree(await self.port.parents(), hall_id))
        rows = await self.port.visits(ids, status, limit)
        return [v for v in rows if may_see_visit(actor, v["hall_id"], v["from_hall_id"])]

    async def get(self, actor: Actor, visit_id: int) -> dict[str, Any]:
        require_role(actor, SUPERVISORS)
        visit = await self.port.visit(visit_id, actor)
        now = self.ctx.clock()
        return visit | {"findings": [with_overdue(f, now) for f in visit["findings"]]}

    async def start(self, actor: Actor, hall_id: int, mode: VisitMode, note: str) -> dict[str, Any]:
        """A visit of a centre below the actor's (checked in the write job with the centre's row: a centre below
        another, no visit of it in progress)."""
        require_role(actor, SUPERVISORS)
        return await self.get(actor, await self.port.start(hall_id, mode, note, actor))

    async def check(self, actor: Actor, visit_id: int, item: str, result: CheckResult, note: str) -> dict[str, Any]:
        require_role(actor, SUPERVISORS)
        await self.port.check(visit_id, item, result, note, actor)
        return await self.get(actor, visit_id)

    async def raise_finding(self, actor: Actor, visit_id: int, spec: dict[str, Any]) -> dict[str, Any]:
        """A finding of the visited centre, given to its manager unless someone is named; the item is marked."""
        require_role(actor, SUPERVISORS)
        finding_id = await self.port.raise_finding(visit_id, spec, actor)
        visit = await self.get(actor, visit_id)
        return visit | {"finding": next(f for f in visit["findings"] if f["id"] == finding_id)}

    async def set_note(self, actor: Actor, visit_id: int, note: str) -> dict[str, Any]:
        require_role(actor, SUPERVISORS)
        await self.port.set_note(visit_id, note, actor)
        return await self.get(actor, visit_id)

    async def finish(self, actor: Actor, visit_id: int, note: str | None) -> dict[str, Any]:
        require_role(actor, SUPERVISORS)
        await self.port.finish(visit_id, note, actor)
        return await self.get(actor, visit_id)

    async def cancel(self, actor: Actor, visit_id: int) -> dict[str, Any]:
        require_role(actor, SUPERVISORS)
        await self.port.cancel(visit_id, actor)
        return await self.get(actor, visit_id)

    # -- the page --------------------------------------------------------------------------------------------

    async def page(self, actor: Actor, hall_id: int) -> dict[str, Any]:
        """What the page starts from: the plan's coverage and who is signed in."""
        out = await self.coverage(actor, hall_id)
        return out | {"user": {"id": actor.user_id, "name": actor_name(actor), "role": actor.role.value}}
