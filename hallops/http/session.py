"""Signing staff in and out (cookie sessions for the pages)."""

from __future__ import annotations

from aiohttp import web

from hallops.domain.errors import Unauthorized
from hallops.domain.model import STAFF_ROLES, Role
from hallops.http import bodies
from hallops.http.api import RouteTable, json_response
from hallops.http.keys import CONFIG, CSRF_KEY, SESSION_COOKIE, STORE
from hallops.storage.actors import Actor

routes = RouteTable("session")
ANYONE = frozenset(Role)


@routes.post("/api/v1/session", summary="Sign in with username and password; sets the session cookie",
             roles=None, body=bodies.Login, responses={200: "signed in; body has csrf_token"})
async def login(request: web.Request, actor: Actor | None, body: bodies.Login) -> web.Response:
    store, cfg = request.app[STORE], request.app[CONFIG]
    user = await store.authenticate(body.username, body.password)
    if user is None:
        raise Unauthorized("bad_credentials", "用户名或密码错误 (wrong username or password)")
    sid, csrf = await store.create_session(user["id"], cfg.security.session_hours)
    resp = json_response({"user": user, "csrf_token": csrf})
    resp.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="Lax", secure=cfg.security.cookie_secure,
                    max_age=int(cfg.security.session_hours * 3600), path="/")
    return resp


@routes.delete("/api/v1/session", summary="Sign out", roles=STAFF_ROLES, responses={204: "signed out"})
async def logout(request: web.Request, actor: Actor) -> web.Response:
    sid = request.cookies.get(SESSION_COOKIE)
    if sid:
        await request.app[STORE].delete_session(sid)
    resp = web.Response(status=204)
    resp.del_cookie(SESSION_COOKIE, path="/")
    return resp


@routes.get("/api/v1/session", summary="Who am I", roles=ANYONE)
async def whoami(request: web.Request, actor: Actor) -> web.Response:
    return json_response({"role": actor.role.value, "user_id": actor.user_id, "display_name": actor.display_name,
                          "hall_id": actor.hall_id, "window_id": actor.window_id,
                          "csrf_token": request.get(CSRF_KEY)})
