"""The district's live view (issue 10): who may open it, and the reads the district board is built from.

A district or street manager (or admin) opens the view of a centre they see: it shows that centre and every
centre below it. The board itself (hallops/events/district.py) is one per process and serves every viewer;
its reads here are the system's, and each viewer is sent only the rows of its own subtree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hallops.domain.actors import Actor
from hallops.domain.errors import E, Forbidden
from hallops.usecases.halls import Halls

if TYPE_CHECKING:
    from hallops.usecases import Context


class District:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.port = ctx.ports.district

    async def root(self, actor: Actor, ref: str | int) -> dict[str, Any]:
        """The centre whose subtree `actor` asks to follow: one they see, as a manager or admin."""
        hall = await Halls(self.ctx).resolve(actor, ref)
        if not actor.is_supervisor:
            raise Forbidden(E.FORBIDDEN, "仅管理人员可查看区域总览 (the district view is for managers)")
        return hall

    async def centres(self) -> list[dict[str, Any]]:
        return await self.port.centres()

    async def state(self, hall_id: int) -> dict[str, Any] | None:
        return await self.ctx.ports.halls.state(hall_id)

    async def floor(self, halls: list[dict[str, Any]]) -> dict[int, dict[str, int]]:
        return await self.port.floor(halls)

    def now(self) -> float:
        return self.ctx.clock()
