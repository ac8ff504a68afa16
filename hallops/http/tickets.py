"""Tickets: issue, look up, and every clerk action on one ticket."""

from __future__ import annotations

import hashlib

from aiohttp import web
from pydantic import BaseModel

from hallops.domain.actors import Actor
from hallops.domain.errors import E, InvalidInput
from hallops.domain.model import Priority, Role
from hallops.domain.tickets import Action
from hallops.http import bodies
from hallops.http.api import RouteTable, json_response, path_int, request_digest
from hallops.http.keys import USECASES

routes = RouteTable("tickets")

ISSUERS = frozenset({Role.ADMIN, Role.MANAGER, Role.CLERK, Role.KIOSK})
SERVERS = frozenset({Role.ADMIN, Role.MANAGER, Role.CLERK})
STAFF = frozenset({Role.ADMIN, Role.MANAGER, Role.CLERK})


def idempotency(request: web.Request, actor: Actor, what: BaseModel | str) -> tuple[str, str, str] | None:
    """(scope, key, digest of the request) from an Idempotency-Key header, if sent: a retry with the key gives
    the ticket the first try made."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not (1 <= len(key) <= 128 and key.isprintable()):
        raise InvalidInput(E.BAD_IDEMPOTENCY_KEY, "Idempotency-Key 须为 1–128 个可打印字符 "
                                                  "(Idempotency-Key must be 1-128 printable characters)")
    scope = f"token:{actor.token_id}" if actor.token_id is not None else f"user:{actor.user_id}"
    digest = request_digest(what) if isinstance(what, BaseModel) else hashlib.sha256(what.encode()).hexdigest()
    return scope, key, digest


@routes.post("/api/v1/tickets", summary="Issue a ticket (取号); retry-safe with an Idempotency-Key header",
             roles=ISSUERS, body=bodies.IssueTicket,
             responses={201: "ticket issued", 200: "the same ticket again, for a repeated Idempotency-Key"})
async def issue(request: web.Request, actor: Actor, body: bodies.IssueTicket) -> web.Response:
    ticket, created = await request.app[USECASES].tickets.issue(
        actor, hall=body.hall, queue=body.queue, channel=body.channel, priority=body.priority or Priority.NONE,
        appointment_at=body.appointment_at.timestamp() if body.appointment_at else None,
        idempotency=idempotency(request, actor, body))
    ticket["position"] = ticket["people_ahead"] + 1 if ticket["status"] == "waiting" else 0
    return json_response(ticket, status=201 if created else 200,
                         headers=None if created else {"Idempotent-Replayed": "true"})


@routes.get("/api/v1/tickets/{ticket_id:\\d+}", summary="A ticket with its items and history", roles=STAFF)
async def get_ticket(request: web.Request, actor: Actor) -> web.Response:
    return json_response(await request.app[USECASES].tickets.ticket(actor, path_int(request, "ticket_id")))


def _action_route(path: str, action: Action, summary: str, body: type[bodies.Body]) -> None:
    async def handler(request: web.Request, actor: Actor, b: bodies.Body) -> web.Response:
        ticket = await request.app[USECASES].tickets.act(actor, path_int(request, "ticket_id"), action,
                                                         b.model_dump(mode="json"))
        return json_response({"ticket": ticket})
    handler.__name__ = action.value
    routes.post(f"/api/v1/tickets/{{ticket_id:\\d+}}/{path}", summary=summary, roles=SERVERS, body=body,
                responses={200: "the ticket after the action", 409: "illegal now; nothing changed"})(handler)


_action_route("recall", Action.RECALL, "Recall (重呼) the called ticket; counted, limited", bodies.Empty)
_action_route("start", Action.START, "Start serving the called ticket", bodies.Empty)
_action_route("park", Action.PARK, "Park (挂起) while the citizen fetches a document", bodies.Empty)
_action_route("call-back", Action.CALL_BACK, "Call a parked ticket back (回呼) to the same window", bodies.Empty)
_action_route("finish", Action.FINISH, "Finish (办结) with the service items handled", bodies.FinishTicket)
_action_route("no-show", Action.NO_SHOW, "Mark a called ticket as no-show (过号)", bodies.Empty)
_action_route("cancel", Action.CANCEL, "Cancel a waiting or called ticket", bodies.Empty)
_action_route("transfer", Action.TRANSFER, "Transfer to a queue or a window: front, end or by issue time; "
              "the ticket keeps its number", bodies.TransferTicket)
