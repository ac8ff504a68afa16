"""What anyone may read without signing in: health, a ticket's status by its token, and nothing else."""

from __future__ import annotations

import re

from aiohttp import web

from hallops import __version__
from hallops.domain.actors import Actor
from hallops.domain.errors import E, NotFound
from hallops.http.api import RouteTable, json_response
from hallops.http.keys import USECASES
from hallops.http.web import WEB_DIR

routes = RouteTable("public")
FAVICON = WEB_DIR / "static" / "favicon.svg"
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@routes.get("/healthz", summary="Liveness and database check", roles=None)
async def healthz(request: web.Request, actor: Actor | None) -> web.Response:
    await request.app[USECASES].halls.health()
    return json_response({"status": "ok", "version": __version__})


@routes.get("/favicon.ico", summary="The site icon", roles=None)
async def favicon(request: web.Request, actor: Actor | None) -> web.Response:
    return web.Response(body=FAVICON.read_bytes(), content_type="image/svg+xml",
                        headers={"Cache-Control": "public, max-age=86400"})


@routes.get("/api/v1/ticket-status/{token}", summary="A ticket's public status (for the citizen's phone)",
            roles=None)
async def ticket_status(request: web.Request, actor: Actor | None) -> web.Response:
    token = request.match_info["token"]
    if not TOKEN_RE.match(token):
        raise NotFound(E.TICKET_NOT_FOUND, "号票不存在 (no such ticket)")
    return json_response(await request.app[USECASES].tickets.status(token),
                         headers={"Cache-Control": "no-store"})
