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
from hallops.domain.errors import E, InvalidInput
from hallops.domain.model import Role
from hallops.http.api import RouteTable, json_response
from hallops.http.keys import STORE
from hallops.http.web import render
from hallops.storage.patrols import PatrolReads

routes = RouteTable("findings")
STAFF = frozenset({Role.ADMIN, Role.MANAGER, Role.CLERK})


async def _hall_id(request: web.Request, actor: Actor) -> int:
    ref = request.query.get("hall") or actor.hall_id
    if ref is None:
        halls = await request.app[STORE].halls(actor)
        if len(halls) != 1:
            raise InvalidInput(E.HALL_REQUIRED, "请指明大厅 (give ?hall=)", field="hall")
        return int(halls[0]["id"])
    return int((await request.app[STORE].resolve_hall(ref, actor))["id"])


async def mine(request: web.Request, actor: Actor) -> dict[str, Any]:
    store = request.app[STORE]
    hid = await _hall_id(request, actor)
    now = store.now()
    reads = PatrolReads(store.db, store.rules)
    window = None
    if actor.role is Role.CLERK:
        if actor.window_id is not None:
            row = await store.db.one("SELECT id, number, name FROM windows WHERE id = ?", (actor.window_id,))
        else:
            row = await store.db.one("SELECT id, number, name FROM windows WHERE clerk_user_id = ?",
                                     (actor.user_id,))
        window = dict(row) if row else None
    findings = await reads.findings(hid, actor, now, open_only=request.query.get("all") != "1")
    counts = {"open": sum(1 for f in findings if f["status"] != "verified"),
              "overdue": sum(1 for f in findings if f["overdue"]),
              "to_answer": sum(1 for f in findings if f["status"] in ("open", "reopened"))}
    return {"hall_id": hid, "window": window, "findings": findings, "counts": counts}


@routes.get("/api/v1/findings/mine", summary="Findings about my window or me (clerks), open ones unless ?all=1",
            roles=STAFF, query=(("all", "1: verified ones too"), ("hall", "hall id or code (default: mine)")))
async def my_findings(request: web.Request, actor: Actor) -> web.Response:
    return json_response(await mine(request, actor))


@routes.get("/findings/mine", summary="My findings: answer and rectify (clerks)", roles=STAFF, page=True)
async def my_findings_page(request: web.Request, actor: Actor) -> web.Response:
    data = await mine(request, actor)
    return render(request, "findings/mine.html", boot=data | {
        "user": {"id": actor.user_id, "name": actor.display_name, "role": actor.role.value}})
