"""A reconnect storm against the real server: hundreds of screens of one hall at once while the hall calls.

Every screen gets every call once and in order; the hall's state is read a handful of times, not once per
screen (hallops/events/admission.py); a rating pad among them still gets its own view and window.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
import pytest
from aiohttp import WSMsgType

from hallops.events.admission import Admission
from hallops.http.keys import ADMISSION
from tests.conftest import Hall
from tests.events.test_live import connect, current_seq
from tests.events.test_pad_live import pad_token
from tests.http.test_ratings import served

SCREENS = 300
CALLS = 6


class Follower:
    """One screen of the storm: everything it was sent, in order, arrays flattened."""

    def __init__(self, after: int | None, delay: float = 0.0) -> None:
        self.after = after
        self.delay = delay
        self.messages: list[dict[str, Any]] = []
        self.ws: aiohttp.ClientWebSocketResponse | None = None

    async def run(self, session: aiohttp.ClientSession, url: str, token: str, upto: asyncio.Future[int]) -> None:
        params = {"token": token, "snapshot": "1"}
        if self.after is not None:
            params["after"] = str(self.after)
        await asyncio.sleep(self.delay)
        self.ws = await session.ws_connect(url, params=params)
        while not (upto.done() and self.last_seq() >= upto.result() and self.has_snapshot()):
            msg = await self.ws.receive(timeout=30)
            assert msg.type is WSMsgType.TEXT, (msg.type, msg.data, msg.extra)
            data = json.loads(msg.data)
            self.messages.extend(data if isinstance(data, list) else [data])
        await self.ws.close()

    def events(self) -> list[dict[str, Any]]:
        return [m for m in self.messages if "seq" in m and m.get("type") not in ("hello", "snapshot")]

    def has_snapshot(self) -> bool:
        return any(m.get("type") == "snapshot" for m in self.messages)

    def snapshot(self) -> dict[str, Any]:
        return next(m for m in self.messages if m.get("type") == "snapshot")

    def last_seq(self) -> int:
        seqs = [m["seq"] for m in self.messages if m.get("type") != "hello" and "seq" in m]
        return max(seqs, default=-1)


async def test_a_storm_of_screens_gets_every_call_once_in_order_from_few_state_reads(hall: Hall) -> None:
    admission: Admission = hall.client.server.app[ADMISSION]
    clerk = await hall.clerk_at(1)
    wid = hall.window_id(1)
    for _ in range(CALLS):
        await hall.issue("A")
    seq0 = await current_seq(hall)
    called: list[tuple[int, str]] = []  # (seq of the call, ticket number)
    upto: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    issue_ms: list[float] = []

    async def counters() -> None:
        """The clerk calls while the screens come in; a kiosk issues beside them (its time is noted)."""
        for _ in range(CALLS):
            await asyncio.sleep(0.05)
            status, body = await clerk.post(f"/api/v1/windows/{wid}/call-next")
            assert status == 200, body
            called.append((await current_seq(hall), body["ticket"]["number"]))
            for action in ("start", "finish"):
                status, done = await clerk.post(f"/api/v1/tickets/{body['ticket']['id']}/{action}")
                assert status == 200, done
            t0 = time.monotonic()
            await hall.issue("B")
            issue_ms.append((time.monotonic() - t0) * 1000)
        upto.set_result(await current_seq(hall))

    # Two in three screens were following before the restart and resume after seq0; the rest start afresh. They
    # arrive in ten waves over the time of the calls, each wave at once.
    screens = [Follower(seq0 if i % 3 else None, delay=i % 10 * 0.04) for i in range(SCREENS)]
    url = str(hall.client.make_url(f"/api/v1/halls/{hall.hall_id}/live"))
    reads0 = admission.states.reads
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        await asyncio.gather(counters(), *(s.run(session, url, hall.display.token or "", upto)
                                           for s in screens))
    final = upto.result()
    numbers = [n for _, n in called]
    for s in screens:
        events = s.events()
        snap = s.snapshot()
        start = s.after if s.after is not None else snap["seq"]
        # No gap, no repeat: the replayed and the live events are exactly seq start+1 … final.
        assert [e["seq"] for e in events] == list(range(start + 1, final + 1)), (s.after, snap["seq"])
        heard = [e["payload"]["ticket"]["number"] for e in events if e["type"] == "ticket.called"]
        if s.after is not None:
            assert heard == numbers
        else:  # the calls before its snapshot are in the snapshot's latest calls, the others arrived live
            before = {c["number"] for c in snap["state"]["latest_calls"]}
            assert [n for q, n in called if q > snap["seq"]] == heard
            assert {n for q, n in called if q <= snap["seq"]} <= before
    assert any(seq0 < s.snapshot()["seq"] < final for s in screens)  # the storm and the calls overlapped
    reads = admission.states.reads - reads0
    print(f"{SCREENS} screens: {reads} state reads ({admission.states.shared} shared), "
          f"{admission.backlogs.reads} backlog reads, at most {admission.peak} catch-ups at once; "
          f"kiosk issue during the storm: max {max(issue_ms):.0f} ms")
    assert reads <= SCREENS // 10  # a handful per storm, never one per screen
    assert admission.peak <= admission.at_once
    _, text = await hall.anon.get("/metrics")  # what an operator sees of it
    assert f"hallops_live_state_reads_total {float(admission.states.reads)}" in text


async def test_a_shared_read_never_serves_a_screen_that_subscribed_after_it_began(hall: Hall) -> None:
    """A read begun before a screen subscribed may miss what that screen's subscription missed: not shared."""
    admission: Admission = hall.client.server.app[ADMISSION]
    gate = asyncio.Event()
    begun = asyncio.Event()
    reads: list[int] = []

    async def slow_read() -> int:
        reads.append(1)
        begun.set()
        await gate.wait()
        return len(reads)

    early = admission.mark()
    first = asyncio.create_task(admission.states.get(-1, slow_read, early))
    await begun.wait()
    joined = asyncio.create_task(admission.states.get(-1, slow_read, early))  # subscribed before: shares it
    late = admission.mark()
    own = asyncio.create_task(admission.states.get(-1, slow_read, late))  # subscribed after it began: reads anew
    also = asyncio.create_task(admission.states.get(-1, slow_read, admission.mark()))  # … in the same next read
    await asyncio.sleep(0.01)
    assert len(reads) == 1  # the next read begins when the running one ends, for all who came meanwhile
    gate.set()
    assert (await first, await joined, await own, await also) == (1, 1, 2, 2)
    assert len(reads) == 2
    # Done, the later read serves whoever subscribed before it began, and nobody after.
    assert await admission.states.get(-1, slow_read, late) == 2
    assert await admission.states.get(-1, slow_read, admission.mark()) == 3


async def test_a_screen_that_leaves_does_not_cancel_the_read_the_others_wait_for(hall: Hall) -> None:
    admission: Admission = hall.client.server.app[ADMISSION]
    gate = asyncio.Event()

    async def read() -> str:
        await gate.wait()
        return "state"

    since = admission.mark()
    leaver = asyncio.create_task(admission.states.get(-2, read, since))
    stayer = asyncio.create_task(admission.states.get(-2, read, since))
    await asyncio.sleep(0.01)
    leaver.cancel()
    await asyncio.sleep(0.01)
    gate.set()
    assert await stayer == "state"
    assert admission.states.reads >= 1


async def test_pads_in_a_storm_keep_their_own_view_and_window(hall: Hall) -> None:
    """Rating pads catch up beside the hall's screens: each its own view and window, never the hall's state."""
    clerk = await hall.clerk_at(1)
    pads_1 = [await pad_token(hall, 1) for _ in range(3)]
    pads_2 = [await pad_token(hall, 2) for _ in range(3)]
    seq0 = await current_seq(hall)
    everyone = await asyncio.gather(*(connect(hall, snapshot=True, after=seq0) for _ in range(40)),
                                    *(connect(hall, token=t) for t in pads_1 + pads_2))
    screens, pads = everyone[:40], everyone[40:]
    t = await served(hall, clerk, 1)
    final = await current_seq(hall)
    for s in screens:
        assert (await s.next())["type"] == "hello"
        seqs = [(await s.next_event())["seq"] for _ in range(final - seq0)]
        assert seqs == list(range(seq0 + 1, final + 1))
    for p, window in zip(pads, [1] * 3 + [2] * 3, strict=True):
        hello, snap = await p.next(), await p.next()
        assert hello["scope"] == "window" and snap["type"] == "snapshot"
        assert snap["state"]["window"]["number"] == window and "windows" not in snap["state"]
        if window == 1:
            ev = await p.next_event()
            assert ev["type"] == "ticket.finished" and ev["payload"]["ticket"]["number"] == t["number"]
        with pytest.raises(TimeoutError):
            await p.next_event(within=0.3)  # nothing else: the hall's issue and call are not a pad's business
    for s in [*screens, *pads]:
        await s.ws.close()


async def test_a_failed_read_fails_its_waiters_and_the_next_screen_reads_anew(hall: Hall) -> None:
    admission: Admission = hall.client.server.app[ADMISSION]
    gate = asyncio.Event()

    async def broken() -> str:
        await gate.wait()
        raise ConnectionError("database went away")

    since = admission.mark()
    waiters = [asyncio.create_task(admission.states.get(-3, broken, since)) for _ in range(3)]
    await asyncio.sleep(0.01)
    gate.set()
    for w in waiters:
        with pytest.raises(ConnectionError):
            await w

    async def fine() -> str:
        return "state"

    assert await admission.states.get(-3, fine, since) == "state"  # a failure is never remembered
