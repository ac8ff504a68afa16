"""Who is asking: a bearer token (devices, scripts) or a session cookie (staff pages).

Cookie-authenticated requests that change something must echo the session's CSRF token in the
X-CSRF-Token header; a cross-site page can neither read that token nor send the header. Bearer tokens are
not sent by browsers on their own, so they need no such check.
"""

from __future__ import annotations

import hmac

from aiohttp import web

from hallops.domain.errors import E, Forbidden, Unauthorized
from hallops.http.errors import Handler
from hallops.http.keys import ACTOR_KEY, CSRF_KEY, SESSION_COOKIE, USECASES

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_EXEMPT = frozenset({("POST", "/api/v1/session")})


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    accounts = request.app[USECASES].accounts
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized(E.BAD_AUTHORIZATION, "Authorization 头应为 Bearer <令牌> (use: Bearer <token>)")
        actor = await accounts.bearer(token.strip())
        if actor is None:
            raise Unauthorized(E.INVALID_TOKEN, "令牌无效或已撤销 (token unknown or revoked)")
        request[ACTOR_KEY] = actor
        return await handler(request)
    sid = request.cookies.get(SESSION_COOKIE)
    if sid:
        found = await accounts.session(sid)
        if found is not None:
            actor, csrf = found
            request[ACTOR_KEY] = actor
            request[CSRF_KEY] = csrf
            if request.method not in SAFE_METHODS and (request.method, request.path) not in CSRF_EXEMPT:
                sent = request.headers.get("X-CSRF-Token", "")
                if not hmac.compare_digest(sent.encode(), csrf.encode()):
                    raise Forbidden(E.CSRF_FAILED, "页面已过期，请刷新后重试 (missing or wrong X-CSRF-Token)")
    return await handler(request)
