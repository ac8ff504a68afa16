"""The district's peak hour on one box (issue 10): 63 centres, their lobby screens, citizens' phones and the
district view, at the district's peak rate, on SQLite (one process) and on PostgreSQL (several processes).

    python bench/bench_district.py [--seconds 120] [--screens 3000] [--phones 2000] [--phone-steps 5000]
                                   [--tablets 10] [--rate 60000] [--backends sqlite,postgres] [--processes 3]
                                   [--step-backends sqlite] [--idle-seconds 15] [--seed 10] [--pg URL] [--json FILE]

Each case starts on a fresh, empty database and builds the district through the API with an unbound admin
token: 1 district hall (20 windows, queues A–E, four windows each), 8 street and 3 new-town centres (3–6
windows, queues A–C) and 51 community centres (2–4 windows, queues A–B) hung under them; every window opened.
A backlog of waiting tickets is issued (`--backlog`, default max(1.2 × phones, 10 per window)), then:
- idle, no sockets: the server's RSS and CPU over `--idle-seconds`;
- sockets: `--screens` lobby screens (/api/v1/halls/{hall}/live with the hall's display token) spread over the
  centres in proportion to their windows, at least one each; `--tablets` district views
  (/api/v1/district/<district>/live, a manager token bound to the district hall); one phone per waiting
  ticket (/api/v1/ticket-status/{token}/live, each phone from its own 127.x address) up to `--phones`;
- idle, with the sockets: RSS and CPU again, so CPU and memory per 1,000 idle sockets;
- the peak: `--rate` tickets an hour (60,000: ~17 issues and ~17 calls a second), Poisson arrivals (seeded),
  issues (each centre's kiosk token) spread over the centres in proportion to their windows, calls over the
  windows (each call followed at once by start and finish), for `--seconds`; a ticket issued while fewer
  than `--phones` phones follow waiting tickets gets a phone; a phone whose ticket is done leaves (the server
  closes it, "final"); a phone cut off reconnects with the page's backoff (web/static/phone/phone.js);
- the end: the load stops, 3 s to settle, then each phone's last status is compared with GET
  /api/v1/ticket-status/{token} (status, position, people ahead, window), again 5 s later for those wrong.

Measured: issue and call-next latency (request sent → answer); call → last screen (call-next request sent →
the last lobby screen of that centre has the `ticket.called`; a call some screen never got is counted, not
timed); issue → all tablets (issue request sent → every tablet has a row of that centre whose `seq` is at
least the `ticket.issued` event's, read afterwards from /api/v1/halls/{hall}/events); screens and phones cut
off; the server's CPU seconds, peak RSS; per 1,000 idle sockets: RSS and CPU; the load generators' CPU
and event-loop lag (to show they are not the bottleneck); each core's busy share from /proc/stat (the box is
shared: other work shows there and in the load average printed with every case).

PostgreSQL: `--processes` server processes share one database on a throwaway cluster (tools/pg.sh, on core 0
with the servers; or `--pg URL`); screens, phones and tablets are spread over the processes round-robin, the
windows' clerks too (window i on process i mod N), issues round-robin; a centre's screens sit on every
process, so a call reaches some of them through the relay. The district view on each process reads its own
board, which folds the events relayed from the others.

Servers (and PostgreSQL) run on core 0 (taskset); this orchestrator and its load generators — one process
each for the screens, the phones, the tablets and the issuing/calling driver — on core 1.
`--phone-steps 5000` adds a case with that many phones on each backend of `--step-backends`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import bisect
import contextlib
import json
import math
import multiprocessing as mp
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FINAL = frozenset({"done", "no_show", "cancelled", "expired"})
PHONE_FIELDS = ("status", "position", "people_ahead", "window")
CLK = os.sysconf("SC_CLK_TCK")


# -- small helpers ------------------------------------------------------------------------------------------

def pct(xs: list[float], p: float) -> float:
    """Nearest-rank percentile; NaN for no data."""
    if not xs:
        return float("nan")
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, math.ceil(p / 100 * len(s)) - 1))]


def ms(x: float) -> str:
    return "—" if x != x else f"{x * 1000:.1f}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start")


def taskset(core: int) -> list[str]:
    return ["taskset", "-c", str(core)] if shutil.which("taskset") and (os.cpu_count() or 1) > 1 else []


def loadavg() -> str:
    a = os.getloadavg()
    return f"{a[0]:.2f} {a[1]:.2f} {a[2]:.2f}"


def proc_cpu(pid: int, children: bool = False) -> float:
    """CPU seconds (user + system) of a process; with `children`, plus its waited-for children's."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12]) + ((int(fields[13]) + int(fields[14])) if children else 0)
    return ticks / CLK


def rss_kb(pid: int, key: str = "VmRSS:") -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def core_ticks() -> dict[int, tuple[int, int]]:
    """Per core: (busy, total) jiffies from /proc/stat."""
    out = {}
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith("cpu") and line[3:4].isdigit():
            name, *vals = line.split()
            v = [int(x) for x in vals]
            idle = v[3] + v[4]
            out[int(name[3:])] = (sum(v[:8]) - idle, sum(v[:8]))
    return out


def core_busy(a: dict[int, tuple[int, int]], b: dict[int, tuple[int, int]]) -> dict[int, float]:
    return {c: (b[c][0] - a[c][0]) / max(1, b[c][1] - a[c][1]) for c in a if c in b}


def children_of(ppid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if int((d / "stat").read_text().rsplit(")", 1)[1].split()[1]) == ppid:
                    out.append(int(d.name))
            except (OSError, IndexError, ValueError):
                pass
    return out


class Lag:
    """Event-loop lag of a load generator: how late a 50 ms sleep wakes, while `on`."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self.on = False

    async def run(self) -> None:
        while True:
            t = time.monotonic()
            await asyncio.sleep(0.05)
            if self.on:
                self.samples.append(time.monotonic() - t - 0.05)

    def summary(self) -> dict[str, float]:
        return {"p99": pct(self.samples, 99), "max": max(self.samples, default=float("nan"))}


def cpu_self() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


# -- the district ---------------------------------------------------------------------------------------------

@dataclass
class Centre:
    code: str
    name: str
    level: str
    parent: str | None
    queues: list[str]
    windows: list[list[str]]  # each window's queues, window numbers 1..n
    id: int = 0
    window_ids: list[int] = field(default_factory=list)
    display: str = ""
    kiosk: str = ""
    screens: int = 0


def plan_district(seed: int) -> list[Centre]:
    rng = random.Random(seed)
    out = [Centre("qu", "区政务服务中心", "district", None, list("ABCDE"), [[q] for q in "ABCDE" for _ in range(4)])]
    parents = []
    for i in range(1, 9):
        qs = list("ABC")
        out.append(Centre(f"jd{i:02d}", f"第{i}街道便民服务中心", "street", "qu", qs, [qs] * rng.randint(3, 6)))
        parents.append(out[-1].code)
    for i in range(1, 4):
        qs = list("ABC")
        out.append(Centre(f"xc{i}", f"第{i}新城便民服务中心", "new_town", "qu", qs, [qs] * rng.randint(3, 6)))
        parents.append(out[-1].code)
    for i in range(1, 52):
        qs = list("AB")
        out.append(Centre(f"sq{i:02d}", f"第{i}社区便民服务站", "community", parents[(i - 1) % len(parents)], qs,
                          [qs] * rng.randint(2, 4)))
    return out


def spread(total: int, weights: list[int], minimum: int = 1) -> list[int]:
    """`total` split in proportion to `weights`, each at least `minimum` (largest remainders)."""
    w = sum(weights)
    raw = [total * x / w for x in weights]
    n = [max(minimum, int(r)) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - int(raw[i]), reverse=True)
    i = 0
    while sum(n) < total:
        n[order[i % len(order)]] += 1
        i += 1
    while sum(n) > total:
        j = max((k for k in range(len(n)) if n[k] > minimum), key=lambda k: n[k] - raw[k])
        n[j] -= 1
    return n


# -- a websocket client of the least possible cost -------------------------------------------------------------

class Ws(asyncio.Protocol):
    """Handshake, then whole frames handed to the owner; pings answered, a close echoed."""

    def __init__(self, owner: Any, host: str, path: str, tag: Any) -> None:
        self.owner, self.host, self.path, self.tag = owner, host, path, tag
        self.buf = bytearray()
        self.upgraded = False
        self.transport: asyncio.Transport | None = None
        self.close_code: int | None = None
        self.ready = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(f"GET {self.path} HTTP/1.1\r\nHost: {self.host}\r\nUpgrade: websocket\r\n"
                        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
                        .encode())

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if not self.upgraded:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            if not self.buf.startswith(b"HTTP/1.1 101"):
                self.close_code = -int(self.buf[9:12] or b"0") if self.buf[9:12].isdigit() else -1
                assert self.transport is not None
                self.transport.close()
                return
            self.upgraded = True
            del self.buf[:end + 4]
        now = time.monotonic()
        buf, pos = self.buf, 0
        while len(buf) - pos >= 2:
            op, n, i = buf[pos] & 0x0F, buf[pos + 1] & 0x7F, pos + 2
            if n == 126:
                if len(buf) - pos < 4:
                    break
                n, i = int.from_bytes(buf[pos + 2:pos + 4], "big"), pos + 4
            elif n == 127:
                if len(buf) - pos < 10:
                    break
                n, i = int.from_bytes(buf[pos + 2:pos + 10], "big"), pos + 10
            if len(buf) < i + n:
                break
            payload = bytes(buf[i:i + n])
            pos = i + n
            if op in (0x1, 0x0):
                self.owner.text(self, payload, now)
            elif op == 0x9:
                self.send(0xA, payload)
            elif op == 0x8:
                self.close_code = int.from_bytes(payload[:2], "big") if n >= 2 else 1005
                self.send(0x8, payload[:2])
                assert self.transport is not None
                self.transport.close()
                break
        del buf[:pos]

    def send(self, op: int, payload: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        mask = os.urandom(4)
        self.transport.write(bytes([0x80 | op, 0x80 | len(payload)]) + mask
                             + bytes(b ^ mask[j % 4] for j, b in enumerate(payload)))

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.send(0x8, (1000).to_bytes(2, "big"))
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.owner.lost(self)


def split_url(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


async def open_ws(owner: Any, url: str, path: str, tag: Any, local: str | None = None) -> Ws:
    host, port = split_url(url)
    loop = asyncio.get_running_loop()
    _, ws = await loop.create_connection(lambda: Ws(owner, f"{host}:{port}", path, tag), host, port,
                                         local_addr=(local, 0) if local else None)
    return ws


async def commands(conn: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, conn.recv)


async def wait_ready(conns: list[Ws], what: str, timeout: float = 300) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while not all(c.ready or c.close_code is not None for c in conns):
        if time.monotonic() > deadline:
            missing = sum(1 for c in conns if not c.ready)
            raise RuntimeError(f"{missing} {what} not ready after {timeout:.0f} s")
        await asyncio.sleep(0.05)


# -- worker: lobby screens ------------------------------------------------------------------------------------

class Screens:
    def __init__(self) -> None:
        self.calls: dict[int, list[float]] = {}  # ticket id → [screens that had the call, first, last]
        self.frames = 0
        self.closed: Counter[int] = Counter()
        self.closed_in_run = 0
        self.running = False

    def text(self, c: Ws, payload: bytes, now: float) -> None:
        self.frames += 1
        if not c.ready:
            if payload.startswith(b'{"type":"snapshot"'):
                c.ready = True
            return
        if b"ticket.called" not in payload:
            return
        msg = json.loads(payload)
        for ev in (msg if isinstance(msg, list) else [msg]):
            if ev.get("type") == "ticket.called" and not ev.get("replay"):
                tid = ev["payload"]["ticket"]["id"]
                r = self.calls.get(tid)
                if r is None:
                    self.calls[tid] = [1, now, now]
                else:
                    r[0] += 1
                    r[2] = now

    def lost(self, c: Ws) -> None:
        self.closed[c.close_code or 0] += 1
        if self.running:
            self.closed_in_run += 1


def screens_worker(conn: Any, cfg: dict[str, Any]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    asyncio.run(_screens(conn, cfg))


async def _screens(conn: Any, cfg: dict[str, Any]) -> None:
    owner, lag = Screens(), Lag()
    lag_task = asyncio.create_task(lag.run())
    conns: list[Ws] = []
    t0 = time.monotonic()
    plan = cfg["plan"]  # [(url, path, hall index)]
    for start in range(0, len(plan), 100):  # in waves: the accept queue is finite
        wave = [await open_ws(owner, u, p, h) for u, p, h in plan[start:start + 100]]
        await wait_ready(wave, "screens")
        conns.extend(wave)
    conn.send({"connected": len(conns), "seconds": time.monotonic() - t0,
               "refused": sum(1 for c in conns if not c.ready)})
    assert await commands(conn) == "run"
    owner.running, lag.on = True, True
    cpu0, frames0 = cpu_self(), owner.frames
    assert await commands(conn) == "stop"
    owner.running, lag.on = False, False
    cpu = cpu_self() - cpu0
    conn.send({"calls": owner.calls, "closed_in_run": owner.closed_in_run, "closed": dict(owner.closed),
               "frames": owner.frames - frames0, "cpu": cpu, "lag": lag.summary()})
    for c in conns:
        c.close()
    lag_task.cancel()
    await asyncio.sleep(0.2)


# -- worker: the district view's tablets ----------------------------------------------------------------------

class Tablets:
    def __init__(self) -> None:
        self.frames = 0
        self.closed_in_run = 0
        self.running = False
        self.seen: dict[int, dict[int, list[tuple[int, float]]]] = {}  # tablet → hall → [(seq, t)]
        self.last: dict[int, dict[int, dict[str, Any]]] = {}

    def text(self, c: Ws, payload: bytes, now: float) -> None:
        self.frames += 1
        msg = json.loads(payload)
        if msg.get("type") not in ("hello", "centres"):
            return
        seen, last = self.seen.setdefault(c.tag, {}), self.last.setdefault(c.tag, {})
        for r in msg["rows"]:
            h = r["hall_id"]
            lst = seen.setdefault(h, [])
            if not lst or r["seq"] > lst[-1][0]:
                lst.append((r["seq"], now))
            last[h] = {k: r[k] for k in ("seq", "issued", "served", "waiting", "windows_open")}
        if msg["type"] == "hello":
            c.ready = True

    def lost(self, c: Ws) -> None:
        if self.running:
            self.closed_in_run += 1


def tablets_worker(conn: Any, cfg: dict[str, Any]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    asyncio.run(_tablets(conn, cfg))


async def _tablets(conn: Any, cfg: dict[str, Any]) -> None:
    owner, lag = Tablets(), Lag()
    lag_task = asyncio.create_task(lag.run())
    conns = [await open_ws(owner, u, p, i) for i, (u, p) in enumerate(cfg["plan"])]
    await wait_ready(conns, "tablets")
    conn.send({"connected": len(conns)})
    assert await commands(conn) == "run"
    owner.running, lag.on = True, True
    cpu0, frames0 = cpu_self(), owner.frames
    assert await commands(conn) == "stop"
    owner.running, lag.on = False, False
    conn.send({"seen": owner.seen, "last": owner.last, "closed_in_run": owner.closed_in_run,
               "frames": owner.frames - frames0, "cpu": cpu_self() - cpu0, "lag": lag.summary(),
               "urls": [u for u, _ in cfg["plan"]]})
    for c in conns:
        c.close()
    lag_task.cancel()
    await asyncio.sleep(0.2)


# -- worker: phones -------------------------------------------------------------------------------------------

@dataclass(eq=False)
class Phone:
    token: str
    url: str
    ip: str
    ws: Ws | None = None
    last: dict[str, Any] | None = None
    final: bool = False
    attempts: int = 0
    cutoffs: int = 0
    messages: int = 0


def phone_ip(i: int) -> str:
    """Each phone its own address (the server allows 30 sockets per address)."""
    return f"127.{1 + i // 62500}.{(i // 250) % 250}.{i % 250 + 1}"


class Phones:
    def __init__(self, urls: list[str], cap: int) -> None:
        self.urls, self.cap = urls, cap
        self.phones: list[Phone] = []
        self.open = 0  # phones whose ticket is not final yet
        self.running = False
        self.cutoffs = 0
        self.close_codes: Counter[int] = Counter()
        self.offered = 0
        self.refused_cap = 0
        self.messages = 0

    def add(self, token: str, proc: int) -> Phone | None:
        self.offered += 1
        if self.open >= self.cap:
            self.refused_cap += 1
            return None
        p = Phone(token, self.urls[proc % len(self.urls)], phone_ip(len(self.phones)))
        self.phones.append(p)
        self.open += 1
        asyncio.get_running_loop().create_task(self.connect(p))
        return p

    async def connect(self, p: Phone) -> None:
        try:
            p.ws = await open_ws(self, p.url, f"/api/v1/ticket-status/{p.token}/live", p, p.ip)
        except OSError:
            p.ws = None
            self._retry(p, None)

    def text(self, c: Ws, payload: bytes, now: float) -> None:
        msg = json.loads(payload)
        if msg.get("type") != "status":
            return
        p: Phone = c.tag
        p.last, c.ready = msg["status"], True
        p.messages += 1
        self.messages += 1
        p.attempts = 0
        if msg["status"]["status"] in FINAL and not p.final:
            p.final = True
            self.open -= 1

    def lost(self, c: Ws) -> None:
        p: Phone = c.tag
        self.close_codes[c.close_code or 0] += 1
        if p.ws is c:
            p.ws = None
        if not p.final:
            self._retry(p, c.close_code)

    def _retry(self, p: Phone, code: int | None) -> None:
        if self.running:
            self.cutoffs += 1
            p.cutoffs += 1
        base = 30.0 if code == 1008 else min(15.0, 0.5 * 2 ** p.attempts)  # phone.js's backoff
        p.attempts += 1
        loop = asyncio.get_running_loop()
        loop.call_later(base * (0.75 + random.random() * 0.5), lambda: loop.create_task(self.connect(p)))

    async def check(self, session: Any) -> dict[str, Any]:
        """Each following phone's last status against the ticket's status read now."""
        sem = asyncio.Semaphore(16)
        pending = [p for p in self.phones if not p.final]

        async def truth(p: Phone) -> dict[str, Any]:
            async with sem, session.get(f"{p.url}/api/v1/ticket-status/{p.token}") as r:
                return dict(await r.json())

        def wrong(p: Phone, t: dict[str, Any]) -> bool:
            return p.last is None or any(p.last.get(k) != t.get(k) for k in PHONE_FIELDS)

        truths = await asyncio.gather(*(truth(p) for p in pending))
        bad = [(p, t) for p, t in zip(pending, truths, strict=True) if wrong(p, t)]
        disconnected = sum(1 for p in pending if p.ws is None or not p.ws.ready)
        examples = [{"token": p.token[:6], "phone": {k: (p.last or {}).get(k) for k in PHONE_FIELDS},
                     "server": {k: t.get(k) for k in PHONE_FIELDS}, "cutoffs": p.cutoffs,
                     "connected": p.ws is not None} for p, t in bad[:5]]
        await asyncio.sleep(5)
        truths2 = await asyncio.gather(*(truth(p) for p, _ in bad))
        still = sum(1 for (p, _), t in zip(bad, truths2, strict=True) if wrong(p, t))
        return {"following": len(pending), "wrong": len(bad), "still_wrong_5s": still,
                "disconnected": disconnected, "examples": examples,
                "waiting": sum(1 for t in truths if t.get("status") == "waiting")}


def phones_worker(conn: Any, cfg: dict[str, Any], feed: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    asyncio.run(_phones(conn, cfg, feed))


async def _phones(conn: Any, cfg: dict[str, Any], feed: Any) -> None:
    import aiohttp

    owner, lag = Phones(cfg["urls"], cfg["cap"]), Lag()
    lag_task = asyncio.create_task(lag.run())
    loop = asyncio.get_running_loop()
    t0 = time.monotonic()
    initial = cfg["initial"]
    for start in range(0, len(initial), 100):
        wave = [owner.add(tok, proc) for tok, proc in initial[start:start + 100]]
        deadline = time.monotonic() + 120
        while not all(p is None or p.final or (p.ws is not None and p.ws.ready) for p in wave):
            if time.monotonic() > deadline:
                raise RuntimeError("phones not connected after 120 s")
            await asyncio.sleep(0.05)
    conn.send({"connected": sum(1 for p in owner.phones if p.ws is not None and p.ws.ready),
               "seconds": time.monotonic() - t0})

    def pump() -> None:  # tickets issued by the driver, as they are issued
        while True:
            item = feed.get()
            if item is None:
                return
            loop.call_soon_threadsafe(owner.add, *item)

    threading.Thread(target=pump, daemon=True).start()
    assert await commands(conn) == "run"
    owner.running, lag.on = True, True
    cpu0, msgs0 = cpu_self(), owner.messages
    assert await commands(conn) == "check"  # the load has stopped and settled
    owner.running, lag.on = False, False
    cpu = cpu_self() - cpu0
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as s:
        checked = await owner.check(s)
    conn.send({"check": checked, "cutoffs": owner.cutoffs, "close_codes": dict(owner.close_codes),
               "phones_opened": len(owner.phones), "offered": owner.offered, "over_cap": owner.refused_cap,
               "open_at_end": owner.open, "messages": owner.messages - msgs0, "cpu": cpu, "lag": lag.summary()})
    assert await commands(conn) == "stop"
    for p in owner.phones:
        p.final = True
        if p.ws is not None:
            p.ws.close()
    lag_task.cancel()
    await asyncio.sleep(0.2)


# -- worker: the driver (kiosks issuing, clerks calling) --------------------------------------------------------

def driver_worker(conn: Any, cfg: dict[str, Any], feed: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    asyncio.run(_driver(conn, cfg, feed))


async def _driver(conn: Any, cfg: dict[str, Any], feed: Any) -> None:
    import aiohttp

    rng = random.Random(cfg["seed"])
    centres, urls, rate, seconds = cfg["centres"], cfg["urls"], cfg["rate"] / 3600.0, cfg["seconds"]
    weights = [len(c["window_ids"]) for c in centres]
    windows = [(wid, ci) for ci, c in enumerate(centres) for wid in c["window_ids"]]
    plan: list[tuple[float, int, int, str]] = []
    t = 0.0
    while (t := t + rng.expovariate(rate)) < seconds:
        ci = rng.choices(range(len(centres)), weights)[0]
        plan.append((t, 0, ci, rng.choice(centres[ci]["queues"])))
    t = 0.0
    while (t := t + rng.expovariate(rate)) < seconds:
        plan.append((t, 1, rng.randrange(len(windows)), ""))
    plan.sort()
    locks = {wid: asyncio.Lock() for wid, _ in windows}
    issues: list[tuple[int, int, float, float, int, int]] = []  # ticket id, centre, sent, answered, status, process
    calls: list[tuple[int, int, float, float, int]] = []  # ticket id (0: nobody), centre, sent, answered, status
    steps: dict[str, list[float]] = {"start": [], "finish": []}
    errors: Counter[str] = Counter()
    late: list[float] = []
    lag = Lag()
    lag_task = asyncio.create_task(lag.run())
    tasks: set[asyncio.Task[None]] = set()
    conn_ = aiohttp.TCPConnector(limit=0)
    session = aiohttp.ClientSession(connector=conn_, headers={"Authorization": f"Bearer {cfg['admin']}"},
                                    timeout=aiohttp.ClientTimeout(total=60))
    n_issue = 0

    current: dict[int, tuple[int, int]] = {}  # window → (its ticket, steps done after the call: 0 or 1)
    retried = Counter[str]()

    async def post(url: str, body: dict[str, Any], what: str, headers: dict[str, str] | None = None,
                   ) -> tuple[int, Any]:
        """POST as a kiosk or a clerk would: pressed again after a 503 (database busy) or a dropped answer,
        up to 5 times (0.25 s, 0.5 s … apart); the last status and body."""
        status, out = 0, None
        for attempt in range(5):
            if attempt:
                retried[what] += 1
                await asyncio.sleep(0.25 * 2 ** (attempt - 1))
            try:
                async with session.post(url, json=body, headers=headers) as r:
                    status = r.status
                    out = await r.json() if r.content_type == "application/json" else await r.text()
            except Exception as e:
                status, out = 0, type(e).__name__
                errors[f"{what} {out}"] += 1
                continue
            if status != 503:
                break
            errors[f"{what} 503 {str(out)[:60]}"] += 1
        return status, out

    async def issue(ci: int, queue: str, proc: int, key: str) -> None:
        t0 = time.monotonic()
        # The centre's kiosk (a token bound to its hall), retry-safe: a retry gives the same ticket.
        status, body = await post(f"{urls[proc]}/api/v1/tickets", {"queue": queue}, "issue",
                                  {"Idempotency-Key": key, "Authorization": f"Bearer {centres[ci]['kiosk']}"})
        t1 = time.monotonic()
        if status not in (200, 201):
            errors[f"issue {status} {str(body)[:80]}"] += 1
            issues.append((0, ci, t0, t1, status, proc))
            return
        issues.append((int(body["id"]), ci, t0, t1, 201, proc))
        feed.put((body["token"], proc))

    async def steps_from(url: str, wid: int) -> bool:
        """Start and finish the window's ticket from where its clerk left off; False if the server refused."""
        tid, done = current[wid]
        for i, step in enumerate(("start", "finish")[done:], done):
            s0 = time.monotonic()
            status, body = await post(f"{url}/api/v1/tickets/{tid}/{step}", {}, step)
            steps[step].append(time.monotonic() - s0)
            if status != 200:
                errors[f"{step} {status} {str(body)[:80]}"] += 1
                return False
            current[wid] = (tid, i + 1)
        del current[wid]
        return True

    async def call(wi: int) -> None:
        wid, ci = windows[wi]
        url = urls[wi % len(urls)]
        async with locks[wid]:  # one clerk per window: call, start, finish in turn
            if wid in current and not await steps_from(url, wid):  # what a refused answer left undone
                return
            t0 = time.monotonic()
            status, body = await post(f"{url}/api/v1/windows/{wid}/call-next", {}, "call")
            t1 = time.monotonic()
            if status != 200:
                calls.append((0, ci, t0, t1, status))
                if status != 204:
                    errors[f"call {status} {str(body)[:80]}"] += 1
                return
            tid = int(body["ticket"]["id"])
            calls.append((tid, ci, t0, t1, 200))
            current[wid] = (tid, 0)
            await steps_from(url, wid)

    def spawn(coro: Any) -> None:
        task = asyncio.create_task(coro)
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    conn.send({"planned_issues": sum(1 for p in plan if p[1] == 0), "planned_calls": sum(1 for p in plan if p[1])})
    assert await commands(conn) == "run"
    lag.on = True
    cpu0 = cpu_self()
    start = time.monotonic()
    for at, kind, a, q in plan:
        delay = start + at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        late.append(max(0.0, -delay))
        if kind == 0:
            spawn(issue(a, q, n_issue % len(urls), f"bench-{cfg['seed']}-{n_issue}"))
            n_issue += 1
        else:
            spawn(call(a))
    sent_all = time.monotonic() - start
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*list(tasks)), 60)
    took = time.monotonic() - start
    lag.on = False
    cpu = cpu_self() - cpu0
    await session.close()
    feed.put(None)
    conn.send({"issues": issues, "calls": calls, "steps": steps, "errors": dict(errors), "retried": dict(retried),
               "late": pct(late, 99),
               "late_max": max(late, default=0.0), "sent_all": sent_all, "took": took, "unfinished": len(tasks),
               "cpu": cpu, "lag": lag.summary(), "start": start})
    lag_task.cancel()


# -- the orchestrator -----------------------------------------------------------------------------------------

class Api:
    def __init__(self, session: Any, url: str) -> None:
        self.s, self.url = session, url

    async def post(self, path: str, body: dict[str, Any], want: int = 201) -> Any:
        async with self.s.post(self.url + path, json=body) as r:
            out = await r.json()
            if r.status != want:
                raise RuntimeError(f"POST {path} {body}: {r.status} {out}")
            return out

    async def get(self, path: str) -> Any:
        async with self.s.get(self.url + path) as r:
            if r.status != 200:
                raise RuntimeError(f"GET {path}: {r.status} {await r.text()}")
            return await r.json()


async def build(url: str, admin: str, centres: list[Centre]) -> str:
    """The district through the API; returns the tablets' manager token (bound to the district hall)."""
    import aiohttp

    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {admin}"}) as s:
        api = Api(s, url)
        for c in centres:  # parents first
            body: dict[str, Any] = {"code": c.code, "name": c.name, "level": c.level}
            if c.parent:
                body["parent"] = c.parent
            c.id = int((await api.post("/api/v1/halls", body))["id"])

        async def fill(c: Centre) -> None:
            for q in c.queues:
                await api.post(f"/api/v1/halls/{c.code}/queues", {"prefix": q, "name": f"{q} 类业务"})
            for n, qs in enumerate(c.windows, 1):
                w = await api.post(f"/api/v1/halls/{c.code}/windows", {"number": n, "name": f"{n} 号窗口",
                                                                       "queues": qs})
                c.window_ids.append(int(w["id"]))
                await api.post(f"/api/v1/windows/{w['id']}/open", {}, want=200)
            c.display = (await api.post("/api/v1/tokens", {"role": "display", "hall": c.code,
                                                           "label": f"lobby-{c.code}"}))["token"]
            c.kiosk = (await api.post("/api/v1/tokens", {"role": "kiosk", "hall": c.code,
                                                         "label": f"kiosk-{c.code}"}))["token"]

        sem = asyncio.Semaphore(8)

        async def bounded(c: Centre) -> None:
            async with sem:
                await fill(c)
        await asyncio.gather(*(bounded(c) for c in centres))
        tok = await api.post("/api/v1/tokens", {"role": "manager", "hall": centres[0].code, "label": "tablets"})
        return str(tok["token"])


async def issue_backlog(urls: list[str], admin: str, centres: list[Centre], n: int) -> list[tuple[str, int]]:
    """`n` waiting tickets, spread in proportion to the windows, queues in turn: [(token, process)]."""
    import aiohttp

    per = spread(n, [len(c.windows) for c in centres])
    jobs = [(c, c.queues[k % len(c.queues)]) for c, m in zip(centres, per, strict=True) for k in range(m)]
    out: list[tuple[str, int]] = []
    sem = asyncio.Semaphore(16)
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {admin}"}) as s:
        async def one(i: int, c: Centre, q: str) -> None:
            proc = i % len(urls)
            async with sem:
                t = await Api(s, urls[proc]).post("/api/v1/tickets", {"queue": q, "hall": c.code})
            out.append((t["token"], proc))
        await asyncio.gather(*(one(i, c, q) for i, (c, q) in enumerate(jobs)))
    return out


async def fetch_events(url: str, admin: str, centres: list[Centre]) -> dict[int, list[dict[str, Any]]]:
    import aiohttp

    out: dict[int, list[dict[str, Any]]] = {}
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {admin}"}) as s:
        api = Api(s, url)
        for c in centres:
            evs: list[dict[str, Any]] = []
            while True:
                page = await api.get(f"/api/v1/halls/{c.code}/events?after={evs[-1]['seq'] if evs else 0}")
                evs += page["events"]
                if not page["more"]:
                    break
            out[c.id] = evs
    return out


async def get_json(urls: list[str], path: str, admin: str) -> list[Any]:
    import aiohttp

    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {admin}"}) as s:
        return [await Api(s, u).get(path) for u in urls]


async def metrics(urls: list[str]) -> list[dict[str, float]]:
    import aiohttp

    out = []
    async with aiohttp.ClientSession() as s:
        for u in urls:
            async with s.get(f"{u}/metrics") as r:
                text = await r.text()
            m: dict[str, float] = {}
            for line in text.splitlines():
                if line.startswith(("hallops_subscribers_cut_off", "hallops_live_screens", "hallops_events_committed")):
                    name, val = line.rsplit(" ", 1)
                    key = re.sub(r"\{.*\}", "", name).removesuffix("_total")
                    m[key] = m.get(key, 0.0) + float(val)
            out.append(m)
    return out


class Servers:
    """The hallops processes on core 0, and what they cost (with PostgreSQL's, when it runs here)."""

    def __init__(self, db: str, n: int, tmp: Path, pg_dir: Path | None) -> None:
        self.db, self.tmp, self.pg_dir = db, tmp, pg_dir
        self.procs: list[subprocess.Popen[bytes]] = []
        self.urls: list[str] = []
        self.started = time.monotonic()
        self.logs: list[Path] = []
        env = os.environ | {"HALLOPS_LOG_LEVEL": "WARNING", "HALLOPS_VOICE_CACHE": str(tmp / "voice"),
                            "PYTHONPATH": str(ROOT)}
        for i in range(n):
            port = free_port()
            log = tmp / f"server-{i}.log"
            self.logs.append(log)
            self.procs.append(subprocess.Popen([*taskset(0), sys.executable, "-m", "hallops", "serve", "--db", db,
                                                "--port", str(port)], cwd=tmp, env=env, stdout=subprocess.DEVNULL,
                                               stderr=log.open("ab")))
            self.urls.append(f"http://127.0.0.1:{port}")
        for u in self.urls:
            wait_port(split_url(u)[1])

    def pg_pids(self) -> list[int]:
        if self.pg_dir is None:
            return []
        try:
            pm = int((self.pg_dir / "data" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return []
        return [pm, *children_of(pm)]

    def cpu(self) -> tuple[float, float]:
        """(hallops processes, PostgreSQL) CPU seconds so far."""
        pids = self.pg_pids()
        pg = sum(proc_cpu(p, children=(i == 0)) for i, p in enumerate(pids))
        return sum(proc_cpu(p.pid) for p in self.procs), pg

    def rss_mb(self) -> float:
        return sum(rss_kb(p.pid) for p in self.procs) / 1024

    def hwm_mb(self) -> float:
        return sum(rss_kb(p.pid, "VmHWM:") for p in self.procs) / 1024

    def alive(self) -> bool:
        return all(p.poll() is None for p in self.procs)

    def log_lines(self) -> Counter[str]:
        c: Counter[str] = Counter()
        for log in self.logs:
            for line in log.read_text(errors="replace").splitlines():
                m = re.search(r" (WARNING|ERROR|CRITICAL) ([\w.]+)(?: \[[^\]]*\])?: (.{0,60})", line)
                if m:
                    what = re.sub(r"\[[0-9a-f]+\]|[0-9]+(\.[0-9]+)?", "N", m.group(3))
                    c[f"{m.group(1)} {m.group(2)}: {what}"] += 1
                elif line.startswith("Traceback"):
                    c["Traceback"] += 1
        return c

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(10)


@contextlib.contextmanager
def pg_cluster(url: str | None, tmp: Path) -> Iterator[tuple[str, Path | None]]:
    if url:
        yield url, None
        return
    d = Path(tempfile.mkdtemp(prefix="hallops-district-pg-"))  # its own: the postgres user must reach it
    try:
        started = subprocess.run([*taskset(0), "bash", str(ROOT / "tools" / "pg.sh"), "start", str(d)],
                                 capture_output=True, text=True)
        if started.returncode != 0:
            raise RuntimeError(f"tools/pg.sh start failed: {started.stderr.strip()[-500:]}")
        yield started.stdout.strip(), d
    finally:
        subprocess.run(["bash", str(ROOT / "tools" / "pg.sh"), "stop", str(d)], check=False, capture_output=True)
        shutil.rmtree(d, ignore_errors=True)


def fresh_pg(url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(url, autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        c.execute(f"CREATE DATABASE {name}")
    return url.rsplit("/", 1)[0] + "/" + name


def hallops_cli(*args: str, tmp: Path) -> str:
    env = os.environ | {"HALLOPS_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "hallops", *args], cwd=tmp, check=True, capture_output=True,
                          text=True, env=env).stdout


class Workers:
    """The load generators, each its own process on core 1 (this process's affinity is inherited)."""

    def __init__(self) -> None:
        self.ctx = mp.get_context("spawn")
        self.procs: list[Any] = []

    def start(self, target: Any, *args: Any) -> Any:
        parent, child = self.ctx.Pipe()
        p = self.ctx.Process(target=target, args=(child, *args), daemon=True)
        p.start()
        self.procs.append(p)
        WORKER_OF[id(parent)] = p
        return parent

    def stop(self) -> None:
        deadline = time.monotonic() + 3  # they leave by themselves after "stop"; an interrupted run does not wait
        for p in self.procs:
            p.join(max(0.0, deadline - time.monotonic()))
        for p in self.procs:
            if p.is_alive():
                p.terminate()
                p.join(5)
        self.procs = []


WORKER_OF: dict[int, Any] = {}


def recv(conn: Any, timeout: float, what: str) -> Any:
    """The worker's next message; an error at once if it died."""
    deadline = time.monotonic() + timeout
    while not conn.poll(1.0):
        p = WORKER_OF.get(id(conn))
        if p is not None and not p.is_alive():
            raise RuntimeError(f"{what}: the load generator died (exit code {p.exitcode})")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: no answer in {timeout:.0f} s")
    return conn.recv()


def settle(servers: Servers, limit: float = 60.0) -> float:
    """Wait until the servers are quiet (under 3 % of a core each, PostgreSQL included, over 2 s)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        a = sum(servers.cpu())
        time.sleep(2)
        if (sum(servers.cpu()) - a) / 2 < 0.03 * len(servers.procs):
            break
    return time.monotonic() - t0


def idle_window(servers: Servers, seconds: float) -> dict[str, float]:
    a, pg_a, t = *servers.cpu(), time.monotonic()
    time.sleep(seconds)
    b, pg_b, t2 = *servers.cpu(), time.monotonic()
    return {"cpu": (b - a) / (t2 - t), "pg_cpu": (pg_b - pg_a) / (t2 - t), "rss": servers.rss_mb()}


def run_case(label: str, backend: str, phones_cap: int, args: argparse.Namespace, tmp: Path,
             pg_url: str | None, pg_dir: Path | None, case_no: int) -> dict[str, Any]:
    t_case = time.monotonic()
    res: dict[str, Any] = {"label": label, "backend": backend, "phones_cap": phones_cap, "load_start": loadavg(),
                           "target_rate": args.rate / 3600, "tablets": args.tablets}
    print(f"\n== {label}: load average {res['load_start']} at start", flush=True)
    centres = plan_district(args.seed)
    n_windows = sum(len(c.windows) for c in centres)
    backlog = args.backlog or max(math.ceil(phones_cap * 1.2), 10 * n_windows)
    if backend == "sqlite":
        db, nproc = str(tmp / f"case{case_no}.db"), 1
    else:
        assert pg_url is not None
        db, nproc = fresh_pg(pg_url, f"district_{case_no}"), args.processes
    hallops_cli("init", "--db", db, tmp=tmp)
    admin = hallops_cli("token", "create", "--role", "admin", "--label", "bench", "--db", db, tmp=tmp).split()[-1]
    servers = Servers(db, nproc, tmp, pg_dir)
    workers = Workers()
    sampler_stop = threading.Event()
    try:
        t = time.monotonic()
        manager = asyncio.run(build(servers.urls[0], admin, centres))
        res["build_s"] = time.monotonic() - t
        t = time.monotonic()
        tickets = asyncio.run(issue_backlog(servers.urls, admin, centres, backlog))
        res["backlog"], res["backlog_s"] = len(tickets), time.monotonic() - t
        print(f"  built {len(centres)} centres, {n_windows} windows in {res['build_s']:.1f} s; backlog of "
              f"{len(tickets)} waiting tickets in {res['backlog_s']:.1f} s", flush=True)
        root = centres[0].code
        asyncio.run(get_json(servers.urls, f"/api/v1/district/{root}", admin))  # each process's board loaded
        # The two idle windows start a whole number of minutes apart: the server's periodic work (ticks every
        # 10 s; the district board's floor figures, the deadline scan … every 60 s) falls alike in both.
        # Quiet first: the briefing scheduler (every 30 s from start) catches up on the new centres once, in
        # every process at the same moment, and the backlog's aftermath (relay, alerts) passes.
        time.sleep(max(0.0, servers.started + 35 - time.monotonic()))
        res["settle_s"] = settle(servers)
        t_idle = time.monotonic()
        res["idle_without"] = idle_window(servers, args.idle_seconds)

        # the sockets
        counts = spread(args.screens, [len(c.windows) for c in centres])
        for c, k in zip(centres, counts, strict=True):
            c.screens = k
        screen_plan: list[tuple[str, str, int]] = []
        for ci, c in enumerate(centres):
            for _ in range(c.screens):
                u = servers.urls[len(screen_plan) % nproc]
                screen_plan.append((u, f"/api/v1/halls/{c.code}/live?token={c.display}", ci))
        rss: dict[str, float] = {"none": servers.rss_mb()}
        screens = workers.start(screens_worker, {"plan": screen_plan})
        got = recv(screens, 600, "screens")
        rss["screens"] = servers.rss_mb()
        res["screens_connect_s"] = got["seconds"]
        tab_plan = [(servers.urls[i % nproc], f"/api/v1/district/{root}/live?token={manager}")
                    for i in range(args.tablets)]
        tablets = workers.start(tablets_worker, {"plan": tab_plan})
        recv(tablets, 120, "tablets")
        rss["tablets"] = servers.rss_mb()
        rng = random.Random(args.seed + 1)
        initial = rng.sample(tickets, min(phones_cap, len(tickets)))
        feed = workers.ctx.Queue()
        phones = workers.start(phones_worker, {"urls": servers.urls, "cap": phones_cap, "initial": initial}, feed)
        got_p = recv(phones, 600, "phones")
        rss["phones"] = servers.rss_mb()
        res["phones_connect_s"] = got_p["seconds"]
        n_sockets = len(screen_plan) + args.tablets + got_p["connected"]
        print(f"  connected {len(screen_plan)} screens in {got['seconds']:.1f} s, {args.tablets} tablets, "
              f"{got_p['connected']} phones in {got_p['seconds']:.1f} s; server RSS {rss['none']:.0f} → "
              f"{rss['phones']:.0f} MB", flush=True)
        t_idle += 60 * math.ceil((time.monotonic() + 2 - t_idle) / 60)
        time.sleep(max(0.0, t_idle - time.monotonic()))
        res["idle_with"] = idle_window(servers, args.idle_seconds)
        res["sockets"] = n_sockets
        res["rss_steps"] = rss
        res["screens_per_hall"] = counts

        # the peak
        cfg = {"centres": [{"code": c.code, "queues": c.queues, "window_ids": c.window_ids, "kiosk": c.kiosk}
                           for c in centres],
               "urls": servers.urls, "rate": args.rate, "seconds": args.seconds, "seed": args.seed,
               "admin": admin}
        driver = workers.start(driver_worker, cfg, feed)
        planned = recv(driver, 60, "driver")
        samples: list[tuple[float, float, float, float]] = []

        def sample() -> None:
            while not sampler_stop.wait(1.0):
                samples.append((time.monotonic(), *servers.cpu(), servers.rss_mb()))

        print(f"  the peak: {planned['planned_issues']} issues and {planned['planned_calls']} calls planned over "
              f"{args.seconds:.0f} s; load average {loadavg()}", flush=True)
        res["load_run"] = loadavg()
        cpu_a, pg_a = servers.cpu()
        cores_a, t_run = core_ticks(), time.monotonic()
        orch_cpu_a = cpu_self()
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        for w in (screens, tablets, phones, driver):
            w.send("run")
        drove = recv(driver, args.seconds + 180, "driver")
        t_end = time.monotonic()
        cpu_b, pg_b = servers.cpu()
        cores = core_busy(cores_a, core_ticks())
        sampler_stop.set()
        res["load_end"] = loadavg()
        time.sleep(3)  # settle: the last changes reach phones and tablets
        phones.send("check")
        checked = recv(phones, 300, "phones check")
        screens.send("stop")
        tablets.send("stop")
        scr = recv(screens, 120, "screens")
        tab = recv(tablets, 120, "tablets")
        phones.send("stop")
        res["orchestrator_cpu"] = cpu_self() - orch_cpu_a
        res["alive"] = servers.alive()
        events = asyncio.run(fetch_events(servers.urls[0], admin, centres))
        district = asyncio.run(get_json(servers.urls, f"/api/v1/district/{root}", admin))
        res["metrics"] = asyncio.run(metrics(servers.urls))
        wall = t_end - t_run
        res.update(wall=wall, server_cpu=cpu_b - cpu_a, pg_cpu=pg_b - pg_a, cores=cores,
                   rss_peak=max((s[3] for s in samples), default=servers.rss_mb()), hwm=servers.hwm_mb())
        res["log"] = dict(servers.log_lines().most_common(12))
        analyse(res, centres, drove, scr, tab, checked, events, district, args)
    finally:
        sampler_stop.set()
        servers.stop()
        workers.stop()
        if args.keep_logs:
            Path(args.keep_logs).mkdir(parents=True, exist_ok=True)
            for log in servers.logs:
                shutil.copy(log, Path(args.keep_logs) / f"case{case_no}-{log.name}")
    res["case_s"] = time.monotonic() - t_case
    report_case(res)
    return res


def analyse(res: dict[str, Any], centres: list[Centre], drove: dict[str, Any], scr: dict[str, Any],
            tab: dict[str, Any], checked: dict[str, Any], events: dict[int, list[dict[str, Any]]],
            district: list[dict[str, Any]], args: argparse.Namespace) -> None:
    ok_issues = [i for i in drove["issues"] if i[4] == 201]
    ok_calls = [c for c in drove["calls"] if c[4] == 200]
    res["issued"], res["called"] = len(ok_issues), len(ok_calls)
    res["empty_calls"] = sum(1 for c in drove["calls"] if c[4] == 204)
    res["errors"], res["retried"] = drove["errors"], drove["retried"]
    res["issue_lat"] = (pct([i[3] - i[2] for i in ok_issues], 50), pct([i[3] - i[2] for i in ok_issues], 99))
    res["call_lat"] = (pct([c[3] - c[2] for c in ok_calls], 50), pct([c[3] - c[2] for c in ok_calls], 99))
    res["step_lat"] = {k: pct(v, 99) for k, v in drove["steps"].items()}
    by: dict[str, list[float]] = {}
    for i in ok_issues:
        by.setdefault(f"{'district hall' if i[1] == 0 else 'other centres'}", []).append(i[3] - i[2])
        by.setdefault(f"process {i[5] + 1}", []).append(i[3] - i[2])
    for c in ok_calls:
        by.setdefault(f"calls, {'district hall' if c[1] == 0 else 'other centres'}", []).append(c[3] - c[2])
    res["issue_by"] = {k: (pct(v, 50), pct(v, 99), len(v)) for k, v in sorted(by.items())}
    res["rate"] = (len(ok_issues) / args.seconds, len(ok_calls) / args.seconds)
    res["drain"] = drove["took"] - args.seconds

    # call → the last lobby screen of that centre
    lat, missed = [], 0
    for tid, ci, t0, _t1, _ in ok_calls:
        r = scr["calls"].get(tid)
        if r is None or r[0] < centres[ci].screens:
            missed += 1
            continue
        lat.append(r[2] - t0)
    res["screen_lat"] = (pct(lat, 50), pct(lat, 99), max(lat, default=float("nan")))
    res["screen_missed"], res["screens_cut"] = missed, scr["closed_in_run"]

    # issue → every tablet has the centre's row at or past the issue's event
    issued_seq = {}
    for evs in events.values():
        for ev in evs:
            if ev["type"] == "ticket.issued":
                issued_seq[ev["payload"]["ticket"]["id"]] = ev["seq"]
    seqs = {k: {h: [x[0] for x in lst] for h, lst in by_hall.items()} for k, by_hall in tab["seen"].items()}
    tab_lat, tab_missed = [], 0
    for tid, ci, t0, _t1, *_ in ok_issues:
        s = issued_seq.get(tid)
        hall = centres[ci].id
        worst: float | None = None
        for k, by_hall in tab["seen"].items():
            lst = by_hall.get(hall, [])
            j = bisect.bisect_left(seqs[k].get(hall, []), s) if s is not None else len(lst)
            if j >= len(lst):
                worst = None
                break
            worst = lst[j][1] if worst is None else max(worst, lst[j][1])
        if worst is None or len(tab["seen"]) < args.tablets:
            tab_missed += 1
        else:
            tab_lat.append(worst - t0)
    res["tablet_lat"] = (pct(tab_lat, 50), pct(tab_lat, 99), max(tab_lat, default=float("nan")))
    res["tablet_missed"], res["tablets_cut"] = tab_missed, tab["closed_in_run"]

    # the district view at the end: every tablet's last row and each process's JSON against the event log
    truth = {}
    for c in centres:
        evs = events[c.id]
        truth[c.id] = {"seq": evs[-1]["seq"] if evs else 0,
                       "issued": sum(1 for e in evs if e["type"] == "ticket.issued")}
    wrong_rows = 0
    for last in tab["last"].values():
        for c in centres:
            r = last.get(c.id)
            if r is None or r["seq"] != truth[c.id]["seq"] or r["issued"] != truth[c.id]["issued"]:
                wrong_rows += 1
    json_wrong = 0
    for d in district:
        rows = {r["hall_id"]: r for r in d["rows"]}
        for c in centres:
            r = rows.get(c.id)
            if r is None or r["seq"] != truth[c.id]["seq"] or r["issued"] != truth[c.id]["issued"]:
                json_wrong += 1
    res["district_rows_wrong"] = (wrong_rows, len(tab["last"]) * len(centres))
    res["district_json_wrong"] = (json_wrong, len(district) * len(centres))

    res["phones"] = {k: checked[k] for k in ("cutoffs", "close_codes", "phones_opened", "offered", "over_cap",
                                              "open_at_end", "messages")} | checked["check"]
    res["gen"] = {"screens": (scr["cpu"], scr["lag"]), "tablets": (tab["cpu"], tab["lag"]),
                  "phones": (checked["cpu"], checked["lag"]), "driver": (drove["cpu"], drove["lag"])}
    res["driver_late_p99"], res["driver_late_max"] = drove["late"], drove["late_max"]
    res["driver_unfinished"], res["driver_took"] = drove["unfinished"], drove["took"]
    res["screen_frames"] = scr["frames"]


def report_case(r: dict[str, Any]) -> None:
    if "issued" not in r:
        return
    wo, wi = r["idle_without"], r["idle_with"]
    k = r["sockets"] / 1000
    gen_cpu = sum(v[0] for v in r["gen"].values()) + r["orchestrator_cpu"]
    goal_s, goal_t = r["screen_lat"][1] / 0.050, r["tablet_lat"][1] / 1.0
    ph = r["phones"]
    steps, n_screens = r["rss_steps"], sum(r["screens_per_hall"])
    scr_mb = (steps["screens"] - steps["none"]) / max(1, n_screens) * 1000
    ph_mb = (steps["phones"] - steps["tablets"]) / max(1, r["sockets"] - n_screens - r["tablets"]) * 1000
    lines = [
        f"  load average {r['load_start']} at start, {r['load_run']} as the peak began, {r['load_end']} at its end",
        f"  rate: {r['rate'][0]:.1f} issues/s, {r['rate'][1]:.1f} calls/s (target {r['target_rate']:.1f}/s each; "
        f"the last answers {r['drain']:.1f} s after the last request was due; {r['empty_calls']} calls found nobody "
        f"waiting); requests pressed again {r['retried'] or 'none'}; errors {r['errors'] or 'none'}",
        f"  issue p50 {ms(r['issue_lat'][0])} p99 {ms(r['issue_lat'][1])} ms; call-next p50 {ms(r['call_lat'][0])} "
        f"p99 {ms(r['call_lat'][1])} ms; start p99 {ms(r['step_lat']['start'])}, finish p99 "
        f"{ms(r['step_lat']['finish'])} ms",
        "  issue p50 / p99 by where: " + ", ".join(f"{k} {ms(a)} / {ms(b)} ms ({n})"
                                                    for k, (a, b, n) in r["issue_by"].items()),
        f"  call → last screen: p50 {ms(r['screen_lat'][0])} p99 {ms(r['screen_lat'][1])} max "
        f"{ms(r['screen_lat'][2])} ms ({goal_s:.2f}× the 50 ms goal) over {r['called'] - r['screen_missed']} calls; "
        f"{r['screen_missed']} calls missing on some screen; {r['screens_cut']} screens cut off",
        f"  issue → all {r['tablets']} tablets: p50 {ms(r['tablet_lat'][0])} p99 "
        f"{ms(r['tablet_lat'][1])} max {ms(r['tablet_lat'][2])} ms ({goal_t:.2f}× the 1 s goal); "
        f"{r['tablet_missed']} issues never shown on some tablet; {r['tablets_cut']} tablets cut off; rows wrong "
        f"at the end: tablets {r['district_rows_wrong'][0]}/{r['district_rows_wrong'][1]}, JSON "
        f"{r['district_json_wrong'][0]}/{r['district_json_wrong'][1]}",
        f"  phones: {ph['following']} following at the end, {ph['following'] - ph['wrong']} right, {ph['wrong']} "
        f"wrong ({ph['still_wrong_5s']} still wrong 5 s later), {ph['disconnected']} disconnected; "
        f"{ph['phones_opened']} opened in all, {ph['cutoffs']} cut off during the peak; "
        f"{ph['messages']} status messages",
        f"  server: {r['server_cpu']:.1f} CPU s over {r['wall']:.1f} s ({r['server_cpu'] / r['wall']:.0%} of a core)"
        + (f" + PostgreSQL {r['pg_cpu']:.1f} s ({r['pg_cpu'] / r['wall']:.0%})" if r["backend"] != "sqlite" else "")
        + f"; RSS peak {r['rss_peak']:.0f} MB; core 0 busy {r['cores'].get(0, 0):.0%} (other work on the box "
        f"{max(0.0, r['cores'].get(0, 0) - (r['server_cpu'] + r['pg_cpu']) / r['wall']):.0%}), core 1 busy "
        f"{r['cores'].get(1, 0):.0%} (other work {max(0.0, r['cores'].get(1, 0) - gen_cpu / r['wall']):.0%})",
        f"  idle: no sockets {wo['cpu']:.1%} of a core, RSS {wo['rss']:.0f} MB; {r['sockets']} sockets "
        f"{wi['cpu']:.1%}, {wi['rss']:.0f} MB → per 1,000 sockets {(wi['cpu'] - wo['cpu']) / k:.2%} of a core, "
        f"{(wi['rss'] - wo['rss']) / k:.1f} MB (as they connected: screens {scr_mb:.1f}, phones {ph_mb:.1f} MB "
        "per 1,000)",
        "  load generators (core 1): CPU " + ", ".join(
            f"{n} {c:.1f} s (loop lag p99 {ms(lg['p99'])} ms)" for n, (c, lg) in r["gen"].items())
        + f", orchestrator {r['orchestrator_cpu']:.1f} s: {gen_cpu / r['wall']:.0%} of core 1; driver late p99 "
        f"{ms(r['driver_late_p99'])} ms",
        f"  the servers counted {sum(m.get('hallops_subscribers_cut_off', 0) for m in r['metrics']):.0f} live "
        f"subscribers cut off; server log: {r['log'] or 'clean'}; servers alive at the end: {r['alive']}; "
        f"took {r['case_s']:.0f} s",
    ]
    print("\n".join(lines), flush=True)


def table(rows: list[dict[str, Any]]) -> str:
    head = ("| case | load avg at start | issue p99 | call-next p99 | call → last screen p50 / p99 | issue → 10 "
            "tablets p50 / p99 | phones right at the end | screens / phones cut off | server CPU | RSS peak | "
            "per 1,000 idle sockets |")
    out = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        if "issued" not in r:
            continue
        k = r["sockets"] / 1000
        ph = r["phones"]
        cpu = f"{r['server_cpu'] / r['wall']:.0%}" + (f" + PG {r['pg_cpu'] / r['wall']:.0%}"
                                                     if r["backend"] != "sqlite" else "")
        out.append(
            f"| {r['label']} | {r['load_start'].split()[0]} | {ms(r['issue_lat'][1])} ms | {ms(r['call_lat'][1])} ms "
            f"| {ms(r['screen_lat'][0])} / {ms(r['screen_lat'][1])} ms ({r['screen_lat'][1] / 0.05:.1f}× goal"
            f"{', ' + str(r['screen_missed']) + ' missed' if r['screen_missed'] else ''}) "
            f"| {ms(r['tablet_lat'][0])} / {ms(r['tablet_lat'][1])} ms ({r['tablet_lat'][1]:.2f}× goal"
            f"{', ' + str(r['tablet_missed']) + ' missed' if r['tablet_missed'] else ''}) "
            f"| {ph['following'] - ph['wrong']} / {ph['following']} ({ph['disconnected']} disconnected) "
            f"| {r['screens_cut']} / {ph['cutoffs']} | {cpu} of a core | {r['rss_peak']:.0f} MB "
            f"| {(r['idle_with']['rss'] - r['idle_without']['rss']) / k:.1f} MB, "
            f"{(r['idle_with']['cpu'] - r['idle_without']['cpu']) / k:.2%} of a core |")
    return "\n".join(out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=120.0, help="length of the peak")
    p.add_argument("--rate", type=float, default=60000.0, help="tickets issued (and called) per hour")
    p.add_argument("--screens", type=int, default=3000)
    p.add_argument("--phones", type=int, default=2000, help="phones following waiting tickets, at most")
    p.add_argument("--phone-steps", default="5000", help="further cases with these many phones ('' = none)")
    p.add_argument("--step-backends", default="sqlite", help="backends the phone steps run on")
    p.add_argument("--tablets", type=int, default=10)
    p.add_argument("--backlog", type=int, default=0, help="waiting tickets at the start (0: max(1.2 × phones, "
                                                          "10 per window))")
    p.add_argument("--backends", default="sqlite,postgres")
    p.add_argument("--processes", type=int, default=3, help="server processes on PostgreSQL")
    p.add_argument("--idle-seconds", type=float, default=20.0, help="each idle measurement (≤ 55; ticks come every "
                                                                     "10 s)")
    p.add_argument("--seed", type=int, default=10)
    p.add_argument("--pg", help="a PostgreSQL URL to create databases on (default: a throwaway cluster)")
    p.add_argument("--json", help="write every figure to this file")
    p.add_argument("--keep-logs", help="copy the servers' logs into this directory (else they go with the "
                                       "temporary directory)")
    args = p.parse_args()
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {1})  # this process and every load generator it starts: core 1

    def on_term(*_: Any) -> None:
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)
    t0 = time.monotonic()
    print(f"load average {loadavg()}; servers on core 0, load generators on core 1; {args.seconds:.0f} s at "
          f"{args.rate:.0f} tickets/h; {args.screens} screens, {args.tablets} tablets, up to {args.phones} phones; "
          f"seed {args.seed}", flush=True)
    backends = [b for b in args.backends.split(",") if b]
    steps = [int(s) for s in args.phone_steps.split(",") if s]
    cases = [(b, args.phones) for b in backends]
    cases += [(b, n) for n in steps for b in args.step_backends.split(",") if b in backends]
    cases.sort(key=lambda c: (c[0] != "sqlite", c[1]))
    rows: list[dict[str, Any]] = []
    tmp = Path(tempfile.mkdtemp(prefix="hallops-district-"))
    try:
        with contextlib.ExitStack() as stack:
            pg_url, pg_dir = None, None
            for i, (backend, n_phones) in enumerate(cases):
                if backend == "postgres" and pg_url is None:
                    pg_url, pg_dir = stack.enter_context(pg_cluster(args.pg, tmp))
                label = (f"SQLite ×1, {n_phones} phones" if backend == "sqlite"
                         else f"PostgreSQL ×{args.processes}, {n_phones} phones")
                r = run_case(label, backend, n_phones, args, tmp, pg_url, pg_dir, i)
                rows.append(r)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("\n" + table(rows))
    base = next((r for r in rows if r["backend"] == "sqlite" and r["phones_cap"] == args.phones), None)
    for r in rows:
        if base is not None and r is not base and "issued" in r and "issued" in base:
            def ratio(key: str, b: dict[str, Any] = base, r: dict[str, Any] = r) -> str:
                return f"{r[key][1] / b[key][1]:.1f}×"
            print(f"{r['label']} / {base['label']}: call → last screen p99 {ratio('screen_lat')}, issue → tablets "
                  f"p99 {ratio('tablet_lat')}, issue p99 {ratio('issue_lat')}, call-next p99 {ratio('call_lat')}")
    for r in rows:
        if "issued" not in r:
            continue
        ph = r["phones"]
        goals = [("call → last screen p99 ≤ 50 ms", r["screen_lat"][1] <= 0.050 and not r["screen_missed"]),
                 ("district view within 1 s (p99)", r["tablet_lat"][1] <= 1.0 and not r["tablet_missed"]),
                 ("phones right", ph["wrong"] == 0 and ph["disconnected"] == 0)]
        print(f"{r['label']}: " + "; ".join(f"{g}: {'met' if ok else 'NOT met'}" for g, ok in goals))
    print(f"whole benchmark: {time.monotonic() - t0:.0f} s; load average {loadavg()} at the end")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1, default=str, ensure_ascii=False))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("\ninterrupted: servers, load generators and the cluster stopped, temporary files removed",
              file=sys.stderr)
        sys.exit(130)
