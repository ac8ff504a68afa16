"""Use cases of statistics: the figures of any period of a hall or of a subtree of centres, the district's
briefing, and what the reports page shows.

Only supervisors (managers and admins) read statistics, of the halls they see: their own and, down the hall tree,
every centre below it (an unbound admin: every hall). A subtree is a hall they see with every centre below it
that they see. The figures come from `hallops/reports/service.py` (roll-ups built once per closed day, the open
day folded live) and, over a subtree, `hallops/reports/subtree.py` (the same, for many centres at once).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hallops.domain.actors import Actor
from hallops.domain.errors import E, Forbidden, InvalidInput
from hallops.domain.stats import Period, PeriodKind
from hallops.reports import district
from hallops.reports.figures import DIMS
from hallops.reports.publish import shown_webhook
from hallops.reports.service import Statistics
from hallops.reports.subtree import SubtreeStatistics

if TYPE_CHECKING:
    from hallops.usecases import Context


def supervise(actor: Actor, hall_id: int) -> None:
    """Statistics and briefings are a supervisor's, of their own hall."""
    if not actor.is_supervisor:
        raise Forbidden(E.FORBIDDEN,
                        f"角色 {actor.role.value} 无权执行此操作 (role {actor.role.value} may not do this)")
    actor.check_hall(hall_id)


@dataclass(frozen=True, slots=True)
class PeriodAsked:
    """A period as a request names it: a kind and one of its days (default: the hall's today), or a custom
    range. Which day is "today" depends on the hall's time zone, so the use case resolves it."""

    kind: PeriodKind = PeriodKind.DAILY
    day: dt.date | None = None
    start: dt.date | None = None
    end: dt.date | None = None

    def resolve(self, today: dt.date) -> Period:
        if self.kind is PeriodKind.CUSTOM:
            if self.start is None or self.end is None:
                raise InvalidInput(E.BAD_PERIOD, "自定义周期须给出 from 和 to (give from and to)", field="from")
            return Period(self.kind, self.start, self.end)
        return Period.of(self.kind, self.day or today)


class Scope(enum.StrEnum):
    """What a statistic covers: the hall alone, or the hall and every centre below it."""

    HALL = "hall"
    SUBTREE = "subtree"


class Reports:
    def __init__(self, ctx: Context) -> None:
        self.port = ctx.ports.reports
        # One for the server's life: it serialises building the roll-ups of this process.
        self.stats = Statistics(self.port, ctx.ports.rules, ctx.clock)
        self.subtree = SubtreeStatistics(self.stats)

    async def statistics(self, actor: Actor, hall_id: int, asked: PeriodAsked,
                         dims: Sequence[str] = DIMS, scope: Scope = Scope.HALL) -> dict[str, Any]:
        """Ticket figures of a period by the dimensions asked (the totals always; over a subtree, its centres'
        rows too)."""
        supervise(actor, hall_id)
        today = self.stats.today(await self.port.hall_meta(hall_id))
        if scope is Scope.SUBTREE:
            return await self.subtree.statistics(await self.centres(actor, hall_id), asked.resolve(today), dims)
        return await self.stats.statistics(hall_id, asked.resolve(today), dims)

    async def centres(self, actor: Actor, hall_id: int) -> list[dict[str, Any]]:
        """The hall and the centres below it that `actor` sees, in the tree's order (the hall first)."""
        supervise(actor, hall_id)
        return [c for c in await self.subtree.centres(hall_id) if actor.sees(int(c["id"]))]

    async def district_briefing(self, actor: Actor, hall_id: int, kind: PeriodKind,
                                day: dt.date | None) -> dict[str, Any]:
        """The briefing of the hall's subtree for the day, week or month holding `day` (default: the hall's
        today): a row per centre, the totals and the centres' ranking."""
        if kind is PeriodKind.CUSTOM:
            raise InvalidInput(E.BAD_PERIOD, "区域简报的周期应为 day、week 或 month (period: day, week or month)",
                               field="period")
        centres = await self.centres(actor, hall_id)
        day = day or self.stats.today(await self.port.hall_meta(hall_id))
        return await district.assemble(self.subtree, centres, Period.of(kind, day))

    async def centre_quality(self, actor: Actor, hall_id: int, period: Period) -> list[dict[str, Any]]:
        """Each centre of the hall's subtree: patrols against quota, open items, ratings and cases of `period`."""
        return await district.quality_rows(self.subtree, await self.centres(actor, hall_id), period)

    async def overview(self, actor: Actor, hall_id: int) -> dict[str, Any]:
        """The reports page: today's figures by queue, kept briefings, deliveries, webhooks and settings."""
        supervise(actor, hall_id)
        today = self.stats.today(await self.port.hall_meta(hall_id))
        return {"today": today.isoformat(), "centres_below": len(await self.centres(actor, hall_id)) - 1,
                "stats": await self.stats.statistics(hall_id, Period.day(today), ["queue"]),
                "briefings": await self.port.briefings(hall_id),
                "deliveries": await self.port.deliveries(hall_id),
                "webhooks": [shown_webhook(h) for h in await self.port.webhooks(hall_id)],
                "settings": await self.port.settings(hall_id)}
