"""A reconnect storm: N lobby screens of one hall dropped at once by a server restart, coming back with the
screens' backoff, while the hall goes on calling.

    python bench/bench_storm.py [--screens 2000] [--backoff full|old] [--interval 0.5] [--json FILE]

The server (`hallops serve`, demo hall) runs on core 0 (taskset); the load generator on core 1: one process
holding every screen (minimal websocket clients that resume with ?after=SEQ&snapshot=1 as the lobby page does,
web/static/js/live.js) and a counter that issues a ticket and calls it every --interval seconds.

Phases: the screens connect (in waves) and catch up; the floor: calls with every screen connected (call-next
returned → the last screen has the call); the drop: SIGTERM (the server tells every screen it is going away),
a new server process on the same port; each screen retries with the page's backoff — `full`: full jitter,
anywhere in 0–3 s, then 0–6 s, 0–12 s, 0–15 s (live.js now); `old`: 0.5 s doubling to 15 s, ±25 % (before
issue 11) — while the counter keeps calling (call-next request sent → the last screen connected all along has
the call: hallops publishes before it answers). Reported: time from the new server listening until every screen
has its snapshot again, the server's CPU over that time, the new server's state reads for them (/metrics),
the kiosk's issue latency and call → screen latency during the storm (over the screens connected when the
call was made) beside the floor, and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_broadcast import ROOT, free_port, make_db, taskset, wait_port
from benchkit import frame_at, masked, upgrade_request

SNAPSHOT = re.compile(rb'^\{"type":"snapshot","seq":(\d+)')
EVENT_SEQ = re.compile(rb'\{"seq":(\d+),"type"')
CALL = re.compile(rb'"type":"ticket\.called".{0,300}?"number":"([A-Z]+\d+)"', re.S)
LIVED = 10.0


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * q))] if xs else float("nan")


class Screen(asyncio.Protocol):
    """One lobby screen: resumes after the last event it saw, with a snapshot, and retries with backoff."""

    def __init__(self, gen: Generator) -> None:
        self.gen = gen
        self.seq: int | None = None
        self.ready = False
        self.attempt = 0
        self.opened = 0.0
        self.buf = b""
        self.upgraded = False
        self.transport: asyncio.Transport | None = None
        self.heard: dict[str, float] = {}
        self.connects = 0

    # -- connecting --------------------------------------------------------------------------------------------

    def path(self) -> str:
        q = f"snapshot=1&token={self.gen.args.display}"
        if self.seq is not None:
            q += f"&after={self.seq}"
        return f"/api/v1/halls/liangjiang/live?{q}"

    async def connect(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.create_connection(lambda: self, "127.0.0.1", self.gen.args.port)
        except OSError:
            self.retry()

    def retry(self) -> None:
        if self.opened and time.monotonic() - self.opened >= LIVED:
            self.attempt = 0
        self.opened = 0.0
        a = self.attempt
        if self.gen.args.backoff == "full":
            delay = random.random() * min(15.0, 3.0 * 2 ** min(a, 10))
        else:
            delay = min(15.0, 0.5 * 2 ** min(a, 10)) * (0.75 + random.random() * 0.5)
        self.attempt += 1
        asyncio.get_running_loop().call_later(delay, lambda: asyncio.ensure_future(self.connect()))

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport, self.buf, self.upgraded, self.ready = transport, b"", False, False
        self.connects += 1
        transport.write(upgrade_request(self.path(), "127.0.0.1"))

    def connection_lost(self, exc: Exception | None) -> None:
        was = self.ready
        self.ready, self.transport = False, None
        if was:
            self.gen.ready -= 1
        if not self.gen.stopping:
            self.retry()

    # -- reading -----------------------------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if not self.upgraded:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            if not self.buf.startswith(b"HTTP/1.1 101"):
                assert self.transport is not None
                self.transport.close()
                return
            self.upgraded = True
            self.opened = time.monotonic()
            self.buf = self.buf[end + 4:]
        self._frames()

    def _frames(self) -> None:
        buf, now = self.buf, time.monotonic()
        while (f := frame_at(buf)) is not None:
            op, i, end = f
            if op == 0x1:
                self._text(buf[i:end], now)
            elif op == 0x9 and self.transport is not None:  # ping: a masked pong
                self.transport.write(masked(0xA, buf[i:end]))
            buf = buf[end:]
        self.buf = buf

    def _text(self, frame: bytes, now: float) -> None:
        m = SNAPSHOT.match(frame)
        if m:
            self.seq = int(m.group(1))
            if not self.ready:
                self.ready = True
                self.gen.ready += 1
                self.gen.became_ready()
            return
        seqs = EVENT_SEQ.findall(frame)
        if seqs:
            self.seq = max(self.seq or 0, *(int(s) for s in seqs))
        if b"ticket.called" in frame:
            for number in CALL.findall(frame):
                self.heard.setdefault(number.decode(), now)
            self.gen.news.set()


class Generator:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.screens = [Screen(self) for _ in range(args.screens)]
        self.ready = 0
        self.stopping = False
        self.all_ready: asyncio.Event = asyncio.Event()
        self.news = asyncio.Event()  # a screen caught up or heard a call

    def became_ready(self) -> None:
        self.news.set()
        if self.ready == len(self.screens):
            self.all_ready.set()

    async def until(self, done: Callable[[], bool], within: float) -> None:
        """Wait until `done()`, looked at again whenever a screen catches up or hears a call."""
        deadline = time.monotonic() + within
        while not done() and time.monotonic() < deadline:
            self.news.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.news.wait(), max(0.001, deadline - time.monotonic()))

    async def run(self) -> None:
        import aiohttp

        base = f"http://127.0.0.1:{self.args.port}/api/v1"
        http = aiohttp.ClientSession(headers={"Authorization": f"Bearer {self.args.manager}"})
        for start in range(0, len(self.screens), 200):  # in waves: the accept queue is finite
            await asyncio.gather(*(s.connect() for s in self.screens[start:start + 200]))
            target = min(len(self.screens), start + 200)
            await self.until(lambda target=target: self.ready >= target, 60)  # type: ignore[misc]
        async with http.get(f"{base}/halls/liangjiang") as r:
            wid = next(w["id"] for w in (await r.json())["windows"] if w["number"] == 1)
        async with http.post(f"{base}/halls/liangjiang/close-day", json={"through_today": True}) as r:
            assert r.status == 200, await r.text()
        async with http.post(f"{base}/windows/{wid}/open", json={}) as r:
            assert r.status == 200, await r.text()
        counter = Counter(self, http, base, wid)
        floor = await counter.calls(self.args.floor_calls)
        report("floor", calls=floor)

        # The drop: the parent restarts the server; the screens notice and come back with their backoff.
        self.all_ready.clear()
        report("drop")
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # the new server listens
        t_up = time.monotonic()
        calling = asyncio.create_task(counter.run())
        await self.all_ready.wait()
        back = time.monotonic() - t_up
        counter.stop = True
        storm = await calling
        report("back", seconds=back, connects=sum(s.connects for s in self.screens))
        after = await counter.calls(self.args.floor_calls)
        self.stopping = True
        for s in self.screens:
            if s.transport is not None:
                s.transport.close()
        await http.close()
        report("done", storm=storm, after=after)


class Counter:
    """The hall goes on: a ticket issued and called every --interval seconds (the previous one finished)."""

    def __init__(self, gen: Generator, http: Any, base: str, wid: int) -> None:
        self.gen, self.http, self.base, self.wid = gen, http, base, wid
        self.current: int | None = None
        self.stop = False

    async def one(self) -> dict[str, Any] | None:
        import aiohttp

        h, base = self.http, self.base
        try:
            if self.current is not None:
                for action in ("start", "finish"):
                    async with h.post(f"{base}/tickets/{self.current}/{action}", json={}) as r:
                        await r.read()
                self.current = None
            t0 = time.monotonic()
            async with h.post(f"{base}/tickets", json={"queue": "A"}) as r:
                if r.status != 201:
                    return None
            issue = time.monotonic() - t0
            watching = [s for s in self.gen.screens if s.ready]
            t_sent = time.monotonic()  # hallops publishes a call before it answers: timed from the request
            async with h.post(f"{base}/windows/{self.wid}/call-next", json={}) as r:
                if r.status != 200:
                    return None
                body = await r.json()
        except (aiohttp.ClientError, OSError):
            return None  # the server is not up yet
        self.current = body["ticket"]["id"]
        number = body["ticket"]["number"]
        watching = [s for s in watching if s.ready]  # connected from before the call to after it
        await self.gen.until(lambda: all(number in s.heard for s in watching), 10)
        got = [s.heard[number] - t_sent for s in watching if number in s.heard]
        return {"issue_ms": issue * 1000, "last_ms": max(got, default=0) * 1000,
                "p50_ms": statistics.median(got) * 1000 if got else 0, "watching": len(watching),
                "missed": len(watching) - len(got)}

    async def calls(self, n: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        while len(out) < n:
            r = await self.one()
            if r is not None:
                out.append(r)
            await asyncio.sleep(self.gen.args.interval)
        return out

    async def run(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        while not self.stop:
            r = await self.one()
            if r is not None:
                out.append(r)
            await asyncio.sleep(self.gen.args.interval)
        return out


def report(phase: str, **data: Any) -> None:
    print(json.dumps({"phase": phase, **data}), flush=True)


# -- the orchestrator -----------------------------------------------------------------------------------------

def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(db: Path, port: int) -> subprocess.Popen[bytes]:
    cmd = [*taskset(0), sys.executable, "-m", "hallops", "serve", "--db", str(db), "--port", str(port)]
    server = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env=os.environ | {"HALLOPS_VOICE_CACHE": str(db.parent / "voice")})
    wait_port(port, 60)
    return server


def metric(port: int, name: str) -> float:
    import urllib.request

    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    m = re.search(rf"^{name} ([0-9.e+]+)$", text, re.M)
    return float(m.group(1)) if m else float("nan")


def summary(calls: list[dict[str, Any]]) -> str:
    calls = [c for c in calls if c["watching"]]  # a call made before any screen was back shows no latency
    if not calls:
        return "no calls"
    last = [c["last_ms"] for c in calls]
    issue = [c["issue_ms"] for c in calls]
    return (f"{len(calls)} calls: call → last screen p50 {statistics.median(last):.0f} ms, p99 {pct(last, .99):.0f} "
            f"ms (over {min(c['watching'] for c in calls)}–{max(c['watching'] for c in calls)} screens, "
            f"{sum(c['missed'] for c in calls)} missed); kiosk issue p50 {statistics.median(issue):.0f} ms, "
            f"p99 {pct(issue, .99):.0f} ms")


def orchestrate(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="hallops-storm-") as tmp:
        db = Path(tmp) / "storm.db"
        tokens = make_db(db)
        port = free_port()
        server = start_server(db, port)
        gen = subprocess.Popen([*taskset(1), sys.executable, __file__, "--role", "load", "--port", str(port),
                                "--screens", str(args.screens), "--backoff", args.backoff,
                                "--interval", str(args.interval), "--floor-calls", str(args.floor_calls),
                                "--display", tokens["display"], "--manager", tokens["manager"]],
                               cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert gen.stdout is not None and gen.stdin is not None
        out: dict[str, Any] = {"screens": args.screens, "backoff": args.backoff}
        try:
            floor = json.loads(gen.stdout.readline())
            out["floor"] = floor["calls"]
            out["load_before"] = os.getloadavg()
            json.loads(gen.stdout.readline())  # drop
            t_drop = time.monotonic()
            server.send_signal(signal.SIGTERM)
            server.wait(60)
            server = start_server(db, port)
            t_up = time.monotonic()
            cpu0 = cpu_seconds(server.pid)
            gen.stdin.write("\n")
            gen.stdin.flush()
            back = json.loads(gen.stdout.readline())
            wall = time.monotonic() - t_up
            out["restart_s"] = t_up - t_drop
            out["back_s"] = back["seconds"]
            out["connects"] = back["connects"]
            out["server_cpu_s"] = cpu_seconds(server.pid) - cpu0
            out["server_cpu_share"] = out["server_cpu_s"] / wall
            out["state_reads"] = metric(port, "hallops_live_state_reads_total")
            out["catch_ups"] = metric(port, "hallops_live_catch_ups_total")
            done = json.loads(gen.stdout.readline())
            out["storm"], out["after"] = done["storm"], done["after"]
            out["load_after"] = os.getloadavg()
            gen.wait(30)
        finally:
            if gen.poll() is None:
                gen.kill()
            server.terminate()
            server.wait(30)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--role", choices=("main", "load"), default="main")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--screens", type=int, default=2000)
    p.add_argument("--backoff", choices=("full", "old"), default="full")
    p.add_argument("--interval", type=float, default=0.5, help="seconds between the counter's calls")
    p.add_argument("--floor-calls", type=int, default=20)
    p.add_argument("--display", default="")
    p.add_argument("--manager", default="")
    p.add_argument("--json", default="")
    args = p.parse_args()
    if args.role == "load":
        asyncio.run(Generator(args).run())
        return
    r = orchestrate(args)
    print(f"{r['screens']} screens, backoff {r['backoff']}; load average {r['load_before'][0]:.2f} before, "
          f"{r['load_after'][0]:.2f} after")
    print(f"  floor (all connected): {summary(r['floor'])}")
    print(f"  restart: {r['restart_s']:.1f} s from SIGTERM to the new server listening; every screen back "
          f"{r['back_s']:.1f} s after that ({r['connects'] - r['screens']} reconnections)")
    print(f"  server CPU until all back: {r['server_cpu_s']:.1f} s ({r['server_cpu_share'] * 100:.0f}% of a core); "
          f"{r['catch_ups']:.0f} catch-ups, {r['state_reads']:.0f} state reads")
    print(f"  during the storm: {summary(r['storm'])}")
    print(f"  after: {summary(r['after'])}")
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=1))


if __name__ == "__main__":
    main()
