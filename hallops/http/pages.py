"""The staff's way in: the sign-in page and the home page that leads each role to its screens."""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web

from hallops.domain.actors import Actor
from hallops.domain.model import Role
from hallops.http.api import RouteTable
from hallops.http.keys import USECASES
from hallops.http.web import render

routes = RouteTable("pages")
ANYONE = frozenset(Role)


def safe_next(value: str | None) -> str:
    """Only a path on this site: never an open redirect. Browsers drop tabs and newlines and read "\\" as
    "/", so "/\t/evil.example" would leave the site: anything but printable ASCII is refused outright."""
    if not value or not value.startswith("/") or not all(33 <= ord(ch) < 127 for ch in value) or "\\" in value:
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or value.startswith("//"):
        return "/"
    return value


@routes.get("/login", summary="Sign-in page", roles=None, page=True)
async def login_page(request: web.Request, actor: Actor | None) -> web.Response:
    return render(request, "login.html", next=safe_next(request.query.get("next")))


@routes.get("/", summary="Home: the screens this role may open", roles=ANYONE, page=True)
async def home(request: web.Request, actor: Actor) -> web.Response:
    from hallops.http.routes import TILES

    halls = await request.app[USECASES].halls.list(actor)
    return render(request, "home.html", halls=halls, tiles=TILES)
