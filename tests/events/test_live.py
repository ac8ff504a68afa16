"""The live websocket against the real server: replay, resume, stalled subscribers, hall isolation, shutdown."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import WSMsgType

from hallops.events import stream
from hallops.http.keys import HUB
from tests.conftest import Hall


class Screen:
    """A test subscriber: every message in arrival order, arrays (batches) flattened."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.messages: list[dict[str, Any]] = []

    async def next(self, within: float = 3.0) -> dict[str, Any]:
        while not self.messages:
            msg = await self.ws.receive(timeout=within)
            if msg.type is not WSMsgType.TEXT:
                raise ConnectionError(f"socket ended: {msg.type} {msg.data} {msg.extra}")
            data = json.loads(msg.data)
            self.messages.extend(data if isinstance(data, list) else [data])
        return self.messages.pop(0)

    async def next_event(self, within: float = 3.0) -> dict[str, Any]:
        while True:
            m = await self.next(within)
            if "seq" in m and m.get("type") not in ("hello", "snapshot"):
                return m


async def connect(hall: Hall, *, token: str | None = None, hall_ref: str | int | None = None,
                  after: int | None = None, snapshot: bool = False, **kw: Any) -> Screen:
    params = {"token": token or hall.display.token or ""}
    if after is not None:
        params["after"] = str(after)
    if snapshot:
        params["snapshot"] = "1"
    ws = await hall.client.ws_connect(f"/api/v1/halls/{hall_ref or hall.hall_id}/live", params=params, **kw)
    return Screen(ws)


async def eventually(pred: Callable[[], bool], within: float = 5.0) -> None:
    for _ in range(int(within / 0.01)):
        if pred():
            return
        await asyncio.sleep(0.01)


async def current_seq(hall: Hall) -> int:
    status, state = await hall.display.get(f"/api/v1/halls/{hall.hall_id}/state")
    assert status == 200
    return int(state["seq"])


async def test_replay_after_seq_then_live_events_in_order(hall: Hall) -> None:
    seq0 = await current_seq(hall)
    issued = [await hall.issue("A") for _ in range(3)]
    screen = await connect(hall, after=seq0)
    hello = await screen.next()
    assert hello["type"] == "hello" and hello["seq"] == seq0 + 3
    replayed = [await screen.next_event() for _ in range(3)]
    assert [e["seq"] for e in replayed] == [seq0 + 1, seq0 + 2, seq0 + 3]
    assert all(e["replay"] and e["type"] == "ticket.issued" for e in replayed)
    assert [e["payload"]["ticket"]["number"] for e in replayed] == [t["number"] for t in issued]
    clerk = await hall.clerk_at(1)
    status, called = await clerk.post(f"/api/v1/windows/{hall.window_id(1)}/call-next")
    assert status == 200
    ev = await screen.next_event()
    assert ev["seq"] == seq0 + 4 and ev["type"] == "window.opened" and "replay" not in ev
    ev = await screen.next_event()
    assert ev["type"] == "ticket.called" and ev["payload"]["ticket"]["number"] == called["ticket"]["number"]
    assert ev["payload"]["window"]["number"] == 1 and ev["payload"]["reason"] == "call"
    await screen.ws.close()


async def test_a_fresh_screen_starts_from_a_snapshot(hall: Hall) -> None:
    await hall.issue("A")
    screen = await connect(hall)
    hello = await screen.next()
    snap = await screen.next()
    assert snap["type"] == "snapshot" and snap["seq"] == hello["seq"]
    state = snap["state"]
    assert state["hall"]["id"] == hall.hall_id
    assert next(q for q in state["queues"] if q["prefix"] == "A")["waiting"] == 1
    t = await hall.issue("B")
    ev = await screen.next_event()
    assert ev["seq"] == snap["seq"] + 1 and ev["payload"]["ticket"]["number"] == t["number"]
    await screen.ws.close()


async def test_resume_after_dropped_connections_misses_and_repeats_nothing(hall: Hall) -> None:
    """Tickets are issued without pause while the screen drops and reconnects four times."""
    seq0 = await current_seq(hall)
    stop = asyncio.Event()

    async def issue_forever() -> int:
        n = 0
        while not stop.is_set():
            await hall.issue("A")
            n += 1
        return n

    producer = asyncio.create_task(issue_forever())
    seen: list[int] = []
    last = seq0
    for _ in range(5):
        screen = await connect(hall, after=last)
        assert (await screen.next())["type"] == "hello"
        for _ in range(8):
            ev = await screen.next_event()
            seen.append(ev["seq"])
            last = ev["seq"]
        await screen.ws.close()  # dropped mid-stream; events keep coming meanwhile
        await asyncio.sleep(0.05)
    stop.set()
    await producer
    final = await current_seq(hall)
    screen = await connect(hall, after=last)
    await screen.next()
    while last < final:
        ev = await screen.next_event()
        seen.append(ev["seq"])
        last = ev["seq"]
    await screen.ws.close()
    assert seen == list(range(seq0 + 1, final + 1))


def _stalled_socket(host: str, port: int, path: str) -> socket.socket:
    """A websocket client that completes the handshake and then never reads a byte."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window fills fast
    s.connect((host, port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
    return s


async def test_a_stalled_subscriber_is_cut_off_while_others_keep_receiving(hall: Hall) -> None:
    hub = hall.client.server.app[HUB]
    hub.max_queue = 40
    healthy = await connect(hall)
    await healthy.next()
    await healthy.next()
    server = hall.client.server
    stalled = await asyncio.to_thread(_stalled_socket, str(server.host), int(server.port or 0),
                                      f"/api/v1/halls/{hall.hall_id}/live?token={hall.display.token}")
    try:
        await eventually(lambda: hub.count(hall.hall_id) == 2)
        assert hub.count(hall.hall_id) == 2
        pad = "x" * 16000

        def flood(tx: Any) -> None:  # real events, committed like any other, large enough to fill buffers
            for _ in range(20):
                tx.emit(hall.hall_id, "test.flood", {"pad": pad})

        for _ in range(10):
            await hall.db.write(flood)
            for _ in range(20):
                await healthy.next_event()
        await eventually(lambda: hub.count(hall.hall_id) == 1)
        assert hub.count(hall.hall_id) == 1 and hub.cut_off == 1
        t0 = time.monotonic()
        ticket = await hall.issue("A")
        ev = await healthy.next_event()
        assert ev["payload"]["ticket"]["number"] == ticket["number"]
        assert time.monotonic() - t0 < 1.0
    finally:
        stalled.close()
        await healthy.ws.close()


async def test_events_of_another_hall_never_arrive(hall: Hall) -> None:
    other = dict(hall.layout, hall=dict(hall.layout["hall"], code="other-hall", name="另一大厅"), users=[])
    other_id = await hall.ports.layout.load_layout(other)
    here = await connect(hall)
    there = await connect(hall, token=hall.admin.token, hall_ref="other-hall")
    await here.next(), await here.next()
    hello = await there.next()
    assert hello["hall_id"] == other_id
    await there.next()
    await hall.issue("A")  # hall 1
    status, body = await hall.admin.post("/api/v1/tickets", {"queue": "B", "hall": other_id})
    assert status == 201, body
    ev = await there.next_event()
    assert ev["type"] == "ticket.issued" and ev["payload"]["ticket"]["queue"] == "B"
    ev1 = await here.next_event()
    assert ev1["payload"]["ticket"]["queue"] == "A"
    # A display token of hall 1 cannot follow hall 2: to it, that hall does not exist.
    with pytest.raises(aiohttp.WSServerHandshakeError) as e:
        await connect(hall, hall_ref="other-hall")
    assert e.value.status == 404
    await here.ws.close()
    await there.ws.close()


async def test_no_token_no_stream(hall: Hall) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as e:
        await hall.client.ws_connect(f"/api/v1/halls/{hall.hall_id}/live")
    assert e.value.status == 401
    with pytest.raises(aiohttp.WSServerHandshakeError) as e:
        await hall.client.ws_connect(f"/api/v1/halls/{hall.hall_id}/live", params={"token": "hop_wrong"})
    assert e.value.status == 401


async def test_a_screen_that_stops_answering_pings_is_dropped(hall: Hall, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream, "HEARTBEAT_SECONDS", 0.4)
    hub = hall.client.server.app[HUB]
    screen = await connect(hall, autoping=False)
    await screen.next()
    assert hub.count(hall.hall_id) == 1
    await eventually(lambda: hub.count(hall.hall_id) == 0, within=3)
    assert hub.count(hall.hall_id) == 0  # found dead within 1.5 heartbeats
    await screen.ws.close()


async def test_shutdown_tells_screens_the_server_is_going_away(hall: Hall) -> None:
    screen = await connect(hall)
    await screen.next()
    await hall.client.server.app.shutdown()
    msg = await screen.ws.receive(timeout=3)
    while msg.type is WSMsgType.TEXT:
        msg = await screen.ws.receive(timeout=3)
    assert msg.type is WSMsgType.CLOSE and msg.data == aiohttp.WSCloseCode.GOING_AWAY
