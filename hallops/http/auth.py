"""Who is asking: a bearer token (devices, scripts) or a session cookie (staff pages).

Cookie-authenticated requests that change something must echo the session's CSRF token in the
X-CSRF-Token header; a cross-site page can neither read that token nor send the header. Bearer tokens are
not sent by browsers on their own, so they need no such check.
"""

from __future__ import annotations

import dataclasses
import hmac

from aiohttp import web

from hallops.domain.errors import E, Forbidden, Unauthorized
from hallops.http.client import client_address
from hallops.http.errors import Handler
from hallops.http.keys import ACTOR_KEY, CSRF_KEY, SESSION_COOKIE, USECASES

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_EXEMPT = frozenset({("POST", "/api/v1/session"), ("POST", "/api/v1/password-reset")})
# What a user who must change their password may still reach: the change itself, who-am-I, signing out.
CHANGE_FIRST_ALLOWED = frozenset({"/api/v1/session", "/api/v1/session/password", "/account/password", "/login",
                                  "/favicon.ico"})
CHANGE_PAGE = "/account/password"


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    accounts = request.app[USECASES].accounts
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized(E.BAD_AUTHORIZATION, "Authorization 头应为 Bearer <令牌> (use: Bearer <token>)")
        address = client_address(request)
        actor = await accounts.bearer(token.strip(), address)
        if actor is None:
            raise Unauthorized(E.INVALID_TOKEN, "令牌无效或已撤销 (token unknown or revoked)")
        request[ACTOR_KEY] = dataclasses.replace(actor, address=address)
        return await handler(request)
    sid = request.cookies.get(SESSION_COOKIE)
    if sid:
        found = await accounts.session_info(sid)
        if found is not None:
            request[ACTOR_KEY] = dataclasses.replace(found.actor, address=client_address(request))
            request[CSRF_KEY] = found.csrf
            if request.method not in SAFE_METHODS and (request.method, request.path) not in CSRF_EXEMPT:
                sent = request.headers.get("X-CSRF-Token", "")
                if not hmac.compare_digest(sent.encode(), found.csrf.encode()):
                    raise Forbidden(E.CSRF_FAILED, "页面已过期，请刷新后重试 (missing or wrong X-CSRF-Token)")
            if found.must_change_password and request.path not in CHANGE_FIRST_ALLOWED and \
                    not request.path.startswith("/static/"):
                if request.method == "GET" and not request.path.startswith("/api/"):
                    raise web.HTTPFound(CHANGE_PAGE)
                raise Forbidden(E.PASSWORD_CHANGE_REQUIRED, "请先修改密码 (change your password first: "
                                                            f"{CHANGE_PAGE})")
    return await handler(request)
