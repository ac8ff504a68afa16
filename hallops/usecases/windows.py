"""Windows: call the next ticket, and the window's own state (open, pause, resume, close).

Who may act on a window and what its state allows are the domain's rules (hallops/domain/windows.py); they
are checked against the window's rows inside the write (the port's job), so two clerks racing see one
answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hallops.domain.actors import Actor
from hallops.domain.errors import E, Forbidden
from hallops.domain.model import STAFF_ROLES
from hallops.domain.windows import WindowAction

if TYPE_CHECKING:
    from hallops.usecases import Context


def require_staff(actor: Actor) -> None:
    if actor.role not in STAFF_ROLES:
        raise Forbidden(E.FORBIDDEN, "无权操作窗口 (this role cannot act on windows)")


class Windows:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.port = ctx.ports.tickets

    async def call_next(self, actor: Actor, window_id: int) -> dict[str, Any] | None:
        """The ticket called to the window, or None when nobody waits for it."""
        require_staff(actor)
        return await self.port.call_next(window_id, actor)

    async def act(self, actor: Actor, window_id: int, action: WindowAction, body: dict[str, Any]) -> dict[str, Any]:
        require_staff(actor)
        return await self.port.window_act(window_id, action, actor, body)

    async def open(self, actor: Actor, window_id: int, clerk: str | None = None) -> dict[str, Any]:
        return await self.act(actor, window_id, WindowAction.OPEN, {"clerk": clerk})

    async def pause(self, actor: Actor, window_id: int, reason: str) -> dict[str, Any]:
        return await self.act(actor, window_id, WindowAction.PAUSE, {"reason": reason})

    async def resume(self, actor: Actor, window_id: int) -> dict[str, Any]:
        return await self.act(actor, window_id, WindowAction.RESUME, {})

    async def close(self, actor: Actor, window_id: int) -> dict[str, Any]:
        return await self.act(actor, window_id, WindowAction.CLOSE, {})
