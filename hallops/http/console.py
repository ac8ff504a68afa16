"""The clerk's console at a window: one page, keyboard first, over the core window and ticket APIs.

The page reads one snapshot of its window (`GET /api/v1/console/windows/{id}`: the window, the current
ticket with its history, tickets parked here, the queues served with their waiting counts, the clerk's
figures of the day, the recall limit and the hall's no-show rule) and refreshes it when the hall's live
stream (web/static/js/live.js) says something changed, or every few seconds without it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from hallops.domain.actors import Actor
from hallops.domain.errors import E, NotFound
from hallops.domain.model import Role
from hallops.http.api import RouteTable, json_response, path_int
from hallops.http.keys import CONFIG, STORE
from hallops.http.web import render
from hallops.storage import kiosk as kiosk_store
from hallops.storage.rules import service_day_of
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
    store = request.app[STORE]
    hall = await store.resolve_hall(request.match_info["hall"], actor)
    window_id: int | None = None
    wanted = request.query.get("window")
    state = await store.hall_state(hall["id"])
    if wanted and wanted.isdigit():
        window_id = next((w["id"] for w in state["windows"] if w["number"] == int(wanted)), None)
    elif actor.window_id is not None:
        window_id = actor.window_id
    elif actor.user_id is not None:
        mine = await kiosk_store.window_of_clerk(store.db, actor.user_id)
        if mine is not None and mine["hall_id"] == hall["id"]:
            window_id = mine["id"]
    return render(request, "console/console.html", hall=hall, window_id=window_id, windows=state["windows"],
                  pause_reasons=PAUSE_REASONS)


@routes.get("/api/v1/console/windows/{window_id:\\d+}", summary="Console snapshot of one window: current ticket "
            "with history, parked tickets, queues served with waiting counts, the clerk's figures today",
            roles=STAFF)
async def console_snapshot(request: web.Request, actor: Actor) -> web.Response:
    store, cfg = request.app[STORE], request.app[CONFIG]
    wid = path_int(request, "window_id")
    row = await store.db.one("SELECT id, hall_id FROM windows WHERE id = ? AND active = 1", (wid,))
    if row is None:
        raise NotFound(E.WINDOW_NOT_FOUND, f"窗口不存在 (no window {wid})")
    actor.check_hall(row["hall_id"])
    state = await store.hall_state(row["hall_id"])
    window = next(w for w in state["windows"] if w["id"] == wid)
    current = None
    if window["current"]:
        current = await store.ticket(window["current"]["id"], actor)
    clerk_id = window["clerk"]["id"] if window["clerk"] else actor.user_id
    hall = await store.db.one("SELECT timezone FROM halls WHERE id = ?", (row["hall_id"],))
    day = service_day_of(store.now(), hall["timezone"] if hall else cfg.service_day.timezone, store.rules)
    parked, figures, settings = await asyncio.gather(
        kiosk_store.parked_at(store.db, wid),
        kiosk_store.clerk_day(store.db, user_id=clerk_id or -1, hall_id=row["hall_id"], day=day, window_id=wid),
        kiosk_store.read_settings(store.db, row["hall_id"]))
    queues = {q["prefix"]: q for q in state["queues"]}
    served = [queues[p] for p in window["queues"] if p in queues]
    return json_response({
        "now": iso(store.now()), "seq": state["seq"], "window": window, "current": current, "parked": parked,
        "queues": served, "figures": figures,
        "rules": {"recall_limit": cfg.tickets.recall_limit,
                  "no_show_after_recalls_seconds": settings["no_show_after_recalls_seconds"]},
        "findings_url": "/findings/mine",
    }, headers={"Cache-Control": "no-store"})


def setup(app: web.Application) -> None:
    """The console has no background work: everything it does is a request."""
