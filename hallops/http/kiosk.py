"""The citizen's pages: kiosk ticketing, the phone ticket page, the hall QR code (一码取号), appointments.

Kiosk authentication: the kiosk is a device with a kiosk token. The installer opens
`/kiosk/{hall}#token=hop_…` once: the fragment never leaves the browser (so the token is never in an access
log, a proxy log or a Referer), the page moves it to localStorage and wipes it from the address bar, and
sends it as `Authorization: Bearer` on every call. Bearer calls need no CSRF token (a browser never adds
them by itself), and the kiosk page itself is a public shell without secrets. A cookie would have needed a
device session type in the core, and a `?token=` query would be written to every access log.

The phone page follows one ticket over a websocket that carries only that ticket's news: the server listens
to the hall's events that can change it (its own, those of its queue, changes of the windows serving its
queue), reads the public status once per batch of news for all the sockets of that ticket (`PhoneWatches`),
and sends it when it changed — never the events themselves. Ticks never cause a read. A ticket may have a
few sockets, an address a few dozen; past that the socket is closed with 1008 and a reason.

Phone tickets are counted per device: the device cookie is signed by the server (HMAC-SHA256), so a phone
cannot name itself a fresh device; one that clears its cookies is a new device, and the per-address limit
still counts it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import json
import logging
import re
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import qrcode
import qrcode.image.svg
from aiohttp import WSCloseCode, WSMsgType, web
from pydantic import AwareDatetime, Field, StrictBool, StrictInt, StrictStr, StringConstraints

from hallops.domain import appointments as ap
from hallops.domain import ratelimit
from hallops.domain.actors import Actor
from hallops.domain.errors import E, InvalidInput, NotFound
from hallops.domain.estimate import WaitRange, describe
from hallops.domain.events import Ev
from hallops.domain.model import Role
from hallops.events.hub import EventHub
from hallops.http.api import RouteTable, json_response, path_int, request_digest
from hallops.http.bodies import Body, HallRef, QueueRef
from hallops.http.errors import error_response
from hallops.http.keys import HUB, STORE, USECASES
from hallops.http.web import render
from hallops.printing import escpos
from hallops.storage import appointments as appt_store
from hallops.storage import kiosk as kiosk_store
from hallops.storage.db import Event
from hallops.storage.rules import service_day_of, zone
from hallops.storage.store import Store

log = logging.getLogger(__name__)

routes = RouteTable("kiosk")
TILES: list[dict[str, Any]] = [
    {"zh": "预约与取号设置", "en": "Appointments & kiosks", "href": "/appointments/{hall}",
     "roles": {"admin", "manager"}},
    {"zh": "一码取号（手机）", "en": "Phone ticketing QR", "href": "/m/{hall}", "roles": {"admin", "manager"}},
]

KIOSK = frozenset({Role.KIOSK})
CHECKERS = frozenset({Role.KIOSK, Role.CLERK, Role.MANAGER, Role.ADMIN})
SUPERVISORS = frozenset({Role.ADMIN, Role.MANAGER})
STAFF = frozenset({Role.ADMIN, Role.MANAGER, Role.CLERK})
PUBLIC_ACTOR = Actor(Role.DISPLAY)  # what an anonymous page may see: any hall's public face
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
DEVICE_COOKIE = "hallops_device"
DEVICE_COOKIE_MAX_AGE = 400 * 86400
FINAL = frozenset({"done", "no_show", "cancelled", "expired"})
PHONE_QUEUE = 64  # events waiting for one phone; past that it is cut off and reconnects
SOCKETS_PER_TICKET = 3  # a citizen's phone, a second tab, a relative's phone
SOCKETS_PER_ADDRESS = 30  # a family or a small office behind one address; the hall's Wi-Fi needs a proxy setup
CLOSE_TOO_MANY = WSCloseCode.POLICY_VIOLATION  # 1008: the page waits longer before it tries again
# What another ticket of the same queue can do that changes mine: join or leave the waiting line (people
# ahead), or end a service (the recent service times behind the estimate). Starting, recalling, parking or a
# no-show at a window change neither.
NEWS_FROM_OTHERS = frozenset({Ev.TICKET_ISSUED, Ev.TICKET_CALLED, Ev.TICKET_TRANSFERRED, Ev.TICKET_CANCELLED,
                              Ev.TICKET_FINISHED, Ev.TICKET_EXPIRED})

PhoneSockets = set[web.WebSocketResponse]
PrintTasks = set["asyncio.Future[tuple[bool, str]]"]
PHONE_SOCKETS: web.AppKey[PhoneSockets] = web.AppKey("phone_sockets", PhoneSockets)
PRINT_TASKS: web.AppKey[PrintTasks] = web.AppKey("print_tasks", PrintTasks)


# -- request bodies ------------------------------------------------------------------------------------

class CheckIn(Body):
    code: Annotated[StrictStr, StringConstraints(max_length=40)]
    hall: HallRef | None = None


class PrintTicket(Body):
    ticket_id: Annotated[StrictInt, Field(ge=1)]


class MobileTicket(Body):
    queue: QueueRef
    priority: Literal["none", "elderly", "disabled", "green_channel"] = Field(
        "none", description="always \"none\" on the phone: priority is granted at a kiosk or the help desk")


class Slots(Body):
    queue: QueueRef
    day: dt.date
    start: dt.time = Field(description="local time of the first slot, e.g. 09:00")
    end: dt.time = Field(description="local time the last slot ends, e.g. 12:00")
    every_minutes: Annotated[StrictInt, Field(ge=5, le=240)] = 30
    capacity: Annotated[StrictInt, Field(ge=1, le=500)] = 4


class NewBooking(Body):
    queue: Annotated[StrictStr, StringConstraints(pattern=r"^[A-Za-z]{1,2}$")]
    start: Annotated[StrictStr, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")] | AwareDatetime = Field(
        description="slot start: the hall's local \"YYYY-MM-DD HH:MM\", or ISO 8601 with its UTC offset")
    name: Annotated[StrictStr, StringConstraints(strip_whitespace=True, max_length=50)] = ""
    phone: Annotated[StrictStr, StringConstraints(strip_whitespace=True, max_length=20)] = ""
    code: Annotated[StrictStr, StringConstraints(max_length=40)] | None = None


class ImportBookings(Body):
    csv: Annotated[StrictStr, StringConstraints(max_length=1_000_000)] = Field(
        description="header row, then code,name,phone,queue,start (local YYYY-MM-DD HH:MM)")


class CitizenSettings(Body):
    checkin_early_minutes: Annotated[StrictInt, Field(ge=0, le=240)] | None = None
    checkin_late_minutes: Annotated[StrictInt, Field(ge=0, le=240)] | None = None
    mobile_per_device_hour: Annotated[StrictInt, Field(ge=0, le=20)] | None = None
    mobile_per_address_hour: Annotated[StrictInt, Field(ge=1, le=10000)] | None = None
    mobile_enabled: StrictBool | None = None
    no_show_after_recalls_seconds: Annotated[StrictInt, Field(ge=0, le=1800)] | None = None
    public_base_url: Annotated[StrictStr, StringConstraints(
        pattern=r"^(https?://[A-Za-z0-9.:\[\]-]+(/[A-Za-z0-9._~/-]*)?)?$", max_length=200)] | None = None


class KioskPrinter(Body):
    mode: Literal["escpos", "browser", "none"]
    host: Annotated[StrictStr, StringConstraints(pattern=r"^[A-Za-z0-9.:-]*$", max_length=100)] = ""
    port: Annotated[StrictInt, Field(ge=1, le=65535)] = 9100


# -- helpers -------------------------------------------------------------------------------------------

async def _hall(request: web.Request, actor: Actor | None, ref: str | int | None = None) -> dict[str, Any]:
    store = request.app[STORE]
    ref = ref if ref is not None else request.match_info.get("hall")
    if ref is None:
        if actor is not None and actor.hall_id is not None:
            ref = actor.hall_id
        else:
            halls = await store.halls(actor or PUBLIC_ACTOR)
            if len(halls) != 1:
                raise InvalidInput(E.HALL_REQUIRED, "请指定大厅 (give \"hall\")", field="hall")
            ref = halls[0]["id"]
    return await store.resolve_hall(ref, actor or PUBLIC_ACTOR)


def _token(request: web.Request) -> str:
    token = request.match_info["token"]
    if not TOKEN_RE.match(token):
        raise NotFound(E.TICKET_NOT_FOUND, "号票不存在 (no such ticket)")
    return token


async def _base_url(request: web.Request, hall_id: int) -> str:
    """Where phones reach us: the hall's configured public address, else the address the request used."""
    s = await kiosk_store.read_settings(request.app[STORE].db, hall_id)
    return (s["public_base_url"] or f"{request.scheme}://{request.host}").rstrip("/")


def qr_svg(data: str) -> web.Response:
    img = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    return web.Response(body=img.to_string(), content_type="image/svg+xml",
                        headers={"Cache-Control": "private, max-age=3600"})


def _wait_text(status: dict[str, Any]) -> tuple[str, str]:
    est = status.get("estimated_wait")
    if not est:
        return "", ""
    return describe(WaitRange(est["low_minutes"], est["high_minutes"]))


def public_status(status: dict[str, Any]) -> dict[str, Any]:
    """The core's public status with the wait in words (both languages), as the pages show it."""
    zh, en = _wait_text(status)
    return status | {"wait_zh": zh, "wait_en": en}


async def phone_status(store: Store, token: str) -> dict[str, Any]:
    """What the phone page shows: the public status, and for a served or missed ticket the window that
    served or called it (the core's public status names a window only while the ticket is at one)."""
    status = public_status(await store.ticket_status(token))
    if status["status"] in ("done", "no_show") and status.get("window") is None:
        w = await kiosk_store.last_window(store.db, token)
        if w is not None:
            status |= {"window": w["number"], "window_name": w["name"]}
    return status


# -- the phone's device id (signed) --------------------------------------------------------------------

async def _device(request: web.Request) -> str | None:
    """The device this request's cookie names, if the server signed it."""
    key = await request.app[USECASES].accounts.signing_key("device-cookie")
    return ratelimit.device_from_cookie(key, request.cookies.get(DEVICE_COOKIE))


async def _new_device(request: web.Request, resp: web.StreamResponse) -> str:
    device_id, cookie = ratelimit.new_device_cookie(
        await request.app[USECASES].accounts.signing_key("device-cookie"))
    # HttpOnly: page scripts cannot copy or reset it; Lax: another site cannot post with it.
    resp.set_cookie(DEVICE_COOKIE, cookie, max_age=DEVICE_COOKIE_MAX_AGE, httponly=True, samesite="Lax", path="/")
    return device_id


# -- phones following their tickets --------------------------------------------------------------------

@dataclass(slots=True)
class _Watch:
    sockets: int = 0
    seq: int = -1  # `status` was read after every event up to this sequence number had committed
    status: dict[str, Any] | None = None
    pending: tuple[int, asyncio.Task[dict[str, Any]]] | None = None


class PhoneWatches:
    """The phones following tickets: a few sockets per ticket and per address at most, and one status read
    per ticket per batch of news, shared by all the sockets of that ticket.

    The hub publishes an event only after its COMMIT, so a read started after a socket got the event with
    sequence number N sees everything up to N. A socket whose news ends at N takes the remembered status if
    it was read after N, or waits for a read in flight that started after N, and only otherwise reads."""

    def __init__(self, read: Callable[[str], Coroutine[Any, Any, dict[str, Any]]], *,
                 per_ticket: int = SOCKETS_PER_TICKET, per_address: int = SOCKETS_PER_ADDRESS) -> None:
        self._read = read
        self.per_ticket = per_ticket
        self.per_address = per_address
        self._watches: dict[str, _Watch] = {}
        self._addresses: Counter[str] = Counter()
        self._tasks: set[asyncio.Task[dict[str, Any]]] = set()
        self.reads = 0  # status reads made: what the database pays for all the phones

    def join(self, token: str, address: str) -> str | None:
        """Count a new socket in; the refusal's reason when one more is too many."""
        w = self._watches.get(token)
        if w is not None and w.sockets >= self.per_ticket:
            return "too many connections for this ticket"
        if self._addresses[address] >= self.per_address:
            return "too many connections from this address"
        w = self._watches.setdefault(token, _Watch())
        w.sockets += 1
        self._addresses[address] += 1
        return None

    def leave(self, token: str, address: str) -> None:
        w = self._watches.get(token)
        if w is not None:
            w.sockets -= 1
            if w.sockets <= 0:
                del self._watches[token]
        self._addresses[address] -= 1
        if self._addresses[address] <= 0:
            del self._addresses[address]

    async def status(self, token: str, seq: int) -> dict[str, Any]:
        """The ticket's status as of at least event `seq` (the socket must have joined)."""
        w = self._watches[token]
        if w.status is not None and w.seq >= seq:
            return w.status
        if w.pending is None or w.pending[0] < seq:
            task = asyncio.create_task(self._read(token), name="phone-status")
            self.reads += 1
            self._tasks.add(task)
            task.add_done_callback(functools.partial(self._done, w, seq))
            w.pending = (seq, task)
        # Shielded: a socket that leaves must not cancel the read the ticket's other sockets wait for.
        return await asyncio.shield(w.pending[1])

    def _done(self, w: _Watch, seq: int, task: asyncio.Task[dict[str, Any]]) -> None:
        self._tasks.discard(task)
        if w.pending is not None and w.pending[1] is task:
            w.pending = None
        if task.cancelled() or task.exception() is not None:  # the waiting sockets got it raised
            return
        if seq > w.seq:
            w.seq, w.status = seq, task.result()

    async def close(self) -> None:
        tasks = list(self._tasks)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


PHONE_WATCHES: web.AppKey[PhoneWatches] = web.AppKey("phone_watches", PhoneWatches)


# -- pages ---------------------------------------------------------------------------------------------

@routes.get("/kiosk/{hall}", summary="Kiosk page (touch screen); the device token comes in the URL fragment",
            roles=None, page=True)
async def kiosk_page(request: web.Request, actor: Actor | None) -> web.Response:
    hall = await _hall(request, None)
    return render(request, "kiosk/kiosk.html", hall=hall)


@routes.get("/t/{token}", summary="The citizen's ticket on the phone (live)", roles=None, page=True)
async def phone_page(request: web.Request, actor: Actor | None) -> web.Response:
    token = _token(request)
    store = request.app[STORE]
    status = await phone_status(store, token)
    ref = await kiosk_store.ticket_ref(store.db, token)
    taken_by = await kiosk_store.mobile_device_of(store.db, token)
    # Only the phone that took a ticket may take it back (see kiosk_store.cancel_mobile).
    mine = taken_by is not None and taken_by == await _device(request)
    return render(request, "phone/ticket.html", st=status, token=token, can_cancel=mine,
                  hall_code=ref["hall_code"] if ref else "")


@routes.get("/t/{token}/qr.svg", summary="QR code of the phone ticket page", roles=None, page=True)
async def phone_qr(request: web.Request, actor: Actor | None) -> web.Response:
    token = _token(request)
    ref = await kiosk_store.ticket_ref(request.app[STORE].db, token)
    if ref is None:
        raise NotFound(E.TICKET_NOT_FOUND, "号票不存在 (no such ticket)")
    return qr_svg(f"{await _base_url(request, ref['hall_id'])}/t/{token}")


@routes.get("/m/{hall}", summary="一码取号: take a ticket from the phone", roles=None, page=True)
async def mobile_page(request: web.Request, actor: Actor | None) -> web.Response:
    hall = await _hall(request, None)
    settings = await kiosk_store.read_settings(request.app[STORE].db, hall["id"])
    resp = render(request, "phone/take.html", hall=hall, settings=settings)
    if await _device(request) is None:  # a first visit, or a cookie the server never signed
        await _new_device(request, resp)
    return resp


@routes.get("/m/{hall}/qr.svg", summary="The hall's 一码取号 QR code (print it, or show it on a screen)",
            roles=None, page=True)
async def mobile_qr(request: web.Request, actor: Actor | None) -> web.Response:
    hall = await _hall(request, None)
    return qr_svg(f"{await _base_url(request, hall['id'])}/m/{hall['code']}")


@routes.get("/appointments/{hall}", summary="Appointments, kiosk printers and phone-ticket settings",
            roles=SUPERVISORS, page=True)
async def appointments_page(request: web.Request, actor: Actor) -> web.Response:
    hall = await _hall(request, actor)
    day = service_day_of(request.app[STORE].now(), hall["timezone"], request.app[STORE].rules)
    wanted = request.query.get("day", "")
    with contextlib.suppress(ValueError):
        day = dt.date.fromisoformat(wanted).isoformat() if re.fullmatch(r"\d{4}-\d{2}-\d{2}", wanted) else day
    return render(request, "kiosk/appointments.html", hall=hall, day=day)


# -- the menu a citizen chooses from -------------------------------------------------------------------

@routes.get("/api/v1/halls/{hall}/menu", summary="Public: queues by category with their service items and "
            "waiting counts (kiosk and phone menus)", roles=None)
async def menu(request: web.Request, actor: Actor | None) -> web.Response:
    store = request.app[STORE]
    hall = await _hall(request, actor)
    layout, state = await asyncio.gather(store.hall_layout(hall["id"]), store.hall_state(hall["id"]))
    waiting = {q["prefix"]: q["waiting"] for q in state["queues"]}
    items: dict[str, list[str]] = {}
    for i in layout["service_items"]:
        if i["active"] and i["queue"]:
            items.setdefault(i["queue"], []).append(i["name"])
    queues = [{"prefix": q["prefix"], "name": q["name"], "name_en": q["name_en"], "category": q["category"],
               "category_en": q["category_en"], "kind": q["kind"], "hours": q["hours"],
               "waiting": waiting.get(q["prefix"], 0), "items": items.get(q["prefix"], [])}
              for q in layout["queues"] if q["active"]]
    cats: dict[str, dict[str, Any]] = {}
    for q in queues:
        c = cats.setdefault(q["category"] or "其他", {"zh": q["category"] or "其他", "en": q["category_en"] or "Other",
                                                      "queues": []})
        c["queues"].append(q["prefix"])
    return json_response({"hall": layout["hall"] | {"seq": state["seq"]}, "categories": list(cats.values()),
                          "queues": queues}, headers={"Cache-Control": "no-store"})


# -- kiosk ---------------------------------------------------------------------------------------------

@routes.get("/api/v1/kiosk/me", summary="This kiosk: its hall and printer", roles=KIOSK)
async def kiosk_me(request: web.Request, actor: Actor) -> web.Response:
    store = request.app[STORE]
    hall = await _hall(request, actor, request.query.get("hall"))
    printer = await kiosk_store.printer_for(store.db, actor.token_id)
    return json_response({"hall": {k: hall[k] for k in ("id", "code", "name", "name_en")},
                          "printer": {"mode": printer["mode"]}, "base_url": await _base_url(request, hall["id"])})


@routes.post("/api/v1/kiosk/print", summary="Print a ticket on this kiosk's ESC/POS printer; a fault is "
             "reported (and logged), the ticket stays issued", roles=KIOSK, body=PrintTicket)
async def kiosk_print(request: web.Request, actor: Actor, body: PrintTicket) -> web.Response:
    store = request.app[STORE]
    t = await kiosk_store.ticket_for_print(store.db, body.ticket_id)
    if t is None:
        raise NotFound(E.TICKET_NOT_FOUND, "号票不存在 (no such ticket)")
    actor.check_hall(t["hall_id"])
    printer = await kiosk_store.printer_for(store.db, actor.token_id)
    if printer["mode"] != "escpos":
        return json_response({"printed": False, "mode": printer["mode"]})
    status = public_status(await store.ticket_status(t["token"]))
    slip = escpos.TicketSlip(
        hall_name=t["hall_name"], number=t["number"], queue_name=t["queue_name"], queue_name_en=t["queue_name_en"],
        issued_at=t["issued_at"], timezone=t["timezone"], people_ahead=status["people_ahead"],
        wait_text=status["wait_zh"], status_url=f"{await _base_url(request, t['hall_id'])}/t/{t['token']}",
        priority_text="老年人优先" if t["priority"] == "elderly" else
        ("优先办理" if t["priority"] != "none" else ""),
        appointment_text=("预约 " + dt.datetime.fromtimestamp(t["appointment_at"], zone(t["timezone"]))
                          .strftime("%H:%M")) if t["appointment_at"] else "")

    async def job() -> tuple[bool, str]:
        try:
            data = await asyncio.to_thread(escpos.render, slip)
            await asyncio.to_thread(escpos.send, printer["host"], printer["port"], data)
            ok, err = True, ""
        except escpos.PrinterFault as e:
            ok, err = False, str(e)
            log.warning("kiosk token %s: printer %s:%s failed for ticket %s: %s", actor.token_id, printer["host"],
                        printer["port"], t["number"], e)
        await store.db.write(lambda tx: kiosk_store.log_print(tx, token_id=actor.token_id, ticket_id=t["id"], ok=ok,
                                                              error=err))
        return ok, err

    # A kiosk that hangs up mid-print must not lose the fault record: the job runs to its end.
    task = asyncio.ensure_future(job())
    request.app[PRINT_TASKS].add(task)
    task.add_done_callback(request.app[PRINT_TASKS].discard)
    ok, err = await asyncio.shield(task)
    return json_response({"printed": ok, "mode": "escpos", "message": err or None})


# -- appointments --------------------------------------------------------------------------------------

@routes.post("/api/v1/appointments/check-in", summary="Check in with an appointment code: issues the ticket "
             "(channel appointment, placed at the slot start); again gives the same ticket", roles=CHECKERS,
             body=CheckIn, responses={201: "ticket issued", 200: "already checked in: the same ticket",
                                      409: "too early / too late / cancelled"})
async def check_in(request: web.Request, actor: Actor, body: CheckIn) -> web.Response:
    store = request.app[STORE]
    hall = await _hall(request, actor, body.hall)
    ticket, created = await store.db.write(lambda tx: appt_store.check_in(
        tx, store.rules, hall_id=hall["id"], code=body.code, actor=actor))
    ticket["position"] = ticket["people_ahead"] + 1 if ticket["status"] == "waiting" else 0
    return json_response(ticket, status=201 if created else 200)


@routes.post("/api/v1/halls/{hall}/appointment-slots", summary="Add a day of slots to a queue", roles=SUPERVISORS,
             body=Slots, responses={200: "{created, skipped}"})
async def add_slots(request: web.Request, actor: Actor, body: Slots) -> web.Response:
    store = request.app[STORE]
    hall = await _hall(request, actor)
    spans = ap.day_slots(body.day, body.start, body.end, body.every_minutes, zone(hall["timezone"]))
    queue = body.queue if isinstance(body.queue, str) else str(body.queue)
    return json_response(await store.db.write(lambda tx: appt_store.create_slots(
        tx, hall_id=hall["id"], queue=queue.upper(), spans=spans, capacity=body.capacity, actor=actor)))


@routes.post("/api/v1/halls/{hall}/appointments", summary="Book one appointment into a slot (a code is made "
             "unless given)", roles=SUPERVISORS, body=NewBooking, responses={201: "booked"})
async def add_booking(request: web.Request, actor: Actor, body: NewBooking) -> web.Response:
    store = request.app[STORE]
    hall = await _hall(request, actor)
    tz = zone(hall["timezone"])
    start = body.start.timestamp() if isinstance(body.start, dt.datetime) else \
        ap.parse_local_start(body.start, tz, where="start")
    digits = re.sub(r"\D", "", body.phone)
    booking = ap.Booking(1, ap.normalize_code(body.code) if body.code else None, body.name, digits[-4:],
                         body.queue.upper(), start)
    result = await store.db.write(lambda tx: appt_store.import_bookings(
        tx, hall_id=hall["id"], bookings=[booking], source="api", actor=actor))
    return json_response(result, status=201 if result["created"] else 200)


@routes.post("/api/v1/halls/{hall}/appointments/import", summary="Import bookings from CSV, all or nothing",
             roles=SUPERVISORS, body=ImportBookings)
async def import_bookings(request: web.Request, actor: Actor, body: ImportBookings) -> web.Response:
    store = request.app[STORE]
    hall = await _hall(request, actor)
    bookings = ap.parse_bookings_csv(body.csv, zone(hall["timezone"]))
    return json_response(await store.db.write(lambda tx: appt_store.import_bookings(
        tx, hall_id=hall["id"], bookings=bookings, source="csv", actor=actor)))


@routes.get("/api/v1/halls/{hall}/appointments", summary="A day's slots and bookings, with check-ins and no-shows",
            roles=STAFF, query=(("day", "service day YYYY-MM-DD (default today)"),))
async def day_appointments(request: web.Request, actor: Actor) -> web.Response:
    store = request.app[STORE]
    hall = await _hall(request, actor)
    tz = zone(hall["timezone"])
    try:
        day = dt.date.fromisoformat(request.query.get("day") or service_day_of(store.now(), hall["timezone"],
                                                                                store.rules))
    except ValueError:
        raise InvalidInput(E.BAD_QUERY, "day 应为 YYYY-MM-DD (day must be YYYY-MM-DD)", field="day") from None
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz).timestamp()
    view = await appt_store.day_view(store.db, hall_id=hall["id"], start=start, end=start + 86400, now=store.now())
    return json_response({"day": day.isoformat()} | view)


@routes.post("/api/v1/halls/{hall}/appointments/{appointment_id:\\d+}/cancel", summary="Cancel a booking",
             roles=SUPERVISORS, body=Body)
async def cancel_booking(request: web.Request, actor: Actor, body: Body) -> web.Response:
    store = request.app[STORE]
    hall = await _hall(request, actor)
    aid = path_int(request, "appointment_id")
    return json_response(await store.db.write(lambda tx: appt_store.cancel(tx, hall_id=hall["id"],
                                                                           appointment_id=aid, actor=actor)))


# -- settings and printers (managers) ------------------------------------------------------------------

@routes.get("/api/v1/halls/{hall}/citizen-settings", summary="Check-in windows, phone-ticket limits, console "
            "no-show rule, public address", roles=STAFF)
async def get_settings(request: web.Request, actor: Actor) -> web.Response:
    hall = await _hall(request, actor)
    return json_response(await kiosk_store.read_settings(request.app[STORE].db, hall["id"]))


@routes.patch("/api/v1/halls/{hall}/citizen-settings", summary="Change the citizen settings", roles=SUPERVISORS,
              body=CitizenSettings)
async def patch_settings(request: web.Request, actor: Actor, body: CitizenSettings) -> web.Response:
    store = request.app[STORE]
    hall = await _hall(request, actor)
    changes = body.model_dump(exclude_none=True)
    return json_response(await store.db.write(lambda tx: kiosk_store.save_settings(
        tx, hall_id=hall["id"], changes=changes, actor=actor)))


@routes.get("/api/v1/halls/{hall}/kiosk-printers", summary="Kiosks with their printers and last faults",
            roles=SUPERVISORS)
async def list_printers(request: web.Request, actor: Actor) -> web.Response:
    hall = await _hall(request, actor)
    return json_response({"kiosks": await kiosk_store.list_printers(request.app[STORE].db, hall["id"])})


@routes.add("PUT", "/api/v1/kiosk-printers/{token_id:\\d+}", summary="Set a kiosk's printer (by its token id)",
            roles=SUPERVISORS, body=KioskPrinter)
async def put_printer(request: web.Request, actor: Actor, body: KioskPrinter) -> web.Response:
    store = request.app[STORE]
    tid = path_int(request, "token_id")
    return json_response(await store.db.write(lambda tx: kiosk_store.set_printer(
        tx, token_id=tid, mode=body.mode, host=body.host, port=body.port, actor=actor)))


# -- phone tickets (一码取号) ---------------------------------------------------------------------------

@routes.post("/api/v1/mobile/{hall}/tickets", summary="Public: take a ticket from the phone (limited per device "
             "and per hour; Idempotency-Key makes a retry safe)", roles=None, body=MobileTicket,
             responses={201: "ticket issued", 200: "the same ticket again", 429: "limit reached"})
async def mobile_ticket(request: web.Request, actor: Actor | None, body: MobileTicket) -> web.Response:
    store = request.app[STORE]
    hall = await _hall(request, None)
    if body.priority != "none":
        raise InvalidInput(E.PRIORITY_NOT_ON_PHONE, "手机取号不能选择优先；老年人、残疾人优先请到自助取号机或服务台 "
                           "(priority is given at a kiosk or the help desk, not on the phone)", field="priority")
    device = await _device(request)
    if device is None:
        # Only a device the server named counts: this answer names one, and the page tries again with it.
        err = error_response(422, E.DEVICE_UNKNOWN, "请扫码打开取号页面后再取号 (open the hall's ticket page first)")
        await _new_device(request, err)
        return err
    key = request.headers.get("Idempotency-Key")
    if key is not None and not (1 <= len(key) <= 128 and key.isprintable()):
        raise InvalidInput(E.BAD_IDEMPOTENCY_KEY, "Idempotency-Key 须为 1–128 个可打印字符 (bad Idempotency-Key)")
    queue = body.queue if isinstance(body.queue, int) else body.queue.upper()
    ticket, created = await store.db.write(lambda tx: kiosk_store.issue_mobile(
        tx, store.rules, hall_id=hall["id"], queue=queue, device=device, address=request.remote or "",
        idempotency=(key, request_digest(body)) if key else None))
    out = {k: ticket[k] for k in ("number", "queue", "queue_name", "status", "token", "people_ahead")}
    return json_response(out | {"url": f"/t/{ticket['token']}"}, status=201 if created else 200)


@routes.post("/api/v1/mobile/tickets/{token}/cancel", summary="Public: the phone that took a ticket cancels it "
             "while it still waits (a mis-tap; limited per phone and hour)", roles=None, body=Body,
             responses={200: "cancelled", 403: "not the phone that took it", 409: "no longer waiting",
                        429: "too many cancels"})
async def mobile_cancel(request: web.Request, actor: Actor | None, body: Body) -> web.Response:
    token = _token(request)
    store = request.app[STORE]
    device = await _device(request)
    ticket = await store.db.write(lambda tx: kiosk_store.cancel_mobile(tx, store.rules, token=token, device=device))
    return json_response({"number": ticket["number"], "status": ticket["status"]})


# -- the phone page's websocket ------------------------------------------------------------------------

@routes.get("/api/v1/ticket-status/{token}/live", summary="Websocket: this ticket's status whenever it changes "
            "(JSON {type: status, status, event}); closed with 1008 past 3 sockets per ticket or 30 per address",
            roles=None)
async def ticket_live(request: web.Request, actor: Actor | None) -> web.StreamResponse:
    token = _token(request)
    store, hub, watches = request.app[STORE], request.app[HUB], request.app[PHONE_WATCHES]
    ref = await kiosk_store.ticket_ref(store.db, token)
    if ref is None:
        raise NotFound(E.TICKET_NOT_FOUND, "号票不存在 (no such ticket)")
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=1024)
    await ws.prepare(request)
    address = request.remote or "unknown"
    refused = watches.join(token, address)
    if refused is not None:
        log.info("phone socket for ticket %s from %s refused: %s", ref["id"], address, refused)
        await ws.close(code=CLOSE_TOO_MANY, message=refused.encode())
        return ws
    sockets: set[web.WebSocketResponse] = request.app[PHONE_SOCKETS]
    sockets.add(ws)
    try:
        await _follow(ws, store, hub, watches, token, ref)
    finally:
        sockets.discard(ws)
        watches.leave(token, address)
    return ws


async def _follow(ws: web.WebSocketResponse, store: Store, hub: EventHub, watches: PhoneWatches, token: str,
                  ref: dict[str, Any]) -> None:
    # What can change this ticket's status: its own events, those of its queue that move the line or end a
    # service (and of tickets that left it), and changes of the windows that serve it. After a transfer the
    # ticket may stand in a window's own line: then every such event of the hall is taken (rare, and still
    # read once per batch).
    mine: dict[str, Any] = {"id": ref["id"], "queue_id": ref["queue_id"], "queue": ref["queue"], "wide": False,
                            "windows": await kiosk_store.windows_serving(store.db, ref["queue_id"])}

    def accept(ev: Event) -> bool:
        t = ev.payload.get("ticket")
        if isinstance(t, dict):
            if t.get("id") == mine["id"]:
                return True
            if ev.type not in NEWS_FROM_OTHERS:
                return False
            if mine["wide"] or t.get("queue_id") == mine["queue_id"]:
                return True
            was = ev.payload.get("from")
            return isinstance(was, dict) and was.get("queue") == mine["queue"]
        if ev.type.startswith("window."):
            w = ev.payload.get("window")
            return mine["wide"] or (isinstance(w, dict) and w.get("id") in mine["windows"])
        return ev.type == Ev.DAY_CLOSED

    with hub.subscribe(ref["hall_id"], accept=accept, maxsize=PHONE_QUEUE) as sub:
        # Subscribed first, then the hall's sequence number read: nothing committed after it can be missed.
        seen = await kiosk_store.hall_seq(store.db, ref["hall_id"])

        async def pump() -> None:
            try:
                await _pump()
            except (asyncio.CancelledError, ConnectionError):
                raise
            except Exception:
                log.exception("phone websocket for ticket %s failed", ref["id"])
                await ws.close(code=WSCloseCode.INTERNAL_ERROR)

        async def _pump() -> None:
            nonlocal seen
            last: dict[str, Any] | None = None
            own_event: str | None = "connected"
            while True:
                status = await watches.status(token, seen)
                if status != last or own_event in (Ev.TICKET_RECALLED, Ev.TICKET_CALLED):
                    await ws.send_json({"type": "status", "status": status, "event": own_event})
                    last = status
                if status["status"] in FINAL:
                    await ws.close(code=WSCloseCode.OK, message=b"final")
                    return
                while True:
                    items = await sub.batch()
                    if sub.overflowed:
                        await ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"behind")
                        return
                    news = [(seq, text) for seq, text in items if seq is not None]  # ticks change nothing
                    if news:
                        break
                own_event = None
                for seq, text in news:
                    seen = max(seen, seq)
                    ev = json.loads(text)
                    t = (ev.get("payload") or {}).get("ticket") or {}
                    if t.get("id") == mine["id"]:
                        own_event = ev["type"]
                        if ev["type"] == Ev.TICKET_TRANSFERRED:
                            mine.update(queue_id=t.get("queue_id"), queue=t.get("queue"), wide=True)

        writer = asyncio.create_task(pump(), name=f"phone-ws-{ref['id']}")
        try:
            async for msg in ws:  # the phone says nothing we need; this loop notices it leaving
                if msg.type == WSMsgType.ERROR:
                    break
        finally:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await writer


# -- life cycle ----------------------------------------------------------------------------------------

async def _close_phones(app: web.Application) -> None:
    sockets: PhoneSockets = app[PHONE_SOCKETS]
    for ws in list(sockets):
        with contextlib.suppress(Exception):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")


async def _watches_ctx(app: web.Application) -> AsyncIterator[None]:
    yield
    await app[PHONE_WATCHES].close()  # reads in flight end before the database closes


async def _print_ctx(app: web.Application) -> AsyncIterator[None]:
    yield
    pending: PrintTasks = app[PRINT_TASKS]
    tasks = list(pending)
    if tasks:  # a print started is a promise to the citizen in front of the kiosk
        await asyncio.wait(tasks, timeout=escpos.CONNECT_TIMEOUT + escpos.SEND_TIMEOUT + 1)


def setup(app: web.Application) -> None:
    app[PHONE_SOCKETS] = set()
    app[PRINT_TASKS] = set()
    app[PHONE_WATCHES] = PhoneWatches(lambda token: phone_status(app[STORE], token))
    app.on_shutdown.append(_close_phones)
    app.cleanup_ctx.append(_print_ctx)
    app.cleanup_ctx.append(_watches_ctx)
