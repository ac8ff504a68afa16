"""Live events over websockets, the display screens (lobby, window) and their spoken announcements.

Screens without a staff session (a browser on a TV, the headless agent) authenticate with a display token:
in the Authorization header where the client can set one (the agent), else as `?token=` in the URL (a
browser can set no header on a page load or a websocket). Display tokens only read one hall. A window's
rating pad follows only its own window's events (hallops/domain/live_scope.py), with its own view as the
snapshot; a pad token bound to no window follows nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from typing import Any
from urllib.parse import quote

from aiohttp import WSCloseCode, web

from hallops.background import Loop, register
from hallops.domain.actors import Actor
from hallops.domain.errors import E, InvalidInput, Unauthorized
from hallops.domain.live_scope import LiveScope, scope_of
from hallops.domain.model import Role
from hallops.events import stream
from hallops.http.api import RouteTable, hall_of, query_int
from hallops.http.keys import ADMISSION, CONFIG, HUB, SESSION_COOKIE, USECASES
from hallops.http.web import render
from hallops.voice.engine import VoiceEngine, VoiceUnavailable, default_cache_dir
from hallops.voice.text import Announcement, Kind, Lang

log = logging.getLogger(__name__)

routes = RouteTable("live")
TILES: list[dict[str, Any]] = [
    {"zh": "大厅显示屏", "en": "Lobby display", "href": "/displays/{hall}/lobby",
     "roles": {"admin", "manager"}},
]

VOICE = web.AppKey("voice", VoiceEngine)
SOCKETS: web.AppKey[set[web.WebSocketResponse]] = web.AppKey("live_sockets", set)  # closed at shutdown
ANY_ROLE = frozenset(Role)
SHUTDOWN_CLOSE_TIMEOUT = 2.0
# Every open socket's credential, looked at again every REVALIDATE_SECONDS: a revoked token, a signed-out
# session or a disabled user loses its live connection within seconds (issue 14), not at the next reconnect.
Credential = tuple[str, str]  # ("bearer", token) | ("session", session id)
CREDENTIALS: web.AppKey[dict[web.WebSocketResponse, Credential]] = web.AppKey("live_credentials", dict)
REVALIDATE_SECONDS = 2.0
SWEEP_SECONDS = 1.0
REVOKED_CLOSE_CODE = 4401  # an application close code: the screen shows "signed out" and does not retry blindly


async def screen_actor(request: web.Request, actor: Actor | None) -> Actor:
    """The caller: a session or bearer token as usual, else a `?token=` for screens that cannot send a header."""
    if actor is not None:
        return actor
    token = request.query.get("token", "")
    if token:
        found = await request.app[USECASES].accounts.bearer(token)
        if found is not None:
            return found
        raise Unauthorized(E.INVALID_TOKEN, "令牌无效或已撤销 (token unknown or revoked)")
    raise Unauthorized(E.UNAUTHENTICATED, "请先登录或提供显示屏令牌 (sign in or give a display token)")


def _hall(request: web.Request, actor: Actor) -> dict[str, Any]:
    """The hall in the URL (resolved by the route declaration before the screen's token was read): another
    hall than a hall-bound screen's does not exist for it."""
    hall = hall_of(request)
    actor.check_hall(int(hall["id"]))
    return hall


@routes.get("/api/v1/halls/{hall}/live", summary="Websocket: snapshot, events after ?after=SEQ, then live events",
            roles=None, responses={101: "switching to websocket"},
            query=(("after", "sequence number last seen; events after it are sent first (replay: true)"),
                   ("snapshot", "1: send the hall's state (always sent when `after` is absent); a rating pad "
                                "gets its own view and only its window's events"),
                   ("token", "a display or rating-pad token, for browsers that cannot send an Authorization "
                             "header")))
async def live(request: web.Request, actor: Actor | None) -> web.StreamResponse:
    actor = await screen_actor(request, actor)
    hall = _hall(request, actor)
    scope = scope_of(actor)
    after = query_int(request, "after", -1)
    ws = stream.new_socket()
    if not ws.can_prepare(request).ok:
        raise InvalidInput(E.WEBSOCKET_REQUIRED, "此地址只接受 WebSocket 连接 (connect with a websocket)")
    stream.limit_send_buffer(request)
    await ws.prepare(request)
    sockets = request.app[SOCKETS]
    sockets.add(ws)
    request.app[CREDENTIALS][ws] = credential(request)
    try:
        source = _source(request, actor, int(hall["id"]), scope)
        await stream.serve(request, ws, source=source, hub=request.app[HUB], after=None if after < 0 else after,
                           want_snapshot=request.query.get("snapshot") == "1", who=_who(actor),
                           admission=request.app[ADMISSION])
    finally:
        sockets.discard(ws)
        request.app[CREDENTIALS].pop(ws, None)
    return ws


def _source(request: web.Request, actor: Actor, hall_id: int, scope: LiveScope) -> stream.Source:
    uc = request.app[USECASES]
    if scope.whole_hall:
        return stream.Source(uc.halls, actor, hall_id, uc.ctx.clock)
    return stream.Source(uc.halls, actor, hall_id, uc.ctx.clock, scope=scope, view=lambda: uc.ratings.pad(actor))


def credential(request: web.Request) -> Credential:
    """What a live socket was opened with, looked at again every REVALIDATE_SECONDS (every live feature's)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return ("bearer", token.strip())
    sid = request.cookies.get(SESSION_COOKIE)
    if sid:
        return ("session", sid)
    return ("bearer", request.query.get("token", ""))


def _revalidator(app: web.Application) -> Loop:
    """Close the live sockets whose token or session no longer stands (each credential asked once per round)."""
    async def step() -> None:
        held = app[CREDENTIALS]
        if not held:
            return
        accounts = app[USECASES].accounts
        valid: dict[Credential, bool] = {}
        for cred in set(held.values()):
            kind, value = cred
            valid[cred] = (await accounts.bearer(value) if kind == "bearer" else await accounts.session(value)) \
                is not None
        revoked = [ws for ws, cred in list(held.items()) if not valid.get(cred, True)]
        for ws in revoked:
            held.pop(ws, None)
            log.info("live socket closed: its credential was revoked")
        await asyncio.gather(*(stream.close_socket(ws, REVOKED_CLOSE_CODE, b"credentials revoked")
                               for ws in revoked))
    return Loop("live-revocation", REVALIDATE_SECONDS, step, delay_first=True)


def _who(actor: Actor) -> str:
    return f"{actor.role.value}:{actor.display_name or actor.user_id or actor.token_id}"


def _langs(value: str | None) -> tuple[Lang, ...]:
    try:
        langs = tuple(Lang(v) for v in (value or "zh").replace("+", ",").split(",") if v)
    except ValueError:
        raise InvalidInput(E.BAD_QUERY, "lang 应为 zh、en 或 zh,en (lang must be zh, en or zh,en)",
                           field="lang") from None
    if not langs or len(langs) > 2:
        raise InvalidInput(E.BAD_QUERY, "lang 应为 zh、en 或 zh,en (lang must be zh, en or zh,en)", field="lang")
    return langs


@routes.get("/api/v1/halls/{hall}/announcement", summary="The spoken call as WAV audio (chime, then the sentence)",
            roles=None, responses={200: "audio/wav"},
            query=(("ticket", "ticket number, e.g. A012"), ("window", "window number"),
                   ("kind", "call (default) or recall"), ("lang", "zh (default), en, or zh,en"),
                   ("repeat", "times the sentence is spoken, 1–5 (default 1)"), ("token", "a display token")))
async def announcement(request: web.Request, actor: Actor | None) -> web.StreamResponse:
    actor = await screen_actor(request, actor)
    _hall(request, actor)
    ticket = request.query.get("ticket", "").upper()
    window = query_int(request, "window", 0, lo=1, hi=9999)
    repeat = query_int(request, "repeat", 1, lo=1, hi=5)
    try:
        a = Announcement(ticket, window, Kind(request.query.get("kind", "call")))
    except ValueError as e:
        raise InvalidInput(E.BAD_QUERY, f"号码、窗口或类型无效 (bad ticket, window or kind: {e})") from None
    try:
        path = await request.app[VOICE].audio(a, _langs(request.query.get("lang")), repeat)
    except VoiceUnavailable as e:
        log.error("voice unavailable: %s", e)
        raise web.HTTPServiceUnavailable(text="voice engine unavailable") from None
    return web.FileResponse(path, headers={"Content-Type": "audio/wav",
                                           "Cache-Control": "private, max-age=86400"})


# -- display pages -------------------------------------------------------------------------------------------

def _settings(request: web.Request) -> dict[str, Any]:
    """Per-screen settings from the URL: each screen is a bookmark with its own choices."""
    q = request.query
    voice = q.get("voice", "on")
    if voice not in ("on", "off", "browser"):
        raise InvalidInput(E.BAD_QUERY, "voice 应为 on、off 或 browser (voice must be on, off or browser)",
                           field="voice")
    orient = q.get("orient", "auto")
    if orient not in ("auto", "landscape", "portrait"):
        raise InvalidInput(E.BAD_QUERY, "orient 应为 auto、landscape 或 portrait", field="orient")
    area = q.get("area", "")
    if len(area) > 50 or not re.fullmatch(r"[^<>\"'&]*", area):
        raise InvalidInput(E.BAD_QUERY, "area 无效 (bad area)", field="area")
    return {
        "voice": voice,
        "lang": ",".join(_langs(q.get("lang"))),
        "repeat": query_int(request, "repeat", 1, lo=1, hi=5),
        "volume": query_int(request, "volume", 100, lo=0, hi=100),
        "area": area,
        "orient": orient,
        "token": q.get("token", ""),
    }


async def _page_actor(request: web.Request, actor: Actor | None) -> Actor:
    if actor is None and not request.query.get("token"):
        raise web.HTTPFound(f"/login?next={quote(request.path_qs, safe='')}")
    return await screen_actor(request, actor)


@routes.get("/displays/{hall}/lobby", summary="Lobby display (大屏)", roles=None, page=True)
async def lobby_page(request: web.Request, actor: Actor | None) -> web.Response:
    actor = await _page_actor(request, actor)
    hall = _hall(request, actor)
    return render(request, "lobby.html", hall=hall, settings=_settings(request))


@routes.get("/displays/{hall}/window/{number:\\d{1,4}}", summary="Window display (窗口屏)", roles=None, page=True)
async def window_page(request: web.Request, actor: Actor | None) -> web.Response:
    actor = await _page_actor(request, actor)
    hall = _hall(request, actor)
    return render(request, "window.html", hall=hall, settings=_settings(request),
                  window_number=int(request.match_info["number"]))


# -- life cycle ----------------------------------------------------------------------------------------------

def _ticker(app: web.Application) -> Loop:
    """Every TICK_SECONDS, a tick to every screen (its watchdog and its clock)."""
    async def step() -> None:
        await stream.tick(app[HUB], app[USECASES].ctx.clock())
    return Loop("live-ticker", stream.TICK_SECONDS, step, delay_first=True)


def _sweeper(app: web.Application) -> Loop:
    """Every second, the hub cuts off the screens too far behind, even when the hall is quiet."""
    async def step() -> None:
        app[HUB].sweep()
    return Loop("hub-sweep", SWEEP_SECONDS, step, delay_first=True)


async def _close_sockets(app: web.Application) -> None:
    """on_shutdown runs before cleanup closes the database: screens are told the server is going away."""
    open_now: set[web.WebSocketResponse] = app[SOCKETS]
    sockets = list(open_now)
    if not sockets:
        return
    log.info("closing %d live connections (going away)", len(sockets))

    async def close(ws: web.WebSocketResponse) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown"),
                                   SHUTDOWN_CLOSE_TIMEOUT)

    await asyncio.gather(*(close(ws) for ws in sockets))


async def _close_admission(app: web.Application) -> None:
    await app[ADMISSION].close()  # a shared read still running ends before the database closes


def setup(app: web.Application) -> None:
    """Hang this feature's resources and background tasks on the app (cleanup_ctx)."""
    app[SOCKETS] = set()
    app[CREDENTIALS] = {}
    register(app, _revalidator(app))
    app[VOICE] = VoiceEngine(default_cache_dir(app[CONFIG].database.files_dir))
    register(app, _ticker(app))
    register(app, _sweeper(app))
    app.on_shutdown.append(_close_sockets)
    app.on_shutdown.append(_close_admission)
