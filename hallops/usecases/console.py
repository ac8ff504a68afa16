"""The clerk console's reads: which window a clerk's console opens on, and one snapshot of a window (its
state, the current ticket with its history, tickets parked there, the queues it serves with their waiting
counts, the clerk's figures of the day and the rules the page applies)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hallops.domain.actors import Actor
from hallops.domain.errors import E, NotFound
from hallops.usecases.halls import Halls
from hallops.usecases.kiosk import service_day_of
from hallops.usecases.tickets import Tickets

if TYPE_CHECKING:
    from hallops.usecases import Context


@dataclass(frozen=True, slots=True)
class ConsolePage:
    window_id: int | None
    windows: list[dict[str, Any]]


class Console:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.port = ctx.ports.console

    async def page(self, actor: Actor, hall: dict[str, Any], wanted: str | None) -> ConsolePage:
        """The hall's windows, and the one to open: the number asked for, else the actor's token window,
        else the window the clerk is signed in to in this hall, else none (the page asks)."""
        state = await Halls(self.ctx).state(actor, hall["id"])
        window_id: int | None = None
        if wanted and wanted.isdigit():
            window_id = next((w["id"] for w in state["windows"] if w["number"] == int(wanted)), None)
        elif actor.window_id is not None:
            window_id = actor.window_id
        elif actor.user_id is not None:
            mine = await self.port.window_of_clerk(actor.user_id)
            if mine is not None and mine["hall_id"] == hall["id"]:
                window_id = mine["id"]
        return ConsolePage(window_id, state["windows"])

    async def snapshot(self, actor: Actor, window_id: int) -> dict[str, Any]:
        row = await self.port.window(window_id)
        if row is None:
            raise NotFound(E.WINDOW_NOT_FOUND, f"窗口不存在 (no window {window_id})")
        actor.check_hall(row["hall_id"])
        state = await Halls(self.ctx).state(actor, row["hall_id"])
        window = next(w for w in state["windows"] if w["id"] == window_id)
        actor.check_window_view(window_id, window["clerk"]["id"] if window["clerk"] else None)
        current = await Tickets(self.ctx).ticket(actor, window["current"]["id"]) if window["current"] else None
        clerk_id = window["clerk"]["id"] if window["clerk"] else actor.user_id
        day = service_day_of(self.ctx, row["timezone"]).isoformat()
        parked, figures, settings = await asyncio.gather(
            self.port.parked_at(window_id),
            self.port.clerk_day(user_id=clerk_id or -1, hall_id=row["hall_id"], day=day, window_id=window_id),
            self.ctx.ports.kiosk.settings(row["hall_id"]))
        queues = {q["prefix"]: q for q in state["queues"]}
        return {
            "now": self.ctx.clock(), "seq": state["seq"], "window": window, "current": current, "parked": parked,
            "queues": [queues[p] for p in window["queues"] if p in queues], "figures": figures,
            "rules": {"recall_limit": self.ctx.config.tickets.recall_limit,
                      "no_show_after_recalls_seconds": settings["no_show_after_recalls_seconds"]},
        }
