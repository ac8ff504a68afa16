"""Signing staff in and out (cookie sessions for the pages).

The failed sign-in throttle counts per server process: with N processes behind a load balancer a guesser
gets up to N times the limit (each guess still costs an argon2 check on the server)."""

from __future__ import annotations

import time
from collections import deque

from aiohttp import web

from hallops.domain.actors import Actor
from hallops.domain.errors import E, TooManyRequests, Unauthorized
from hallops.domain.model import STAFF_ROLES, Role
from hallops.http import bodies
from hallops.http.api import RouteTable, json_response
from hallops.http.keys import CONFIG, CSRF_KEY, SESSION_COOKIE, USECASES

routes = RouteTable("session")
ANYONE = frozenset(Role)


class LoginThrottle:
    """Failed sign-ins per client address and per username in a sliding window: guessing passwords (each
    guess costs an argon2 check) stops at a few attempts a minute."""

    def __init__(self, limit: int = 10, window: float = 600.0) -> None:
        self.limit, self.window = limit, window
        self._fails: dict[str, deque[float]] = {}

    def check(self, keys: list[str], now: float) -> None:
        for key in keys:
            q = self._fails.get(key)
            while q and q[0] <= now - self.window:
                q.popleft()
            if q is not None and len(q) >= self.limit:
                wait = int(q[0] + self.window - now) + 1
                raise TooManyRequests(E.TOO_MANY_ATTEMPTS, f"登录失败次数过多，请 {max(1, wait // 60)} 分钟后再试 "
                                                           "(too many failed sign-ins; try again later)",
                                      retry_after=wait)

    def failed(self, keys: list[str], now: float) -> None:
        if len(self._fails) > 100_000:
            self._fails.clear()
        for key in keys:
            self._fails.setdefault(key, deque()).append(now)


THROTTLE = web.AppKey("login_throttle", LoginThrottle)


def setup(app: web.Application) -> None:
    app[THROTTLE] = LoginThrottle()


@routes.post("/api/v1/session", summary="Sign in with username and password; sets the session cookie",
             roles=None, body=bodies.Login, responses={200: "signed in; body has csrf_token"})
async def login(request: web.Request, actor: Actor | None, body: bodies.Login) -> web.Response:
    cfg, throttle = request.app[CONFIG], request.app[THROTTLE]
    keys = [f"addr:{request.remote}", f"user:{body.username.lower()}"]
    now = time.monotonic()
    throttle.check(keys, now)
    try:
        user, sid, csrf = await request.app[USECASES].accounts.sign_in(body.username, body.password)
    except Unauthorized:
        throttle.failed(keys, now)
        raise
    resp = json_response({"user": user, "csrf_token": csrf})
    resp.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="Lax", secure=cfg.security.cookie_secure,
                    max_age=int(cfg.security.session_hours * 3600), path="/")
    return resp


@routes.delete("/api/v1/session", summary="Sign out", roles=STAFF_ROLES, responses={204: "signed out"})
async def logout(request: web.Request, actor: Actor) -> web.Response:
    sid = request.cookies.get(SESSION_COOKIE)
    if sid:
        await request.app[USECASES].accounts.sign_out(sid)
    resp = web.Response(status=204)
    resp.del_cookie(SESSION_COOKIE, path="/")
    return resp


@routes.get("/api/v1/session", summary="Who am I", roles=ANYONE)
async def whoami(request: web.Request, actor: Actor) -> web.Response:
    return json_response({"role": actor.role.value, "user_id": actor.user_id, "display_name": actor.display_name,
                          "hall_id": actor.hall_id, "window_id": actor.window_id,
                          "csrf_token": request.get(CSRF_KEY)})
