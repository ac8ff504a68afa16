"""Several server processes on one PostgreSQL: numbers, calls and event sequences stay right across processes,
a crash loses no acknowledged ticket, and a screen on one process sees every call made through the others
exactly once, in order."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from hallops.cli import demo_layout
from tests.conftest import on_postgres
from tests.processes import ServerProcess, cli, demo_tokens

pytestmark = on_postgres

TICKETS = 600
WINDOWS = 8


@pytest.fixture
async def trio(database: str, tmp_path: Path) -> AsyncIterator[tuple[list[ServerProcess], dict[str, str]]]:
    tokens = demo_tokens(await asyncio.to_thread(cli, database, "init", "--demo"))
    procs = [ServerProcess(database, data_dir=tmp_path) for _ in range(3)]
    await asyncio.gather(*(p.start() for p in procs))
    await procs[0].quiet_day(tokens["demo-manager"])
    try:
        yield procs, tokens
    finally:
        for p in procs:
            await p.stop(signal.SIGTERM)


class Screen:
    """A lobby screen's websocket on one process: records every event it is sent, in order."""

    def __init__(self, session: aiohttp.ClientSession, url: str, token: str) -> None:
        self.session, self.url, self.token = session, url, token
        self.events: list[dict[str, Any]] = []
        self.ready = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        async with self.session.ws_connect(f"{self.url}?token={self.token}") as ws:
            async for msg in ws:
                data = json.loads(msg.data)
                for item in data if isinstance(data, list) else [data]:
                    if item.get("type") in ("hello", "snapshot"):
                        self.ready.set()
                    elif "payload" in item:
                        self.events.append(item)

    async def __aenter__(self) -> Screen:
        self.task = asyncio.create_task(self.run())
        await asyncio.wait_for(self.ready.wait(), 10)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.task is not None
        self.task.cancel()
        try:
            await self.task
        except asyncio.CancelledError:
            pass


async def _post(s: aiohttp.ClientSession, url: str, token: str, body: dict[str, Any] | None = None
                ) -> tuple[int, dict[str, Any]]:
    async with s.post(url, headers={"Authorization": f"Bearer {token}"}, json=body) as r:
        return r.status, (await r.json() if r.status not in (204,) else {})


async def _all_events(s: aiohttp.ClientSession, base: str, token: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while True:
        after = out[-1]["seq"] if out else 0
        async with s.get(f"{base}/api/v1/halls/1/events?after={after}",
                         headers={"Authorization": f"Bearer {token}"}) as r:
            page = await r.json()
        out += page["events"]
        if not page["more"]:
            return out


async def test_three_processes_eight_windows_never_repeat_a_number_or_a_call(trio: tuple) -> None:
    procs, tokens = trio
    kiosk, mgr, display = tokens["demo-kiosk"], tokens["demo-manager"], tokens["demo-display"]
    windows = [w["number"] for w in demo_layout()["windows"] if "A" in w["queues"] or "B" in w["queues"]][:WINDOWS]
    assert len(windows) == WINDOWS
    async with aiohttp.ClientSession() as s:
        for i, w in enumerate(windows):  # window ids follow their numbers in the demo hall
            assert (await _post(s, f"{procs[i % 3].url}/api/v1/windows/{w}/open", mgr))[0] == 200
        screen_url = f"{procs[1].url.replace('http', 'ws')}/api/v1/halls/1/live"
        async with Screen(s, screen_url, display) as screen:
            issued: list[tuple[int, dict[str, Any]]] = []
            called: list[int] = []

            async def issue_all() -> None:
                for start in range(0, TICKETS, 60):
                    issued.extend(await asyncio.gather(*(
                        # B takes 200 a day in the demo hall (daily_cap): a third of 600 is exactly that.
                        _post(s, f"{procs[i % 3].url}/api/v1/tickets", kiosk, {"queue": "AAB"[i % 3]})
                        for i in range(start, start + 60))))

            async def serve(url: str, ticket_id: int) -> None:
                # A called ticket is started before it is finished (finish is illegal from called).
                for action in ("start", "finish"):
                    st, body = await _post(s, f"{url}/api/v1/tickets/{ticket_id}/{action}", mgr)
                    assert st == 200, body

            async def call_all() -> None:
                idle = 0
                while idle < 20:
                    res = await asyncio.gather(*(_post(s, f"{procs[(i + 1) % 3].url}/api/v1/windows/{w}/call-next",
                                                       mgr) for i, w in enumerate(windows)))
                    assert all(st in (200, 204) for st, _ in res), [b for st, b in res if st not in (200, 204)]
                    got = [b["ticket"]["id"] for st, b in res if st == 200]
                    called.extend(got)
                    if got:
                        idle = 0
                        await asyncio.gather(*(serve(procs[(i + 2) % 3].url, t) for i, t in enumerate(got)))
                    else:
                        idle += 1
                        await asyncio.sleep(0.05)

            await asyncio.gather(issue_all(), call_all())
            assert [st for st, _ in issued] == [201] * TICKETS, [b for st, b in issued if st != 201][:3]
            numbers = Counter(b["number"] for _, b in issued)
            assert len(numbers) == TICKETS and numbers.most_common(1)[0][1] == 1
            assert len(called) == TICKETS and len(set(called)) == TICKETS
            log = await _all_events(s, procs[0].url, mgr)
            for _ in range(100):  # the screen hears the last events a moment after the log has them
                if screen.events and screen.events[-1]["seq"] >= log[-1]["seq"]:
                    break
                await asyncio.sleep(0.05)
        # Every event sequence number once, gapless, from the log and on the screen of another process.
        assert [e["seq"] for e in log] == list(range(1, len(log) + 1))
        first = screen.events[0]["seq"]
        assert [e["seq"] for e in screen.events] == list(range(first, log[-1]["seq"] + 1))
        screen_calls = [e["payload"]["ticket"]["id"] for e in screen.events if e["type"] == "ticket.called"]
        assert sorted(screen_calls) == sorted(called)  # every call, once


async def test_a_process_killed_under_load_loses_no_acknowledged_ticket(trio: tuple) -> None:
    procs, tokens = trio
    kiosk = tokens["demo-kiosk"]
    async with aiohttp.ClientSession() as s:
        acked: list[str] = []

        async def issue(proc: ServerProcess, n: int) -> None:
            for _ in range(n):
                try:
                    st, body = await _post(s, f"{proc.url}/api/v1/tickets", kiosk, {"queue": "A"})
                except aiohttp.ClientError:
                    return  # its process died: the request may or may not have been done, but not acknowledged
                if st == 201:
                    acked.append(body["token"])

        async def kill_soon() -> None:
            await asyncio.sleep(0.5)
            await procs[0].stop()  # SIGKILL

        await asyncio.gather(issue(procs[0], 400), issue(procs[1], 150), issue(procs[2], 150), kill_soon())
        assert len(acked) > 300
        for token in acked:
            async with s.get(f"{procs[2].url}/api/v1/ticket-status/{token}") as r:
                assert r.status == 200
        st, body = await _post(s, f"{procs[1].url}/api/v1/tickets", kiosk, {"queue": "A"})
        assert st == 201
        # Numbering continues after everything acknowledged (a request cut off mid-way may have taken one more).
        assert int(body["number"][1:]) in (len(acked) + 1, len(acked) + 2)


async def test_serve_with_workers_shares_one_port_and_stops_as_one(database: str, tmp_path: Path) -> None:
    import os
    import sys

    from tests.processes import ROOT, free_port

    tokens = demo_tokens(await asyncio.to_thread(cli, database, "init", "--demo"))
    port = free_port()
    parent = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hallops", "serve", "--db", database, "--port", str(port), "--workers", "3", cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        env=os.environ | {"HALLOPS_LOG_LEVEL": "WARNING", "HALLOPS_VOICE_CACHE": str(tmp_path / "voice")})
    try:
        async with aiohttp.ClientSession() as s:
            for _ in range(200):
                try:
                    async with s.get(f"http://127.0.0.1:{port}/healthz") as r:
                        if r.status == 200:
                            break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
            issued = await asyncio.gather(*(_post(s, f"http://127.0.0.1:{port}/api/v1/tickets", tokens["demo-kiosk"],
                                                  {"queue": "A"}) for _ in range(60)))
        assert sorted(b["number"] for _, b in issued) == [f"A{i:03d}" for i in range(1, 61)]
        children = (await asyncio.to_thread(subprocess.run, ["pgrep", "-P", str(parent.pid)], capture_output=True,
                                            text=True)).stdout.split()
        assert len(children) == 3
    finally:
        parent.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(parent.wait(), 30) == 0
    assert not any(_alive(int(pid)) for pid in children)  # the parent stopped and reaped every worker


def _alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def test_workers_are_refused_on_sqlite(tmp_path: Path) -> None:
    import sys

    from tests.processes import ROOT

    cli(tmp_path / "h.db", "init")
    out = subprocess.run([sys.executable, "-m", "hallops", "serve", "--db", str(tmp_path / "h.db"), "--workers", "2"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "--workers needs PostgreSQL" in out.stderr
