"""The floor manager's views, gathered from every subject: the tablet's starting point and the dashboard
(hall state, tickets by hour, patrol quota, active alerts, findings' counts). Managers and admins only."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hallops.domain.actors import Actor
from hallops.domain.patrols import actor_name
from hallops.usecases.alerts import with_duration
from hallops.usecases.halls import Halls
from hallops.usecases.patrols import SUPERVISORS, require_role

if TYPE_CHECKING:
    from hallops.usecases import Context


class Floor:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def tablet(self, actor: Actor, hall_id: int) -> dict[str, Any]:
        """What the tablet starts from: the hall's layout, its checklist, its staff and who is signed in."""
        require_role(actor, SUPERVISORS)
        actor.check_hall(hall_id)
        ports = self.ctx.ports
        return {"layout": await Halls(self.ctx).layout(actor, hall_id),
                "checklist": await ports.patrols.checklist(hall_id), "staff": await ports.patrols.staff(hall_id),
                "user": {"id": actor.user_id, "name": actor_name(actor), "role": actor.role.value},
                "alert_interval": self.ctx.config.alerts.interval_seconds}

    async def dashboard(self, actor: Actor, hall_id: int) -> dict[str, Any]:
        require_role(actor, SUPERVISORS)
        actor.check_hall(hall_id)
        ports, now = self.ctx.ports, self.ctx.clock()
        return {"state": await Halls(self.ctx).state(actor, hall_id),
                "figures": await ports.alerts.floor_figures(hall_id, now),
                "quota": await ports.patrols.quota(hall_id, now),
                "alerts": [with_duration(a, now) for a in await ports.alerts.alerts(hall_id, active_only=True)],
                "findings": await ports.findings.finding_counts(hall_id, now)}
