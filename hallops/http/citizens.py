"""The citizen's side (issue 15): search over the hall's service items, 一码取号 at the kiosk or help desk
(identify, then a real-name ticket or the booking checked in), the phone's "my tickets", a text before one's
turn, booking from the phone, and the staff's view of text deliveries. The background loops (SMS queue,
subscriptions, erasure after the retention) are registered in `setup`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import Field, StrictInt, StrictStr, StringConstraints, model_validator

from hallops.background import Loop, register
from hallops.domain.actors import Actor
from hallops.domain.errors import E, InvalidInput
from hallops.domain.model import Role
from hallops.domain.search import DEFAULT_LIMIT
from hallops.http.api import RouteTable, hall_of, json_response, path_int, query_int
from hallops.http.bodies import Body, HallRef
from hallops.http.keys import USECASES
from hallops.storage.views import iso
from hallops.usecases.citizens import Citizens
from hallops.usecases.kiosk import hall_for

routes = RouteTable("citizens")
TILES: list[dict[str, Any]] = []

DESKS = frozenset({Role.KIOSK, Role.CLERK, Role.MANAGER, Role.ADMIN})  # kiosks and the help desk
STAFF = frozenset({Role.ADMIN, Role.MANAGER, Role.CLERK})
DEVICE_COOKIE = "hallops_device"

ShortStr = Annotated[StrictStr, StringConstraints(strip_whitespace=True, max_length=40)]


class Identify(Body):
    code: Annotated[StrictStr, StringConstraints(max_length=256)] | None = Field(
        None, description="what the scanner typed from the citizen's identity QR code")
    id_number: ShortStr | None = Field(None, description="an 18-sign resident ID number typed at the help desk")
    name: ShortStr | None = None
    hall: HallRef | None = None

    @model_validator(mode="after")
    def _one(self) -> Identify:
        if bool(self.code) == bool(self.id_number):
            raise ValueError("give either code or id_number")
        return self


class RealNameTicket(Body):
    session: Annotated[StrictStr, StringConstraints(pattern=r"^[A-Za-z0-9_-]{10,64}$")]
    queue: Annotated[StrictStr, StringConstraints(pattern=r"^[A-Za-z]{1,2}$")] | None = Field(
        None, description="a queue prefix; none: check in the citizen's booking of today")
    hall: HallRef | None = None


class SmsSubscribe(Body):
    mobile: ShortStr
    relation: Literal["self", "family"] = "self"
    ahead: Annotated[StrictInt, Field(ge=-1000, le=1000)] = 3


class PhoneBooking(Body):
    slot: Annotated[StrictInt, Field(ge=1)]
    id_number: ShortStr
    name: Annotated[StrictStr, StringConstraints(strip_whitespace=True, min_length=1, max_length=30)]
    mobile: ShortStr = ""


def _citizens(request: web.Request) -> Citizens:
    return request.app[USECASES].citizens


async def _device(request: web.Request) -> str | None:
    return await request.app[USECASES].phones.identify(request.cookies.get(DEVICE_COOKIE))


def _ts(rows: list[dict[str, Any]], *keys: str) -> list[dict[str, Any]]:
    return [r | {k: iso(r[k]) for k in keys if k in r} for r in rows]


# -- search --------------------------------------------------------------------------------------------

@routes.get("/api/v1/halls/{hall}/search", summary="Public: service items matching what a citizen typed "
            "(Chinese, pinyin, initials, English, common words), best first, with their queue and its wait; and "
            "the ids of the bundles (一件事一次办) whose name matches (the menu lists them)",
            roles=None, query=(("q", "the text typed (at most 40 characters)"), ("limit", "1–20, default 8")))
async def search(request: web.Request, actor: Actor | None) -> web.Response:
    limit = query_int(request, "limit", DEFAULT_LIMIT, lo=1, hi=20)
    hall_id, q = hall_of(request)["id"], request.query.get("q", "")
    hits = await _citizens(request).search(hall_id, q, limit)
    bundles = await _citizens(request).search_bundles(hall_id, q, limit)
    return json_response({"hits": hits, "bundles": bundles}, headers={"Cache-Control": "no-store"})


# -- 一码取号 at the kiosk and the help desk ----------------------------------------------------------

@routes.post("/api/v1/kiosk/identify", summary="一码取号: who a scanned identity code or a typed ID number is "
             "(masked), with their tickets and booking of today and a session for the ticket", roles=DESKS,
             body=Identify, responses={200: "identified", 422: "unknown or bad code", 503: "provider down"})
async def identify(request: web.Request, actor: Actor, body: Identify) -> web.Response:
    citizens = _citizens(request)
    hall = await hall_for(citizens.ctx, actor, body.hall)
    out = await citizens.identify(actor, hall, code=body.code, id_number=body.id_number, name=body.name)
    return json_response(out | {"booking": _ts([out["booking"]], "starts_at")[0] if out["booking"] else None})


@routes.post("/api/v1/kiosk/real-name-tickets", summary="一码取号: the identified citizen's ticket (their "
             "booking of today checked in when no queue is given), under the per-person daily limit",
             roles=DESKS, body=RealNameTicket, responses={201: "issued", 200: "the booking's ticket again",
                                                          409: "session expired", 429: "daily limit"})
async def real_name_ticket(request: web.Request, actor: Actor, body: RealNameTicket) -> web.Response:
    citizens = _citizens(request)
    hall = await hall_for(citizens.ctx, actor, body.hall)
    ticket, created = await citizens.real_name_ticket(actor, hall, session=body.session, queue=body.queue)
    appointment = ticket.get("appointment")
    if appointment:
        ticket = ticket | {"appointment": appointment | {"starts_at": iso(appointment["starts_at"]),
                                                         "ends_at": iso(appointment["ends_at"])}}
    return json_response(ticket, status=201 if created else 200)


# -- the phone -----------------------------------------------------------------------------------------

@routes.get("/api/v1/mobile/{hall}/mine", summary="Public: this phone's tickets of today and its bookings "
            "(by its signed device cookie)", roles=None)
async def mine(request: web.Request, actor: Actor | None) -> web.Response:
    out = await _citizens(request).mine(await _device(request), hall_of(request))
    return json_response({"tickets": _ts(out["tickets"], "issued_at"),
                          "bookings": _ts(out["bookings"], "starts_at", "ends_at")},
                         headers={"Cache-Control": "no-store"})


@routes.post("/api/v1/mobile/tickets/{token}/sms", summary="Public: text this number (the citizen's or a family "
             "member's) when `ahead` or fewer are ahead and when called", roles=None, body=SmsSubscribe,
             responses={200: "subscribed (the number masked)", 409: "the ticket no longer waits"})
async def sms_subscribe(request: web.Request, actor: Actor | None, body: SmsSubscribe) -> web.Response:
    token = request.match_info["token"]
    if not (16 <= len(token) <= 64 and token.replace("-", "").replace("_", "").isalnum()):
        raise InvalidInput(E.TICKET_NOT_FOUND, "号票不存在 (no such ticket)")
    out = await _citizens(request).subscribe(token, mobile=body.mobile, relation=body.relation, ahead=body.ahead)
    return json_response(out)


@routes.get("/api/v1/mobile/{hall}/slots", summary="Public: open appointment slots of the coming days with "
            "free places", roles=None)
async def slots(request: web.Request, actor: Actor | None) -> web.Response:
    rows = await _citizens(request).open_slots(hall_of(request))
    return json_response({"slots": _ts(rows, "starts_at", "ends_at")}, headers={"Cache-Control": "no-store"})


@routes.post("/api/v1/mobile/{hall}/bookings", summary="Public: book a slot, real-name (the identity provider "
             "checks the ID number and name); a code and a confirmation text, a reminder the day before",
             roles=None, body=PhoneBooking, responses={201: "booked", 409: "full / duplicate", 429: "blocked after "
                                                       "missed bookings", 503: "identity provider down"})
async def book(request: web.Request, actor: Actor | None, body: PhoneBooking) -> web.Response:
    out = await _citizens(request).book(hall_of(request), device=await _device(request), slot_id=body.slot,
                                        id_number=body.id_number, name=body.name, mobile=body.mobile)
    return json_response(out | {"starts_at": iso(out["starts_at"]), "ends_at": iso(out["ends_at"])}, status=201)


@routes.post("/api/v1/mobile/{hall}/bookings/{appointment_id:\\d+}/cancel", summary="Public: the phone that "
             "booked cancels its booking", roles=None, body=Body)
async def cancel_booking(request: web.Request, actor: Actor | None, body: Body) -> web.Response:
    return json_response(await _citizens(request).cancel_booking(
        hall_of(request), device=await _device(request), appointment_id=path_int(request, "appointment_id")))


# -- staff ---------------------------------------------------------------------------------------------

@routes.get("/api/v1/halls/{hall}/sms", summary="Text messages of today and yesterday with their delivery state "
            "(numbers masked)", roles=STAFF)
async def sms_outbox(request: web.Request, actor: Actor) -> web.Response:
    rows = await _citizens(request).outbox(actor, hall_of(request))
    return json_response({"messages": _ts(rows, "created_at", "sent_at", "next_at")})


def setup(app: web.Application) -> None:
    def citizens() -> Citizens:
        return app[USECASES].citizens

    interval = float(app[USECASES].ctx.config.sms.interval_seconds)
    sender = register(app, Loop("sms-send", interval, lambda: citizens().send_step(), delay_first=True))

    async def scan() -> int:
        n = await citizens().scan_step()
        if n:
            sender.wake()
        return n

    register(app, Loop("sms-subscriptions", interval, scan))
    register(app, Loop("personal-data-erasure", 3600, lambda: citizens().erase_step(), delay_first=True))
