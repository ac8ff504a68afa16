"""The citizen's phone: the hall's 一码取号 page and QR code, taking and taking back a ticket, the ticket's
page and QR code, and the page's live socket.

Phone tickets are counted per device: the device cookie is signed by the server (HMAC-SHA256), so a phone
cannot name itself a fresh device; one that clears its cookies is a new device, and the per-address limit
still counts it. The rules are the domain's (hallops/domain/phones.py); the use cases, hallops/usecases/phones.py.

The phone page follows one ticket over a websocket that carries only that ticket's news: the server listens
to the hall's events that can change it (`domain.phones.concerns`) and sends the public status when it
changed — never the events themselves. The ticket's own status is read when its socket connects and
otherwise comes from its own events (`PhoneWatches`); its place in line and wait estimate come from the hall's
lines in memory (hallops/events/lines.py), so another ticket's call moves a thousand phones without a read.
The hub's ticks do not reach a phone's socket (the page has its own heartbeat). A ticket may have a few
sockets, an address a few dozen; past that the socket is closed with 1008 and a reason. The counts live in
this process: behind a load balancer with several processes each process counts its own sockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import re
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Literal

import qrcode
import qrcode.image.svg
from aiohttp import WSCloseCode, WSMsgType, web
from pydantic import Field

from hallops.domain import phones as rules
from hallops.domain.actors import Actor
from hallops.domain.errors import E, InvalidInput, NotFound
from hallops.domain.events import Ev
from hallops.domain.phones import SOCKETS_PER_ADDRESS, SOCKETS_PER_TICKET
from hallops.events.hub import EventHub
from hallops.events.lines import LineBooks
from hallops.http.api import RouteTable, hall_of, json_response, request_digest
from hallops.http.bodies import Body, Id, QueueRef
from hallops.http.client import client_address
from hallops.http.errors import error_response, status_of
from hallops.http.keys import CONFIG, HUB, USECASES
from hallops.http.web import render
from hallops.storage.db import Event
from hallops.storage.lanes import follower_task
from hallops.usecases.kiosk import wait_words
from hallops.usecases.phones import Phones
from hallops.wire import iso

log = logging.getLogger(__name__)

__all__ = ["PHONE_WATCHES", "SOCKETS_PER_ADDRESS", "SOCKETS_PER_TICKET", "PhoneWatches", "routes", "setup"]

routes = RouteTable("phones")
TILES: list[dict[str, Any]] = [
    {"zh": "一码取号（手机）", "en": "Phone ticketing QR", "href": "/m/{hall}", "roles": {"admin", "manager"}},
]

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
DEVICE_COOKIE = "hallops_device"
DEVICE_COOKIE_MAX_AGE = 400 * 86400
FINAL = frozenset({"done", "no_show", "cancelled", "expired"})
PHONE_QUEUE = 64  # events waiting for one phone; past that it is cut off and reconnects
CLOSE_TOO_MANY = WSCloseCode.POLICY_VIOLATION  # 1008: the page waits longer before it tries again

PhoneSockets = set[web.WebSocketResponse]
PHONE_SOCKETS: web.AppKey[PhoneSockets] = web.AppKey("phone_sockets", PhoneSockets)


class MobileTicket(Body):
    queue: QueueRef
    priority: Literal["none", "elderly", "disabled", "green_channel"] = Field(
        "none", description="always \"none\" on the phone: priority is granted at a kiosk or the help desk")


class MobileBundleTicket(Body):
    bundle: Id


# -- helpers -------------------------------------------------------------------------------------------

def _phones(request: web.Request) -> Phones:
    return request.app[USECASES].phones


def _token(request: web.Request) -> str:
    token = request.match_info["token"]
    if not TOKEN_RE.match(token):
        raise NotFound(E.TICKET_NOT_FOUND, "号票不存在 (no such ticket)")
    return token


def _cookie(request: web.Request) -> str | None:
    return request.cookies.get(DEVICE_COOKIE)


def _fallback_url(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


def qr_svg(data: str) -> web.Response:
    img = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    return web.Response(body=img.to_string(), content_type="image/svg+xml",
                        headers={"Cache-Control": "private, max-age=3600"})


async def _name_device(request: web.Request, resp: web.StreamResponse) -> None:
    _device_id, cookie = await _phones(request).new_device()
    # HttpOnly: page scripts cannot copy or reset it; Lax: another site cannot post with it.
    resp.set_cookie(DEVICE_COOKIE, cookie, max_age=DEVICE_COOKIE_MAX_AGE, httponly=True, samesite="Lax", path="/",
                    secure=request.app[CONFIG].security.cookie_secure)  # never in clear behind HTTPS


def _idempotency(request: web.Request, body: Body) -> tuple[str, str] | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not (1 <= len(key) <= 128 and key.isprintable()):
        raise InvalidInput(E.BAD_IDEMPOTENCY_KEY, "Idempotency-Key 须为 1–128 个可打印字符 (bad Idempotency-Key)")
    return key, request_digest(body)


# -- phones following their tickets --------------------------------------------------------------------

@dataclass(slots=True)
class _Watch:
    ticket_id: int
    hall_id: int
    sockets: int = 0
    seq: int = -1  # `own` was read after every event up to this sequence number had committed
    own: dict[str, Any] | None = None  # the ticket's own status, without its place in line
    heard: int = -1  # the newest event of its own the hub published
    pending: tuple[int, asyncio.Task[dict[str, Any]]] | None = None


class PhoneWatches:
    """The phones following tickets: a few sockets per ticket and per address at most; per ticket, its own
    status, read when its first socket connects and then moved by its own events, shared by all its sockets;
    its place in line and wait estimate from the hall's lines in memory (`LineBooks`), never from a read per
    phone.

    The hub tells `listen` of every event before any socket hears it: a followed ticket's own event gives its
    new status there and then (`rules.status_after`), so the called phone is answered first; one the event
    cannot describe (a transfer) starts a read. The hub publishes an event only after its COMMIT, so a read
    started after event N sees everything up to N: a socket whose ticket's own news ends at N takes the
    remembered status if it is from after N, or waits for a read in flight that started after N, and only
    otherwise reads."""

    def __init__(self, read: Callable[[str], Coroutine[Any, Any, dict[str, Any]]], books: LineBooks,
                 clock: Callable[[], float], *, full: Callable[[str], Coroutine[Any, Any, dict[str, Any]]],
                 per_ticket: int = SOCKETS_PER_TICKET, per_address: int = SOCKETS_PER_ADDRESS) -> None:
        self._read = read
        self._full = full
        self.books = books
        self._clock = clock
        self.per_ticket = per_ticket
        self.per_address = per_address
        self._watches: dict[str, _Watch] = {}
        self._by_ticket: dict[int, str] = {}
        self._addresses: Counter[str] = Counter()
        self._tasks: set[asyncio.Task[dict[str, Any]]] = set()
        self.reads = 0  # status reads made: what the database pays for all the phones

    def join(self, token: str, address: str, ticket_id: int, hall_id: int) -> str | None:
        """Count a new socket in; the refusal's reason when one more is too many."""
        w = self._watches.get(token)
        refused = rules.socket_refusal(w.sockets if w is not None else 0, self._addresses[address],
                                       per_ticket=self.per_ticket, per_address=self.per_address)
        if refused is not None:
            return refused
        if w is None:
            w = self._watches[token] = _Watch(ticket_id, hall_id)
            self._by_ticket[ticket_id] = token
            self.books.hold(hall_id)
        w.sockets += 1
        self._addresses[address] += 1
        return None

    def leave(self, token: str, address: str) -> None:
        w = self._watches.get(token)
        if w is not None:
            w.sockets -= 1
            if w.sockets <= 0:
                del self._watches[token]
                self._by_ticket.pop(w.ticket_id, None)
                self.books.release(w.hall_id)
        self._addresses[address] -= 1
        if self._addresses[address] <= 0:
            del self._addresses[address]

    def listen(self, ev: Event) -> None:
        """A hub listener: a followed ticket's own event gives its new status (`rules.status_after`: a call, a
        start, a finish …) before any socket wakes, so the called phone is told at once; the others (a transfer)
        start its read."""
        t = ev.payload.get("ticket") if isinstance(ev.payload, dict) else None
        token = self._by_ticket.get(t.get("id", -1)) if isinstance(t, dict) else None
        if token is None:
            return
        w = self._watches[token]
        current = w.own is not None and w.seq >= w.heard  # read after every event of its own before this one
        after = rules.status_after(w.own, ev.seq, ev.type, iso(ev.at) or "", ev.payload) if current else None
        w.heard = ev.seq
        if after is not None:
            w.seq, w.own = ev.seq, after  # a read in flight, older, is not taken after this
        else:
            self._start(w, token, ev.seq)

    async def status(self, token: str, seq: int, own_seq: int = -1) -> dict[str, Any]:
        """The ticket's status as of at least event `seq`, read again if its own news reached `own_seq`
        since the last read (the socket must have joined)."""
        w = self._watches[token]
        own = await self._own(w, token, seq, own_seq)
        if own["status"] != "waiting":
            return own
        lines = await self.books.lines(w.hall_id)
        ahead = lines.ahead(w.ticket_id)
        if ahead is None:  # the lines are past the status read: the ticket's own news is on its way; read now
            own = await self._own(w, token, lines.seq, lines.seq)
            if own["status"] != "waiting":
                return own
            ahead = lines.ahead(w.ticket_id)
            if ahead is None:  # the lines and the database disagree: trust the database
                return await self._full(token)
        rng = lines.estimate(w.ticket_id, ahead, self._clock())
        placed = own | {"people_ahead": ahead, "position": ahead + 1,
                        "estimated_wait": {"low_minutes": rng.low, "high_minutes": rng.high} if rng else None}
        zh, en = wait_words(placed)
        return placed | {"wait_zh": zh, "wait_en": en}

    async def _own(self, w: _Watch, token: str, seq: int, own_seq: int) -> dict[str, Any]:
        if w.own is not None and w.seq >= own_seq:
            return w.own
        if w.pending is None or w.pending[0] < own_seq:
            self._start(w, token, seq)
        assert w.pending is not None
        # Shielded: a socket that leaves must not cancel the read the ticket's other sockets wait for.
        return await asyncio.shield(w.pending[1])

    def _start(self, w: _Watch, token: str, seq: int) -> None:
        if w.pending is not None and w.pending[0] >= seq:
            return
        task = follower_task(self._read(token), name="phone-status")
        self.reads += 1
        self._tasks.add(task)
        task.add_done_callback(functools.partial(self._done, w, seq))
        w.pending = (seq, task)

    def _done(self, w: _Watch, seq: int, task: asyncio.Task[dict[str, Any]]) -> None:
        self._tasks.discard(task)
        if w.pending is not None and w.pending[1] is task:
            w.pending = None
        if task.cancelled() or task.exception() is not None:  # the waiting sockets got it raised
            return
        if seq > w.seq:
            w.seq, w.own = seq, task.result()

    async def close(self) -> None:
        tasks = list(self._tasks)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


PHONE_WATCHES: web.AppKey[PhoneWatches] = web.AppKey("phone_watches", PhoneWatches)


# -- pages ---------------------------------------------------------------------------------------------

@routes.get("/t/{token}", summary="The citizen's ticket on the phone (live)", roles=None, page=True)
async def phone_page(request: web.Request, actor: Actor | None) -> web.Response:
    token = _token(request)
    phones = _phones(request)
    page = await phones.page(token, _cookie(request))
    citizens = request.app[USECASES].citizens
    await citizens.remember(await phones.identify(_cookie(request)), token)  # "my tickets" on /m/{hall}
    return render(request, "phone/ticket.html", st=page.status, token=token, can_cancel=page.can_cancel,
                  hall_code=page.hall_code, person=await citizens.ticket_person(token),
                  sms=await citizens.subscription(token))


@routes.get("/t/{token}/qr.svg", summary="QR code of the phone ticket page", roles=None, page=True)
async def phone_qr(request: web.Request, actor: Actor | None) -> web.Response:
    token = _token(request)
    hall_id = await _phones(request).hall_of_ticket(token)
    base = await request.app[USECASES].kiosk.base_url(hall_id, _fallback_url(request))
    return qr_svg(f"{base}/t/{token}")


@routes.get("/m/{hall}", summary="一码取号: take a ticket from the phone", roles=None, page=True)
async def mobile_page(request: web.Request, actor: Actor | None) -> web.Response:
    hall = hall_of(request)
    phones = _phones(request)
    device = await phones.identify(_cookie(request))
    mine = await request.app[USECASES].citizens.mine(device, hall)
    resp = render(request, "phone/take.html", hall=hall, settings=await phones.take_page(hall["id"]), mine=mine)
    if device is None:  # a first visit, or a cookie the server never signed
        await _name_device(request, resp)
    return resp


@routes.get("/m/{hall}/qr.svg", summary="The hall's 一码取号 QR code (print it, or show it on a screen)",
            roles=None, page=True)
async def mobile_qr(request: web.Request, actor: Actor | None) -> web.Response:
    hall = hall_of(request)
    base = await request.app[USECASES].kiosk.base_url(hall["id"], _fallback_url(request))
    return qr_svg(f"{base}/m/{hall['code']}")


# -- phone tickets (一码取号) ---------------------------------------------------------------------------

@routes.post("/api/v1/mobile/{hall}/tickets", summary="Public: take a ticket from the phone (limited per device "
             "and per hour; Idempotency-Key makes a retry safe)", roles=None, body=MobileTicket,
             responses={201: "ticket issued", 200: "the same ticket again", 429: "limit reached"})
async def mobile_ticket(request: web.Request, actor: Actor | None, body: MobileTicket) -> web.Response:
    queue = body.queue if isinstance(body.queue, int) else body.queue.upper()
    return await _issued(request, _phones(request).take(
        hall_id=hall_of(request)["id"], queue=queue, priority=body.priority, cookie=_cookie(request),
        address=client_address(request), idempotency=_idempotency(request, body)))


@routes.post("/api/v1/mobile/{hall}/bundle-tickets", summary="Public: take a bundle's ticket (一件事一次办) from "
             "the phone, under the same limits; it goes window to window keeping its number", roles=None,
             body=MobileBundleTicket, responses={201: "ticket issued", 200: "the same ticket again",
                                                 404: "no such bundle in this hall", 429: "limit reached"})
async def mobile_bundle_ticket(request: web.Request, actor: Actor | None, body: MobileBundleTicket) -> web.Response:
    return await _issued(request, _phones(request).take_bundle(
        hall_id=hall_of(request)["id"], bundle_id=body.bundle, cookie=_cookie(request),
        address=client_address(request), idempotency=_idempotency(request, body)))


async def _issued(request: web.Request, taking: Awaitable[tuple[dict[str, Any], bool]]) -> web.Response:
    """The answer to a phone's ticket: where its page is, or a device named for a phone the server never named."""
    try:
        ticket, created = await taking
    except rules.UnknownDevice as e:
        # Only a device the server named counts: this answer names one, and the page tries again with it.
        err = error_response(status_of(e), e.code, e.message)
        await _name_device(request, err)
        return err
    out = {k: ticket[k] for k in ("number", "queue", "queue_name", "status", "token", "people_ahead")}
    return json_response(out | {"url": f"/t/{ticket['token']}"}, status=201 if created else 200)


@routes.post("/api/v1/mobile/tickets/{token}/cancel", summary="Public: the phone that took a ticket cancels it "
             "while it still waits (a mis-tap; limited per phone and hour)", roles=None, body=Body,
             responses={200: "cancelled", 403: "not the phone that took it", 409: "no longer waiting",
                        429: "too many cancels"})
async def mobile_cancel(request: web.Request, actor: Actor | None, body: Body) -> web.Response:
    ticket = await _phones(request).cancel(_token(request), _cookie(request))
    return json_response({"number": ticket["number"], "status": ticket["status"]})


# -- the phone page's websocket ------------------------------------------------------------------------

@routes.get("/api/v1/ticket-status/{token}/live", summary="Websocket: this ticket's status whenever it changes "
            "(JSON {type: status, status, event}); closed with 1008 past 3 sockets per ticket or 30 per address",
            roles=None)
async def ticket_live(request: web.Request, actor: Actor | None) -> web.StreamResponse:
    token = _token(request)
    following = await _phones(request).follow(token)
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=1024)
    await ws.prepare(request)
    address = client_address(request)
    watches = request.app[PHONE_WATCHES]
    refused = watches.join(token, address, following.ticket.id, following.hall_id)
    if refused is not None:
        log.info("phone socket for ticket %s from %s refused: %s", following.ticket.id, address, refused)
        await ws.close(code=CLOSE_TOO_MANY, message=refused.encode())
        return ws
    sockets: PhoneSockets = request.app[PHONE_SOCKETS]
    sockets.add(ws)
    try:
        await _follow(ws, _phones(request), request.app[HUB], watches, token, following.hall_id, following.ticket)
    finally:
        sockets.discard(ws)
        watches.leave(token, address)
    return ws


async def _follow(ws: web.WebSocketResponse, phones: Phones, hub: EventHub, watches: PhoneWatches, token: str,
                  hall_id: int, mine: rules.Followed) -> None:
    def accept(ev: Event) -> bool:
        return rules.concerns(mine, ev.type, ev.payload)

    with hub.subscribe(hall_id, accept=accept, maxsize=PHONE_QUEUE, ticks=False) as sub:
        # Subscribed first, then the lines' sequence number taken (they are past every event published so
        # far): nothing published after it can be missed, and the status read after it sees all before it.
        seen = (await watches.books.lines(hall_id)).seq
        own_seq = -1  # the newest of the ticket's own events this socket heard of

        async def pump() -> None:
            try:
                await _pump()
            except (asyncio.CancelledError, ConnectionError):
                raise
            except Exception:
                log.exception("phone websocket for ticket %s failed", mine.id)
                await ws.close(code=WSCloseCode.INTERNAL_ERROR)

        async def _pump() -> None:
            nonlocal seen, own_seq
            last: dict[str, Any] | None = None
            told = -1  # the newest of the ticket's own events the phone was told of
            while True:
                status = await watches.status(token, seen, own_seq)
                own = status.get("own_event")
                event = "connected" if last is None else rules.untold(own, told)
                told = max(told, int(own["seq"])) if own else told
                if status != last:  # a new own event changes it too
                    public = {k: v for k, v in status.items() if k != "own_event"}
                    await ws.send_json({"type": "status", "status": public, "event": event})
                    last = status
                if status["status"] in FINAL:
                    await ws.close(code=WSCloseCode.OK, message=b"final")
                    return
                while True:
                    items = await sub.batch()
                    if sub.overflowed:
                        await ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"behind")
                        return
                    news = [(seq, text) for seq, text in items if seq is not None]  # ticks change nothing
                    if news:
                        break
                for seq, text in news:
                    seen = max(seen, seq)
                    ev = json.loads(text)
                    t = (ev.get("payload") or {}).get("ticket") or {}
                    if t.get("id") == mine.id:
                        own_seq = seq
                        if ev["type"] == Ev.TICKET_TRANSFERRED:
                            mine.transferred(t)

        writer = asyncio.create_task(pump(), name=f"phone-ws-{mine.id}")
        try:
            async for msg in ws:  # the phone says nothing we need; this loop notices it leaving
                if msg.type == WSMsgType.ERROR:
                    break
        finally:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await writer


# -- life cycle ----------------------------------------------------------------------------------------

async def _close_phones(app: web.Application) -> None:
    sockets: PhoneSockets = app[PHONE_SOCKETS]
    for ws in list(sockets):
        with contextlib.suppress(Exception):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")


async def _watches_ctx(app: web.Application) -> AsyncIterator[None]:
    yield
    await app[PHONE_WATCHES].close()  # reads in flight end before the database closes


def setup(app: web.Application) -> None:
    sockets: PhoneSockets = set()
    app[PHONE_SOCKETS] = sockets
    books = LineBooks(lambda hall_id: app[USECASES].phones.lines(hall_id))
    watches = PhoneWatches(lambda token: app[USECASES].phones.live_status(token, place=False), books,
                           lambda: app[USECASES].phones.now(),
                           full=lambda token: app[USECASES].phones.live_status(token))
    app[PHONE_WATCHES] = watches
    # The lines first, then the watches: a phone woken by an event finds the lines already past it.
    app[HUB].listeners.extend([books.listen, watches.listen])
    app.on_shutdown.append(_close_phones)
    app.cleanup_ctx.append(_watches_ctx)
