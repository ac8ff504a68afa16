"""Tickets: issue, look up, every clerk action on one ticket, and auto-no-show after the recall limit.

The state machine (hallops/domain/tickets.py), who may act on a ticket (domain/ticket_access.py), transfers
(domain/transfers.py) and auto-no-show (domain/no_show.py) are the domain's; the port checks them against the
rows inside the write."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hallops.domain.actors import Actor
from hallops.domain.errors import E, Forbidden, NotFound
from hallops.domain.model import STAFF_ROLES, Channel, Priority, Role, TransferPlacement
from hallops.domain.tickets import Action
from hallops.usecases.halls import Halls

if TYPE_CHECKING:
    from hallops.usecases import Context

log = logging.getLogger(__name__)
ISSUERS = STAFF_ROLES | {Role.KIOSK}


class Tickets:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.port = ctx.ports.tickets

    async def issue(self, actor: Actor, *, hall: str | int | None, queue: str | int, channel: Channel,
                    priority: Priority, appointment_at: float | None = None,
                    idempotency: tuple[str, str, str] | None = None,
                    bundle_id: int | None = None) -> tuple[dict[str, Any], bool]:
        """Issue a ticket (取号); (ticket, created). A repeated idempotency key gives the same ticket again."""
        if actor.role not in ISSUERS:
            raise Forbidden(E.FORBIDDEN, "无权取号 (this role cannot issue tickets)")
        actor.check_priority(priority)
        hall_id = await Halls(self.ctx).hall_id_for(actor, hall)
        return await self.port.issue(hall_id=hall_id, queue=queue, channel=channel, priority=priority, actor=actor,
                                     appointment_at=appointment_at, idempotency=idempotency, bundle_id=bundle_id)

    async def act(self, actor: Actor, ticket_id: int, action: Action, body: dict[str, Any]) -> dict[str, Any]:
        """Recall, start, park, call back, finish, no-show, cancel or transfer one ticket."""
        if actor.role not in STAFF_ROLES:
            raise Forbidden(E.FORBIDDEN, "无权操作号票 (this role cannot act on tickets)")
        body = dict(body)
        case_number = body.pop("case_number", None) if action is Action.FINISH else None
        out = await self.port.act(ticket_id, action, actor, body)
        if case_number:
            # 办件编号 (issue 12): kept beside the visit, for its rating and the report to the province.
            await self.ctx.ports.ratings.set_case_numbers(ticket_id, actor, {"": case_number})
        return out

    # The clerk's actions by name (the HTTP routes pass the action they were declared with to `act`).
    async def recall(self, actor: Actor, ticket_id: int) -> dict[str, Any]:
        return await self.act(actor, ticket_id, Action.RECALL, {})

    async def start(self, actor: Actor, ticket_id: int) -> dict[str, Any]:
        return await self.act(actor, ticket_id, Action.START, {})

    async def park(self, actor: Actor, ticket_id: int) -> dict[str, Any]:
        return await self.act(actor, ticket_id, Action.PARK, {})

    async def call_back(self, actor: Actor, ticket_id: int) -> dict[str, Any]:
        return await self.act(actor, ticket_id, Action.CALL_BACK, {})

    async def finish(self, actor: Actor, ticket_id: int, items: Sequence[int | str] = ()) -> dict[str, Any]:
        return await self.act(actor, ticket_id, Action.FINISH, {"items": list(items)})

    async def no_show(self, actor: Actor, ticket_id: int) -> dict[str, Any]:
        return await self.act(actor, ticket_id, Action.NO_SHOW, {})

    async def cancel(self, actor: Actor, ticket_id: int) -> dict[str, Any]:
        return await self.act(actor, ticket_id, Action.CANCEL, {})

    async def transfer(self, actor: Actor, ticket_id: int, *, queue: str | int | None = None,
                       window: int | None = None, placement: TransferPlacement = TransferPlacement.END,
                       ) -> dict[str, Any]:
        """To another queue and/or window, at the front, the end or by issue time; the ticket keeps its number."""
        return await self.act(actor, ticket_id, Action.TRANSFER,
                              {"queue": queue, "window": window, "placement": placement.value})

    async def ticket(self, actor: Actor, ticket_id: int) -> dict[str, Any]:
        """A ticket with its service items and its history."""
        got = await self.port.ticket(ticket_id)
        if got is None:
            raise NotFound(E.TICKET_NOT_FOUND, f"号票不存在 (no ticket {ticket_id})")
        actor.check_hall(got[0])
        return got[1]

    async def status(self, token: str) -> dict[str, Any]:
        """The public view of one ticket, by its unguessable token (the citizen's phone)."""
        status = await self.port.status(token)
        if status is None:
            raise NotFound(E.TICKET_NOT_FOUND, "号票不存在 (no such ticket)")
        return status

    async def auto_no_show(self) -> list[dict[str, Any]]:
        """Mark no-show the called tickets whose time after the last recall ran out (a background loop)."""
        marked = await self.port.auto_no_show()
        for t in marked:
            log.info("ticket %s (%s): no-show by itself after the recall limit", t["id"], t["number"])
        return marked
