"""The hall's layout: halls, departments, queues, service items and windows, changed by admins (managers may
change a hall's notice) or loaded whole from a layout file."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hallops.domain.actors import Actor
from hallops.domain.errors import E, Forbidden
from hallops.domain.model import Role
from hallops.usecases.accounts import require_admin

if TYPE_CHECKING:
    from hallops.usecases import Context

# What a manager may change in a hall: the notice on the screens, nothing of the model.
MANAGER_HALL_FIELDS = frozenset({"notice"})


class Layout:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.port = ctx.ports.layout

    async def load(self, spec: dict[str, Any]) -> int:
        """Create a whole hall, with its accounts, from a layout document (the operator's command line)."""
        return await self.port.load_layout(spec)

    async def create_hall(self, actor: Actor, spec: dict[str, Any]) -> dict[str, Any]:
        require_admin(actor)
        if actor.hall_id is not None:
            raise Forbidden(E.FORBIDDEN, "本账号只管理一个大厅，不能新建大厅 (a hall-bound admin cannot create halls)")
        hall_id = await self.port.create_hall(spec)
        return await self._object(hall_id, "hall", hall_id)

    async def update_hall(self, actor: Actor, hall_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        """`hall_id` was resolved for `actor` (another hall does not exist for a hall-bound actor)."""
        if actor.role is Role.MANAGER:
            if set(changes) - MANAGER_HALL_FIELDS:
                raise Forbidden(E.FORBIDDEN, "管理员以外只能修改公告 (managers may change the notice only)")
        else:
            require_admin(actor)
        actor.check_hall(hall_id)
        await self.port.update_hall(hall_id, changes)
        return await self._object(hall_id, "hall", hall_id)

    async def create(self, actor: Actor, kind: str, hall_id: int, spec: dict[str, Any]) -> dict[str, Any]:
        """Add a department, queue, service item or window (`kind`: storage.layout.KINDS) to a hall."""
        require_admin(actor)
        actor.check_hall(hall_id)
        obj_id = await self.port.create(kind, hall_id, spec)
        return await self._object(hall_id, kind, obj_id)

    async def update(self, actor: Actor, kind: str, obj_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        require_admin(actor)
        # The object's hall is checked before the change, in its transaction.
        hall_id = await self.port.update(kind, obj_id, changes, actor.check_hall)
        return await self._object(hall_id, kind, obj_id)

    async def _object(self, hall_id: int, kind: str, obj_id: int) -> dict[str, Any]:
        """The object as the hall's layout shows it."""
        full = await self.ctx.ports.halls.layout(hall_id)
        assert full is not None  # the hall was found in the write that came before
        if kind == "hall":
            return dict(full["hall"])
        return dict(next(o for o in full[kind] if o["id"] == obj_id))
