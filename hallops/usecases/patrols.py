"""Patrols: the day's quota, the checklist, starting, checking, finishing and cancelling a patrol.

Managers (and admins) run patrols; every staff member of the hall may read the quota, the settings and the
checklist. What a patrol allows is decided by hallops/domain/patrols.py inside the write job
(storage/patrols.py), on the rows it loaded."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from hallops.domain.actors import Actor
from hallops.domain.errors import E, Forbidden
from hallops.domain.model import Role
from hallops.domain.patrols import CheckResult, FindingStatus, PatrolKind, is_overdue

if TYPE_CHECKING:
    from hallops.usecases import Context

SUPERVISORS = frozenset({Role.ADMIN, Role.MANAGER})
STAFF = frozenset({Role.ADMIN, Role.MANAGER, Role.CLERK})


def require_role(actor: Actor, roles: Iterable[Role]) -> None:
    if actor.role not in roles:
        raise Forbidden(E.FORBIDDEN,
                        f"角色 {actor.role.value} 无权执行此操作 (role {actor.role.value} may not do this)")


def with_overdue(finding: dict[str, Any], now: float) -> dict[str, Any]:
    """A finding's columns and whether it is overdue now (the domain decides)."""
    return finding | {"overdue": is_overdue(FindingStatus(finding["status"]), finding["due_at"], now)}


class Patrols:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.port = ctx.ports.patrols

    def _hall(self, actor: Actor, hall_id: int, roles: Iterable[Role] = SUPERVISORS) -> None:
        require_role(actor, roles)
        actor.check_hall(hall_id)

    # -- settings and checklist ------------------------------------------------------------------------

    async def settings(self, actor: Actor, hall_id: int) -> dict[str, Any]:
        self._hall(actor, hall_id, STAFF)
        return (await self.port.settings(hall_id)).raw

    async def change_settings(self, actor: Actor, hall_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        self._hall(actor, hall_id)
        return await self.port.update_settings(hall_id, changes, actor)

    async def configure_demo(self, hall_id: int) -> None:
        """The demo hall is patrolled every day, as it takes tickets every day (run at every demo start)."""
        await self.port.configure_demo(hall_id)

    async def checklist(self, actor: Actor, hall_id: int) -> list[dict[str, Any]]:
        self._hall(actor, hall_id, STAFF)
        return await self.port.checklist(hall_id)

    async def set_checklist(self, actor: Actor, hall_id: int, items: Sequence[dict[str, str]]) -> list[dict[str, Any]]:
        """Replace the checklist: these items in this order; items left out are retired."""
        self._hall(actor, hall_id)
        return await self.port.set_checklist(hall_id, items, actor)

    # -- patrols -----------------------------------------------------------------------------------------

    async def quota(self, actor: Actor, hall_id: int) -> dict[str, Any]:
        """Today's quota, progress, schedule and patrols."""
        self._hall(actor, hall_id, STAFF)
        return await self.port.quota(hall_id, self.ctx.clock())

    async def list(self, actor: Actor, hall_id: int, day: str | None) -> list[dict[str, Any]]:
        self._hall(actor, hall_id)
        return await self.port.patrols(hall_id, day)

    async def get(self, actor: Actor, patrol_id: int) -> dict[str, Any]:
        require_role(actor, SUPERVISORS)
        patrol = await self.port.patrol(patrol_id, actor)
        now = self.ctx.clock()
        return patrol | {"findings": [with_overdue(f, now) for f in patrol["findings"]]}

    async def start(self, actor: Actor, hall_id: int, kind: PatrolKind, window_id: int | None,
                    note: str) -> dict[str, Any]:
        self._hall(actor, hall_id)
        pid = await self.port.start(hall_id, kind, window_id, note, actor)
        return await self.get(actor, pid)

    async def check(self, actor: Actor, patrol_id: int, item: str, result: CheckResult, note: str) -> dict[str, Any]:
        require_role(actor, SUPERVISORS)
        await self.port.check(patrol_id, item, result, note, actor)
        return await self.get(actor, patrol_id)

    async def finish(self, actor: Actor, patrol_id: int, note: str | None) -> dict[str, Any]:
        require_role(actor, SUPERVISORS)
        await self.port.finish(patrol_id, note, actor)
        return await self.get(actor, patrol_id)

    async def cancel(self, actor: Actor, patrol_id: int) -> dict[str, Any]:
        require_role(actor, SUPERVISORS)
        await self.port.cancel(patrol_id, actor)
        return await self.get(actor, patrol_id)
