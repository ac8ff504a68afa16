"""The headless agent against a real server process: killed, restarted, and no call lost or repeated."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from displays.agent.__main__ import BACKOFF_MAX, FIRST_RETRY, retry_delay
from tests.processes import ROOT, ServerProcess, cli


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    db = tmp_path / "hall.db"
    cli(db, "init", "--demo")
    display = cli(db, "token", "create", "--role", "display", "--hall", "liangjiang", "--label", "agent").split()[-1]
    manager = cli(db, "token", "create", "--role", "manager", "--hall", "liangjiang", "--label", "m").split()[-1]
    server = ServerProcess(db)
    await server.start()
    yield {"server": server, "display": display, "manager": manager}
    await server.stop()


class AgentProc:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.records: list[dict[str, Any]] = []

    async def until(self, pred: Any, within: float = 10.0) -> dict[str, Any]:
        for r in self.records:
            if pred(r):
                return r
        deadline = time.monotonic() + within
        assert self.proc.stdout is not None
        while True:
            line = await asyncio.wait_for(self.proc.stdout.readline(), max(0.01, deadline - time.monotonic()))
            if not line:
                raise EOFError("agent exited")
            r = json.loads(line)
            self.records.append(r)
            if pred(r):
                return r


async def call_one(port: int, manager: str, window: int) -> str:
    h = {"Authorization": f"Bearer {manager}"}
    base = f"http://127.0.0.1:{port}/api/v1"
    async with aiohttp.ClientSession(headers=h) as s:
        async with s.get(f"{base}/halls/liangjiang") as r:
            wid = next(w["id"] for w in (await r.json())["windows"] if w["number"] == window)
        async with s.post(f"{base}/windows/{wid}/open", json={}) as r:
            assert r.status in (200, 409)
        async with s.post(f"{base}/tickets", json={"queue": "A"}) as r:
            assert r.status == 201, await r.text()
        async with s.get(f"{base}/halls/liangjiang/state") as r:
            cur = next(w["current"] for w in (await r.json())["windows"] if w["number"] == window)
        if cur is not None:
            for action in ("start", "finish"):
                async with s.post(f"{base}/tickets/{cur['id']}/{action}", json={}) as r:
                    assert r.status == 200, await r.text()
        async with s.post(f"{base}/windows/{wid}/call-next", json={}) as r:
            assert r.status == 200, await r.text()
            return str((await r.json())["ticket"]["number"])


async def test_the_agent_resumes_after_a_server_restart_without_losing_a_call(setup: dict[str, Any]) -> None:
    server: ServerProcess = setup["server"]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "displays.agent", "--server", f"http://127.0.0.1:{server.port}", "--hall", "liangjiang",
        "--output", "jsonl", "--player", "true", cwd=ROOT, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL, env=os.environ | {"HALLOPS_DISPLAY_TOKEN": setup["display"]})
    agent = AgentProc(proc)
    try:
        await agent.until(lambda r: "snapshot" in r)
        first = await call_one(server.port, setup["manager"], 5)
        await agent.until(lambda r: r.get("call", {}).get("number") == first)
        await agent.until(lambda r: r.get("announced", {}).get("number") == first)  # audio fetched and played

        await server.stop()
        await agent.until(lambda r: r.get("status") == "lost")
        await server.start()
        missed = await call_one(server.port, setup["manager"], 5)  # made while the agent is still away
        # Full jitter: the retries while the server was down waited up to 3 s, then 6 s, then 12 s.
        rec = await agent.until(lambda r: r.get("call", {}).get("number") == missed, within=30)
        assert rec["fresh"]  # a call seconds old is still spoken
        after = await call_one(server.port, setup["manager"], 6)
        await agent.until(lambda r: r.get("call", {}).get("number") == after)
        calls = [r["call"]["number"] for r in agent.records if "call" in r]
        assert calls == [first, missed, after]  # none lost, none repeated after the reconnect
        seqs = [r["call"]["seq"] for r in agent.records if "call" in r]
        assert seqs == sorted(set(seqs))
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 10)


def test_the_agent_backs_off_with_full_jitter_from_the_first_retry() -> None:
    """A restart's screens come back spread over the first window (0–3 s), not all at its end or its start."""
    assert retry_delay(0, 0.0) == 0.0 and retry_delay(0, 0.999) < FIRST_RETRY
    assert [retry_delay(a, 1.0) for a in range(5)] == [3.0, 6.0, 12.0, 15.0, 15.0]
    assert retry_delay(10_000, 1.0) == BACKOFF_MAX
    firsts = sorted(retry_delay(0) for _ in range(3000))
    # 3,000 screens after a restart: about a thousand a second, none of the tenths of the window crowded.
    per_tenth = [sum(1 for d in firsts if k * 0.3 <= d < (k + 1) * 0.3) for k in range(10)]
    assert max(per_tenth) < 400 and min(per_tenth) > 200
