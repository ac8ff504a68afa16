"""Halls as read by screens, tablets and scripts: the list, the layout, the live state, the event log; the
day's close; and the hall's own background work (day close at rollover, auto-no-show)."""

from __future__ import annotations

from aiohttp import web

from hallops.background import Loop, register
from hallops.domain.actors import Actor
from hallops.domain.model import Role
from hallops.http import bodies
from hallops.http.api import RouteTable, hall_of, json_response, query_int
from hallops.http.keys import USECASES

routes = RouteTable("halls")
ANY_ROLE = frozenset(Role)
SUPERVISORS = frozenset({Role.ADMIN, Role.MANAGER})
EVENT_PAGE = 1000
ROLLOVER_CHECK_SECONDS = 30.0
# Auto-no-show is due to the second (the clerk's page counts down): look often; a look is one small read.
AUTO_NO_SHOW_CHECK_SECONDS = 1.0


def setup(app: web.Application) -> None:
    uc = app[USECASES]
    register(app, Loop("day-close", ROLLOVER_CHECK_SECONDS, uc.halls.rollover().step))
    register(app, Loop("auto-no-show", AUTO_NO_SHOW_CHECK_SECONDS, uc.tickets.auto_no_show))


def _hall_id(request: web.Request) -> int:
    return int(hall_of(request)["id"])


@routes.get("/api/v1/halls", summary="The halls, with their ids", roles=ANY_ROLE)
async def list_halls(request: web.Request, actor: Actor) -> web.Response:
    return json_response({"halls": await request.app[USECASES].halls.list(actor)})


@routes.get("/api/v1/halls/{hall}", summary="A hall's layout: departments, queues, service items, windows",
            roles=ANY_ROLE)
async def hall_layout(request: web.Request, actor: Actor) -> web.Response:
    return json_response(await request.app[USECASES].halls.layout(actor, _hall_id(request)))


@routes.get("/api/v1/halls/{hall}/state", summary="Live state: queues, windows, latest calls, event sequence",
            roles=ANY_ROLE)
async def hall_state(request: web.Request, actor: Actor) -> web.Response:
    return json_response(await request.app[USECASES].halls.state(actor, _hall_id(request)))


@routes.get("/api/v1/halls/{hall}/events", summary="Events after a sequence number, in order",
            roles=frozenset({Role.ADMIN, Role.MANAGER, Role.CLERK, Role.DISPLAY}),
            query=(("after", "sequence number last seen (default 0)"),
                   ("limit", f"at most this many (default and maximum {EVENT_PAGE})")))
async def events(request: web.Request, actor: Actor) -> web.Response:
    hid = _hall_id(request)
    after = query_int(request, "after", 0)
    limit = query_int(request, "limit", EVENT_PAGE, lo=1, hi=EVENT_PAGE)
    evs = await request.app[USECASES].halls.events_after(actor, hid, after, limit)
    return json_response({"hall_id": hid, "events": evs, "more": len(evs) == limit})


@routes.post("/api/v1/halls/{hall}/close-day",
             summary="Close the service day now: unserved tickets expire (kept), idle windows close",
             roles=SUPERVISORS, body=bodies.CloseDay)
async def close_day(request: web.Request, actor: Actor, body: bodies.CloseDay) -> web.Response:
    return json_response(await request.app[USECASES].halls.close_day(actor, _hall_id(request),
                                                                     through_today=body.through_today))
