"""The phone's live ticket page under load: status reads are shared per ticket, ticks never read, and a
ticket or an address can hold only a few sockets (real server, real websockets, real SQLite file)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import ClientWebSocketResponse, WSMsgType

from hallops.http.keys import HUB, USECASES
from hallops.http.phones import PHONE_WATCHES, SOCKETS_PER_ADDRESS, SOCKETS_PER_TICKET
from tests.conftest import Hall


def count_reads(hall: Hall, monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """Counts the reads of one ticket's status from storage: the public status (a few queries on the shared
    readers) and the live socket's own read (one snapshot)."""
    ports = hall.client.server.app[USECASES].ctx.ports
    n = 0

    def counting(port: Any, name: str) -> None:
        real = getattr(port, name)

        async def counted(token: str, **kw: Any) -> dict[str, Any] | None:
            nonlocal n
            n += 1
            return await real(token, **kw)

        monkeypatch.setattr(port, name, counted)

    counting(ports.tickets, "status")
    counting(ports.phones, "own")
    return lambda: n


async def follow(hall: Hall, token: str) -> ClientWebSocketResponse:
    ws = await hall.client.ws_connect(f"/api/v1/ticket-status/{token}/live")
    hello = await ws.receive_json(timeout=5)
    assert hello["type"] == "status" and hello["event"] == "connected"
    return ws


async def ticks(hall: Hall, n: int) -> None:
    """The 10-second ticks, each in its own turn of the loop (screens get them; a phone's socket does not)."""
    for _ in range(n):
        hall.client.server.app[HUB].broadcast({"type": "tick", "now": ""}, hall_id=hall.hall_id)
        await asyncio.sleep(0.005)


async def test_many_sockets_share_one_status_read_per_ticket_and_change(hall: Hall, monkeypatch) -> None:
    clerk = await hall.clerk_at(5, "clerk1")
    wid = hall.window_id(5)
    tickets = [await hall.issue("A") for _ in range(4)]
    reads = count_reads(hall, monkeypatch)
    sockets = {t["id"]: [await follow(hall, t["token"]) for _ in range(SOCKETS_PER_TICKET)] for t in tickets}
    assert reads() == len(tickets)  # the second and third socket of a ticket take the first one's read

    await ticks(hall, 20)
    _status, called = await clerk.post(f"/api/v1/windows/{wid}/call-next")
    first = called["ticket"]
    for t in tickets:
        for ws in sockets[t["id"]]:
            msg = await ws.receive_json(timeout=5)
            assert msg["status"]["status"] == ("called" if t["id"] == first["id"] else "waiting")
    await ticks(hall, 20)
    await clerk.post(f"/api/v1/tickets/{first['id']}/start")
    await clerk.post(f"/api/v1/tickets/{first['id']}/finish")
    for ws in sockets[first["id"]]:
        while (await ws.receive_json(timeout=5))["status"]["status"] != "done":
            pass
    await clerk.post(f"/api/v1/windows/{wid}/call-next")
    for i, t in enumerate(tickets[1:]):
        for ws in sockets[t["id"]]:
            msg = await ws.receive_json(timeout=5)
            assert (msg["status"]["status"], msg["status"]["people_ahead"]) == (("called", 0) if i == 0 else
                                                                                 ("waiting", i - 1))
    # One read per ticket when its sockets connect, and none after, whatever the number of sockets and ticks:
    # the calls, the start and the finish told their tickets' new status themselves (domain/phones.py
    # status_after), and the tickets that only moved up in line took their place from the hall's lines in
    # memory.
    assert reads() == len(tickets)
    assert hall.client.server.app[PHONE_WATCHES].reads == len(tickets)
    for group in sockets.values():
        for ws in group:
            await ws.close()


async def test_window_changes_elsewhere_and_ticks_are_not_news(hall: Hall, monkeypatch) -> None:
    t = await hall.issue("A")
    reads = count_reads(hall, monkeypatch)
    ws = await follow(hall, t["token"])
    await ticks(hall, 5)
    await hall.clerk_at(10, "clerk2")  # window 10 serves D only: nothing to tell an A ticket
    clerk = await hall.clerk_at(6, "clerk3")  # window 6 serves A: its opening may change the wait
    await clerk.post(f"/api/v1/windows/{hall.window_id(6)}/call-next")
    # Window 6's opening may reach the phone as news of its own or in one batch with the call (the batches
    # follow the event loop's timing): at most one message before the call, and it is that opening.
    before = []
    msg = await ws.receive_json(timeout=5)
    while msg["status"]["status"] != "called":
        before.append(msg)
        msg = await ws.receive_json(timeout=5)
    assert len(before) <= 1 and all(m["status"]["status"] == "waiting" for m in before)
    assert msg["status"]["status"] == "called" and msg["status"]["window"] == 6
    assert reads() == 1  # the hello: window 6 opening changed the estimate in memory, the call came with itself
    await ws.close()


async def test_a_ticket_holds_three_sockets_and_the_next_is_told_why(hall: Hall) -> None:
    t = await hall.issue("A")
    held = [await follow(hall, t["token"]) for _ in range(SOCKETS_PER_TICKET)]
    extra = await hall.client.ws_connect(f"/api/v1/ticket-status/{t['token']}/live")
    msg = await extra.receive(timeout=5)
    assert msg.type == WSMsgType.CLOSE and msg.data == 1008 and "this ticket" in msg.extra
    await held[0].close()
    again = await follow(hall, t["token"])  # a freed place can be taken again
    for ws in [*held[1:], again, extra]:
        await ws.close()


async def test_one_address_holds_thirty_sockets(hall: Hall) -> None:
    per_ticket = SOCKETS_PER_TICKET
    tickets = [await hall.issue("G") for _ in range(SOCKETS_PER_ADDRESS // per_ticket + 1)]
    held = [await follow(hall, t["token"]) for t in tickets[:-1] for _ in range(per_ticket)]
    assert len(held) == SOCKETS_PER_ADDRESS
    extra = await hall.client.ws_connect(f"/api/v1/ticket-status/{tickets[-1]['token']}/live")
    msg = await extra.receive(timeout=5)
    assert msg.type == WSMsgType.CLOSE and msg.data == 1008 and "address" in msg.extra
    for ws in [*held, extra]:
        await ws.close()
    # Closed sockets leave their places: the count goes back to nothing.
    for _ in range(100):
        if not hall.client.server.app[PHONE_WATCHES]._addresses:
            break
        await asyncio.sleep(0.01)
    assert not hall.client.server.app[PHONE_WATCHES]._addresses


async def test_a_served_ticket_says_where_it_was_served(hall: Hall) -> None:
    t = await hall.issue("B")
    clerk = await hall.clerk_at(5, "clerk1")
    ws = await follow(hall, t["token"])
    await clerk.post(f"/api/v1/windows/{hall.window_id(5)}/call-next")
    await clerk.post(f"/api/v1/tickets/{t['id']}/start")
    await clerk.post(f"/api/v1/tickets/{t['id']}/finish")
    msg = await ws.receive_json(timeout=5)
    while msg["status"]["status"] != "done":
        msg = await ws.receive_json(timeout=5)
    assert msg["status"]["window"] == 5
    status, html = await hall.anon.get(f"/t/{t['token']}")
    assert status == 200 and "已办结" in html and '已在 <b class="p-win">5</b> 号窗口办结' in html
    assert 'id="p-note" hidden' in html and 'id="p-end" hidden' not in html  # the end, not the waiting advice
    await ws.close()
