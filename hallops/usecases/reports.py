"""Use cases of statistics: the figures of any period of a hall, and what the reports page shows.

Only supervisors (managers and admins) read statistics, each of their own hall (admins of any). The figures
come from `hallops/reports/service.py` (roll-ups built once per closed day, the open day folded live).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hallops.domain.actors import Actor
from hallops.domain.errors import E, Forbidden, InvalidInput
from hallops.domain.stats import Period, PeriodKind
from hallops.reports.figures import DIMS
from hallops.reports.publish import shown_webhook
from hallops.reports.service import Statistics

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


class Reports:
    def __init__(self, ctx: Context) -> None:
        self.port = ctx.ports.reports
        # One for the server's life: it serialises building the roll-ups of this process.
        self.stats = Statistics(self.port, ctx.ports.rules, ctx.clock)

    async def statistics(self, actor: Actor, hall_id: int, asked: PeriodAsked,
                         dims: Sequence[str] = DIMS) -> dict[str, Any]:
        """Ticket figures of a period by the dimensions asked (the hall's totals always)."""
        supervise(actor, hall_id)
        today = self.stats.today(await self.port.hall_meta(hall_id))
        return await self.stats.statistics(hall_id, asked.resolve(today), dims)

    async def overview(self, actor: Actor, hall_id: int) -> dict[str, Any]:
        """The reports page: today's figures by queue, kept briefings, deliveries, webhooks and settings."""
        supervise(actor, hall_id)
        today = self.stats.today(await self.port.hall_meta(hall_id))
        return {"today": today.isoformat(),
                "stats": await self.stats.statistics(hall_id, Period.day(today), ["queue"]),
                "briefings": await self.port.briefings(hall_id),
                "deliveries": await self.port.deliveries(hall_id),
                "webhooks": [shown_webhook(h) for h in await self.port.webhooks(hall_id)],
                "settings": await self.port.settings(hall_id)}
