"""Halls as read by screens, tablets and scripts: the list, the layout, the live state, the event log."""

from __future__ import annotations

from aiohttp import web

from hallops.domain.actors import Actor
from hallops.domain.model import Role
from hallops.http import bodies
from hallops.http.api import RouteTable, json_response, query_int
from hallops.http.keys import STORE

routes = RouteTable("halls")
ANY_ROLE = frozenset(Role)
SUPERVISORS = frozenset({Role.ADMIN, Role.MANAGER})
EVENT_PAGE = 1000


async def hall_id(request: web.Request, actor: Actor) -> int:
    return int((await request.app[STORE].resolve_hall(request.match_info["hall"], actor))["id"])


@routes.get("/api/v1/halls", summary="The halls, with their ids", roles=ANY_ROLE)
async def list_halls(request: web.Request, actor: Actor) -> web.Response:
    return json_response({"halls": await request.app[STORE].halls(actor)})


@routes.get("/api/v1/halls/{hall}", summary="A hall's layout: departments, queues, service items, windows",
            roles=ANY_ROLE)
async def hall_layout(request: web.Request, actor: Actor) -> web.Response:
    return json_response(await request.app[STORE].hall_layout(await hall_id(request, actor)))


@routes.get("/api/v1/halls/{hall}/state", summary="Live state: queues, windows, latest calls, event sequence",
            roles=ANY_ROLE)
async def hall_state(request: web.Request, actor: Actor) -> web.Response:
    return json_response(await request.app[STORE].hall_state(await hall_id(request, actor)))


@routes.get("/api/v1/halls/{hall}/events", summary="Events after a sequence number, in order",
            roles=frozenset({Role.ADMIN, Role.MANAGER, Role.CLERK, Role.DISPLAY}),
            query=(("after", "sequence number last seen (default 0)"),
                   ("limit", f"at most this many (default and maximum {EVENT_PAGE})")))
async def events(request: web.Request, actor: Actor) -> web.Response:
    hid = await hall_id(request, actor)
    after = query_int(request, "after", 0)
    limit = query_int(request, "limit", EVENT_PAGE, lo=1, hi=EVENT_PAGE)
    evs = await request.app[STORE].events_after(hid, after, limit)
    return json_response({"hall_id": hid, "events": evs, "more": len(evs) == limit})


@routes.post("/api/v1/halls/{hall}/close-day",
             summary="Close the service day now: unserved tickets expire (kept), idle windows close",
             roles=SUPERVISORS, body=bodies.CloseDay)
async def close_day(request: web.Request, actor: Actor, body: bodies.CloseDay) -> web.Response:
    hid = await hall_id(request, actor)
    return json_response(await request.app[STORE].close_day(hid, through_today=body.through_today, actor=actor))
