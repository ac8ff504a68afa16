"""What every answer carries: security headers, a request id, and no caching of private JSON.

The Content-Security-Policy allows scripts from this server only (no inline script: the pages keep theirs
in web/static and displays/static; JSON for a page rides in <script type="application/json">, which is data,
not script). Inline style attributes are allowed: the pages' scripts draw bars with them, and a style cannot
run code. Pages may not be framed (clickjacking of the clerk's console), and no page leaks its URL — a
display's `?token=` — through Referer.
"""

from __future__ import annotations

import logging
import re
import secrets
import time

from aiohttp import web

from hallops.http.errors import Handler
from hallops.logs import REQUEST_ID

log = logging.getLogger(__name__)

CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
SLOW_SECONDS = 2.0


def request_id(request: web.Request) -> str:
    """The caller's X-Request-Id when it looks like one (a proxy's), else a fresh one."""
    sent = request.headers.get("X-Request-Id", "")
    return sent if _REQUEST_ID.fullmatch(sent) else secrets.token_hex(8)


@web.middleware
async def headers_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    rid = request_id(request)
    token = REQUEST_ID.set(rid)
    started = time.monotonic()
    try:
        resp = await handler(request)
    except web.HTTPException as e:  # redirects: they carry the headers too
        _dress(request, e, rid)
        raise
    finally:
        REQUEST_ID.reset(token)
    _dress(request, resp, rid)
    took = time.monotonic() - started
    if took > SLOW_SECONDS and resp.status < 400 and not isinstance(resp, web.WebSocketResponse):
        log.warning("slow answer %.1f s: %s %s [%s]", took, request.method, request.path, rid)
    return resp


def _dress(request: web.Request, resp: web.StreamResponse, rid: str) -> None:
    if resp.prepared:  # a websocket or a stream: its headers are gone already
        return
    h = resp.headers
    h["X-Request-Id"] = rid
    for k, v in SECURITY_HEADERS.items():
        h.setdefault(k, v)
    ctype = h.get("Content-Type", "")
    private = request.path.startswith("/api/") or "application/json" in ctype or "text/html" in ctype
    if private and "Cache-Control" not in h:
        # Users, tokens and tickets must not sit in a shared cache or the browser's history.
        h["Cache-Control"] = "no-store"
