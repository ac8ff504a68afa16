"""Appointments (预约): the managers' page, slots and bookings (one, or a CSV), a day's list, cancelling, and
checking in with a code at a kiosk or a counter (which issues the ticket)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from aiohttp import web
from pydantic import AwareDatetime, Field, StrictInt, StrictStr, StringConstraints

from hallops.domain.actors import Actor
from hallops.domain.model import Role
from hallops.http.api import RouteTable, hall_of, json_response, path_int
from hallops.http.bodies import Body, HallRef, QueueRef
from hallops.http.keys import USECASES
from hallops.http.web import render
from hallops.storage.views import iso
from hallops.usecases.appointments import Appointments

routes = RouteTable("appointments")
TILES: list[dict[str, Any]] = [
    {"zh": "预约与取号设置", "en": "Appointments & kiosks", "href": "/appointments/{hall}",
     "roles": {"admin", "manager"}},
]

CHECKERS = frozenset({Role.KIOSK, Role.CLERK, Role.MANAGER, Role.ADMIN})
SUPERVISORS = frozenset({Role.ADMIN, Role.MANAGER})
STAFF = frozenset({Role.ADMIN, Role.MANAGER, Role.CLERK})


class CheckIn(Body):
    code: Annotated[StrictStr, StringConstraints(max_length=40)]
    hall: HallRef | None = None


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


def _appointments(request: web.Request) -> Appointments:
    return request.app[USECASES].appointments


# -- the wire format: times as ISO 8601 UTC ------------------------------------------------------------

def _times(d: dict[str, Any], *keys: str) -> dict[str, Any]:
    return d | {k: iso(d[k]) for k in keys if k in d}


def booked_json(result: dict[str, Any]) -> dict[str, Any]:
    return result | {"created": [_times(c, "starts_at") for c in result["created"]]}


def checked_in_json(ticket: dict[str, Any]) -> dict[str, Any]:
    return ticket | {"appointment": _times(ticket["appointment"], "starts_at", "ends_at"),
                     "position": ticket["people_ahead"] + 1 if ticket["status"] == "waiting" else 0}


def day_json(view: dict[str, Any]) -> dict[str, Any]:
    return view | {"slots": [_times(s, "starts_at", "ends_at") | {
        "bookings": [_times(b, "checked_in_at") for b in s["bookings"]]} for s in view["slots"]]}


@routes.get("/appointments/{hall}", summary="Appointments, kiosk printers and phone-ticket settings",
            roles=SUPERVISORS, page=True)
async def appointments_page(request: web.Request, actor: Actor) -> web.Response:
    hall = hall_of(request)
    day = _appointments(request).page_day(hall, request.query.get("day", ""))
    return render(request, "kiosk/appointments.html", hall=hall, day=day)


@routes.post("/api/v1/appointments/check-in", summary="Check in with an appointment code: issues the ticket "
             "(channel appointment, placed at the slot start); again gives the same ticket", roles=CHECKERS,
             body=CheckIn, responses={201: "ticket issued", 200: "already checked in: the same ticket",
                                      409: "too early / too late / cancelled"})
async def check_in(request: web.Request, actor: Actor, body: CheckIn) -> web.Response:
    ticket, created = await _appointments(request).check_in(actor, body.hall, body.code)
    return json_response(checked_in_json(ticket), status=201 if created else 200)


@routes.post("/api/v1/halls/{hall}/appointment-slots", summary="Add a day of slots to a queue", roles=SUPERVISORS,
             body=Slots, responses={200: "{created, skipped}"})
async def add_slots(request: web.Request, actor: Actor, body: Slots) -> web.Response:
    return json_response(await _appointments(request).add_slots(
        actor, hall_of(request), queue=str(body.queue), day=body.day, start=body.start, end=body.end,
        every_minutes=body.every_minutes, capacity=body.capacity))


@routes.post("/api/v1/halls/{hall}/appointments", summary="Book one appointment into a slot (a code is made "
             "unless given)", roles=SUPERVISORS, body=NewBooking, responses={201: "booked"})
async def add_booking(request: web.Request, actor: Actor, body: NewBooking) -> web.Response:
    result = await _appointments(request).book(actor, hall_of(request), queue=body.queue, start=body.start,
                                               name=body.name, phone=body.phone, code=body.code)
    return json_response(booked_json(result), status=201 if result["created"] else 200)


@routes.post("/api/v1/halls/{hall}/appointments/import", summary="Import bookings from CSV, all or nothing",
             roles=SUPERVISORS, body=ImportBookings)
async def import_bookings(request: web.Request, actor: Actor, body: ImportBookings) -> web.Response:
    return json_response(booked_json(await _appointments(request).import_csv(actor, hall_of(request), body.csv)))


@routes.get("/api/v1/halls/{hall}/appointments", summary="A day's slots and bookings, with check-ins and no-shows",
            roles=STAFF, query=(("day", "service day YYYY-MM-DD (default today)"),))
async def day_appointments(request: web.Request, actor: Actor) -> web.Response:
    return json_response(day_json(await _appointments(request).day(actor, hall_of(request), request.query.get("day"))))


@routes.post("/api/v1/halls/{hall}/appointments/{appointment_id:\\d+}/cancel", summary="Cancel a booking",
             roles=SUPERVISORS, body=Body)
async def cancel_booking(request: web.Request, actor: Actor, body: Body) -> web.Response:
    return json_response(await _appointments(request).cancel(actor, hall_of(request),
                                                             path_int(request, "appointment_id")))


def setup(app: web.Application) -> None:
    """Appointments have no background work: everything they do is a request."""
