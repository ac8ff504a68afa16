"""Alerts: the evaluation of every hall's rules (the background loop and a manager's "check now"), the log,
acknowledging by a named manager, and the rules per hall and per queue. Managers and admins only."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hallops.domain.actors import Actor
from hallops.usecases.patrols import SUPERVISORS, require_role

if TYPE_CHECKING:
    from hallops.usecases import Context

log = logging.getLogger(__name__)
NOTHING = {"raised": 0, "cleared": 0, "active": 0}


def with_duration(alert: dict[str, Any], now: float) -> dict[str, Any]:
    """An alert's columns and how long it stood (until now while it stands)."""
    end = alert["cleared_at"] if alert["cleared_at"] is not None else now
    return alert | {"duration_seconds": round(end - alert["raised_at"])}


class Alerts:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.port = ctx.ports.alerts
        self.runs = 0  # evaluations done since start (the loop's and those asked for)

    @property
    def interval(self) -> float:
        """Seconds between two evaluations of the background loop (`[alerts] interval_seconds`)."""
        return float(self.ctx.config.alerts.interval_seconds)

    def _hall(self, actor: Actor, hall_id: int) -> None:
        require_role(actor, SUPERVISORS)
        actor.check_hall(hall_id)

    async def evaluate_all(self) -> dict[int, dict[str, int]]:
        """Raise, keep and clear every hall's alerts from its state now: one write job, so two evaluations at
        once never raise one alert twice."""
        result = await self.port.evaluate_all()
        self.runs += 1
        for hid, r in result.items():
            if r["raised"] or r["cleared"]:
                log.info("hall %s alerts: %d raised, %d cleared, %d active", hid, r["raised"], r["cleared"],
                         r["active"])
        return result

    async def evaluate(self, actor: Actor, hall_id: int) -> dict[str, int]:
        """Evaluate now (every hall, as the loop does); the figures of this hall."""
        self._hall(actor, hall_id)
        return (await self.evaluate_all()).get(hall_id, dict(NOTHING))

    async def list(self, actor: Actor, hall_id: int, *, active_only: bool, limit: int) -> list[dict[str, Any]]:
        self._hall(actor, hall_id)
        now = self.ctx.clock()
        return [with_duration(a, now) for a in await self.port.alerts(hall_id, active_only=active_only, limit=limit)]

    async def acknowledge(self, actor: Actor, alert_id: int, note: str) -> dict[str, Any]:
        require_role(actor, SUPERVISORS)
        return with_duration(await self.port.acknowledge(alert_id, note, actor), self.ctx.clock())

    async def rules(self, actor: Actor, hall_id: int) -> dict[str, Any]:
        self._hall(actor, hall_id)
        return await self.port.rules(hall_id)

    async def set_rules(self, actor: Actor, hall_id: int, changes: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """Upsert thresholds per hall or queue (`inherit` drops one); the rules as they now stand."""
        self._hall(actor, hall_id)
        await self.port.set_rules(hall_id, changes, actor)
        return await self.port.rules(hall_id)
