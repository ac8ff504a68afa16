"""The kiosk's use cases: the menu a citizen picks from, the kiosk's own hall and printer, printing a ticket
on its ESC/POS printer, and the hall's citizen settings and kiosk printers (managers)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from hallops.domain.actors import Actor
from hallops.domain.errors import E, NotFound
from hallops.domain.estimate import WaitRange, describe
from hallops.domain.model import Role
from hallops.domain.numbering import service_day
from hallops.printing import escpos
from hallops.printing.slips import ticket_slip
from hallops.usecases.bundles import Bundles
from hallops.usecases.halls import Halls
from hallops.usecases.tickets import Tickets

if TYPE_CHECKING:
    from hallops.usecases import Context

log = logging.getLogger(__name__)

PUBLIC_ACTOR = Actor(Role.DISPLAY)  # what an anonymous page may see: any hall's public face


@dataclass(frozen=True, slots=True)
class PrintResult:
    printed: bool
    mode: str
    message: str = ""


def wait_words(status: dict[str, Any]) -> tuple[str, str]:
    """The estimated wait of a public status in words, Chinese and English ("", "" when none)."""
    est = status.get("estimated_wait")
    if not est:
        return "", ""
    return describe(WaitRange(est["low_minutes"], est["high_minutes"]))


async def hall_for(ctx: Context, actor: Actor, ref: str | int | None) -> dict[str, Any]:
    """The hall a request without one in its path acts on: the one named, else the actor's, else the only
    hall there is."""
    halls = Halls(ctx)
    return await halls.resolve(actor, await halls.hall_id_for(actor, ref))


def service_day_of(ctx: Context, timezone: str) -> dt.date:
    now = dt.datetime.fromtimestamp(ctx.clock(), dt.UTC)
    return service_day(now, ZoneInfo(timezone), ctx.ports.rules.rollover)


class Kiosk:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.port = ctx.ports.kiosk

    async def base_url(self, hall_id: int, fallback: str) -> str:
        """Where phones reach the hall: its configured public address, else `fallback` (the request's)."""
        s = await self.port.settings(hall_id)
        return str(s["public_base_url"] or fallback).rstrip("/")

    async def menu_sources(self, hall_id: int) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
        """The hall's layout, its live state and its bundles (一件事一次办): what a citizen's menu is made of."""
        halls = Halls(self.ctx)
        layout, state = await asyncio.gather(halls.layout(PUBLIC_ACTOR, hall_id), halls.state(PUBLIC_ACTOR, hall_id))
        return layout, state, await Bundles(self.ctx).offered(hall_id)

    async def me(self, actor: Actor, hall_ref: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
        """This kiosk's hall and printer."""
        hall = await hall_for(self.ctx, actor, hall_ref)
        return hall, await self.port.printer(actor.token_id)

    # -- printing ----------------------------------------------------------------------------------------

    async def print_ticket(self, actor: Actor, ticket_id: int, fallback_url: str) -> PrintResult:
        """Print a ticket on this kiosk's ESC/POS printer. A fault is told and logged, the ticket stays issued;
        a kiosk that prints with its browser is told so."""
        t = await self.port.ticket_for_print(ticket_id)
        if t is None:
            raise NotFound(E.TICKET_NOT_FOUND, "号票不存在 (no such ticket)")
        actor.check_hall(t["hall_id"])
        printer = await self.port.printer(actor.token_id)
        if printer["mode"] != "escpos":
            return PrintResult(False, printer["mode"])
        status = await Tickets(self.ctx).status(t["token"])
        slip = ticket_slip(t, people_ahead=status["people_ahead"], wait_text=wait_words(status)[0],
                           status_url=f"{await self.base_url(t['hall_id'], fallback_url)}/t/{t['token']}")
        try:
            data = await asyncio.to_thread(escpos.render, slip)
            await asyncio.to_thread(escpos.send, printer["host"], printer["port"], data)
            ok, err = True, ""
        except escpos.PrinterFault as e:
            ok, err = False, str(e)
            log.warning("kiosk token %s: printer %s:%s failed for ticket %s: %s", actor.token_id, printer["host"],
                        printer["port"], t["number"], e)
        await self.port.log_print(token_id=actor.token_id, ticket_id=t["id"], ok=ok, error=err)
        return PrintResult(ok, "escpos", err)

    # -- managers ----------------------------------------------------------------------------------------

    async def settings(self, actor: Actor | None, hall_id: int) -> dict[str, Any]:
        if actor is not None:
            actor.check_hall(hall_id)
        return await self.port.settings(hall_id)

    async def save_settings(self, actor: Actor, hall_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        actor.check_hall(hall_id)
        return await self.port.save_settings(hall_id, changes, actor)

    async def printers(self, actor: Actor, hall_id: int) -> list[dict[str, Any]]:
        actor.check_hall(hall_id)
        return await self.port.printers(hall_id)

    async def set_printer(self, actor: Actor, *, token_id: int, mode: str, host: str, port: int) -> dict[str, Any]:
        # The kiosk token's hall is checked in the write job: the check and the write see the same row.
        return await self.port.set_printer(token_id=token_id, mode=mode, host=host, port=port, actor=actor)
