"""The clerk's console at a window: one page, keyboard first, over the core window and ticket APIs.

The page reads one snapshot of its window (`GET /api/v1/console/windows/{id}`: the window, the current
ticket with its history, tickets parked here, the queues served with their waiting counts, the clerk's
figures of the day, the recall limit and the hall's no-show rule) and refreshes it when the hall's live
stream (web/static/js/live.js) says something changed, or every few seconds without it.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hallops.domain.actors import Actor
from hallops.domain.model import Role
from hallops.http.api import RouteTable, hall_of, json_response, path_int
from hallops.http.keys import USECASES
from hallops.http.web import render
from hallops.storage.views import iso

routes = RouteTable("console")
TILES: list[dict[str, Any]] = [
    {"zh": "窗口叫号台", "en": "Clerk console", "href": "/console/{hall}", "roles": {"clerk", "manager", "admin"}},
]
STAFF = frozenset({Role.ADMIN, Role.MANAGER, Role.CLERK})
PAUSE_REASONS = [("临时离开", "Brief absence"), ("业务咨询", "Answering an enquiry"),
                 ("系统故障", "System fault"), ("午间休息", "Lunch break"), ("培训会议", "Training or meeting")]


@routes.get("/console/{hall}", summary="Clerk console: pick a window, then call and serve by keyboard",
            roles=STAFF, page=True)
async def console_page(request: web.Request, actor: Actor) -> web.Response:
    hall = hall_of(request)
    page = await request.app[USECASES].console.page(actor, hall, request.query.get("window"))
    return render(request, "console/console.html", hall=hall, window_id=page.window_id, windows=page.windows,
                  pause_reasons=PAUSE_REASONS)


@routes.get("/api/v1/console/windows/{window_id:\\d+}", summary="Console snapshot of one window: current ticket "
            "with history, parked tickets, queues served with waiting counts, the clerk's figures today",
            roles=STAFF)
async def console_snapshot(request: web.Request, actor: Actor) -> web.Response:
    snap = await request.app[USECASES].console.snapshot(actor, path_int(request, "window_id"))
    parked = [t | {"issued_at": iso(t["issued_at"])} for t in snap["parked"]]
    return json_response(snap | {"now": iso(snap["now"]), "parked": parked, "findings_url": "/findings/mine"},
                         headers={"Cache-Control": "no-store"})


def setup(app: web.Application) -> None:
    """The console has no background work: everything it does is a request."""
