"""Phones take their place in line from the hall's lines in memory (hallops/domain/lines.py): through a busy
stretch of calls, priority tickets, transfers to the front, the end and a window, cancels, pauses and
finished services, every phone says what GET /api/v1/ticket-status/{token} says — computed by the database
on its own — and a phone that only moved up in line never made the server read (real server, real SQLite
file or PostgreSQL, real websockets)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import ClientWebSocketResponse

from hallops.http.keys import USECASES
from hallops.http.phones import PHONE_WATCHES
from tests.conftest import Hall

FIELDS = ("status", "position", "people_ahead", "estimated_wait", "window", "queue")


class Phone:
    def __init__(self, ticket: dict[str, Any], ws: ClientWebSocketResponse) -> None:
        self.ticket = ticket
        self.ws = ws
        self.last: dict[str, Any] = {}
        self.closed = False

    async def drain(self, quiet: float = 0.25) -> None:
        """Everything the server sent until it has been quiet for a moment."""
        while not self.closed:
            try:
                msg = await self.ws.receive_json(timeout=quiet)
            except TimeoutError:
                return
            except TypeError:  # the close frame after a final status
                self.closed = True
                return
            self.last = msg["status"]


async def ok(call: Any) -> Any:
    status, body = await call
    assert status == 200, body
    return body


async def follow(hall: Hall, ticket: dict[str, Any]) -> Phone:
    ws = await hall.client.ws_connect(f"/api/v1/ticket-status/{ticket['token']}/live")
    hello = await ws.receive_json(timeout=5)
    phone = Phone(ticket, ws)
    phone.last = hello["status"]
    return phone


async def agree(hall: Hall, phones: list[Phone]) -> None:
    await asyncio.gather(*(p.drain() for p in phones))
    for p in phones:
        status, truth = await hall.anon.get(f"/api/v1/ticket-status/{p.ticket['token']}")
        assert status == 200
        assert {k: p.last.get(k) for k in FIELDS} == {k: truth.get(k) for k in FIELDS}, p.ticket["number"]


async def test_every_phone_agrees_with_the_database_through_a_busy_stretch(hall: Hall) -> None:
    w5 = await hall.clerk_at(5, "clerk1")  # serves B, then A
    w6 = await hall.clerk_at(6, "clerk2")  # serves C, then A
    win5, win6 = hall.window_id(5), hall.window_id(6)
    a = [await hall.issue("A") for _ in range(6)]
    hall.clock.advance(30)
    elderly = await hall.issue("A", priority="elderly")
    b = [await hall.issue("B") for _ in range(2)]
    phones = [await follow(hall, t) for t in [*a, elderly, *b]]
    by_number = {p.ticket["number"]: p for p in phones}
    await agree(hall, phones)
    # Stated, not derived: the elderly ticket, issued last, stands first in A; A001 second.
    assert by_number[elderly["number"]].last["position"] == 1
    assert by_number[a[0]["number"]].last["position"] == 2
    assert by_number[a[5]["number"]].last["position"] == 7
    reads_at_start = hall.client.server.app[PHONE_WATCHES].reads

    # Window 6 calls from A (C is empty): the elderly ticket first; everyone in A moves up one.
    _, called = await w6.post(f"/api/v1/windows/{win6}/call-next")
    assert called["ticket"]["id"] == elderly["id"]
    await agree(hall, phones)
    assert by_number[a[0]["number"]].last["position"] == 1
    assert by_number[a[5]["number"]].last["position"] == 6
    # Nobody read: the called ticket's status came with its call, the five others moved up from memory.
    assert hall.client.server.app[PHONE_WATCHES].reads == reads_at_start

    # Served for 7 minutes: the wait estimates learn from it.
    await ok(w6.post(f"/api/v1/tickets/{elderly['id']}/start"))
    hall.clock.advance(420)
    await ok(w6.post(f"/api/v1/tickets/{elderly['id']}/finish"))
    await agree(hall, phones)

    # A005 to B's front, A006 to window 6 itself, A002 cancelled, window 5 paused.
    # (A manager reaches into a line; a clerk only acts on the ticket at their window.)
    m = hall.manager
    await ok(m.post(f"/api/v1/tickets/{a[4]['id']}/transfer", {"queue": "B", "placement": "front"}))
    await ok(m.post(f"/api/v1/tickets/{a[5]['id']}/transfer", {"window": win6, "placement": "issue_time"}))
    await ok(m.post(f"/api/v1/tickets/{a[1]['id']}/cancel"))
    await agree(hall, phones)
    assert by_number[a[4]["number"]].last["position"] == 1  # at the front of B
    assert by_number[a[5]["number"]].last["position"] == 1  # alone in window 6's own line
    assert by_number[a[2]["number"]].last["position"] == 2  # A001, then A003

    await ok(w5.post(f"/api/v1/windows/{win5}/pause", {"reason": "break"}))
    await agree(hall, phones)
    await ok(w5.post(f"/api/v1/windows/{win5}/resume"))

    # Window 5 calls B (A005 from the front), then finishes it; window 6 calls its own A006 first.
    _, called = await w5.post(f"/api/v1/windows/{win5}/call-next")
    assert called["ticket"]["id"] == a[4]["id"]
    _, called = await w6.post(f"/api/v1/windows/{win6}/call-next")
    assert called["ticket"]["id"] == a[5]["id"]
    more = [await hall.issue("A") for _ in range(2)]
    phones += [await follow(hall, t) for t in more]
    for t in (a[4], a[5]):
        api = w5 if t is a[4] else w6
        await ok(api.post(f"/api/v1/tickets/{t['id']}/start"))
        hall.clock.advance(200)
        await ok(api.post(f"/api/v1/tickets/{t['id']}/finish"))
    await agree(hall, phones)
    for p in phones:
        await p.ws.close()


async def test_lines_read_once_per_hall_however_many_phones_follow(hall: Hall) -> None:
    tickets = [await hall.issue("A") for _ in range(12)]
    books = hall.client.server.app[PHONE_WATCHES].books
    before = books.reads
    phones = [await follow(hall, t) for t in tickets]
    w5 = await hall.clerk_at(5, "clerk1")
    for _ in range(3):
        await w5.post(f"/api/v1/windows/{hall.window_id(5)}/call-next")
    await agree(hall, phones)
    assert books.reads == before + 1  # the hall's lines, read when the first phone joined
    for p in phones:
        await p.ws.close()


async def test_a_layout_change_reads_the_lines_again_and_they_stay_right(hall: Hall) -> None:
    tickets = [await hall.issue("A") for _ in range(4)]
    phones = [await follow(hall, t) for t in tickets]
    books = hall.client.server.app[PHONE_WATCHES].books
    before = books.reads
    # Window 6 stops serving A: a layout change the lines cannot fold.
    status, body = await hall.admin.patch(f"/api/v1/windows/{hall.window_id(6)}", {"queues": ["C"]})
    assert status == 200, body
    w5 = await hall.clerk_at(5, "clerk1")
    await w5.post(f"/api/v1/windows/{hall.window_id(5)}/call-next")
    await agree(hall, phones)
    assert books.reads == before + 1
    lines = await hall.client.server.app[USECASES].phones.lines(hall.hall_id)
    assert lines.queue_waiting(hall.queue_id("A")) == 3
    for p in phones:
        await p.ws.close()
