"""一件事一次办 visits: issuing a bundle's ticket (its route is followed by the ticket's finish, in
storage/tickets.py via storage/bundles.py). Bundles themselves are set up in the console (usecases/layout.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hallops.domain.actors import Actor
from hallops.domain.errors import E, InvalidInput
from hallops.domain.model import Channel, Priority
from hallops.usecases.tickets import Tickets

if TYPE_CHECKING:
    from hallops.usecases import Context


class Bundles:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.port = ctx.ports.bundles

    async def issue(self, actor: Actor, bundle_id: int, *, channel: Channel, priority: Priority,
                    idempotency: tuple[str, str, str] | None = None) -> tuple[dict[str, Any], bool]:
        """A ticket for the bundle's first stop; finishing it at each stop sends it on to the next, with its
        number, until the last. (ticket, created): a repeated idempotency key gives the same ticket again."""
        bundle = await self.start(bundle_id)
        actor.check_hall(int(bundle["hall_id"]))
        ticket, created = await Tickets(self.ctx).issue(
            actor, hall=int(bundle["hall_id"]), queue=bundle["stops"][0], channel=channel, priority=priority,
            idempotency=idempotency, bundle_id=bundle_id)
        return ticket | {"bundle": {"id": bundle["id"], "code": bundle["code"], "name": bundle["name"],
                                    "stops": len(bundle["stops"])}}, created

    async def start(self, bundle_id: int) -> dict[str, Any]:
        """An active bundle with its route (`stops`, the queues' ids), refused when it has nowhere to start."""
        bundle = await self.port.bundle(bundle_id)
        if not bundle["stops"]:
            raise InvalidInput(E.QUEUES_REQUIRED, "该一件事的事项没有业务类型，无法取号 (no item of this bundle has a "
                                                  "queue)")
        return bundle

    async def offered(self, hall_id: int) -> list[dict[str, Any]]:
        """What citizens choose from (public, like the menu): the hall's active bundles, their steps in order."""
        return await self.port.offered(hall_id)
