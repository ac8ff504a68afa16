"""The help desk (咨询导办台): staff type a citizen's ID number and name, see who they are (masked) with their
tickets and booking of today, then check the booking in or take a real-name ticket for a service item, with a
text before their turn if the citizen leaves a mobile number.

One page over the 一码取号 API of `http/citizens.py` (identify, real-name tickets, the text subscription) and
the item search; nothing personal travels in its URL, and the page keeps only the masked person once they are
identified.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hallops.domain.actors import Actor
from hallops.domain.model import STAFF_ROLES
from hallops.http.api import RouteTable, hall_of
from hallops.http.web import render

routes = RouteTable("helpdesk")
DESK_STAFF = STAFF_ROLES  # signed-in staff; a kiosk, screen or pad is refused
TILES: list[dict[str, Any]] = [
    {"zh": "咨询导办台", "en": "Help desk", "href": "/helpdesk/{hall}", "roles": {r.value for r in DESK_STAFF}},
]


@routes.get("/helpdesk/{hall}", summary="Help desk: identify a citizen by ID number and name, then check their "
            "booking in or take a real-name ticket for them, by keyboard", roles=DESK_STAFF, page=True)
async def helpdesk_page(request: web.Request, actor: Actor) -> web.Response:
    return render(request, "helpdesk/desk.html", hall=hall_of(request))


def setup(app: web.Application) -> None:
    """The help desk has no background work: everything it does is a request."""
