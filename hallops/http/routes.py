"""The route table: every URL the server answers, in one place, read top to bottom."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hallops import __version__
from hallops.domain.actors import Actor
from hallops.domain.model import Role
from hallops.http import (
    admin,
    admin_pages,
    appointments,
    cases,
    citizen_menu,
    citizens,
    console,
    district,
    district_reports,
    halls,
    health,
    helpdesk,
    kiosk,
    live,
    manager,
    metrics,
    pages,
    phones,
    poster,
    printing,
    public,
    ratings,
    reports,
    session,
    supervision,
    tickets,
    windows,
)
from hallops.http.api import Route, RouteTable, json_response, openapi_document, wrap

_meta = RouteTable("meta")


@_meta.get("/api/v1/openapi.json", summary="This API as OpenAPI 3.1", roles=frozenset(Role))
async def openapi(request: web.Request, actor: Actor) -> web.Response:
    return json_response(openapi_document(ROUTES, __version__))


# The features that bring pages, websockets or background work of their own: each has `routes`,
# `TILES` (home-page entries) and `setup(app)`.
FEATURES = (admin_pages, live, kiosk, phones, poster, printing, appointments, citizens, console, manager, reports,
            helpdesk,
            ratings, cases, district)

ROUTES: list[Route] = [
    *public.routes.routes,     # /healthz, /api/v1/ticket-status/{token}
    *health.routes.routes,     # /readyz
    *metrics.routes.routes,    # /metrics
    *session.routes.routes,    # /api/v1/session
    *pages.routes.routes,      # /login, /
    *tickets.routes.routes,    # /api/v1/tickets…
    *windows.routes.routes,    # /api/v1/windows/{id}/call-next|open|pause|resume|close
    *halls.routes.routes,      # /api/v1/halls, …/{hall}/state, …/events, …/close-day
    *admin.routes.routes,      # hall model, users, tokens
    *admin_pages.routes.routes,  # /admin/… (the admin console), /account/password, /reset
    *live.routes.routes,       # websockets; /displays/…
    *kiosk.routes.routes,      # /kiosk/…, the menu, citizen settings, kiosk printers
    *phones.routes.routes,     # /m/{hall} (一码取号), /t/{token} (phone), its websocket
    *citizen_menu.routes.routes,  # /m: the only hall's citizen menu (where a citizen's error page leads)
    *printing.routes.routes,   # /api/v1/kiosk/print
    *appointments.routes.routes,  # /appointments/…, slots, bookings, check-in
    *poster.routes.routes,     # /m/{hall}/poster.pdf (一码取号 poster, A4 / A3)
    *citizens.routes.routes,   # search, 一码取号 (identify, real-name tickets), my tickets, texts, phone bookings
    *console.routes.routes,    # /console/…
    *manager.routes.routes,    # /manager/…, patrols, findings, alerts
    *supervision.routes.routes,  # /supervision/{hall}: 巡察 of the centres below, the plan's coverage
    *reports.routes.routes,    # statistics, briefings
    *district_reports.routes.routes,  # the district briefing: a hall's subtree, a row per centre
    *ratings.routes.routes,    # 好差评: the rating pad, the phone's rating, follow-ups, calendar, upward
    *cases.routes.routes,      # 咨询投诉 cases, the daily deadline scan, figures, window scores
    *district.routes.routes,   # /district/{hall}: every centre below one, live over one websocket
    *helpdesk.routes.routes,   # /helpdesk/{hall}: identify a citizen by ID number, a real-name ticket
    *_meta.routes,
]

TILES: list[dict[str, Any]] = [tile for f in FEATURES for tile in f.TILES]


def setup_routes(app: web.Application) -> None:
    for r in ROUTES:
        app.router.add_route(r.method, r.path, wrap(r), name=r.name)
    session.setup(app)
    for f in FEATURES:
        f.setup(app)
