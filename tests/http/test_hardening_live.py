"""Revocation reaches live sockets, and stalled screens are cut off by the hub's own rule (issue 14)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import WSMsgType

from hallops.http.keys import DATABASE, HUB
from tests.conftest import Hall
from tests.events.test_live import _stalled_socket, connect, eventually

STALLED = 200


def _writers() -> int:
    return sum(t.get_name().startswith("live-writer-") and not t.done() for t in asyncio.all_tasks())


async def _closed_within(screen: Any, seconds: float) -> tuple[float, int | None]:
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        msg = await screen.ws.receive(timeout=seconds)
        if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING):
            return time.monotonic() - t0, screen.ws.close_code
    raise AssertionError("still open")


async def test_revoking_a_display_token_closes_its_open_socket_within_seconds(hall: Hall) -> None:
    status, made = await hall.admin.post("/api/v1/tokens", {"role": "display", "hall": hall.hall_id,
                                                            "label": "lobby-2"})
    assert status == 201
    screen = await connect(hall, token=made["token"])
    other = await connect(hall)  # the other screens stay
    await screen.next()
    await other.next()
    assert (await hall.admin.delete(f"/api/v1/tokens/{made['token_id'] if 'token_id' in made else made['id']}"))[0] \
        in (200, 204)
    took, code = await _closed_within(screen, 6.0)
    print(f"revoked display token: socket closed after {took:.1f} s (code {code})")
    assert code == 4401 and took < 5.0
    ticket = await hall.issue("A")
    assert (await other.next_event())["payload"]["ticket"]["number"] == ticket["number"]
    await other.ws.close()


async def test_signing_out_closes_the_session_s_live_socket(hall: Hall) -> None:
    manager = await hall.login("manager", "demo-manager")
    ws = await manager.client.ws_connect(f"/api/v1/halls/{hall.hall_id}/live")
    from tests.events.test_live import Screen

    screen = Screen(ws)
    await screen.next()
    assert (await manager.delete("/api/v1/session"))[0] == 204
    took, code = await _closed_within(screen, 6.0)
    assert code == 4401 and took < 5.0


async def test_200_stalled_screens_are_cut_off_and_the_hall_goes_on(hall: Hall, monkeypatch: Any) -> None:
    # A stalled socket answers no pings either: on a slow machine the 10 s heartbeat could close some of them
    # before the lag rule does. This test pins the lag rule, so the heartbeat is put out of its way.
    monkeypatch.setattr("hallops.events.stream.HEARTBEAT_SECONDS", 300.0)
    hub = hall.client.server.app[HUB]
    hub.max_lag = 2.0  # the lag rule, shortened for the test (15 s in service)
    healthy = await connect(hall)
    await healthy.next()
    await healthy.next()
    server = hall.client.server
    path = f"/api/v1/halls/{hall.hall_id}/live?token={hall.display.token}"
    stalled = await asyncio.gather(*(asyncio.to_thread(_stalled_socket, str(server.host), int(server.port or 0),
                                                       path) for _ in range(STALLED)))
    try:
        await eventually(lambda: hub.count(hall.hall_id) == STALLED + 1, within=30)
        # Subscribed is not yet caught up: a screen whose snapshot is read after the flood has the flood in it and
        # is sent nothing to stall on. Each one's writer starts when its catch-up is done.
        await eventually(lambda: _writers() == STALLED + 1, within=30)
        assert _writers() == STALLED + 1
        pad = "x" * 8000
        db = hall.client.server.app[DATABASE]

        def flood(tx: Any) -> None:
            for _ in range(20):
                tx.emit(hall.hall_id, "test.flood", {"pad": pad})

        t0 = time.monotonic()
        for _ in range(5):  # 100 events of 8 kB: far more than a stalled socket's buffers hold
            await db.write(flood)
            for _ in range(20):
                await healthy.next_event()
        await asyncio.sleep(hub.max_lag + 0.2)
        ticket = await hall.issue("A")  # the next message finds every stalled queue too old
        ev = await healthy.next_event()
        assert ev["payload"]["ticket"]["number"] == ticket["number"]
        await eventually(lambda: hub.count(hall.hall_id) == 1, within=10)
        took = time.monotonic() - t0
        print(f"{STALLED} stalled screens: {hub.cut_off} cut off, {took:.1f} s after the flood began")
        assert hub.cut_off == STALLED and hub.count(hall.hall_id) == 1
        _, text = await hall.anon.get("/metrics")
        assert f"hallops_subscribers_cut_off_total {float(STALLED)}" in text
        t1 = time.monotonic()
        ticket = await hall.issue("A")
        assert (await healthy.next_event())["payload"]["ticket"]["number"] == ticket["number"]
        assert time.monotonic() - t1 < 1.0
    finally:
        for s in stalled:
            s.close()
        await healthy.ws.close()
