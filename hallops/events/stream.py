"""One live subscriber on a websocket: catch up, then follow the hub, in order, each event exactly once.

The wire protocol (server → client; the client sends nothing but close and pong):
  {"type": "hello", "hall_id", "seq", "now", "heartbeat",     first, always; scope "window": a rating pad's
   "scope": "hall" | "window"}                                stream, its window's events only (gaps in seq)
  {"seq", "type", "at", "payload", "replay": true}            catch-up: events after ?after=SEQ
  {"type": "snapshot", "seq", "state"}                        the hall's state (GET …/state) as of seq; a pad's:
                                                              its view (GET /api/v1/rating-pad)
  {"seq", "type", "at", "payload"}                            live events, as each transaction commits
  {"type": "tick", "now"}                                     every TICK_SECONDS: the client's watchdog and clock
Messages that waited together are sent as one frame holding a JSON array.

Order without gaps or repeats: subscribe first, then read the hall's sequence number S (or the snapshot
at S) and the backlog up to S; anything the subscription received meanwhile with seq <= S is dropped by
the writer. Events committed after the read carry seq > S and were published after we subscribed.

A subscriber follows what its scope allows (hallops/domain/live_scope.py): the whole hall, or, for a rating
pad, its own window's events, live and in the catch-up alike, with its own view as the snapshot.

A reconnect storm (hallops/events/admission.py): the hall's snapshot is read once for all the screens of the
hall that subscribed before the read began, a backlog span once for all that replay it, each encoded once;
at most a few catch-ups read at a time. The frames are sent after the turn ends: a screen slow to take them
never holds up the others' catch-ups.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import WSCloseCode, WSMsgType, web

from hallops.domain.actors import Actor
from hallops.domain.live_scope import WHOLE_HALL, LiveScope
from hallops.events.admission import Admission
from hallops.events.hub import EventHub, Subscription, encode_message
from hallops.storage.db import Event
from hallops.storage.views import iso

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 10.0  # aiohttp pings every 10 s and gives up 5 s later: a dead screen is found in 15 s
TICK_SECONDS = 10.0
REPLAY_MAX = 1000  # further behind than this: a snapshot instead of the backlog
CATCH_UP_TIMEOUT = 30.0
CLOSE_TIMEOUT = 1.0
# The kernel's send buffer per screen: events are small, and a stalled screen should not pin megabytes of
# kernel memory (autotuning would let it grow to tcp_wmem's maximum, 4 MB) before its queue overflows.
SEND_BUFFER = 64 * 1024
REPLAY_FRAME = 200  # backlog events per frame

_conn_ids = itertools.count(1)
PAGE = 500  # backlog events read at a time


class HallFeed(Protocol):
    """What a live session reads: the hall use cases (hallops/usecases/halls.py), as the subscriber may see them."""

    async def resolve(self, actor: Actor, ref: str | int) -> dict[str, Any]: ...

    async def state(self, actor: Actor, hall_id: int) -> dict[str, Any]: ...

    async def events_after(self, actor: Actor, hall_id: int, after: int, limit: int) -> list[dict[str, Any]]: ...


class Source:
    """One subscriber's reads of one hall, as that subscriber (`actor`) may see them: the events its `scope`
    follows, and as the snapshot the hall's state, or `view` (what a scoped subscriber shows) where given."""

    def __init__(self, halls: HallFeed, actor: Actor, hall_id: int, now: Callable[[], float], *,
                 scope: LiveScope = WHOLE_HALL, view: Callable[[], Awaitable[dict[str, Any]]] | None = None,
                 ) -> None:
        self.halls, self.actor, self.hall_id, self.now = halls, actor, hall_id, now
        self.scope, self.view = scope, view

    async def state(self) -> dict[str, Any]:
        if self.view is None:
            return await self.halls.state(self.actor, self.hall_id)
        seq = await self.seq()  # read first: whatever commits after it still arrives as a live event
        return {**await self.view(), "seq": seq}

    def accept(self) -> Callable[[Event], bool] | None:
        """The hub's filter for this subscriber (None: everything of the hall)."""
        if self.scope.whole_hall:
            return None
        follows = self.scope.follows
        return lambda ev: follows(ev.type, ev.payload)

    async def seq(self) -> int:
        return int((await self.halls.resolve(self.actor, self.hall_id))["event_seq"])

    async def events_between(self, after: int, upto: int) -> list[dict[str, Any]]:
        """Events with after < seq <= upto, in order (the caller bounds the span)."""
        out: list[dict[str, Any]] = []
        while after < upto:
            page = await self.halls.events_after(self.actor, self.hall_id, after, PAGE)
            out += [ev for ev in page if ev["seq"] <= upto and self.scope.follows(ev["type"], ev["payload"])]
            if not page or page[-1]["seq"] >= upto:
                break
            after = page[-1]["seq"]
        return out


def new_socket() -> web.WebSocketResponse:
    # Compression off: it doubles the cost of a broadcast and the messages are small.
    return web.WebSocketResponse(heartbeat=HEARTBEAT_SECONDS, compress=False, max_msg_size=4096,
                                 autoclose=True, autoping=True)


def limit_send_buffer(request: web.Request) -> None:
    transport = request.transport
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)


async def close_socket(ws: web.WebSocketResponse, code: int, message: bytes) -> None:
    """Close politely if the peer reads; drop the connection if it does not within CLOSE_TIMEOUT (a stalled
    screen never reads the close frame, and its socket would stay open)."""
    transport = _transport(ws)
    try:
        await asyncio.wait_for(ws.close(code=code, message=message), CLOSE_TIMEOUT)
        return
    except (TimeoutError, ConnectionError, RuntimeError):
        pass
    if transport is not None:
        transport.abort()


def _transport(ws: web.WebSocketResponse) -> asyncio.Transport | None:
    req = getattr(ws, "_req", None)
    transport = req.transport if req is not None else None
    return transport if isinstance(transport, asyncio.Transport) else None


_close = close_socket


async def serve(request: web.Request, ws: web.WebSocketResponse, *, source: Source, hub: EventHub,
                after: int | None, want_snapshot: bool, who: str, admission: Admission | None = None) -> None:
    """Run one prepared websocket until either side closes it (`admission`: the process's shared reads and
    bound on catch-ups at once; without it, this socket reads alone)."""
    hall_id = source.hall_id
    conn_id = next(_conn_ids)
    cut: list[asyncio.Task[None]] = []

    def on_overflow(sub: Subscription) -> None:
        # Called inside publish(): never await there; the close runs as its own task.
        cut.append(asyncio.create_task(_close(ws, WSCloseCode.TRY_AGAIN_LATER, b"too far behind")))

    log.info("live#%d hall %d: %s connected (after=%s, snapshot=%s)", conn_id, hall_id, who, after, want_snapshot)
    with hub.subscribe(hall_id, accept=source.accept(), on_overflow=on_overflow) as sub:
        since = admission.mark() if admission is not None else 0  # subscribed: a read begun from here will do
        writer: asyncio.Task[None] | None = None
        try:
            last = await asyncio.wait_for(
                _catch_up(ws, source, after, want_snapshot, admission, since), CATCH_UP_TIMEOUT)
            writer = asyncio.create_task(_write(ws, sub, last), name=f"live-writer-{conn_id}")
            async for msg in ws:
                if msg.type is WSMsgType.ERROR:
                    break
                # Clients have nothing to say; their text is ignored.
        except (TimeoutError, ConnectionError) as e:
            log.info("live#%d hall %d: catch-up failed: %r", conn_id, hall_id, e)
        finally:
            if writer is not None:
                writer.cancel()
                with contextlib.suppress(asyncio.CancelledError, ConnectionError, RuntimeError):
                    await writer
            for t in cut:
                with contextlib.suppress(asyncio.CancelledError):
                    await t
            if not ws.closed:
                await _close(ws, WSCloseCode.GOING_AWAY, b"")
    log.info("live#%d hall %d: %s disconnected (code %s%s)", conn_id, hall_id, who, ws.close_code,
             ", cut off" if sub.overflowed else "")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A snapshot as sent: its sequence number and its encoded message (one encoding for every sharer)."""

    seq: int
    frame: bytes


@dataclass(frozen=True, slots=True)
class CatchUp:
    seq: int
    backlog: tuple[bytes, ...]  # frames of replayed events
    snapshot: Snapshot | None


async def _catch_up(ws: web.WebSocketResponse, source: Source, after: int | None, want_snapshot: bool,
                    admission: Admission | None = None, since: int = 0) -> int:
    async with admission.slot() if admission is not None else contextlib.nullcontext():
        plan = await _read(source, after, want_snapshot, admission, since)
    await ws.send_frame(encode_message({"type": "hello", "hall_id": source.hall_id, "seq": plan.seq,
                                        "now": iso(source.now()),
                                        "heartbeat": HEARTBEAT_SECONDS, "scope": source.scope.name}),
                        WSMsgType.TEXT)
    for frame in plan.backlog:
        await ws.send_frame(frame, WSMsgType.TEXT)
    if plan.snapshot is not None:
        await ws.send_frame(plan.snapshot.frame, WSMsgType.TEXT)
    return plan.seq


async def _read(source: Source, after: int | None, want_snapshot: bool, admission: Admission | None,
                since: int) -> CatchUp:
    snap: Snapshot | None = None
    if want_snapshot or after is None:
        snap = await _snapshot(source, admission, since)
        seq = snap.seq
    else:
        seq = await source.seq()
    if after is not None and after > seq:  # the database was replaced: start over from a snapshot
        after = None
    elif after is not None and seq - after > REPLAY_MAX:
        after = None
    if after is None and snap is None:
        snap = await _snapshot(source, admission, since)
        # The snapshot may be newer than `seq`; events between were published after we subscribed.
        seq = snap.seq
    backlog: tuple[bytes, ...] = ()
    if after is not None and after < seq:
        backlog = await _backlog(source, admission, after, seq)
    return CatchUp(seq, backlog, snap)


async def _snapshot(source: Source, admission: Admission | None, since: int) -> Snapshot:
    """The hall's state (shared with the hall's other screens it is valid for), or a pad's own view."""
    async def read() -> Snapshot:
        state = await source.state()
        seq = int(state["seq"])
        return Snapshot(seq, encode_message({"type": "snapshot", "seq": seq, "state": state}))

    if admission is None or not source.scope.whole_hall:
        return await read()
    source.actor.check_hall(source.hall_id)  # the reader's actor may be another screen's: each is checked
    snap: Snapshot = await admission.states.get(source.hall_id, read, since)
    return snap


async def _backlog(source: Source, admission: Admission | None, after: int, upto: int) -> tuple[bytes, ...]:
    """The events after < seq <= upto as replay frames: committed, so the same for every screen of the scope."""
    async def read() -> tuple[bytes, ...]:
        events = await source.events_between(after, upto)
        return tuple(_replay_frame(events[i:i + REPLAY_FRAME]) for i in range(0, len(events), REPLAY_FRAME))

    if admission is None:
        return await read()
    source.actor.check_hall(source.hall_id)
    frames: tuple[bytes, ...] = await admission.backlogs.get((source.hall_id, source.scope, after, upto), read)
    return frames


def _replay_frame(events: list[dict[str, Any]]) -> bytes:
    chunk = [json.dumps(ev | {"replay": True}, ensure_ascii=False, separators=(",", ":")) for ev in events]
    return ("[" + ",".join(chunk) + "]").encode()


async def _write(ws: web.WebSocketResponse, sub: Subscription, last: int) -> None:
    """The subscriber's one writer: everything waiting goes out as one frame."""
    while True:
        items = await sub.batch()
        if sub.overflowed:
            return
        datas: list[bytes] = []
        for seq, data in items:
            if seq is not None:
                if seq <= last:
                    continue  # already sent in the catch-up
                last = seq
            datas.append(data)
        if not datas:
            continue
        payload = datas[0] if len(datas) == 1 else b"[" + b",".join(datas) + b"]"
        sub.sending(time.monotonic())
        await ws.send_frame(payload, WSMsgType.TEXT)
        sub.sent()


async def tick(hub: EventHub, now: float) -> None:
    """One tick to every subscriber that takes ticks (every TICK_SECONDS, a background loop of http/live.py):
    screens tell a quiet hall from a dead link, and keep to the server's clock. Hall by hall, letting the
    event loop run between halls: 13,000 sockets woken in one go held every request up for a few hundred ms."""
    message: dict[str, object] = {"type": "tick", "now": iso(now)}
    for hall_id in hub.halls():
        hub.broadcast(message, hall_id)
        await asyncio.sleep(0)
