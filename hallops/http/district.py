"""The district's live view over HTTP (issue 10): the page, its one websocket, and the same rows as JSON.

`/district/{hall}` shows the centre and every centre below it side by side; it follows them all over ONE
websocket, `/api/v1/district/{hall}/live`, fed by the process's district board (hallops/events/district.py).

The wire protocol (server → client; the client sends nothing):
  {"type": "hello", "root", "epoch", "rev", "full", "halls", "now", "rows"}   first: the subtree in tree order
      and the rows owed (all of them when `full`; since ?rev= when ?epoch= is the board's)
  {"type": "centres", "rev", "now", "rows", ["halls"]}   rows changed since, as they are now (`halls` when the
      subtree itself changed: a centre added or moved)
  {"type": "tick", "now"}                          every TICK_SECONDS: the watchdog and the clock
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import WSCloseCode, WSMsgType, web

from hallops.domain.actors import Actor
from hallops.domain.errors import E, InvalidInput
from hallops.domain.model import Role
from hallops.events import stream
from hallops.events.district import DistrictBoard, Watcher, parse_since, rows_message
from hallops.events.hub import encode_message
from hallops.http.api import RouteTable, hall_of
from hallops.http.keys import HUB, USECASES
from hallops.http.live import CREDENTIALS, SOCKETS, credential, screen_actor
from hallops.http.web import render
from hallops.storage.views import iso

log = logging.getLogger(__name__)

routes = RouteTable("district")
SUPERVISORS = frozenset({Role.ADMIN, Role.MANAGER})
TILES = [{"zh": "区域总览", "en": "District view", "href": "/district/{hall}", "roles": {"admin", "manager"}}]
BOARD: web.AppKey[DistrictBoard] = web.AppKey("district_board", DistrictBoard)
TICK_SECONDS = 10.0
SEND_TIMEOUT = 15.0  # a tablet that stops reading this long is cut off; it resumes by revision


@routes.get("/district/{hall}", summary="The district's live view: every centre below this one, worst first",
            roles=SUPERVISORS, page=True)
async def district_page(request: web.Request, actor: Actor) -> web.Response:
    root = await request.app[USECASES].district.root(actor, int(hall_of(request)["id"]))
    return render(request, "district/district.html", hall=root)


@routes.get("/api/v1/district/{hall}", summary="Every centre of this one's subtree: its live figures now",
            roles=SUPERVISORS)
async def district_rows(request: web.Request, actor: Actor) -> web.Response:
    root = await request.app[USECASES].district.root(actor, int(hall_of(request)["id"]))
    board = request.app[BOARD]
    await board.ready()
    return web.json_response(board.snapshot(int(root["id"])))


@routes.get("/api/v1/district/{hall}/live", summary="Websocket: the subtree's rows, then every change",
            roles=None, responses={101: "switching to websocket"},
            query=(("epoch", "the board epoch last seen"), ("rev", "the last revision seen: only rows changed since"),
                   ("token", "a manager token, for browsers that cannot send an Authorization header")))
async def district_live(request: web.Request, actor: Actor | None) -> web.StreamResponse:
    actor = await screen_actor(request, actor)
    root = await request.app[USECASES].district.root(actor, int(hall_of(request)["id"]))
    ws = stream.new_socket()
    if not ws.can_prepare(request).ok:
        raise InvalidInput(E.WEBSOCKET_REQUIRED, "此地址只接受 WebSocket 连接 (connect with a websocket)")
    await ws.prepare(request)
    request.app[SOCKETS].add(ws)
    request.app[CREDENTIALS][ws] = credential(request)
    board = request.app[BOARD]
    try:
        since = parse_since(request.query.get("epoch"), request.query.get("rev"))
        async with board.watch(int(root["id"]), since) as (hello, watcher):
            await ws.send_frame(encode_message(hello), WSMsgType.TEXT)
            writer = asyncio.create_task(_write(ws, board, watcher), name="district-writer")
            try:
                async for msg in ws:
                    if msg.type is WSMsgType.ERROR:
                        break
            finally:
                writer.cancel()
                with contextlib.suppress(asyncio.CancelledError, ConnectionError, RuntimeError):
                    await writer
    finally:
        request.app[SOCKETS].discard(ws)
        request.app[CREDENTIALS].pop(ws, None)
        if not ws.closed:
            await stream.close_socket(ws, WSCloseCode.GOING_AWAY, b"")
    return ws


async def _write(ws: web.WebSocketResponse, board: DistrictBoard, watcher: Watcher) -> None:
    while True:
        try:
            await asyncio.wait_for(watcher.wake.wait(), TICK_SECONDS)
        except TimeoutError:
            msg: dict[str, object] = {"type": "tick", "now": iso(board.feed.now())}
        else:
            rows, tree_changed = watcher.take()
            msg = rows_message(board.rev, rows, board.feed.now(), watcher.order if tree_changed else None)
        try:
            await asyncio.wait_for(ws.send_frame(encode_message(msg), WSMsgType.TEXT), SEND_TIMEOUT)
        except TimeoutError:
            log.info("district viewer cut off: not reading")
            await stream.close_socket(ws, WSCloseCode.TRY_AGAIN_LATER, b"too far behind")
            return


def setup(app: web.Application) -> None:
    """One board per process, listening to every event from the start (it loads on the first viewer)."""
    board = DistrictBoard(app[USECASES].district)
    app[BOARD] = board
    app[HUB].listeners.append(board.listen)

    async def close(app: web.Application) -> None:
        await board.close()
    app.on_cleanup.append(close)
