"""Clerks pressing "call next" at the same instant never get the same ticket; numbers never repeat —
in one process, across two server processes on one file, and across a crash."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from hallops.cli import demo_layout
from tests.conftest import Hall
from tests.processes import ServerProcess, cli, demo_tokens


async def test_many_windows_calling_at_once_never_share_a_ticket(hall: Hall) -> None:
    numbers = [w["number"] for w in hall.layout["windows"] if "A" in w["queues"] or "B" in w["queues"]][:8]
    clerks = [await hall.clerk_at(n, f"clerk{i + 1}") for i, n in enumerate(numbers)]
    queues = {w["number"]: w["queues"] for w in hall.layout["windows"]}
    for n in numbers:  # every one of them serves A and B first (and keeps its own queues: none is left unserved)
        rest = [q for q in queues[n] if q not in ("A", "B")]
        status, body = await hall.admin.patch(f"/api/v1/windows/{hall.window_id(n)}", {"queues": ["A", "B", *rest]})
        assert status == 200, body
    issued = await asyncio.gather(*(hall.kiosk.post("/api/v1/tickets", {"queue": "AB"[i % 2]}) for i in range(300)))
    assert all(s == 201 for s, _ in issued)
    assert len({b["number"] for _, b in issued}) == 300  # no number repeats
    called: list[int] = []
    for _ in range(40):  # rounds: every window calls at the same instant, then finishes what it got
        results = await asyncio.gather(*(c.post(f"/api/v1/windows/{hall.window_id(n)}/call-next")
                                         for c, n in zip(clerks, numbers, strict=True)))
        assert all(s in (200, 204) for s, _ in results), [b for s, b in results if s not in (200, 204)]
        got = [(c, b["ticket"]["id"]) for c, (s, b) in zip(clerks, results, strict=True) if s == 200]
        if not got:
            break
        called += [tid for _, tid in got]
        await asyncio.gather(*(c.post(f"/api/v1/tickets/{tid}/no-show") for c, tid in got))
    assert len(called) == 300 and len(set(called)) == 300
    calls: Counter[int] = Counter()
    after = 0
    while True:
        status, page = await hall.admin.get(f"/api/v1/halls/{hall.hall_id}/events?after={after}")
        assert status == 200
        calls.update(e["payload"]["ticket"]["id"] for e in page["events"] if e["type"] == "ticket.called")
        if not page["more"]:
            break
        after = page["events"][-1]["seq"]
    assert len(calls) == 300 and calls.most_common(1)[0][1] == 1


# -- two processes on one database (a SQLite file, or PostgreSQL) -------------------------------------------

@pytest.fixture
async def servers(database: str, tmp_path: Path) -> AsyncIterator[tuple[list[ServerProcess], dict[str, str]]]:
    tokens = demo_tokens(await asyncio.to_thread(cli, database, "init", "--demo"))
    pair = [ServerProcess(database, data_dir=tmp_path), ServerProcess(database, data_dir=tmp_path)]
    await asyncio.gather(*(s.start() for s in pair))
    await pair[0].quiet_day(tokens["demo-manager"])
    try:
        yield pair, tokens
    finally:
        for s in pair:
            await s.stop(signal.SIGTERM)


async def test_two_server_processes_on_one_file_never_repeat_a_number_or_a_call(servers: tuple) -> None:
    pair, tokens = servers
    kiosk = {"Authorization": f"Bearer {tokens['demo-kiosk']}"}
    mgr = {"Authorization": f"Bearer {tokens['demo-manager']}"}
    async with aiohttp.ClientSession() as s:
        async def post(url: str, headers: dict, body: dict | None = None) -> tuple[int, dict]:
            async with s.post(url, headers=headers, json=body) as r:
                return r.status, (await r.json() if r.status != 204 else {})

        windows = [w["number"] for w in demo_layout()["windows"] if "A" in w["queues"]]  # ids follow numbers
        assert len(windows) >= 4
        for i, w in enumerate(windows):
            assert (await post(f"{pair[i % 2].url}/api/v1/windows/{w}/open", mgr))[0] == 200
        issued = await asyncio.gather(*(post(f"{pair[i % 2].url}/api/v1/tickets", kiosk, {"queue": "A"})
                                        for i in range(200)))
        assert all(st == 201 for st, _ in issued), [b for st, b in issued if st != 201][:3]
        assert len({b["number"] for _, b in issued}) == 200
        called: list[int] = []
        while True:
            res = await asyncio.gather(*(post(f"{pair[i % 2].url}/api/v1/windows/{w}/call-next", mgr)
                                         for i, w in enumerate(windows)))
            got = [b["ticket"]["id"] for st, b in res if st == 200]
            assert all(st in (200, 204) for st, _ in res), res
            if not got:
                break
            called += got
            await asyncio.gather(*(post(f"{pair[i % 2].url}/api/v1/tickets/{tid}/no-show", mgr)
                                   for i, tid in enumerate(got)))
        assert len(called) == 200 and len(set(called)) == 200


async def test_an_acknowledged_ticket_survives_a_crash(servers: tuple) -> None:
    pair, tokens = servers
    kiosk = {"Authorization": f"Bearer {tokens['demo-kiosk']}"}
    async with aiohttp.ClientSession() as s:
        acked = []
        for _ in range(20):
            async with s.post(f"{pair[0].url}/api/v1/tickets", headers=kiosk, json={"queue": "B"}) as r:
                assert r.status == 201
                acked.append((await r.json())["token"])
        await pair[0].stop()  # SIGKILL: no clean shutdown
        await pair[1].stop()
        await pair[0].start()
        for token in acked:
            async with s.get(f"{pair[0].url}/api/v1/ticket-status/{token}") as r:
                assert r.status == 200 and (await r.json())["status"] == "waiting"
        async with s.post(f"{pair[0].url}/api/v1/tickets", headers=kiosk, json={"queue": "B"}) as r:
            assert (await r.json())["number"] == "B021"  # numbering continues after the crash


async def test_failed_sign_ins_count_across_processes(servers: tuple) -> None:
    """A guesser spreading tries over two processes is stopped at the same limit as on one."""
    pair, _ = servers
    async with aiohttp.ClientSession() as s:
        async def sign_in(i: int, password: str) -> int:
            async with s.post(f"{pair[i % 2].url}/api/v1/session",
                              json={"username": "clerk3", "password": password}) as r:
                return r.status

        assert [await sign_in(i, "guess-1234") for i in range(10)] == [401] * 10
        assert await sign_in(10, "demo-clerk") == 429  # the right password, too late: on either process
        assert await sign_in(11, "demo-clerk") == 429
