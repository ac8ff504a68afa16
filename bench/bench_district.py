"""The district's peak hour on one box, in steps of phones (issue 11): 63 centres, their lobby screens, the
district view, and citizens' phones following their tickets — 2,000, then 5,000, 10,000 and 20,000 phones —
at the district's peak rate, then once at 5× that rate; on PostgreSQL with several server processes (the
default) or on SQLite in one process.

    python bench/bench_district.py [--steps 2000,5000,10000,20000] [--step-seconds 75] [--burst 5]
                                   [--burst-seconds 60] [--screens 3000] [--tablets 10] [--rate 60000]
                                   [--backends postgres] [--processes 3] [--phone-workers 2] [--backlog 0]
                                   [--backlog-via sqlite] [--idle-seconds 15] [--check-sample 1000]
                                   [--final-check 2000] [--seed 10] [--pg URL] [--json FILE] [--keep-logs DIR]

Once per backend, not measured: a fresh, empty database; the district built through the API with an unbound
admin token (1 district hall with 20 windows and queues A–E, four windows each; 8 street and 3 new-town
centres with 3–6 windows, queues A–C; 51 community centres with 2–4 windows, queues A–B, hung under them;
every window opened); a backlog of waiting tickets for the largest step (`--backlog`, default
max(1.2 × the largest step, 10 per window)), issued 16 at a time per server process. On PostgreSQL both are
built on SQLite, whose writer issues several times PostgreSQL's rate on this box, and copied into an empty
PostgreSQL database with `hallops migrate-to-postgres` (which checks the copy); `--backlog-via api` issues
them through the PostgreSQL servers instead. Then the servers' RSS and CPU with no socket
(`--idle-seconds`); then `--screens` lobby screens (/api/v1/halls/{hall}/live with the hall's display token),
spread over the centres in proportion to their windows, at least one each, and `--tablets` district views
(/api/v1/district/<district>/live, a manager token bound to the district hall).

Then, for each step of `--steps`: phones are added until that many follow waiting tickets (one phone per
ticket, /api/v1/ticket-status/{token}/live, each from its own 127.x address, spread over `--phone-workers`
processes: one process's open-file limit is 20,000 here), the servers' RSS taken before and after; then the
peak at the real rate (`--rate` tickets an hour: 60,000 is ~17 issues and ~17 calls a second, Poisson,
seeded) for `--step-seconds`: issues by the centres' kiosk tokens, spread over the centres in proportion to
their windows; calls over the windows, each followed at once by start and finish. Issues and calls run at
the same rate, so the lines keep their length: a phone whose ticket is done leaves (the server closes it,
"final"), a ticket issued while fewer than the step's phones follow gets a phone, and a phone cut off
reconnects with the page's backoff (web/static/phone/phone.js). After the last step, one more peak at
`--burst` × the rate for `--burst-seconds` with the same phones. After each peak: the load stops (the
answers still out are waited for up to 60 s, then counted), the servers settle, every following phone's last
status and place is compared with the event log's, and a sample of them (`--check-sample`; `--final-check`
after the last peak, 0 for all) with GET /api/v1/ticket-status/{token} (status, position, people ahead,
window), again 5 s later for those wrong.

Measured per step, each with the load average at the step's start and end:
- issue and call-next latency (request sent → answer), start and finish;
- call → the last screen: call-next request sent → the last lobby screen of that centre has the
  `ticket.called` (a call some screen never got is counted, not timed); screens cut off;
- call → the called phone: call-next request sent → that ticket's phone got its first status other than
  "waiting" (counted apart when that status was not "called"; a phone that never got one is counted);
- other phones' update: call-next request sent → each other phone following a waiting ticket of the same
  line got its new place. The place expected after each call is replayed from the halls' event logs
  (/api/v1/halls/{hall}/events: each line's waiting tickets in the database's order, sort time then id),
  so an update is "in" when the phone shows that place or a nearer one (or its own call); p50/p99 over all
  such updates, the share later than 2 s, those that never came, and those that came wrong (a place nearer
  than any call sent by then could make it, or a position other than people ahead + 1);
- issue → all tablets (issue request sent → every tablet has a row of that centre whose `seq` is at least
  the `ticket.issued` event's), and the district view at the end (each tablet's last rows and each
  process's JSON against the event log);
- the servers' CPU (and PostgreSQL's) during the peak, per 1,000 sockets too; their RSS before and after
  the step's phones (MB per 1,000 phones added) and its peak; per 1,000 idle sockets, RSS and CPU once,
  with every phone of the largest step connected (two idle windows a whole number of minutes apart);
- phones, screens and tablets cut off; the load generators' CPU and event-loop lag (to show they are not
  the bottleneck); each core's busy share from /proc/stat (the box is shared: other work shows there and in
  the load averages).

PostgreSQL: `--processes` server processes share one database on a throwaway cluster (tools/pg.sh, on core 0
with the servers; or `--pg URL`); screens, phones and tablets are spread over the processes, the windows'
clerks too (window i on process i mod N), issues round-robin; a centre's screens sit on every process, so a
call reaches some of them through the relay. SQLite runs in one process: its steps stop at what one
process's open-file limit holds next to the screens (10,000 phones of the default steps; said in the output).

Servers (and PostgreSQL) run on core 0 (taskset); this orchestrator and its load generators — the screens,
the tablets, each share of the phones and the issuing/calling driver, each its own process — on core 1.
Ctrl-C stops the servers, the load generators and the cluster, and writes no figures.
"""

from __future__ import annotations

import argparse
import asyncio
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

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchkit, beside this file
from benchkit import frame_at, free_port, fresh_pg, masked, upgrade_request, wait_port

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


def fx(x: float) -> str:
    return "—" if x != x else f"{x:.1f}"


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
        transport.write(upgrade_request(self.path, self.host))

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
        while (f := frame_at(buf, pos)) is not None:
            op, i, end = f
            n = end - i
            payload = bytes(buf[i:end])
            pos = end
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
        self.transport.write(masked(op, payload))

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


# -- sockets that come back -----------------------------------------------------------------------------------

class Fleet:
    """Screens or tablets: each socket opened from (url, path, tag); one that is cut off opens again after
    1–2 s, as the screens' page does (web/static/js/live.js); the cut-offs of the running peak are counted."""

    def __init__(self) -> None:
        self.frames = 0
        self.closed: Counter[int] = Counter()
        self.cut = 0
        self.running = False
        self.quitting = False
        self.conns: dict[int, Ws] = {}

    def reset(self) -> None:
        """Forget the last peak's figures."""

    def lost(self, c: Ws) -> None:
        self.closed[c.close_code or 0] += 1
        if self.quitting:
            return
        if self.running:
            self.cut += 1
        self._again(c.tag)

    def _again(self, tag: tuple[int, str, str, Any]) -> None:
        loop = asyncio.get_running_loop()
        loop.call_later(3.0 * random.random(), lambda: loop.create_task(self.reopen(tag)))  # live.js: 0–3 s first

    async def reopen(self, tag: tuple[int, str, str, Any]) -> None:
        if self.quitting:
            return
        try:
            self.conns[tag[0]] = await open_ws(self, tag[1], tag[2], tag)
        except OSError:
            self._again(tag)

    async def open_all(self, plan: list[tuple[str, str, Any]], what: str) -> float:
        t0 = time.monotonic()
        for start in range(0, len(plan), 100):  # in waves: the accept queue is finite
            wave = []
            for i in range(start, min(start + 100, len(plan))):
                u, p, x = plan[i]
                self.conns[i] = await open_ws(self, u, p, (i, u, p, x))
                wave.append(self.conns[i])
            await wait_ready(wave, what)
        return time.monotonic() - t0

    def ready(self) -> int:
        return sum(1 for c in self.conns.values() if c.ready and c.close_code is None)

    def close_all(self) -> None:
        self.quitting = True
        for c in self.conns.values():
            c.close()


async def serve_fleet(conn: Any, owner: Fleet, plan: list[tuple[str, str, Any]], what: str,
                      report: Any) -> None:
    """The worker's loop: connect, then per peak "run" … "stop" (answered with `report`), until "quit"."""
    lag = Lag()
    lag_task = asyncio.create_task(lag.run())
    seconds = await owner.open_all(plan, what)
    conn.send({"connected": owner.ready(), "seconds": seconds})
    cpu0 = frames0 = 0.0
    while True:
        cmd = await commands(conn)
        if cmd == "run":
            owner.running, lag.on, lag.samples, owner.cut = True, True, [], 0
            owner.reset()
            cpu0, frames0 = cpu_self(), owner.frames
        elif cmd == "stop":
            owner.running, lag.on = False, False
            conn.send(report() | {"cut": owner.cut, "closed": dict(owner.closed), "frames": owner.frames - frames0,
                                  "cpu": cpu_self() - cpu0, "lag": lag.summary(), "connected": owner.ready()})
        else:
            break
    owner.close_all()
    lag_task.cancel()
    await asyncio.sleep(0.2)


# -- worker: lobby screens ------------------------------------------------------------------------------------

class Screens(Fleet):
    def __init__(self) -> None:
        super().__init__()
        self.calls: dict[int, list[float]] = {}  # ticket id → [screens that had the call, first, last]

    def reset(self) -> None:
        self.calls = {}

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


def screens_worker(conn: Any, cfg: dict[str, Any]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    owner = Screens()
    asyncio.run(serve_fleet(conn, owner, cfg["plan"], "screens", lambda: {"calls": owner.calls}))


# -- worker: the district view's tablets ----------------------------------------------------------------------

class Tablets(Fleet):
    def __init__(self) -> None:
        super().__init__()
        self.seen: dict[int, dict[int, list[tuple[int, float]]]] = {}  # tablet → hall → [(seq, t)] this peak
        self.last: dict[int, dict[int, dict[str, Any]]] = {}

    def reset(self) -> None:
        self.seen = {}

    def text(self, c: Ws, payload: bytes, now: float) -> None:
        self.frames += 1
        msg = json.loads(payload)
        if msg.get("type") not in ("hello", "centres"):
            return
        k = c.tag[0]
        seen, last = self.seen.setdefault(k, {}), self.last.setdefault(k, {})
        for r in msg["rows"]:
            h = r["hall_id"]
            lst = seen.setdefault(h, [])
            if not lst or r["seq"] > lst[-1][0]:
                lst.append((r["seq"], now))
            last[h] = {k: r[k] for k in ("seq", "issued", "served", "waiting", "windows_open")}
        if msg["type"] == "hello":
            c.ready = True


def tablets_worker(conn: Any, cfg: dict[str, Any]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    owner = Tablets()
    asyncio.run(serve_fleet(conn, owner, cfg["plan"], "tablets",
                            lambda: {"seen": owner.seen, "last": owner.last, "tablets": len(owner.conns)}))


# -- worker: phones (a share of them per process) -------------------------------------------------------------

@dataclass(eq=False)
class Phone:
    token: str
    tid: int
    url: str
    ip: str
    ws: Ws | None = None
    last: dict[str, Any] | None = None
    final: bool = False
    attempts: int = 0
    opened: float = 0.0  # when its socket last opened (monotonic; 0: not open)
    cutoffs: int = 0
    first: float | None = None  # when its first status came: it follows from then on
    log: list[tuple[float, str, int | None]] = field(default_factory=list)  # this peak's (t, status, position)


def phone_ip(i: int) -> str:
    """Each phone its own address (the server allows 30 sockets per address)."""
    return f"127.{1 + i // 62500}.{(i // 250) % 250}.{i % 250 + 1}"


class Phones:
    def __init__(self, urls: list[str], worker: int, workers: int) -> None:
        self.urls, self.worker, self.workers = urls, worker, workers
        self.cap = 0
        self.phones: list[Phone] = []
        self.new: list[int] = []  # tickets that got a phone since the last report
        self.open = 0  # phones whose ticket is not final yet
        self.running = False
        self.cutoffs = 0
        self.close_codes: Counter[int] = Counter()
        self.offered = 0
        self.over_cap = 0
        self.messages = 0
        self.bad_frames = 0

    def add(self, token: str, tid: int, proc: int, fed: bool = False) -> Phone | None:
        if fed:
            self.offered += 1
            if self.open >= self.cap:
                self.over_cap += 1
                return None
        p = Phone(token, tid, self.urls[proc % len(self.urls)],
                  phone_ip(self.worker + self.workers * len(self.phones)))
        self.phones.append(p)
        self.new.append(tid)
        self.open += 1
        asyncio.get_running_loop().create_task(self.connect(p))
        return p

    async def connect(self, p: Phone) -> None:
        if p.final:
            return
        try:
            p.ws = await open_ws(self, p.url, f"/api/v1/ticket-status/{p.token}/live", p, p.ip)
            p.opened = time.monotonic()
        except OSError:
            p.ws = None
            self._retry(p, None)

    def text(self, c: Ws, payload: bytes, now: float) -> None:
        msg = json.loads(payload)
        if msg.get("type") != "status":
            return
        p: Phone = c.tag
        st = msg["status"]
        p.last, c.ready = st, True
        if p.first is None:
            p.first = now
        p.log.append((now, st["status"], st.get("position")))
        if st["status"] == "waiting" and st.get("position") != (st.get("people_ahead") or 0) + 1:
            self.bad_frames += 1  # a place that contradicts itself
        self.messages += 1
        p.attempts = 0
        if st["status"] in FINAL and not p.final:
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
        # phone.js's backoff: full jitter from the first retry, doubling to 15 s, afresh after 10 s connected
        if p.opened and time.monotonic() - p.opened >= 10.0:
            p.attempts = 0
        p.opened = 0.0
        wait = (30.0 * (0.75 + random.random() * 0.5) if code == 1008
                else random.random() * min(15.0, 3.0 * 2 ** min(p.attempts, 10)))
        p.attempts += 1
        loop = asyncio.get_running_loop()
        loop.call_later(wait, lambda: loop.create_task(self.connect(p)))

    async def grow(self, tickets: list[tuple[str, int, int]], cap: int) -> dict[str, Any]:
        """Phones for these waiting tickets, in waves; then `cap` is this process's share of the step."""
        t0 = time.monotonic()
        self.cap = cap
        for start in range(0, len(tickets), 200):
            wave = [self.add(tok, tid, proc) for tok, tid, proc in tickets[start:start + 200]]
            deadline = time.monotonic() + 180
            while not all(p is None or p.final or p.first is not None for p in wave):
                if time.monotonic() > deadline:
                    missing = sum(1 for p in wave if p is not None and not p.final and p.first is None)
                    raise RuntimeError(f"{missing} phones not connected after 180 s")
                await asyncio.sleep(0.05)
        return {"seconds": time.monotonic() - t0, "open": self.open, "new": self.take_new()}

    def take_new(self) -> list[int]:
        out, self.new = self.new, []
        return out

    def collect(self) -> dict[str, Any]:
        """This peak's statuses of every phone that followed (and still follows or got news in it)."""
        logs = [(p.tid, p.first, p.log) for p in self.phones if p.first is not None and (p.log or not p.final)]
        last = [(p.tid, p.last["status"], p.last.get("position"), p.ws is not None and p.ws.ready)
                for p in self.phones if not p.final and p.last is not None]
        for p in self.phones:
            p.log = []
        return {"logs": logs, "last": last, "new": self.take_new(), "open": self.open,
                "never_connected": sum(1 for p in self.phones if not p.final and p.last is None)}

    async def check(self, session: Any, sample: int) -> dict[str, Any]:
        """The last status of `sample` following phones (0: all) against the ticket's status read now."""
        sem = asyncio.Semaphore(16)
        pending = [p for p in self.phones if not p.final]
        chosen = pending if not sample or sample >= len(pending) else random.sample(pending, sample)

        async def truth(p: Phone) -> dict[str, Any]:
            async with sem, session.get(f"{p.url}/api/v1/ticket-status/{p.token}") as r:
                return dict(await r.json())

        def wrong(p: Phone, t: dict[str, Any]) -> bool:
            return p.last is None or any(p.last.get(k) != t.get(k) for k in PHONE_FIELDS)

        t0 = time.monotonic()
        truths = await asyncio.gather(*(truth(p) for p in chosen))
        took = time.monotonic() - t0
        bad = [(p, t) for p, t in zip(chosen, truths, strict=True) if wrong(p, t)]
        examples = [{"ticket": p.tid, "phone": {k: (p.last or {}).get(k) for k in PHONE_FIELDS},
                     "server": {k: t.get(k) for k in PHONE_FIELDS}, "cutoffs": p.cutoffs,
                     "connected": p.ws is not None} for p, t in bad[:5]]
        still = 0
        if bad:
            await asyncio.sleep(5)
            truths2 = await asyncio.gather(*(truth(p) for p, _ in bad))
            still = sum(1 for (p, _), t in zip(bad, truths2, strict=True) if wrong(p, t))
        return {"following": len(pending), "checked": len(chosen), "wrong": len(bad), "still_wrong_5s": still,
                "disconnected": sum(1 for p in pending if p.ws is None or not p.ws.ready),
                "examples": examples, "seconds": took}


def phones_worker(conn: Any, cfg: dict[str, Any], feed: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    asyncio.run(_phones(conn, cfg, feed))


async def _phones(conn: Any, cfg: dict[str, Any], feed: Any) -> None:
    import aiohttp

    owner, lag = Phones(cfg["urls"], cfg["worker"], cfg["workers"]), Lag()
    lag_task = asyncio.create_task(lag.run())
    loop = asyncio.get_running_loop()

    def fed(item: tuple[str, int, int]) -> None:
        owner.add(*item, fed=True)

    def pump() -> None:  # tickets issued by the driver, as they are issued
        while True:
            item = feed.get()
            if item is None:
                return
            loop.call_soon_threadsafe(fed, item)

    threading.Thread(target=pump, daemon=True).start()
    conn.send({"ready": True})
    cpu0, msgs0 = 0.0, 0
    while True:
        cmd, *a = await commands(conn)
        if cmd == "grow":
            conn.send(await owner.grow(*a))
        elif cmd == "run":
            for p in owner.phones:
                p.log = []
            owner.running, lag.on, lag.samples = True, True, []
            owner.cutoffs, owner.offered, owner.over_cap, owner.close_codes = 0, 0, 0, Counter()
            owner.bad_frames = 0
            cpu0, msgs0 = cpu_self(), owner.messages
        elif cmd == "collect":  # the load has stopped and settled
            owner.running, lag.on = False, False
            conn.send(owner.collect() | {
                "cutoffs": owner.cutoffs, "close_codes": dict(owner.close_codes), "opened": len(owner.phones),
                "offered": owner.offered, "over_cap": owner.over_cap, "messages": owner.messages - msgs0,
                "inconsistent": owner.bad_frames,
                "cpu": cpu_self() - cpu0, "lag": lag.summary()})
        elif cmd == "check":
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as s:
                conn.send(await owner.check(s, a[0]))
        else:
            break
    for p in owner.phones:
        p.final = True
        if p.ws is not None:
            p.ws.close()
    lag_task.cancel()
    await asyncio.sleep(0.2)


# -- worker: the driver (kiosks issuing, clerks calling) --------------------------------------------------------

def driver_worker(conn: Any, cfg: dict[str, Any], feeds: list[Any]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    asyncio.run(_driver(conn, cfg, feeds))


async def _driver(conn: Any, cfg: dict[str, Any], feeds: list[Any]) -> None:
    import aiohttp

    centres, urls = cfg["centres"], cfg["urls"]
    weights = [len(c["window_ids"]) for c in centres]
    windows = [(wid, ci) for ci, c in enumerate(centres) for wid in c["window_ids"]]
    locks = {wid: asyncio.Lock() for wid, _ in windows}
    current: dict[int, tuple[int, int]] = {}  # window → (its ticket, steps done after the call: 0 or 1)
    lag = Lag()
    lag_task = asyncio.create_task(lag.run())
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                    headers={"Authorization": f"Bearer {cfg['admin']}"},
                                    timeout=aiohttp.ClientTimeout(total=60))
    n_issue = 0
    conn.send({"ready": True})

    async def peak(seconds: float, rate: float, seed: int) -> None:
        """One peak: its own plan, its own figures (a request still unanswered from the last peak
        adds to the last peak's lists, not to this one's)."""
        nonlocal n_issue
        rng = random.Random(seed)
        plan: list[tuple[float, int, int, str]] = []
        t = 0.0
        while (t := t + rng.expovariate(rate / 3600.0)) < seconds:
            ci = rng.choices(range(len(centres)), weights)[0]
            plan.append((t, 0, ci, rng.choice(centres[ci]["queues"])))
        t = 0.0
        while (t := t + rng.expovariate(rate / 3600.0)) < seconds:
            plan.append((t, 1, rng.randrange(len(windows)), ""))
        plan.sort()
        # issues: ticket id, centre, sent, answered, status, process, token, queue
        issues: list[tuple[int, int, float, float, int, int, str, str]] = []
        calls: list[tuple[int, int, float, float, int]] = []  # ticket id (0: nobody), centre, sent, answered, status
        steps: dict[str, list[float]] = {"start": [], "finish": []}
        errors: Counter[str] = Counter()
        retried: Counter[str] = Counter()
        late: list[float] = []
        tasks: set[asyncio.Task[None]] = set()

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

        async def issue(ci: int, queue: str, proc: int, key: str, n: int) -> None:
            t0 = time.monotonic()
            # The centre's kiosk (a token bound to its hall), retry-safe: a retry gives the same ticket.
            status, body = await post(f"{urls[proc]}/api/v1/tickets", {"queue": queue}, "issue",
                                      {"Idempotency-Key": key, "Authorization": f"Bearer {centres[ci]['kiosk']}"})
            t1 = time.monotonic()
            if status not in (200, 201):
                errors[f"issue {status} {str(body)[:80]}"] += 1
                issues.append((0, ci, t0, t1, status, proc, "", queue))
                return
            issues.append((int(body["id"]), ci, t0, t1, 201, proc, body["token"], queue))
            feeds[n % len(feeds)].put((body["token"], int(body["id"]), proc))

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

        lag.on, lag.samples = True, []
        cpu0 = cpu_self()
        start = time.monotonic()
        conn.send({"planned_issues": sum(1 for p in plan if p[1] == 0),
                   "planned_calls": sum(1 for p in plan if p[1]), "start": start})
        for at, kind, x, q in plan:
            delay = start + at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            late.append(max(0.0, -delay))
            if kind == 0:
                spawn(issue(x, q, n_issue % len(urls), f"bench-{cfg['seed']}-{n_issue}", n_issue))
                n_issue += 1
            else:
                spawn(call(x))
        sent_all = time.monotonic() - start
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*list(tasks)), 60)
        took = time.monotonic() - start
        lag.on = False
        conn.send({"issues": issues, "calls": calls, "steps": steps, "errors": dict(errors),
                   "retried": dict(retried), "late": pct(late, 99), "late_max": max(late, default=0.0),
                   "sent_all": sent_all, "took": took, "unfinished": len(tasks), "cpu": cpu_self() - cpu0,
                   "lag": lag.summary(), "start": start, "seconds": seconds, "rate": rate})

    while True:
        cmd, *a = await commands(conn)
        if cmd != "run":
            break
        seconds, rate, seed = a
        await peak(seconds, rate, seed)
    await session.close()
    for f in feeds:
        f.put(None)
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


async def issue_backlog(urls: list[str], admin: str, centres: list[Centre], n: int,
                        ) -> list[tuple[str, int, int]]:
    """`n` waiting tickets, spread in proportion to the windows, queues in turn, 16 at a time per server
    process: [(token, ticket id, process)]."""
    import aiohttp

    per = spread(n, [len(c.windows) for c in centres])
    jobs = [(c, c.queues[k % len(c.queues)]) for c, m in zip(centres, per, strict=True) for k in range(m)]
    random.Random(n).shuffle(jobs)  # every centre's line grows from the start, not one centre after another
    out: list[tuple[str, int, int]] = []
    sems = [asyncio.Semaphore(16) for _ in urls]
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {admin}"},
                                     connector=aiohttp.TCPConnector(limit=0)) as s:
        async def one(i: int, c: Centre, q: str) -> None:
            proc = i % len(urls)
            async with sems[proc]:
                t = await Api(s, urls[proc]).post("/api/v1/tickets", {"queue": q, "hall": c.code})
            out.append((t["token"], int(t["id"]), proc))
        await asyncio.gather(*(one(i, c, q) for i, (c, q) in enumerate(jobs)))
    return out


Line = tuple[str, int]  # ("queue", queue id) or ("window", window id): the line a waiting ticket stands in
Key = tuple[float, int]  # (sort_at, id): its place in the line (no priority classes in this benchmark)


class EventLog:
    """Every hall's events, fetched as they come (/api/v1/halls/{hall}/events), replayed into the waiting
    lines in the database's order: what each followed ticket's place must be after each call."""

    def __init__(self, centres: list[Centre]) -> None:
        self.after = {c.id: 0 for c in centres}  # the last event fetched, per hall
        self.issued = {c.id: 0 for c in centres}
        self.issued_seq: dict[int, int] = {}
        self.where: dict[int, tuple[Line, Key]] = {}  # waiting ticket → its line and place
        self.lines: dict[Line, list[Key]] = {}
        self.followers: dict[Line, set[int]] = {}  # followed waiting tickets, per line
        self.followed: set[int] = set()  # every ticket that ever got a phone
        self.status: dict[int, str] = {}  # each ticket's status after its last event
        self.events = 0

    async def fetch(self, url: str, admin: str) -> dict[int, list[dict[str, Any]]]:
        import aiohttp

        out: dict[int, list[dict[str, Any]]] = {}
        sem = asyncio.Semaphore(8)
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {admin}"},
                                         timeout=aiohttp.ClientTimeout(total=120)) as s:
            api = Api(s, url)

            async def hall(h: int) -> None:
                evs: list[dict[str, Any]] = []
                while True:
                    after = evs[-1]["seq"] if evs else self.after[h]
                    async with sem:
                        page = await api.get(f"/api/v1/halls/{h}/events?after={after}")
                    evs += page["events"]
                    if not page["more"]:
                        break
                out[h] = evs
            await asyncio.gather(*(hall(h) for h in self.after))
        return out

    def follow(self, tids: list[int]) -> None:
        for t in tids:
            if t not in self.followed:
                self.followed.add(t)
                if t in self.where:
                    self.followers.setdefault(self.where[t][0], set()).add(t)

    def place(self, tid: int) -> int:
        line, key = self.where[tid]
        return bisect.bisect_left(self.lines[line], key) + 1

    def check(self, last: list[tuple[int, str, int | None, bool]]) -> dict[str, Any]:
        """Every following phone's last status and place against the event log's."""
        wrong, examples = 0, list[dict[str, Any]]()
        for tid, status, position, _ in last:
            want = self.status.get(tid)
            place = self.place(tid) if tid in self.where else None
            if status != want or (status == "waiting" and position != place):
                wrong += 1
                if len(examples) < 3:
                    examples.append({"ticket": tid, "phone": (status, position), "events": (want, place)})
        return {"phones": len(last), "wrong": wrong, "examples": examples,
                "disconnected": sum(1 for *_, ok in last if not ok)}

    def places(self) -> dict[int, int]:
        """Every followed waiting ticket's position now."""
        return {t: self.place(t) for f in self.followers.values() for t in f}

    def _insert(self, t: dict[str, Any]) -> int:
        ln = t.get("line") or {}
        line: Line = (("window", ln["target_window_id"]) if ln.get("target_window_id") is not None
                      else ("queue", t["queue_id"]))
        key: Key = (float(ln.get("sort_at") or 0.0), int(t["id"]))
        self.where[t["id"]] = (line, key)
        lst = self.lines.setdefault(line, [])
        bisect.insort(lst, key)
        if t["id"] in self.followed:
            self.followers.setdefault(line, set()).add(t["id"])
        return bisect.bisect_left(lst, key) + 1

    def _remove(self, tid: int) -> tuple[Line, Key, int] | None:
        w = self.where.pop(tid, None)
        if w is None:
            return None
        line, key = w
        lst = self.lines[line]
        i = bisect.bisect_left(lst, key)
        del lst[i]
        self.followers.get(line, set()).discard(tid)
        return line, key, i + 1

    def apply(self, new: dict[int, list[dict[str, Any]]], sent: dict[int, float],
              ) -> tuple[list[tuple[float | None, int, int, list[tuple[int, int]]]], dict[int, int]]:
        """Replay new events: per call (in each hall's order), (call-next sent, the called ticket, its place
        before the call, [(each followed ticket behind it, its place after the call)]); and the place of
        each followed ticket issued meanwhile, as it joined."""
        calls: list[tuple[float | None, int, int, list[tuple[int, int]]]] = []
        joined: dict[int, int] = {}
        for h, evs in new.items():
            for ev in evs:
                self.after[h] = ev["seq"]
                self.events += 1
                typ, p = ev["type"], ev["payload"] if isinstance(ev["payload"], dict) else {}
                t = p.get("ticket") if isinstance(p.get("ticket"), dict) else None
                if t is None:
                    continue
                self.status[t["id"]] = t.get("status", "")
                if typ == "ticket.issued":
                    self.issued[h] += 1
                    self.issued_seq[t["id"]] = ev["seq"]
                    at = self._insert(t)
                    if t["id"] in self.followed:
                        joined[t["id"]] = at
                elif typ == "ticket.called":
                    gone = self._remove(t["id"])
                    if gone is None:  # a call back of a ticket no longer waiting
                        continue
                    line, key, was = gone
                    lst = self.lines[line]
                    behind = [(x, bisect.bisect_left(lst, self.where[x][1]) + 1)
                              for x in self.followers.get(line, ()) if self.where[x][1] > key]
                    calls.append((sent.get(t["id"]), t["id"], was, behind))
                elif typ in ("ticket.cancelled", "ticket.expired"):
                    self._remove(t["id"])
                elif typ == "ticket.transferred":
                    if self._remove(t["id"]) is not None and t.get("status") == "waiting":
                        self._insert(t)
        return calls, joined


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
            wait_port(split_url(u)[1], 60)

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
                    what = re.sub(r"[0-9]+(\.[0-9]+)?", "N", re.sub(r" ?\[.*$", "", m.group(3)))
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
def pg_cluster(url: str | None) -> Iterator[tuple[str, Path | None]]:
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


def hallops_cli(*args: str, tmp: Path) -> str:
    env = os.environ | {"HALLOPS_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "hallops", *args], cwd=tmp, check=True, capture_output=True,
                          text=True, env=env).stdout


class Workers:
    """The load generators, each its own process on core 1 (this process's affinity is inherited)."""

    def __init__(self) -> None:
        self.ctx = mp.get_context("spawn")
        self.procs: list[Any] = []
        self.conns: list[Any] = []

    def start(self, target: Any, *args: Any) -> Any:
        parent, child = self.ctx.Pipe()
        p = self.ctx.Process(target=target, args=(child, *args), daemon=True)
        p.start()
        self.procs.append(p)
        self.conns.append(parent)
        WORKER_OF[id(parent)] = p
        return parent

    def stop(self) -> None:
        for c in self.conns:  # each leaves by itself when told; an interrupted run does not wait for it
            with contextlib.suppress(OSError, ValueError):
                c.send(("quit",))
        deadline = time.monotonic() + 5
        for p in self.procs:
            p.join(max(0.0, deadline - time.monotonic()))
        for p in self.procs:
            if p.is_alive():
                p.terminate()
                p.join(5)
        self.procs, self.conns = [], []


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


def settle(servers: Servers, quiet: float, limit: float = 60.0) -> float:
    """Wait until the servers, PostgreSQL included, use less than `quiet` of a core together over 2 s."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        a = sum(servers.cpu())
        time.sleep(2)
        if (sum(servers.cpu()) - a) / 2 < quiet:
            break
    return time.monotonic() - t0


def idle_window(servers: Servers, seconds: float) -> dict[str, float]:
    a, pg_a, t = *servers.cpu(), time.monotonic()
    time.sleep(seconds)
    b, pg_b, t2 = *servers.cpu(), time.monotonic()
    return {"cpu": (b - a) / (t2 - t), "pg_cpu": (pg_b - pg_a) / (t2 - t), "rss": servers.rss_mb()}


def shares(total: int, n: int) -> list[int]:
    return [total // n + (1 if i < total % n else 0) for i in range(n)]


def fd_limit() -> int:
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


@dataclass
class Backend:
    """One backend's district, servers and load generators, kept from step to step."""

    name: str
    label: str
    servers: Servers
    workers: Workers
    centres: list[Centre]
    admin: str
    log: EventLog
    tokens: dict[int, tuple[str, int]]  # ticket → (token, the process that issued it)
    screens: Any = None
    tablets: Any = None
    phones: list[Any] = field(default_factory=list)
    driver: Any = None
    opens: list[int] = field(default_factory=list)  # phones following, per phone worker
    n_screens: int = 0
    n_tablets: int = 0
    rss0: float = 0.0  # the servers' RSS with no socket
    idle_without: dict[str, float] = field(default_factory=dict)
    t_idle: float = 0.0
    log_lines: Counter[str] = field(default_factory=Counter)
    cut_metric: float = 0.0

    @property
    def nproc(self) -> int:
        return len(self.servers.urls)

    def sockets(self) -> int:
        return self.n_screens + self.n_tablets + sum(self.opens)


def run_backend(backend: str, args: argparse.Namespace, tmp: Path, pg_url: str | None, pg_dir: Path | None,
                plan: list[tuple[str, int, float, float]], out: dict[str, Any]) -> None:
    """Build the district once, then each step of `plan` (label, phones, rate multiplier, seconds) in turn;
    the figures go into `out` as they come (printed, not written, until the whole run ends)."""
    t_backend = time.monotonic()
    centres = plan_district(args.seed)
    n_windows = sum(len(c.windows) for c in centres)
    largest = max(p[1] for p in plan)
    backlog = args.backlog or max(math.ceil(1.2 * largest), 10 * n_windows)
    nproc = 1 if backend == "sqlite" else args.processes
    via_sqlite = backend == "postgres" and args.backlog_via == "sqlite"
    label = "SQLite ×1" if backend == "sqlite" else f"PostgreSQL ×{nproc}"
    print(f"\n== {label}: load average {loadavg()} at start; steps {', '.join(p[0] for p in plan)}", flush=True)
    setup: dict[str, Any] = {"load_start": loadavg()}
    out |= {"backend": backend, "label": label, "setup": setup, "steps": []}
    # Built (district and backlog) where it is quickest: SQLite's writer issues several times PostgreSQL's
    # rate on this box; `hallops migrate-to-postgres` then copies it, checked, into an empty database.
    if backend == "sqlite" or via_sqlite:
        db = str(tmp / "district.db")
    else:
        assert pg_url is not None
        db = fresh_pg(pg_url, "district")
    hallops_cli("init", "--db", db, tmp=tmp)
    admin = hallops_cli("token", "create", "--role", "admin", "--label", "bench", "--db", db, tmp=tmp).split()[-1]
    builder = Servers(db, 1 if via_sqlite else nproc, tmp, None if via_sqlite else pg_dir)
    b = Backend(backend, label, builder, Workers(), centres, admin, EventLog(centres), {})
    try:
        t = time.monotonic()
        manager = asyncio.run(build(builder.urls[0], admin, centres))
        setup["build_s"] = time.monotonic() - t
        b.log = EventLog(centres)  # the halls' ids are known now
        t = time.monotonic()
        tickets = asyncio.run(issue_backlog(builder.urls, admin, centres, backlog))
        setup["backlog"], setup["backlog_s"] = len(tickets), time.monotonic() - t
        # each phone of the backlog on the process that issued its ticket (in turn, when built elsewhere)
        b.tokens = {tid: (tok, i % nproc if via_sqlite else proc) for i, (tok, tid, proc) in enumerate(tickets)}
        print(f"  built {len(centres)} centres, {n_windows} windows in {setup['build_s']:.1f} s; backlog of "
              f"{len(tickets)} waiting tickets in {setup['backlog_s']:.1f} s ({len(tickets) / setup['backlog_s']:.0f}"
              f"/s){' on SQLite' if via_sqlite else ''}", flush=True)
        if via_sqlite:
            builder.stop()
            assert pg_url is not None
            t = time.monotonic()
            db = fresh_pg(pg_url, "district")
            hallops_cli("migrate-to-postgres", db_path := str(tmp / "district.db"), db, tmp=tmp)
            setup["copy_s"] = time.monotonic() - t
            print(f"  copied to PostgreSQL (hallops migrate-to-postgres {Path(db_path).name}) in "
                  f"{setup['copy_s']:.1f} s", flush=True)
            b.servers = Servers(db, nproc, tmp, pg_dir)
        t = time.monotonic()
        b.log.apply(asyncio.run(b.log.fetch(b.servers.urls[0], admin)), {})
        setup["events_s"] = time.monotonic() - t
        print(f"  its events read back in {setup['events_s']:.1f} s", flush=True)
        root = centres[0].code
        asyncio.run(get_json(b.servers.urls, f"/api/v1/district/{root}", admin))  # each process's board loaded
        # The two idle windows start a whole number of minutes apart: the server's periodic work (ticks every
        # 10 s; the district board's floor figures, the deadline scan … every 60 s) falls alike in both.
        # Quiet first: the briefing scheduler (every 30 s from start) catches up on the new centres once, in
        # every process at the same moment, and the backlog's aftermath (relay, alerts) passes.
        time.sleep(max(0.0, b.servers.started + 35 - time.monotonic()))
        setup["settle_s"] = settle(b.servers, 0.03 * nproc)
        b.t_idle = time.monotonic()
        if args.idle_seconds > 0:
            b.idle_without = idle_window(b.servers, args.idle_seconds)

        # screens and tablets, once
        counts = spread(args.screens, [len(c.windows) for c in centres])
        for c, k in zip(centres, counts, strict=True):
            c.screens = k
        screen_plan: list[tuple[str, str, int]] = []
        for ci, c in enumerate(centres):
            for _ in range(c.screens):
                u = b.servers.urls[len(screen_plan) % nproc]
                screen_plan.append((u, f"/api/v1/halls/{c.code}/live?token={c.display}", ci))
        rss0 = b.rss0 = b.servers.rss_mb()
        b.screens = b.workers.start(screens_worker, {"plan": screen_plan})
        got = recv(b.screens, 900, "screens")
        rss1 = b.servers.rss_mb()
        b.n_screens = len(screen_plan)
        tab_plan = [(b.servers.urls[i % nproc], f"/api/v1/district/{root}/live?token={manager}", i)
                    for i in range(args.tablets)]
        b.tablets = b.workers.start(tablets_worker, {"plan": tab_plan})
        recv(b.tablets, 120, "tablets")
        b.n_tablets = args.tablets
        setup |= {"screens_connect_s": got["seconds"],
                  "screens_mb_per_1000": (rss1 - rss0) / max(1, b.n_screens) * 1000,
                  "screens_per_hall": counts, "rss_no_sockets": rss0}
        print(f"  connected {b.n_screens} screens in {got['seconds']:.1f} s ({setup['screens_mb_per_1000']:.1f} MB "
              f"per 1,000), {args.tablets} tablets; server RSS {rss0:.0f} → {b.servers.rss_mb():.0f} MB", flush=True)

        feeds = [b.workers.ctx.Queue() for _ in range(args.phone_workers)]
        for w in range(args.phone_workers):
            b.phones.append(b.workers.start(phones_worker, {"urls": b.servers.urls, "worker": w,
                                                            "workers": args.phone_workers}, feeds[w]))
            recv(b.phones[-1], 60, "phones")
        b.opens = [0] * args.phone_workers
        cfg = {"centres": [{"code": c.code, "queues": c.queues, "window_ids": c.window_ids, "kiosk": c.kiosk}
                           for c in centres], "urls": b.servers.urls, "seed": args.seed, "admin": admin}
        b.driver = b.workers.start(driver_worker, cfg, feeds)
        recv(b.driver, 60, "driver")
        b.log_lines = b.servers.log_lines()
        b.cut_metric = sum(m.get("hallops_subscribers_cut_off", 0) for m in asyncio.run(metrics(b.servers.urls)))
        setup["setup_s"] = time.monotonic() - t_backend
        # the idle measurement with sockets: once, with the largest real-rate step's phones connected
        idle_at = max((i for i, p in enumerate(plan) if p[2] == 1.0), key=lambda i: plan[i][1], default=-1)
        for k, (name, cap, mult, seconds) in enumerate(plan):
            r = run_step(b, args, k, name, cap, mult, seconds, last=k == len(plan) - 1,
                         idle=k == idle_at and args.idle_seconds > 0)
            out["steps"].append(r)
    finally:
        b.workers.stop()
        b.servers.stop()
        if args.keep_logs:
            Path(args.keep_logs).mkdir(parents=True, exist_ok=True)
            for log in b.servers.logs:
                shutil.copy(log, Path(args.keep_logs) / f"{backend}-{log.name}")
    out["backend_s"] = time.monotonic() - t_backend


def run_step(b: Backend, args: argparse.Namespace, k: int, name: str, cap: int, mult: float, seconds: float,
             last: bool, idle: bool) -> dict[str, Any]:
    t_step = time.monotonic()
    res: dict[str, Any] = {"label": f"{b.label}, {name}", "backend": b.name, "cap": cap, "mult": mult,
                           "seconds": seconds, "target_rate": args.rate * mult / 3600, "load_start": loadavg(),
                           "tablets": b.n_tablets, "screens": b.n_screens}
    print(f"\n-- {res['label']}: load average {res['load_start']} at the step's start", flush=True)
    # phones up to the step's number, for waiting tickets that have none (the lines as the event log has them)
    rss_before = b.servers.rss_mb()
    pool = sorted(t for t in b.log.where if t not in b.log.followed and t in b.tokens)
    random.Random(args.seed + 100 + k).shuffle(pool)
    t0 = time.monotonic()
    want = shares(cap, len(b.phones))
    for w, conn in enumerate(b.phones):
        n = max(0, want[w] - b.opens[w])
        give, pool = pool[:n], pool[n:]
        conn.send(("grow", [(b.tokens[t][0], t, b.tokens[t][1]) for t in give], want[w]))
    added = 0
    for w, conn in enumerate(b.phones):
        got = recv(conn, 1800, "phones")
        b.opens[w] = got["open"]
        b.log.follow(got["new"])
        added += len(got["new"])
    rss_after = b.servers.rss_mb()
    res |= {"phones_added": added, "phones_connect_s": time.monotonic() - t0, "following": sum(b.opens),
            "rss_before": rss_before, "rss_after": rss_after, "sockets": b.sockets(),
            "mb_per_1000_sockets": (rss_after - b.rss0) / b.sockets() * 1000,
            "mb_per_1000_phones": (rss_after - rss_before) / added * 1000 if added else float("nan"),
            "short_of_tickets": max(0, cap - sum(b.opens))}
    print(f"  {added} phones added in {res['phones_connect_s']:.1f} s: {sum(b.opens)} follow; {b.sockets()} sockets; "
          f"server RSS {rss_before:.0f} → {rss_after:.0f} MB", flush=True)
    if idle:
        target = b.t_idle + 60 * math.ceil((time.monotonic() + 2 - b.t_idle) / 60)
        time.sleep(max(0.0, target - time.monotonic()))
        wi = idle_window(b.servers, args.idle_seconds)
        wo, ks = b.idle_without, b.sockets() / 1000
        res["idle"] = {"sockets": b.sockets(), "without": wo, "with": wi, "cpu_per_1000": (wi["cpu"] - wo["cpu"]) / ks,
                       "pg_per_1000": (wi["pg_cpu"] - wo["pg_cpu"]) / ks, "mb_per_1000": (wi["rss"] - wo["rss"]) / ks}

    # the peak
    rate = args.rate * mult
    res["load_run"] = loadavg()
    samples: list[float] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(1.0):
            samples.append(b.servers.rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    cpu_a, pg_a = b.servers.cpu()
    cores_a, t_run, orch_a = core_ticks(), time.monotonic(), cpu_self()
    sampler.start()
    try:
        for conn in (b.screens, b.tablets):
            conn.send("run")
        for conn in b.phones:
            conn.send(("run",))
        b.driver.send(("run", seconds, rate, args.seed * 1000 + k))
        planned = recv(b.driver, 60, "driver")
        print(f"  the peak: {planned['planned_issues']} issues and {planned['planned_calls']} calls planned over "
              f"{seconds:.0f} s ({rate:.0f} tickets/h); load average {res['load_run']}", flush=True)
        drove = recv(b.driver, seconds + 180, "driver")
        t_end = time.monotonic()
        cpu_b, pg_b = b.servers.cpu()
        cores = core_busy(cores_a, core_ticks())
    finally:
        stop.set()
    res["load_end"] = loadavg()
    res |= {"wall": t_end - t_run, "server_cpu": cpu_b - cpu_a, "pg_cpu": pg_b - pg_a, "cores": cores,
            "rss_peak": max(samples, default=b.servers.rss_mb())}
    # settle: the last changes reach phones and tablets (quiet: the sockets' own idle cost and a margin)
    res["settle_s"] = 3 + settle(b.servers, 0.03 * b.nproc + 0.008 * b.sockets() / 1000, 30)
    time.sleep(3)
    phones = []
    for conn in b.phones:
        conn.send(("collect",))
    for w, conn in enumerate(b.phones):
        phones.append(recv(conn, 300, "phones"))
        b.opens[w] = phones[-1]["open"]
        b.log.follow(phones[-1]["new"])
    for conn in (b.screens, b.tablets):
        conn.send("stop")
    scr = recv(b.screens, 120, "screens")
    tab = recv(b.tablets, 120, "tablets")
    res["orchestrator_cpu"] = cpu_self() - orch_a
    # the event log up to now: each followed ticket's expected places
    t0 = time.monotonic()
    sent = {c[0]: c[2] for c in drove["calls"] if c[4] == 200}
    for i in drove["issues"]:
        if i[4] == 201:
            b.tokens[i[0]] = (i[6], i[5])
    at_start = b.log.places()
    calls, joined = b.log.apply(asyncio.run(b.log.fetch(b.servers.urls[0], b.admin)), sent)
    res["events_s"] = time.monotonic() - t0
    # phones: every one against the event log, a sample (after the last peak a larger one) against GET status
    res["log_check"] = b.log.check([x for ph in phones for x in ph["last"]])
    res["log_check"]["never_connected"] = sum(ph["never_connected"] for ph in phones)
    sample_n = args.final_check if last else args.check_sample
    for conn in b.phones:
        conn.send(("check", shares(sample_n, len(b.phones))[0] if sample_n else 0))
    checks = [recv(conn, 600, "phones check") for conn in b.phones]
    root = b.centres[0].code
    district = asyncio.run(get_json(b.servers.urls, f"/api/v1/district/{root}", b.admin))
    cut_metric = sum(m.get("hallops_subscribers_cut_off", 0) for m in asyncio.run(metrics(b.servers.urls)))
    res["subscribers_cut_metric"], b.cut_metric = cut_metric - b.cut_metric, cut_metric
    lines = b.servers.log_lines()
    res["log"] = dict((lines - b.log_lines).most_common(12))
    b.log_lines = lines
    res["alive"] = b.servers.alive()
    analyse(res, b, drove, scr, tab, phones, checks, calls, at_start, joined, district)
    res["step_s"] = time.monotonic() - t_step
    report_step(res)
    return res


def phone_figures(calls: list[tuple[float | None, int, int, list[tuple[int, int]]]],
                  logs: dict[int, tuple[float, list[tuple[float, str, int | None]]]],
                  at_start: dict[int, int], joined: dict[int, int]) -> dict[str, Any]:
    """Call → the called phone, and call → every other phone of the line at its new place."""
    called_lat: list[float] = []
    called = {"never": 0, "wrong": 0, "not_called": 0, "not_following": 0}
    pairs: dict[int, list[tuple[float | None, int]]] = {}
    not_head = 0
    for t_send, tid, was, behind in calls:
        if was != 1:
            not_head += 1
        for x, e in behind:
            pairs.setdefault(x, []).append((t_send, e))
        if t_send is None or tid not in logs:
            continue
        first, msgs = logs[tid]
        if first > t_send:
            called["not_following"] += 1
            continue
        m = next((m for m in msgs if m[1] != "waiting"), None)
        if m is None:
            called["never"] += 1
        elif m[0] < t_send:
            called["wrong"] += 1
        else:
            called_lat.append(m[0] - t_send)
            if m[1] != "called":
                called["not_called"] += 1
    lat: list[float] = []
    other = {"never": 0, "wrong": 0, "not_following": 0, "wrong_messages": 0}
    for x, (first, msgs) in logs.items():
        mine = pairs.get(x, [])
        base = at_start.get(x, joined.get(x, 0))
        # the nearest place any call sent by then could have brought it to: a message nearer is wrong
        known = sorted((-math.inf if t is None else t, e) for t, e in mine)
        times = [t for t, _ in known]
        lowest, low = [], base
        for _, e in known:
            low = min(low, e) if low else e
            lowest.append(low)
        bad = []
        for t, st, pos in msgs:
            if st != "waiting":
                bad.append(False)
                continue
            i = bisect.bisect_right(times, t)
            floor = lowest[i - 1] if i else base
            bad.append(pos is None or (floor > 0 and pos < floor))
        other["wrong_messages"] += sum(bad)
        j = 0
        for t_send, e in mine:
            if t_send is None:
                continue
            if first > t_send:
                other["not_following"] += 1
                continue
            while j < len(msgs) and msgs[j][1] == "waiting" and (msgs[j][2] or e + 1) > e:
                j += 1
            if j >= len(msgs):
                other["never"] += 1
            elif bad[j] or msgs[j][0] < t_send:
                other["wrong"] += 1
            else:
                lat.append(msgs[j][0] - t_send)
    return {"called_lat": (pct(called_lat, 50), pct(called_lat, 99), max(called_lat, default=float("nan"))),
            "called_n": len(called_lat), "called": called,
            "other_lat": (pct(lat, 50), pct(lat, 99), max(lat, default=float("nan"))), "other_n": len(lat),
            "other": other, "other_over_2s": sum(1 for x in lat if x > 2.0), "calls_not_from_head": not_head}


def analyse(res: dict[str, Any], b: Backend, drove: dict[str, Any], scr: dict[str, Any], tab: dict[str, Any],
            phones: list[dict[str, Any]], checks: list[dict[str, Any]],
            calls: list[tuple[float | None, int, int, list[tuple[int, int]]]], at_start: dict[int, int],
            joined: dict[int, int], district: list[dict[str, Any]]) -> None:
    centres, seconds = b.centres, res["seconds"]
    ok_issues = [i for i in drove["issues"] if i[4] == 201]
    ok_calls = [c for c in drove["calls"] if c[4] == 200]
    res["issued"], res["called"] = len(ok_issues), len(ok_calls)
    res["empty_calls"] = sum(1 for c in drove["calls"] if c[4] == 204)
    res["errors"], res["retried"] = drove["errors"], drove["retried"]
    res["failed"] = sum(1 for i in drove["issues"] if i[4] != 201) + sum(1 for c in drove["calls"]
                                                                          if c[4] not in (200, 204))
    res["issue_lat"] = (pct([i[3] - i[2] for i in ok_issues], 50), pct([i[3] - i[2] for i in ok_issues], 99))
    res["call_lat"] = (pct([c[3] - c[2] for c in ok_calls], 50), pct([c[3] - c[2] for c in ok_calls], 99))
    res["step_lat"] = {k: pct(v, 99) for k, v in drove["steps"].items()}
    by: dict[str, list[float]] = {}
    for i in ok_issues:
        by.setdefault(f"{'district hall' if i[1] == 0 else 'other centres'}", []).append(i[3] - i[2])
        by.setdefault(f"process {i[5] + 1}", []).append(i[3] - i[2])
    res["issue_by"] = {k: (pct(v, 50), pct(v, 99), len(v)) for k, v in sorted(by.items())}
    res["rate"] = (len(ok_issues) / seconds, len(ok_calls) / seconds)
    res["drain"] = drove["took"] - seconds

    # call → the last lobby screen of that centre
    lat, missed = [], 0
    for tid, ci, t0, _t1, _ in ok_calls:
        r = scr["calls"].get(tid)
        if r is None or r[0] < centres[ci].screens:
            missed += 1
            continue
        lat.append(r[2] - t0)
    res["screen_lat"] = (pct(lat, 50), pct(lat, 99), max(lat, default=float("nan")))
    res["screen_missed"], res["screens_cut"] = missed, scr["cut"]
    res["screens_connected"] = scr["connected"]

    # issue → every tablet has the centre's row at or past the issue's event
    seen = tab["seen"]
    seqs = {k: {h: [x[0] for x in lst] for h, lst in by_hall.items()} for k, by_hall in seen.items()}
    tab_lat, tab_missed = [], 0
    for tid, ci, t0, *_ in ok_issues:
        s = b.log.issued_seq.get(tid)
        hall = centres[ci].id
        worst: float | None = None
        for k, by_hall in seen.items():
            lst = by_hall.get(hall, [])
            j = bisect.bisect_left(seqs[k].get(hall, []), s) if s is not None else len(lst)
            if j >= len(lst):
                worst = None
                break
            worst = lst[j][1] if worst is None else max(worst, lst[j][1])
        if worst is None or len(seen) < b.n_tablets:
            tab_missed += 1
        else:
            tab_lat.append(worst - t0)
    res["tablet_lat"] = (pct(tab_lat, 50), pct(tab_lat, 99), max(tab_lat, default=float("nan")))
    res["tablet_missed"], res["tablets_cut"] = tab_missed, tab["cut"]

    # the district view at the end: every tablet's last row and each process's JSON against the event log
    truth = {c.id: (b.log.after[c.id], b.log.issued[c.id]) for c in centres}

    def wrong_row(r: dict[str, Any] | None, h: int) -> bool:
        return r is None or (r["seq"], r["issued"]) != truth[h]
    res["district_rows_wrong"] = (sum(wrong_row(last.get(c.id), c.id) for last in tab["last"].values()
                                      for c in centres), len(tab["last"]) * len(centres))
    res["district_json_wrong"] = (sum(wrong_row({r["hall_id"]: r for r in d["rows"]}.get(c.id), c.id)
                                      for d in district for c in centres), len(district) * len(centres))

    # phones
    logs = {tid: (first, msgs) for ph in phones for tid, first, msgs in ph["logs"]}
    res["phone_fig"] = phone_figures(calls, logs, at_start, joined)
    res["phones"] = {k: sum(ph[k] for ph in phones) for k in ("cutoffs", "opened", "offered", "over_cap",
                                                              "messages", "open", "inconsistent")}
    res["phone_fig"]["other"]["wrong_messages"] += res["phones"]["inconsistent"]
    res["phones"]["close_codes"] = dict(sum((Counter(ph["close_codes"]) for ph in phones), Counter()))
    res["check"] = {k: sum(c[k] for c in checks) for k in ("following", "checked", "wrong", "still_wrong_5s",
                                                           "disconnected")}
    res["check"]["examples"] = [e for c in checks for e in c["examples"]][:5]
    res["check"]["seconds"] = max(c["seconds"] for c in checks)
    res["gen"] = {"screens": (scr["cpu"], scr["lag"]), "tablets": (tab["cpu"], tab["lag"]),
                  "driver": (drove["cpu"], drove["lag"])}
    for w, ph in enumerate(phones):
        res["gen"][f"phones {w + 1}"] = (ph["cpu"], ph["lag"])
    res["driver_late_p99"], res["driver_late_max"] = drove["late"], drove["late_max"]
    res["driver_unfinished"] = drove["unfinished"]
    res["screen_frames"] = scr["frames"]


def goals(r: dict[str, Any]) -> list[tuple[str, bool]]:
    f, ph, ck = r["phone_fig"], r["phones"], r["check"]
    if r["mult"] != 1.0:  # the burst: no loss
        lost = (r["screen_missed"] + f["called"]["never"] + f["called"]["wrong"] + f["other"]["never"]
                + f["other"]["wrong"] + f["other"]["wrong_messages"] + ck["still_wrong_5s"] + r["failed"]
                + r["log_check"]["wrong"]
                + r["driver_unfinished"])
        return [(f"at {r['mult']:g}× the rate, no loss (every call on every screen and phone, every place "
                 "update, phones right at the end, no request failed)", lost == 0)]
    others = f["other_over_2s"] + f["other"]["never"] + f["other"]["wrong"] + f["other"]["wrong_messages"]
    return [("call → last screen p99 ≤ 50 ms", r["screen_lat"][1] <= 0.050 and not r["screen_missed"]),
            ("call → called phone p99 ≤ 500 ms", (f["called_lat"][1] <= 0.5 or r["following"] == 0)
             and not f["called"]["never"] and not f["called"]["wrong"]),
            ("every other phone's position right within 2 s", others == 0),
            ("issuing p99 ≤ 50 ms", r["issue_lat"][1] <= 0.050),
            ("nobody cut off", r["screens_cut"] + ph["cutoffs"] + r["tablets_cut"] == 0),
            ("phones right at the end", ck["still_wrong_5s"] + r["log_check"]["wrong"] + ck["disconnected"] == 0),
            ("(issue 10) district view within 1 s", r["tablet_lat"][1] <= 1.0 and not r["tablet_missed"])]


def report_step(r: dict[str, Any]) -> None:
    f, ph, ck, lc = r["phone_fig"], r["phones"], r["check"], r["log_check"]
    k = r["sockets"] / 1000
    gen_cpu = sum(v[0] for v in r["gen"].values()) + r["orchestrator_cpu"]
    cpu = r["server_cpu"] / r["wall"]
    pg = r["pg_cpu"] / r["wall"]
    other_total = f["other_n"] + f["other"]["never"] + f["other"]["wrong"]
    short = f", {r['short_of_tickets']} short: no waiting ticket left" if r["short_of_tickets"] else ""
    lines = [
        f"  load average {r['load_start']} at the step's start, {r['load_run']} as the peak began, "
        f"{r['load_end']} at its end",
        f"  rate: {r['rate'][0]:.1f} issues/s, {r['rate'][1]:.1f} calls/s (target {r['target_rate']:.1f}/s each; "
        f"the last answers {r['drain']:.1f} s after the last request was due, {r['driver_unfinished']} requests "
        f"unanswered 60 s after; {r['empty_calls']} calls found nobody waiting); requests pressed again "
        f"{r['retried'] or 'none'}; errors {r['errors'] or 'none'}",
        f"  issue p50 {ms(r['issue_lat'][0])} p99 {ms(r['issue_lat'][1])} ms; call-next p50 {ms(r['call_lat'][0])} "
        f"p99 {ms(r['call_lat'][1])} ms; start p99 {ms(r['step_lat']['start'])}, finish p99 "
        f"{ms(r['step_lat']['finish'])} ms",
        "  issue p50 / p99 by where: " + ", ".join(f"{k} {ms(a)} / {ms(b)} ms ({n})"
                                                    for k, (a, b, n) in r["issue_by"].items()),
        f"  call → last screen: p50 {ms(r['screen_lat'][0])} p99 {ms(r['screen_lat'][1])} max "
        f"{ms(r['screen_lat'][2])} ms over {r['called'] - r['screen_missed']} calls; {r['screen_missed']} calls "
        f"missing on some screen; {r['screens_cut']} screens cut off ({r['screens_connected']}/{r['screens']} "
        "connected at the end)",
        f"  call → called phone: p50 {ms(f['called_lat'][0])} p99 {ms(f['called_lat'][1])} max "
        f"{ms(f['called_lat'][2])} ms over {f['called_n']} calls ({f['called']['not_called']} first told a later "
        f"status than \"called\"); never told {f['called']['never']}, told wrong {f['called']['wrong']}; "
        f"{f['called']['not_following']} phones joined after their call",
        f"  other phones' place: p50 {ms(f['other_lat'][0])} p99 {ms(f['other_lat'][1])} max "
        f"{ms(f['other_lat'][2])} ms over {f['other_n']} updates; later than 2 s {f['other_over_2s']} "
        f"({f['other_over_2s'] / max(1, other_total):.2%}), never came {f['other']['never']}, came wrong "
        f"{f['other']['wrong']}; {f['other']['wrong_messages']} messages with a place no call could give yet or "
        f"other than people ahead + 1 ({ph['inconsistent']} of the latter); "
        f"{f['calls_not_from_head']} calls not from the head of their line",
        f"  issue → all {r['tablets']} tablets: p50 {ms(r['tablet_lat'][0])} p99 {ms(r['tablet_lat'][1])} max "
        f"{ms(r['tablet_lat'][2])} ms; {r['tablet_missed']} issues never shown on some tablet; {r['tablets_cut']} "
        f"tablets cut off; district rows wrong at the end: tablets {r['district_rows_wrong'][0]}/"
        f"{r['district_rows_wrong'][1]}, JSON {r['district_json_wrong'][0]}/{r['district_json_wrong'][1]}",
        f"  phones: {r['following']} following as the peak began ({r['phones_added']} added in "
        f"{r['phones_connect_s']:.1f} s{short}), "
        f"{ph['open']} at its end; {ph['cutoffs']} cut off during the peak; {ph['messages']} status messages; "
        f"at the end {ck['checked']} of {ck['following']} checked against GET status in {ck['seconds']:.1f} s: "
        f"{ck['checked'] - ck['wrong']} right, {ck['wrong']} wrong ({ck['still_wrong_5s']} still wrong 5 s later), "
        f"{ck['disconnected']} disconnected" + (f"; e.g. {ck['examples'][:2]}" if ck["examples"] else "")
        + f"; against the event log: {lc['phones'] - lc['wrong']} of {lc['phones']} right, {lc['wrong']} wrong, "
        f"{lc['disconnected']} disconnected, {lc['never_connected']} never connected"
        + (f"; e.g. {lc['examples'][:2]}" if lc["examples"] else ""),
        f"  server: {r['server_cpu']:.1f} CPU s over {r['wall']:.1f} s ({cpu:.0%} of a core"
        + (f" + PostgreSQL {pg:.0%}" if r["backend"] != "sqlite" else "")
        + f"; {(cpu + pg) / k:.1%} per 1,000 sockets); RSS {r['rss_before']:.0f} MB before the step's phones, "
        f"{r['rss_after']:.0f} MB after ({fx(r['mb_per_1000_phones'])} MB per 1,000 phones added), peak "
        f"{r['rss_peak']:.0f} MB; {r['mb_per_1000_sockets']:.1f} MB per 1,000 sockets over the RSS with none "
        f"({r['sockets']} sockets); core 0 busy "
        f"{r['cores'].get(0, 0):.0%} (other work {max(0.0, r['cores'].get(0, 0) - cpu - pg):.0%}), core 1 busy "
        f"{r['cores'].get(1, 0):.0%} (other work {max(0.0, r['cores'].get(1, 0) - gen_cpu / r['wall']):.0%})",
    ]
    if "idle" in r:
        i = r["idle"]
        lines.append(f"  idle: no sockets {i['without']['cpu']:.1%} of a core, RSS {i['without']['rss']:.0f} MB; "
                     f"{i['sockets']} sockets {i['with']['cpu']:.1%}, {i['with']['rss']:.0f} MB → per 1,000 idle "
                     f"sockets {i['cpu_per_1000']:.2%} of a core"
                     + (f" (+ PostgreSQL {i['pg_per_1000']:.2%})" if r["backend"] != "sqlite" else "")
                     + f", {i['mb_per_1000']:.1f} MB")
    lines += [
        "  load generators (core 1): CPU " + ", ".join(
            f"{n} {c:.1f} s (lag p99 {ms(lg['p99'])} ms)" for n, (c, lg) in r["gen"].items())
        + f", orchestrator {r['orchestrator_cpu']:.1f} s: {gen_cpu / r['wall']:.0%} of core 1; driver late p99 "
        f"{ms(r['driver_late_p99'])} ms",
        f"  the servers counted {r['subscribers_cut_metric']:.0f} live subscribers cut off; server log: "
        f"{r['log'] or 'clean'}; servers alive: {r['alive']}; settled in {r['settle_s']:.0f} s, event log read in "
        f"{r['events_s']:.1f} s; step took {r['step_s']:.0f} s",
        "  goals: " + "; ".join(f"{g}: {'met' if ok else 'NOT met'}" for g, ok in goals(r)),
    ]
    print("\n".join(lines), flush=True)


def table(rows: list[dict[str, Any]]) -> str:
    head = ("| step | load avg start → end | phones | issue p99 | call-next p99 | call → last screen p50 / p99 | "
            "call → called phone p50 / p99 | other phones p50 / p99 (> 2 s, never, wrong) | issue → tablets p99 | "
            "phones right at the end: GET sample, event log | cut off: screens / phones / tablets | server CPU | "
            "per 1,000 sockets: CPU, RSS | MB per 1,000 phones added |")
    out = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        f, ck = r["phone_fig"], r["check"]
        k = r["sockets"] / 1000
        cpu, pg = r["server_cpu"] / r["wall"], r["pg_cpu"] / r["wall"]
        out.append(
            f"| {r['label']} | {r['load_start'].split()[0]} → {r['load_end'].split()[0]} | {r['following']} "
            f"| {ms(r['issue_lat'][1])} ms | {ms(r['call_lat'][1])} ms "
            f"| {ms(r['screen_lat'][0])} / {ms(r['screen_lat'][1])} ms"
            f"{' (' + str(r['screen_missed']) + ' missed)' if r['screen_missed'] else ''} "
            f"| {ms(f['called_lat'][0])} / {ms(f['called_lat'][1])} ms"
            f"{' (' + str(f['called']['never']) + ' never)' if f['called']['never'] else ''} "
            f"| {ms(f['other_lat'][0])} / {ms(f['other_lat'][1])} ms ({f['other_over_2s']}, {f['other']['never']}, "
            f"{f['other']['wrong'] + f['other']['wrong_messages']}) "
            f"| {ms(r['tablet_lat'][1])} ms | {ck['checked'] - ck['wrong']} / {ck['checked']}, "
            f"{r['log_check']['phones'] - r['log_check']['wrong']} / {r['log_check']['phones']} "
            f"| {r['screens_cut']} / {r['phones']['cutoffs']} / {r['tablets_cut']} "
            f"| {cpu:.0%}" + (f" + PG {pg:.0%}" if r["backend"] != "sqlite" else "")
            + f" | {(cpu + pg) / k:.1%}, {r['mb_per_1000_sockets']:.1f} MB | {fx(r['mb_per_1000_phones'])} |")
    return "\n".join(out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", default="2000,5000,10000,20000", help="phones following waiting tickets, step by step")
    p.add_argument("--step-seconds", type=float, default=75.0, help="each step's peak at the real rate")
    p.add_argument("--burst", type=float, default=5.0, help="the last peak at this many times the rate, with the "
                                                            "largest step's phones (0: none)")
    p.add_argument("--burst-seconds", type=float, default=60.0)
    p.add_argument("--rate", type=float, default=60000.0, help="tickets issued (and called) per hour")
    p.add_argument("--screens", type=int, default=3000)
    p.add_argument("--tablets", type=int, default=10)
    p.add_argument("--phone-workers", type=int, default=2, help="load generator processes for the phones (more "
                                                                "when one would pass its open-file limit)")
    p.add_argument("--backlog", type=int, default=0, help="waiting tickets at the start (0: max(1.2 × the largest "
                                                          "step, 10 per window))")
    p.add_argument("--backlog-via", choices=("sqlite", "api"), default="sqlite",
                   help="on PostgreSQL, build the district and its backlog on SQLite and copy it over with hallops "
                        "migrate-to-postgres (quick), or issue it through the PostgreSQL servers")
    p.add_argument("--backends", default="postgres", help="postgres, sqlite, or both")
    p.add_argument("--processes", type=int, default=3, help="server processes on PostgreSQL")
    p.add_argument("--idle-seconds", type=float, default=15.0, help="each idle measurement (≤ 55; 0: none)")
    p.add_argument("--check-sample", type=int, default=1000, help="phones checked against GET status after each "
                                                                  "step (every phone against the event log)")
    p.add_argument("--final-check", type=int, default=2000, help="phones checked against GET status after the last "
                                                                 "peak (0: every phone)")
    p.add_argument("--seed", type=int, default=10)
    p.add_argument("--pg", help="a PostgreSQL URL to create the database on (default: a throwaway cluster)")
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
    steps = [int(s) for s in args.steps.split(",") if s]
    limit = fd_limit()
    room = limit - 1000  # sockets one process may hold beside its files, database connections and listeners
    args.phone_workers = max(args.phone_workers, math.ceil(max(steps) / room))
    print(f"load average {loadavg()}; servers on core 0, load generators on core 1; steps of {args.steps} phones, "
          f"{args.step_seconds:.0f} s each at {args.rate:.0f} tickets/h"
          + (f", then {args.burst_seconds:.0f} s at {args.burst:g}×"
             if args.burst > 0 and args.burst_seconds > 0 else "")
          + f"; {args.screens} screens, {args.tablets} tablets; phones over {args.phone_workers} "
          f"processes; open-file limit {limit}; seed {args.seed}", flush=True)
    results: list[dict[str, Any]] = []
    tmp = Path(tempfile.mkdtemp(prefix="hallops-district-"))
    try:
        with contextlib.ExitStack() as stack:
            pg_url, pg_dir = None, None
            for backend in [b for b in args.backends.split(",") if b]:
                nproc = 1 if backend == "sqlite" else args.processes
                fits = [s for s in steps if (s + args.screens + args.tablets) / nproc <= room]
                if len(fits) < len(steps):
                    print(f"{backend} ×{nproc}: steps above {max(fits, default=0)} phones left out: one process holds "
                          f"at most {room} sockets (open-file limit {limit})", flush=True)
                if not fits:
                    continue
                plan = [(f"{s} phones", s, 1.0, args.step_seconds) for s in fits]
                if args.burst > 0 and args.burst_seconds > 0:
                    plan.append((f"{fits[-1]} phones at {args.burst:g}×", fits[-1], args.burst, args.burst_seconds))
                if backend == "postgres" and pg_url is None:
                    pg_url, pg_dir = stack.enter_context(pg_cluster(args.pg))
                out: dict[str, Any] = {}
                results.append(out)
                run_backend(backend, args, tmp, pg_url, pg_dir, plan, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    rows = [r for out in results for r in out["steps"]]
    print("\n" + table(rows))
    for out in results:
        s = out["setup"]
        print(f"{out['label']}: set-up {s['setup_s']:.0f} s (build {s['build_s']:.0f} s, backlog of {s['backlog']} "
              f"in {s['backlog_s']:.0f} s, screens {s['screens_connect_s']:.0f} s), whole backend "
              f"{out['backend_s']:.0f} s")
    for r in rows:
        print(f"{r['label']}: " + "; ".join(f"{g}: {'met' if ok else 'NOT met'}" for g, ok in goals(r)))
    print(f"whole benchmark: {time.monotonic() - t0:.0f} s; load average {loadavg()} at the end")
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "backends": results}, indent=1, default=str,
                                              ensure_ascii=False))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("\ninterrupted: servers, load generators and the cluster stopped, temporary files removed; no "
              "figures written", file=sys.stderr)
        sys.exit(130)
