"""Broadcast of a call to many live screens: hallops against the bare-aiohttp floor, in one run.

    python bench/bench_broadcast.py [--subs 1000,3000] [--calls 60]

The server runs on core 0 (taskset), the load generator on core 1: one process holding every subscriber
(minimal websocket clients on loopback: they answer pings and note when the frame with `ticket.called`
arrives) and making the calls. For each call: time from the moment the call-next HTTP request returns to
the moment the last subscriber has the event; p50/p99/max over the calls. Also: server memory per connected
subscriber (RSS growth / N), and the same at 1,000 with one stalled subscriber (never reads) among them.

The stalled case is compared with its unstalled twin --repeat times (default 3), interleaved (plain, stalled,
plain, stalled …) so a neighbour's burst on the box falls on both alike; the verdict is the median of the
runs' ratios of send→last p99 (stalled / plain), printed with the load average around each run.
`--stall-only` runs only that comparison.

The floor: a bare aiohttp server (this file, --role bare) whose POST /fire writes one pre-encoded frame
to each socket's transport and returns; measured by the same load generator.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchkit, beside this file, also when imported by path
from benchkit import frame_at, free_port, masked, upgrade_request, wait_port

ROOT = Path(__file__).resolve().parents[1]
CALLED = b"ticket.called"


# -- the load generator ---------------------------------------------------------------------------------------

class Recorder:
    def __init__(self) -> None:
        self.count = 0
        self.last = 0.0
        self.first = 0.0
        self.done: asyncio.Future[None] | None = None
        self.target = 0

    def hit(self) -> None:
        self.count += 1
        self.last = time.monotonic()
        if self.count == 1:
            self.first = self.last
        if self.count == self.target and self.done is not None and not self.done.done():
            self.done.set_result(None)


class WsClient(asyncio.Protocol):
    """A websocket client of the least possible cost: handshake, then frames scanned for the call."""

    def __init__(self, path: str, host: str, rec: Recorder, opened: asyncio.Future[None]) -> None:
        self.path, self.host, self.rec, self.opened = path, host, rec, opened
        self.buf = b""
        self.upgraded = False
        self.transport: asyncio.Transport | None = None
        # Set when the hall's snapshot has arrived: the screen is caught up and follows live events from here.
        self.ready: asyncio.Future[None] = opened.get_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(upgrade_request(self.path, self.host))

    def data_received(self, data: bytes) -> None:
        if not self.upgraded:
            self.buf += data
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            if not self.buf.startswith(b"HTTP/1.1 101"):
                self.opened.set_exception(RuntimeError(self.buf[:200].decode(errors="replace")))
                return
            self.upgraded = True
            data, self.buf = self.buf[end + 4:], b""
            if not self.opened.done():
                self.opened.set_result(None)
        self.buf += data
        self._frames()

    def _frames(self) -> None:
        buf = self.buf
        while (f := frame_at(buf)) is not None:
            op, i, end = f
            if op in (0x1, 0x0) and CALLED in buf[i:end]:  # whole frames: a chunk may split the marker
                self.rec.hit()
            if not self.ready.done() and op == 0x1 and buf[i:i + 20].startswith(b'{"type":"snapshot"'):
                self.ready.set_result(None)
            if op == 0x9 and self.transport is not None:  # ping: answer with a masked pong
                self.transport.write(masked(0xA, buf[i:end]))
            buf = buf[end:]
        self.buf = buf


def _stall(host: str, port: int, path: str) -> socket.socket:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect((host, port))
    s.sendall(upgrade_request(path, host))
    return s


async def load(args: argparse.Namespace) -> None:
    import aiohttp

    host, port = "127.0.0.1", args.port
    rec = Recorder()
    loop = asyncio.get_running_loop()
    http = aiohttp.ClientSession(headers={"Authorization": f"Bearer {args.manager}"} if args.manager else {})
    base = f"http://{host}:{port}"
    if args.mode == "hallops":
        async with http.get(f"{base}/api/v1/halls/liangjiang/state") as r:
            seq = (await r.json())["seq"]
        path = f"/api/v1/halls/liangjiang/live?after={seq}&token={args.display}"
    else:
        path = "/ws"
    clients = []
    for start in range(0, args.subs, 200):  # connect in waves: the accept queue is finite
        futs = []
        for _ in range(min(200, args.subs - start)):
            f: asyncio.Future[None] = loop.create_future()
            await loop.create_connection(lambda f=f: WsClient(path, f"{host}:{port}", rec, f), host, port)
            futs.append(f)
        await asyncio.gather(*futs)
        clients.extend(futs)
    stalled = _stall(host, port, path) if args.stalled else None
    print(json.dumps({"connected": len(clients)}), flush=True)
    sys.stdin.readline()  # the parent has read the server's memory

    wid = None
    if args.mode == "hallops":
        async with http.get(f"{base}/api/v1/halls/liangjiang") as r:
            wid = next(w["id"] for w in (await r.json())["windows"] if w["number"] == 1)
        # The demo opens nine windows so it can be tried at once: start from a closed, empty day.
        async with http.post(f"{base}/api/v1/halls/liangjiang/close-day", json={"through_today": True}) as r:
            assert r.status == 200, await r.text()
        async with http.post(f"{base}/api/v1/windows/{wid}/open", json={}) as r:
            assert r.status == 200, await r.text()
    lat, sent_lat, spread = [], [], []
    current = None
    for i in range(args.calls + 5):
        if args.mode == "hallops":
            if current is not None:
                for action in ("start", "finish"):
                    async with http.post(f"{base}/api/v1/tickets/{current}/{action}", json={}) as r:
                        assert r.status == 200, await r.text()
            async with http.post(f"{base}/api/v1/tickets", json={"queue": "A"}) as r:
                assert r.status == 201, await r.text()
        await asyncio.sleep(0.02)  # let the screens take the issue/finish events first
        rec.count, rec.target, rec.done = 0, args.subs, loop.create_future()
        t_sent = time.monotonic()
        if args.mode == "hallops":
            async with http.post(f"{base}/api/v1/windows/{wid}/call-next", json={}) as r:
                assert r.status == 200, await r.text()
                current = (await r.json())["ticket"]["id"]
        else:
            async with http.post(f"{base}/fire") as r:
                assert r.status == 200
        t_ret = time.monotonic()
        await asyncio.wait_for(rec.done, 10)
        if i >= 5:  # warm-up calls are not counted
            lat.append(max(0.0, rec.last - t_ret) * 1000)
            sent_lat.append((rec.last - t_sent) * 1000)
            spread.append((rec.last - rec.first) * 1000)
    await http.close()
    if stalled is not None:
        stalled.close()
    print(json.dumps({"lat": lat, "sent": sent_lat, "spread": spread}), flush=True)


# -- the floor: bare aiohttp ----------------------------------------------------------------------------------

def bare(args: argparse.Namespace) -> None:
    from aiohttp import web

    sockets: set[web.WebSocketResponse] = set()
    frame_payload = json.dumps({"seq": 1, "type": "ticket.called", "at": "2026-11-30T01:00:00.000Z", "payload": {
        "ticket": {"id": 1, "number": "A001", "queue": "A", "status": "called", "window": 1, "window_id": 1},
        "window": {"id": 1, "number": 1, "name": "综合窗口", "area": "综合受理区"}, "reason": "call"}},
        ensure_ascii=False).encode()
    n = len(frame_payload)
    header = bytes([0x81, n]) if n < 126 else bytes([0x81, 126]) + n.to_bytes(2, "big")
    frame = header + frame_payload

    async def ws_handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=False, heartbeat=10)
        await ws.prepare(request)
        sockets.add(ws)
        try:
            async for _ in ws:
                pass
        finally:
            sockets.discard(ws)
        return ws

    async def fire(request: web.Request) -> web.Response:
        for ws in sockets:
            t = ws._req.transport if ws._req is not None else None
            if t is not None:
                t.write(frame)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/ws", ws_handler)
    app.router.add_post("/fire", fire)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)


# -- the orchestrator -----------------------------------------------------------------------------------------

def taskset(core: int) -> list[str]:
    return ["taskset", "-c", str(core)] if shutil.which("taskset") and (os.cpu_count() or 1) > 1 else []


def cpu_seconds(pid: int) -> float:
    """The process's user and system CPU time so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def run_case(mode: str, subs: int, calls: int, stalled: bool, tokens: dict[str, str], db: Path) -> dict[str, Any]:
    port = free_port()
    if mode == "hallops":
        cmd = [sys.executable, "-m", "hallops", "serve", "--db", str(db), "--port", str(port)]
    else:
        cmd = [sys.executable, __file__, "--role", "bare", "--port", str(port)]
    server = subprocess.Popen([*taskset(0), *cmd], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env=os.environ | {"HALLOPS_VOICE_CACHE": str(db.parent / "voice")})
    try:
        wait_port(port)
        time.sleep(0.3)
        before = rss_kb(server.pid)
        gen = subprocess.Popen([*taskset(1), sys.executable, __file__, "--role", "load", "--mode", mode,
                                "--port", str(port), "--subs", str(subs), "--calls", str(calls),
                                "--display", tokens.get("display", ""), "--manager", tokens.get("manager", ""),
                                *(["--stalled"] if stalled else [])],
                               cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert gen.stdout is not None and gen.stdin is not None
        json.loads(gen.stdout.readline())
        time.sleep(0.5)
        after = rss_kb(server.pid)
        cpu0, t0 = cpu_seconds(server.pid), time.monotonic()
        gen.stdin.write("\n")
        gen.stdin.flush()
        result = json.loads(gen.stdout.readline())
        cpu, wall = cpu_seconds(server.pid) - cpu0, time.monotonic() - t0
        gen.wait(30)
    finally:
        server.terminate()
        server.wait(30)
    lat, sent, spread = sorted(result["lat"]), sorted(result["sent"]), sorted(result["spread"])
    p99 = min(len(lat) - 1, int(len(lat) * 0.99))
    return {"mode": mode, "subs": subs, "stalled": stalled, "calls": len(lat),
            "p50": statistics.median(lat), "p99": lat[p99], "max": lat[-1],
            "p50_from_send": statistics.median(sent), "p99_from_send": sent[p99],
            "spread_p50": statistics.median(spread), "spread_p99": spread[p99],
            "kb_per_sub": (after - before) / subs, "rss_mb": after / 1024,
            "cpu_ms_per_call": cpu * 1000 / (calls + 5), "cpu_share": cpu / wall}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--role", choices=("main", "load", "bare"), default="main")
    p.add_argument("--mode", choices=("hallops", "bare"), default="hallops")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--subs", default="1000,3000")
    p.add_argument("--calls", type=int, default=60)
    p.add_argument("--display", default="")
    p.add_argument("--manager", default="")
    p.add_argument("--stalled", action="store_true")
    p.add_argument("--repeat", type=int, default=3, help="interleaved plain/stalled pairs at the first size")
    p.add_argument("--stall-only", action="store_true", help="only the stalled comparison")
    args = p.parse_args()
    if args.role == "bare":
        return bare(args)
    if args.role == "load":
        args.subs = int(args.subs)
        return asyncio.run(load(args))

    sizes = [int(s) for s in args.subs.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="hallops-bench-") as tmp:
        def one(mode: str, n: int, stalled: bool, run: int = 0) -> dict[str, Any]:
            db = Path(tmp) / f"{mode}-{n}-{int(stalled)}-{run}.db"
            tokens = make_db(db) if mode == "hallops" else {}
            load0 = os.getloadavg()[0]
            r = run_case(mode, n, args.calls, stalled, tokens, db)
            r["load"] = (load0, os.getloadavg()[0])
            rows.append(r)
            print(f"{r['mode']:8} subs={r['subs']:5} stalled={'yes' if stalled else 'no ':3} "
                  f"calls={r['calls']}  return→last receipt p50 {r['p50']:6.1f} ms  p99 {r['p99']:6.1f} ms"
                  f"  | first→last p50 {r['spread_p50']:6.1f} p99 {r['spread_p99']:6.1f} ms"
                  f" | send→last p50 {r['p50_from_send']:6.1f} p99 {r['p99_from_send']:6.1f} ms"
                  f"  server RSS {r['rss_mb']:6.1f} MB, {r['kb_per_sub']:5.1f} KB/subscriber"
                  f"  server CPU {r['cpu_ms_per_call']:5.1f} ms/call ({r['cpu_share'] * 100:.0f}% of a core)"
                  f"  load {r['load'][0]:.2f}→{r['load'][1]:.2f}", flush=True)
            return r

        if not args.stall_only:
            for mode in ("bare", "hallops"):
                for n in sizes:
                    one(mode, n, False)
        pairs = []
        for run in range(args.repeat):  # interleaved: plain, stalled, plain, stalled …
            pairs.append((one("hallops", sizes[0], False, run + 1), one("hallops", sizes[0], True, run + 1)))
    by = {(r["mode"], r["subs"], r["stalled"]): r for r in rows}
    for n in sizes:
        h, b = by.get(("hallops", n, False)), by.get(("bare", n, False))
        if h and b and not args.stall_only:
            print(f"at {n}: p99 return→last hallops {h['p99']:.1f} ms (floor {b['p99']:.1f}); send→last hallops "
                  f"{h['p99_from_send']:.1f} ms vs bare floor {b['p99_from_send']:.1f} ms; first→last hallops "
                  f"{h['spread_p99']:.1f} ms vs floor {b['spread_p99']:.1f} ms")
    if pairs:
        ratios = [s["p99_from_send"] / max(p["p99_from_send"], 0.001) for p, s in pairs]
        cpu = [s["cpu_ms_per_call"] / max(p["cpu_ms_per_call"], 0.001) for p, s in pairs]
        spread = [s["spread_p99"] / max(p["spread_p99"], 0.001) for p, s in pairs]
        print(f"one stalled subscriber among {sizes[0]}, {len(pairs)} interleaved pairs: send→last p99 "
              + ", ".join(f"{p['p99_from_send']:.1f} → {s['p99_from_send']:.1f}" for p, s in pairs)
              + f" ms; median ratio {(statistics.median(ratios) - 1) * 100:+.1f}% "
              f"(first→last p99 median ratio {(statistics.median(spread) - 1) * 100:+.1f}%, server CPU per call "
              f"{(statistics.median(cpu) - 1) * 100:+.1f}%); load average "
              + ", ".join(f"{r['load'][0]:.2f}" for pair in pairs for r in pair))


def make_db(db: Path) -> dict[str, str]:
    """A demo hall, and a display and a manager token for it."""
    hc = [sys.executable, "-m", "hallops"]
    subprocess.run([*hc, "init", "--demo", "--db", str(db)], cwd=ROOT, check=True, capture_output=True)
    tokens = {}
    for role in ("display", "manager"):
        out = subprocess.run([*hc, "token", "create", "--role", role, "--hall", "liangjiang",
                              "--label", f"bench-{role}", "--db", str(db)], cwd=ROOT,
                             check=True, capture_output=True, text=True).stdout
        tokens[role] = out.split()[-1]
    return tokens


if __name__ == "__main__":
    main()
