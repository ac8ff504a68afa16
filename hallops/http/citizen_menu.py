"""/m: the citizens' way in when a link names no hall (a mistyped or expired ticket or rating link, whose
error page leads here): the hall's 一码取号 menu, or the list of halls when a server runs several."""

from __future__ import annotations

from aiohttp import web

from hallops.domain.actors import Actor
from hallops.http.api import RouteTable
from hallops.http.keys import USECASES
from hallops.http.web import render
from hallops.usecases.accounts import OPERATOR

routes = RouteTable("citizen_menu")


@routes.get("/m", summary="The citizen menu: the only hall's 一码取号 page, or a list of halls", roles=None, page=True)
async def citizen_menu(request: web.Request, actor: Actor | None) -> web.StreamResponse:
    # Hall names and codes are public (each /m/{code} page shows them): read as the operator, shown to anyone.
    halls = await request.app[USECASES].halls.list(OPERATOR)
    if len(halls) == 1:
        raise web.HTTPFound(f"/m/{halls[0]['code']}")
    return render(request, "citizen_menu.html", halls=halls)
