"""PostgreSQL with 1, 2 and 3 server processes against SQLite with one, and against a baseline commit, in one run.

    python bench/bench_postgres.py [--seconds 6] [--clients 32] [--screens 1000] [--calls 60]
                                   [--baseline REV] [--pg URL]

Servers (hallops processes and the PostgreSQL cluster) are pinned to core 0 (taskset), this load generator
to core 1. Each case starts on a fresh database loaded with the demo hall:
- issuing: `--clients` concurrent kiosks spread over the processes for `--seconds`: tickets/s, p50, p99;
- calling: 20 windows spread over the processes, each looping call-next then no-show: calls/s, p50, p99;
- SQLite at `--baseline` (default: the commit before the application layer), run from a git worktree, in the
  same run: the cost of the application layer on SQLite.
Then the broadcast: PostgreSQL with 3 processes and `--screens` lobby screens connected to EACH process; a
call made through process 1 must reach every screen of all three; time from sending the call-next request to
the last screen's receipt, p50/p99/max over `--calls` calls.
Without --pg, a throwaway cluster is started with tools/pg.sh (needs Debian's postgresql) and stopped after.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))  # benchkit
from benchkit import fresh_pg  # noqa: E402

DEFAULT_BASELINE = "d88661d"  # the last commit before storage moved behind ports and use cases


def _load(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


core = _load("bench_core")
bcast = _load("bench_broadcast")


def pct(xs: list[float], p: float) -> float:
    return core.pct(xs, p) if xs else float("nan")


@contextlib.contextmanager
def pg_cluster(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    d = Path(tempfile.mkdtemp(prefix="hallops-bench-pg-"))
    out = subprocess.run([*bcast.taskset(0), "bash", str(ROOT / "tools" / "pg.sh"), "start", str(d)], check=True,
                         capture_output=True, text=True).stdout.strip()
    try:
        yield out
    finally:
        subprocess.run(["bash", str(ROOT / "tools" / "pg.sh"), "stop", str(d)], check=False)
        shutil.rmtree(d, ignore_errors=True)


def init_demo(db: str, tmp: Path, src: Path = ROOT) -> dict[str, str]:
    env = os.environ | {"HALLOPS_LOG_LEVEL": "WARNING", "PYTHONPATH": str(src)}
    out = subprocess.run([sys.executable, "-m", "hallops", "init", "--demo", "--db", db], cwd=tmp, check=True,
                         capture_output=True, text=True, env=env).stdout
    return {ln.split()[0]: ln.split()[1] for ln in out.splitlines() if ln.strip().startswith("demo-")}


def start_servers(db: str, n: int, tmp: Path, src: Path = ROOT) -> tuple[list[subprocess.Popen[bytes]], list[str]]:
    procs, urls = [], []
    env = os.environ | {"HALLOPS_LOG_LEVEL": "WARNING", "HALLOPS_VOICE_CACHE": str(tmp / "voice"),
                        "PYTHONPATH": str(src)}
    for _ in range(n):
        port = core.free_port()
        procs.append(subprocess.Popen([*bcast.taskset(0), sys.executable, "-m", "hallops", "serve", "--db", db,
                                       "--port", str(port)], cwd=tmp, env=env, stdout=subprocess.DEVNULL,
                                      stderr=(tmp / f"server-{port}.log").open("ab")))  # warnings kept to read
        urls.append(f"http://127.0.0.1:{port}")
    for u in urls:
        bcast.wait_port(int(u.rsplit(":", 1)[1]))
    return procs, urls


def quiet_day(url: str, mgr: str) -> None:
    """The demo opens nine windows so it can be tried at once; a run starts from a closed, empty day."""
    async def run() -> None:
        async with aiohttp.ClientSession() as s, s.post(
                f"{url}/api/v1/halls/liangjiang/close-day", json={"through_today": True},
                headers={"Authorization": f"Bearer {mgr}"}) as r:
            assert r.status == 200, await r.text()
    asyncio.run(run())


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        p.wait(30)


async def issue_load(urls: list[str], kiosk: str, clients: int, seconds: float) -> tuple[float, float, float]:
    lat: list[float] = []
    deadline = time.perf_counter() + seconds
    conn = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=conn, headers={"Authorization": f"Bearer {kiosk}"}) as s:
        async def worker(i: int) -> None:
            url = urls[i % len(urls)] + "/api/v1/tickets"
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                async with s.post(url, json={"queue": "A"}) as r:
                    await r.read()
                    assert r.status == 201, r.status
                lat.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(clients)))
        took = time.perf_counter() - t0
    return len(lat) / took, pct(lat, 50), pct(lat, 99)


async def call_load(urls: list[str], mgr: str, seconds: float) -> tuple[float, float, float]:
    h = {"Authorization": f"Bearer {mgr}"}
    windows = list(range(1, 21))
    async with aiohttp.ClientSession(headers=h) as s:
        for i, w in enumerate(windows):
            async with s.post(f"{urls[i % len(urls)]}/api/v1/windows/{w}/open") as r:
                await r.read()
        lat: list[float] = []
        deadline = time.perf_counter() + seconds

        async def clerk(i: int, w: int) -> None:
            url = urls[i % len(urls)]
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                async with s.post(f"{url}/api/v1/windows/{w}/call-next") as r:
                    body = await r.json() if r.status == 200 else None
                lat.append(time.perf_counter() - t0)
                if body is None:
                    return
                async with s.post(f"{url}/api/v1/tickets/{body['ticket']['id']}/no-show") as r:
                    await r.read()
        t0 = time.perf_counter()
        await asyncio.gather(*(clerk(i, w) for i, w in enumerate(windows)))
        took = time.perf_counter() - t0
    return len(lat) / took, pct(lat, 50), pct(lat, 99)


def case(label: str, db: str, n: int, tmp: Path, args: argparse.Namespace, src: Path = ROOT) -> list[Any]:
    tokens = init_demo(db, tmp, src)
    procs, urls = start_servers(db, n, tmp, src)
    try:
        quiet_day(urls[0], tokens["demo-manager"])
        asyncio.run(issue_load(urls, tokens["demo-kiosk"], args.clients, 1.0))  # warm up
        issued = asyncio.run(issue_load(urls, tokens["demo-kiosk"], args.clients, args.seconds))
        calls = asyncio.run(call_load(urls, tokens["demo-manager"], args.seconds))
    finally:
        stop(procs)
    row = [label, *issued, *calls]
    print(f"{label:28} | {issued[0]:>9.0f} {issued[1]:>7.1f} {issued[2]:>7.1f} | "
          f"{calls[0]:>8.0f} {calls[1]:>7.1f} {calls[2]:>7.1f}", flush=True)
    return row


async def broadcast(urls: list[str], tokens: dict[str, str], screens: int, calls: int) -> list[float]:
    loop = asyncio.get_running_loop()
    rec = bcast.Recorder()
    clients: list[Any] = []
    t_connect = time.monotonic()
    for u in urls:
        host = u.removeprefix("http://")
        h, port = host.rsplit(":", 1)
        path = f"/api/v1/halls/liangjiang/live?token={tokens['demo-display']}"
        for start in range(0, screens, 200):
            futs = []
            for _ in range(min(200, screens - start)):
                f: asyncio.Future[None] = loop.create_future()
                _, client = await loop.create_connection(lambda f=f, p=path, o=host: bcast.WsClient(p, o, rec, f), h,
                                                         int(port))
                futs.append(f)
                clients.append(client)
            await asyncio.gather(*futs)
    # A screen follows live events once its snapshot is in: calls made before that would time those still
    # catching up, not the broadcast (on PostgreSQL 3,000 snapshots take a while).
    await asyncio.wait_for(asyncio.gather(*(c.ready for c in clients)), 300)
    print(f"  {len(clients)} screens connected and caught up in {time.monotonic() - t_connect:.1f} s")
    total = screens * len(urls)
    h = {"Authorization": f"Bearer {tokens['demo-manager']}"}
    kiosk = {"Authorization": f"Bearer {tokens['demo-kiosk']}"}
    sent: list[float] = []
    async with aiohttp.ClientSession() as s:
        base = urls[0]
        async with s.post(f"{base}/api/v1/windows/1/open", headers=h) as r:
            assert r.status == 200, await r.text()
        current = None
        for i in range(calls + 5):
            if current is not None:
                for action in ("start", "finish"):
                    async with s.post(f"{base}/api/v1/tickets/{current}/{action}", headers=h) as r:
                        assert r.status == 200, await r.text()
            async with s.post(f"{base}/api/v1/tickets", json={"queue": "A"}, headers=kiosk) as r:
                assert r.status == 201, await r.text()
            await asyncio.sleep(0.05)  # let every screen take the issue/finish events first
            rec.count, rec.target, rec.done = 0, total, loop.create_future()
            t_sent = time.monotonic()
            async with s.post(f"{base}/api/v1/windows/1/call-next", headers=h) as r:
                assert r.status == 200, await r.text()
                current = (await r.json())["ticket"]["id"]
            await asyncio.wait_for(rec.done, 20)
            if i >= 5:
                sent.append(rec.last - t_sent)  # seconds, as pct() takes them
    return sent


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=6.0)
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--screens", type=int, default=1000, help="lobby screens on EACH of the 3 processes")
    p.add_argument("--calls", type=int, default=60)
    p.add_argument("--baseline", default=DEFAULT_BASELINE, help="git revision to compare SQLite against ('' = none)")
    p.add_argument("--pg", help="a PostgreSQL URL to create databases on (default: a throwaway cluster)")
    args = p.parse_args()
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {1})
    tmp = Path(tempfile.mkdtemp(prefix="hallops-bench-"))
    base_src: Path | None = None
    try:
        if args.baseline:
            base_src = tmp / "baseline"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base_src), args.baseline],
                           check=True, capture_output=True)
        print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}; "
              f"servers on core 0, load on core 1; {args.seconds:.0f} s per run, {args.clients} issuing clients\n")
        print(f"{'case':28} | {'issued/s':>9} {'p50 ms':>7} {'p99 ms':>7} | {'calls/s':>8} {'p50 ms':>7} "
              f"{'p99 ms':>7}")
        with pg_cluster(args.pg) as url:
            rows = []
            if base_src is not None:
                rows.append(case(f"SQLite ×1 @{args.baseline}", str(tmp / "base.db"), 1, tmp, args, base_src))
            rows.append(case("SQLite ×1 (this tree)", str(tmp / "now.db"), 1, tmp, args))
            for n in (1, 2, 3):
                rows.append(case(f"PostgreSQL ×{n}", fresh_pg(url, f"bench_{n}"), n, tmp, args))
            if base_src is not None:
                b, c = rows[0], rows[1]
                print(f"\napplication layer on SQLite: issuing {c[1] / b[1]:.0%} of the baseline's rate "
                      f"(p99 {c[3]:.1f} vs {b[3]:.1f} ms), calling {c[4] / b[4]:.0%} (p99 {c[6]:.1f} vs {b[6]:.1f} ms)")
            db = fresh_pg(url, "bench_bcast")
            tokens = init_demo(db, tmp)
            procs, urls = start_servers(db, 3, tmp)
            try:
                quiet_day(urls[0], tokens["demo-manager"])
                sent = asyncio.run(broadcast(urls, tokens, args.screens, args.calls))
            finally:
                stop(procs)
            print(f"\nbroadcast: {args.screens} screens on each of 3 processes, call through process 1: request sent "
                  f"→ last of {3 * args.screens} screens: p50 {pct(sent, 50):.1f} ms, p99 {pct(sent, 99):.1f} ms, "
                  f"max {max(sent) * 1000:.1f} ms over {len(sent)} calls")
    finally:
        if base_src is not None:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base_src)], check=False,
                           capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
