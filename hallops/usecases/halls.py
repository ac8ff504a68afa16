"""Halls: find one (by code or id, as the actor may see it), list, layout, live state, the event log, and the
day's close (by a manager, or by itself at each hall's rollover)."""

from __future__ import annotations

import builtins
import logging
from typing import TYPE_CHECKING, Any

from hallops.domain.actors import Actor
from hallops.domain.errors import E, Forbidden, InvalidInput, NotFound
from hallops.domain.model import Role
from hallops.storage.rules import service_day_of

if TYPE_CHECKING:
    from hallops.usecases import Context

log = logging.getLogger(__name__)
SYSTEM = Actor(Role.ADMIN, display_name="system")


def _found(value: dict[str, Any] | None, ref: object) -> dict[str, Any]:
    if value is None:
        raise NotFound(E.HALL_NOT_FOUND, f"大厅不存在 (no hall {ref!r})")
    return value


class Halls:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.port = ctx.ports.halls

    async def health(self) -> None:
        await self.port.ping()

    async def resolve(self, actor: Actor, ref: str | int) -> dict[str, Any]:
        """A hall by id (an int, or digits) or code; another hall than the actor's does not exist for them."""
        row = _found(await self.port.find(int(ref) if isinstance(ref, int) or ref.isdigit() else ref), ref)
        actor.check_hall(row["id"])
        return row

    async def list(self, actor: Actor) -> builtins.list[dict[str, Any]]:
        return [h for h in await self.port.all() if actor.sees(h["id"])]

    async def hall_id_for(self, actor: Actor, ref: str | int | None) -> int:
        """The hall a request means: named in it, the actor's own, or the only one there is."""
        if ref is not None:
            return int((await self.resolve(actor, ref))["id"])
        if actor.hall_id is not None:
            return actor.hall_id
        halls = await self.list(actor)
        if len(halls) == 1:
            return int(halls[0]["id"])
        raise InvalidInput(E.HALL_REQUIRED, "请指定大厅 (several halls exist: give \"hall\")", field="hall")

    async def layout(self, actor: Actor, hall_id: int) -> dict[str, Any]:
        actor.check_hall(hall_id)
        return _found(await self.port.layout(hall_id), hall_id)

    async def state(self, actor: Actor, hall_id: int) -> dict[str, Any]:
        actor.check_hall(hall_id)
        return _found(await self.port.state(hall_id), hall_id)

    async def events_after(self, actor: Actor, hall_id: int, after: int,
                           limit: int) -> builtins.list[dict[str, Any]]:
        actor.check_hall(hall_id)
        return await self.port.events_after(hall_id, after, limit)

    async def close_day(self, actor: Actor, hall_id: int, *, through_today: bool) -> dict[str, Any]:
        """A manager closes the service day early: unserved tickets expire (kept), idle windows close."""
        if not actor.is_supervisor:
            raise Forbidden(E.FORBIDDEN, "无权结束服务日 (only managers close the day)")
        return await self.ctx.ports.tickets.close_day(hall_id, through_today=through_today, actor=actor)

    def rollover(self) -> DayRollover:
        return DayRollover(self)


class DayRollover:
    """At each hall's new service day (in its own time zone), expire what the days before left unserved; once
    for every hall at start. A background loop's step (hallops/background.py); it remembers the day it saw."""

    def __init__(self, halls: Halls) -> None:
        self.halls = halls
        self.last_day: dict[int, str] = {}

    async def step(self) -> None:
        ctx = self.halls.ctx
        for hall in await self.halls.port.all():
            day = service_day_of(ctx.clock(), hall["timezone"], ctx.ports.rules)
            if self.last_day.get(hall["id"]) == day:
                continue
            closed = await ctx.ports.tickets.close_day(hall["id"], through_today=False, actor=SYSTEM)
            if closed["expired"] or closed["windows_closed"]:
                log.info("hall %s: new service day %s, %d tickets expired", hall["id"], day, closed["expired"])
            self.last_day[hall["id"]] = day
