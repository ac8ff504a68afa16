"""The clerk's side of findings: /findings/mine lists the findings about their window (or them) and lets
them answer: begin the fix, report what was done with a photo, or remark. The routes are served from the
manager feature's route table (see manager.py), so this module has no setup of its own.

API for the clerk console: GET /api/v1/findings/mine → {"window": …, "findings": […], "counts": {…}}; the
actions are the shared ones: POST /api/v1/findings/{id}/start | rectify | comment, POST …/{id}/photos.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hallops.domain.actors import Actor
from hallops.domain.model import Role
from hallops.http.api import RouteTable, json_response
from hallops.http.keys import USECASES
from hallops.http.web import render
from hallops.wire.findings import finding_json

routes = RouteTable("findings")
STAFF = frozenset({Role.ADMIN, Role.MANAGER, Role.CLERK})


async def mine(request: web.Request, actor: Actor) -> dict[str, Any]:
    data = await request.app[USECASES].findings.mine(actor, request.query.get("hall") or None,
                                                     include_verified=request.query.get("all") == "1")
    return data | {"findings": [finding_json(f) for f in data["findings"]]}


@routes.get("/api/v1/findings/mine", summary="Findings about my window or me (clerks), open ones unless ?all=1",
            roles=STAFF, query=(("all", "1: verified ones too"), ("hall", "hall id or code (default: mine)")))
async def my_findings(request: web.Request, actor: Actor) -> web.Response:
    return json_response(await mine(request, actor))


@routes.get("/findings/mine", summary="My findings: answer and rectify (clerks)", roles=STAFF, page=True)
async def my_findings_page(request: web.Request, actor: Actor) -> web.Response:
    data = await mine(request, actor)
    return render(request, "findings/mine.html", boot=data | {
        "user": {"id": actor.user_id, "name": actor.display_name, "role": actor.role.value}})
