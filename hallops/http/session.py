"""Signing staff in and out (cookie sessions for the pages). Attempts are limited before the password is checked,
per address (behind a trusted proxy: the client's), per account and per known device, across every server
process (hallops/domain/limits.py, usecases/signin.py)."""

from __future__ import annotations

from aiohttp import web

from hallops.domain.actors import Actor
from hallops.domain.model import STAFF_ROLES, Role
from hallops.http import admin_bodies as ab
from hallops.http import bodies
from hallops.http.api import RouteTable, json_response
from hallops.http.client import client_address
from hallops.http.keys import CONFIG, CSRF_KEY, SESSION_COOKIE, USECASES

routes = RouteTable("session")
DEVICE_COOKIE = "hallops_device"
DEVICE_COOKIE_DAYS = 365
ANYONE = frozenset(Role)


def setup(app: web.Application) -> None:
    """Nothing to hang on the app: sign-in attempts are counted in the database (usecases/signin.py)."""


@routes.post("/api/v1/session", summary="Sign in with username and password; sets the session cookie",
             roles=None, body=bodies.Login, responses={200: "signed in; body has csrf_token"})
async def login(request: web.Request, actor: Actor | None, body: bodies.Login) -> web.Response:
    cfg = request.app[CONFIG]
    user, sid, csrf, device = await request.app[USECASES].accounts.sign_in(
        body.username, body.password, client_address(request), request.cookies.get(DEVICE_COOKIE))
    resp = json_response({"user": user, "csrf_token": csrf})
    resp.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="Lax", secure=cfg.security.cookie_secure,
                    max_age=int(cfg.security.session_hours * 3600), path="/")
    # This browser is now a known device of the account: guessing elsewhere does not lock it out.
    resp.set_cookie(DEVICE_COOKIE, device, httponly=True, samesite="Strict", secure=cfg.security.cookie_secure,
                    max_age=DEVICE_COOKIE_DAYS * 86400, path="/api/v1/session")
    return resp


@routes.delete("/api/v1/session", summary="Sign out", roles=STAFF_ROLES, responses={204: "signed out"})
async def logout(request: web.Request, actor: Actor) -> web.Response:
    sid = request.cookies.get(SESSION_COOKIE)
    if sid:
        await request.app[USECASES].accounts.sign_out(sid, actor)
    resp = web.Response(status=204)
    resp.del_cookie(SESSION_COOKIE, path="/")
    return resp


@routes.get("/api/v1/session", summary="Who am I", roles=ANYONE)
async def whoami(request: web.Request, actor: Actor) -> web.Response:
    return json_response({"role": actor.role.value, "user_id": actor.user_id, "display_name": actor.display_name,
                          "hall_id": actor.hall_id, "window_id": actor.window_id,
                          "csrf_token": request.get(CSRF_KEY)})


@routes.post("/api/v1/session/password", summary="Change your own password (the current one first)",
             roles=STAFF_ROLES, body=ab.PasswordChange, responses={204: "changed; other sessions ended"})
async def change_password(request: web.Request, actor: Actor, body: ab.PasswordChange) -> web.Response:
    await request.app[USECASES].accounts.change_own_password(actor, body.current, body.password,
                                                             request.cookies.get(SESSION_COOKIE))
    return web.Response(status=204)


@routes.post("/api/v1/password-reset/check", summary="Whose one-time reset code this is", roles=None,
             body=ab.ResetCode)
async def check_reset(request: web.Request, actor: Actor | None, body: ab.ResetCode) -> web.Response:
    return json_response(await request.app[USECASES].accounts.reset_user(body.code, client_address(request)))


@routes.post("/api/v1/password-reset", summary="Set a new password with a one-time reset code", roles=None,
             body=ab.ResetUse, responses={200: "the password is set; sign in with it"})
async def use_reset(request: web.Request, actor: Actor | None, body: ab.ResetUse) -> web.Response:
    return json_response(await request.app[USECASES].accounts.use_reset(body.code, body.password,
                                                                        client_address(request)))
