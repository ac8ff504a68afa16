"""`Store`: everything the layers above may ask of storage, as async methods.

This is the seam for a second backend: handlers, the hub and the CLI use only these methods and the
plain dicts they return, never SQL. Writes run as whole-transaction jobs (tickets.py) on the single writer;
reads run on the reader pool. Accounts, tokens and signing keys moved to `accounts.AccountStore` and
`accounts.SigningKeys`, layout writes to `layout.LayoutStore` (ports.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from hallops.domain.actors import Actor
from hallops.domain.errors import E, NotFound
from hallops.domain.estimate import ServiceStats
from hallops.domain.model import Channel, Priority
from hallops.domain.tickets import Action
from hallops.domain.windows import WindowAction
from hallops.storage.db import Database, Tx
from hallops.storage.halls import HallStore, event_json
from hallops.storage.rules import Rules
from hallops.storage.tickets import TicketStore

T = TypeVar("T")


class Store:
    def __init__(self, db: Database, rules: Rules) -> None:
        self.db = db
        self.rules = rules

    async def write(self, fn: Callable[[Tx], T]) -> T:
        return await self.db.write(fn)

    def now(self) -> float:
        return self.db.clock()

    # -- tickets, windows and halls: kept for callers not yet moved to the ports (TicketStore, HallStore) ---

    @property
    def tickets(self) -> TicketStore:
        return TicketStore(self.db, self.rules)

    @property
    def hall_store(self) -> HallStore:
        return HallStore(self.db, self.rules)

    async def issue_ticket(self, *, hall_id: int, queue: str | int, channel: Channel, priority: Priority,
                           actor: Actor, appointment_at: float | None = None,
                           idempotency: tuple[str, str, str] | None = None) -> tuple[dict[str, Any], bool]:
        return await self.tickets.issue(hall_id=hall_id, queue=queue, channel=channel, priority=priority,
                                        actor=actor, appointment_at=appointment_at, idempotency=idempotency)

    async def call_next(self, window_id: int, actor: Actor) -> dict[str, Any] | None:
        return await self.tickets.call_next(window_id, actor)

    async def ticket_action(self, ticket_id: int, action: Action, actor: Actor,
                            body: dict[str, Any]) -> dict[str, Any]:
        return await self.tickets.act(ticket_id, action, actor, body)

    async def window_action(self, window_id: int, action: WindowAction, actor: Actor,
                            body: dict[str, Any]) -> dict[str, Any]:
        return await self.tickets.window_act(window_id, action, actor, body)

    async def close_day(self, hall_id: int, *, through_today: bool, actor: Actor) -> dict[str, Any]:
        return await self.tickets.close_day(hall_id, through_today=through_today, actor=actor)

    # -- reading -------------------------------------------------------------------------------------------

    async def resolve_hall(self, ref: str | int, actor: Actor) -> dict[str, Any]:
        """A hall by id or code; another hall than the actor's does not exist for them."""
        return await find_hall(self.hall_store, ref, actor)

    async def halls(self, actor: Actor) -> list[dict[str, Any]]:
        return [h for h in await self.hall_store.all() if actor.hall_id is None or h["id"] == actor.hall_id]

    async def hall_layout(self, hall_id: int) -> dict[str, Any]:
        return found(await self.hall_store.layout(hall_id), hall_id)

    async def hall_state(self, hall_id: int) -> dict[str, Any]:
        return found(await self.hall_store.state(hall_id), hall_id)

    async def ticket(self, ticket_id: int, actor: Actor) -> dict[str, Any]:
        got = await self.tickets.ticket(ticket_id)
        if got is None:
            raise NotFound(E.TICKET_NOT_FOUND, f"号票不存在 (no ticket {ticket_id})")
        actor.check_hall(got[0])
        return got[1]

    async def ticket_history(self, hall_id: int, ticket_id: int) -> list[dict[str, Any]]:
        return await self.tickets.history(hall_id, ticket_id)

    async def ticket_status(self, token: str) -> dict[str, Any]:
        """The public view of one ticket, by its unguessable token."""
        status = await self.tickets.status(token)
        if status is None:
            raise NotFound(E.TICKET_NOT_FOUND, "号票不存在 (no such ticket)")
        return status

    async def recent_service_stats(self, queue_id: int, default: float) -> ServiceStats:
        return await self.tickets.recent_service_stats(queue_id, default)

    async def events_after(self, hall_id: int, after: int, limit: int = 500) -> list[dict[str, Any]]:
        return await self.hall_store.events_after(hall_id, after, limit)


def found(value: dict[str, Any] | None, hall_id: int) -> dict[str, Any]:
    if value is None:
        raise NotFound(E.HALL_NOT_FOUND, f"大厅不存在 (no hall {hall_id})")
    return value


async def find_hall(halls: HallStore, ref: str | int, actor: Actor) -> dict[str, Any]:
    """A hall by id or code (digits are an id); another hall than the actor's does not exist for them."""
    row = await halls.find(int(ref) if isinstance(ref, int) or str(ref).isdigit() else str(ref))
    if row is None:
        raise NotFound(E.HALL_NOT_FOUND, f"大厅不存在 (no hall {ref!r})")
    actor.check_hall(row["id"])
    return row


__all__ = ["Store", "event_json", "find_hall", "found"]
