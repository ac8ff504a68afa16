"""The hall's layout: halls, departments, queues, service items and windows, changed by admins (managers may
change a hall's notice) or loaded whole from a layout file."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from hallops.domain import item_import
from hallops.domain.actors import Actor
from hallops.domain.errors import E, Forbidden, NotFound
from hallops.domain.model import Role
from hallops.usecases.accounts import require_admin
from hallops.usecases.halls import Halls
from hallops.usecases.item_files import read_rows

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

    async def load_all(self, specs: list[dict[str, Any]]) -> list[int]:
        """Several halls at once, each after the centre it hangs under: all of them or none."""
        return await self.port.load_layouts(specs)

    async def create_hall(self, actor: Actor, spec: dict[str, Any]) -> dict[str, Any]:
        require_admin(actor)
        if actor.hall_id is not None:  # a hall-bound admin adds centres below their own only
            parent = spec.get("parent")
            if parent is None or not actor.sees(int((await Halls(self.ctx).resolve(actor, parent))["id"])):
                raise Forbidden(E.FORBIDDEN, "本账号只能在所辖中心之下新建中心 (a hall-bound admin adds centres "
                                "below their own only)")
        hall_id = await self.port.create_hall(spec, actor)
        return await self._object(hall_id, "hall", hall_id)

    async def update_hall(self, actor: Actor, hall_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        """`hall_id` was resolved for `actor` (another hall does not exist for a hall-bound actor)."""
        if actor.role is Role.MANAGER:
            if set(changes) - MANAGER_HALL_FIELDS:
                raise Forbidden(E.FORBIDDEN, "管理员以外只能修改公告 (managers may change the notice only)")
        else:
            require_admin(actor)
        actor.check_hall(hall_id)
        if "parent" in changes or "level" in changes:  # moving a centre in the tree
            if actor.hall_id is not None and hall_id == actor.hall_id:
                raise Forbidden(E.FORBIDDEN, "不能移动本账号所在的中心 (you cannot move the centre you are bound to)")
            if changes.get("parent") is not None:
                await Halls(self.ctx).resolve(actor, changes["parent"])  # only under a centre one sees
        await self.port.update_hall(hall_id, changes, actor)
        return await self._object(hall_id, "hall", hall_id)

    async def create(self, actor: Actor, kind: str, hall_id: int, spec: dict[str, Any]) -> dict[str, Any]:
        """Add a department, queue, service item or window (`kind`: storage.layout.KINDS) to a hall."""
        require_admin(actor)
        actor.check_hall(hall_id)
        obj_id = await self.port.create(kind, hall_id, spec, actor)
        return await self._object(hall_id, kind, obj_id)

    async def update(self, actor: Actor, kind: str, obj_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        require_admin(actor)
        # The object's hall is checked before the change, in its transaction.
        hall_id = await self.port.update(kind, obj_id, changes, actor.check_hall, actor)
        return await self._object(hall_id, kind, obj_id)

    async def archive(self, actor: Actor, kind: str, obj_id: int) -> dict[str, Any]:
        """The console's "delete": the object is archived (history keeps its name), unless that would break
        the day (storage/layout.py `check_change`, domain/archiving.py)."""
        return await self.update(actor, kind, obj_id, {"active": False})

    async def admin_view(self, actor: Actor, hall_id: int) -> dict[str, Any]:
        """Everything of a hall's model the console edits, archived objects included."""
        require_admin(actor)
        actor.check_hall(hall_id)
        view = await self.port.admin_view(hall_id)
        if view is None:
            raise NotFound(E.HALL_NOT_FOUND, f"大厅不存在 (no hall {hall_id})")
        return view

    async def import_items(self, actor: Actor, hall_id: int, filename: str, data: bytes, *,
                           apply: bool) -> dict[str, Any]:
        """Import the centre's item list (CSV or XLSX): every row checked, errors by line; a dry run says what
        would change; applying does it in one transaction, only when no row has an error."""
        require_admin(actor)
        actor.check_hall(hall_id)
        # Parsing thousands of rows (XLSX above all) is CPU work: off the event loop.
        header_line, rows = await asyncio.to_thread(read_rows, filename, data)
        view = await self.port.admin_view(hall_id)
        if view is None:
            raise NotFound(E.HALL_NOT_FOUND, f"大厅不存在 (no hall {hall_id})")
        departments: dict[str, str] = {}
        for d in view["departments"]:
            if d["active"]:
                departments[d["code"]] = departments[d["name"]] = d["code"]
        queues = [q["prefix"] for q in view["queues"] if q["active"]]
        good, errors = item_import.check_rows(rows, departments=departments, queues=queues)

        def planner(existing: list[dict[str, Any]]) -> item_import.Plan:
            return item_import.plan(good, errors, existing, len(rows))
        if not apply:
            out = planner(await self.port.existing_items(hall_id)).summary()
            return out | {"applied": False, "header_line": header_line}
        counts = await self.port.import_items(hall_id, planner, actor)
        return counts | {"applied": True}

    async def _object(self, hall_id: int, kind: str, obj_id: int) -> dict[str, Any]:
        """The object as the hall's layout shows it (bundles and archived objects: as the console shows them)."""
        if kind == "bundles":
            view = await self.port.admin_view(hall_id)
            assert view is not None
            return dict(next(o for o in view["bundles"] if o["id"] == obj_id))
        full = await self.ctx.ports.halls.layout(hall_id)
        assert full is not None  # the hall was found in the write that came before
        if kind == "hall":
            return dict(full["hall"])
        found = next((o for o in full[kind] if o["id"] == obj_id), None)
        if found is None:  # archived: the public layout leaves it out
            view = await self.port.admin_view(hall_id)
            assert view is not None
            found = next(o for o in view[kind] if o["id"] == obj_id)
        return dict(found)
