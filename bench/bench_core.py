"""Issuing and calling through the HTTP API, against the bare-aiohttp-plus-one-insert floor, in one run.

    python bench/bench_core.py [--seconds 8] [--clients 4,64]

The server runs on core 0 (taskset), this load generator on core 1; both servers use a fresh database
with WAL and the same synchronous setting (FULL by default). Prints issued/s, p50 and p99 for hallops and
for the bare server at each concurrency, the ratio, and then the rate of calls (call-next + no-show).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pinned(cmd: list[str], core: int) -> list[str]:
    return (["taskset", "-c", str(core)] if shutil.which("taskset") else []) + cmd


async def wait_up(url: str) -> None:
    async with aiohttp.ClientSession() as s:
        for _ in range(300):
            try:
                async with s.post(url + "/api/v1/tickets", json={}) as r:
                    await r.read()
                    return
            except aiohttp.ClientError:
                await asyncio.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")


async def load(url: str, path: str, headers: dict[str, str], body: dict, clients: int, seconds: float
               ) -> tuple[int, list[float], int]:
    lat: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    conn = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=conn, headers=headers) as s:
        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                async with s.post(url + path, json=body) as r:
                    await r.read()
                    if r.status >= 300:
                        errors += 1
                lat.append(time.perf_counter() - t0)
        await asyncio.gather(*(worker() for _ in range(clients)))
    return len(lat), lat, errors


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))] * 1000


async def call_rate(url: str, mgr: str, kiosk: str, windows: list[int], seconds: float) -> tuple[float, float, float]:
    """Every window loops call-next then no-show while tickets are plentiful."""
    h = {"Authorization": f"Bearer {mgr}"}
    async with aiohttp.ClientSession(headers=h) as s:
        for w in windows:
            async with s.post(f"{url}/api/v1/windows/{w}/open") as r:
                await r.read()
        lat: list[float] = []
        deadline = time.perf_counter() + seconds

        async def clerk(w: int) -> None:
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
        await asyncio.gather(*(clerk(w) for w in windows))
        took = time.perf_counter() - t0
    return len(lat) / took, pct(lat, 50), pct(lat, 99)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=8.0)
    p.add_argument("--clients", default="4,64")
    p.add_argument("--synchronous", default="FULL", choices=["FULL", "NORMAL"])
    args = p.parse_args()
    if hasattr(os, "sched_setaffinity") and os.cpu_count() and os.cpu_count() > 1:  # type: ignore[operator]
        os.sched_setaffinity(0, {1})
    tmp = Path(tempfile.mkdtemp(prefix="hallops-bench-"))
    env = dict(os.environ, HALLOPS_LOG_LEVEL="WARNING")
    cfg = tmp / "bench.toml"
    cfg.write_text(f'[database]\nsynchronous = "{args.synchronous}"\n')
    try:
        out = subprocess.run([sys.executable, "-m", "hallops", "init", "--demo", "--db", str(tmp / "h.db"),
                              "--config", str(cfg)], check=True, capture_output=True, text=True, env=env).stdout
        tokens = {ln.split()[0]: ln.split()[1] for ln in out.splitlines() if ln.strip().startswith("demo-")}
        print(f"synchronous={args.synchronous}, {args.seconds:.0f} s per run, server on core 0, load on core 1\n")
        print(f"{'clients':>7} | {'hallops issued/s':>16} {'p50 ms':>7} {'p99 ms':>7} | "
              f"{'bare insert/s':>13} {'p50 ms':>7} {'p99 ms':>7} | {'rate':>5} {'p99 ×':>6}")
        for clients in [int(c) for c in args.clients.split(",")]:
            row = []
            for kind in ("hallops", "bare"):
                port = free_port()
                db = tmp / f"{kind}-{clients}.db"
                if kind == "hallops":
                    shutil.copy(tmp / "h.db", db)
                    cmd = [sys.executable, "-m", "hallops", "serve", "--db", str(db), "--port", str(port),
                           "--config", str(cfg)]
                    headers = {"Authorization": f"Bearer {tokens['demo-kiosk']}"}
                else:
                    cmd = [sys.executable, str(ROOT / "bench" / "bare_server.py"), "--db", str(db), "--port",
                           str(port), "--synchronous", args.synchronous]
                    headers = {}
                proc = subprocess.Popen(pinned(cmd, 0), env=env, stdout=subprocess.DEVNULL)
                try:
                    url = f"http://127.0.0.1:{port}"
                    asyncio.run(wait_up(url))
                    asyncio.run(load(url, "/api/v1/tickets", headers, {"queue": "A"}, clients, 1.0))  # warm up
                    n, lat, errors = asyncio.run(load(url, "/api/v1/tickets", headers, {"queue": "A"}, clients,
                                                      args.seconds))
                    if errors:
                        print(f"  ({kind}: {errors} error responses)")
                    row.append((n / args.seconds, pct(lat, 50), pct(lat, 99)))
                    if kind == "hallops" and clients == max(int(c) for c in args.clients.split(",")):
                        windows = list(range(1, 21))
                        calls = asyncio.run(call_rate(url, tokens["demo-manager"], tokens["demo-kiosk"], windows,
                                                      args.seconds))
                finally:
                    proc.terminate()
                    proc.wait()
            (h, h50, h99), (b, b50, b99) = row
            print(f"{clients:>7} | {h:>16.0f} {h50:>7.1f} {h99:>7.1f} | {b:>13.0f} {b50:>7.1f} {b99:>7.1f} | "
                  f"{h / b:>5.0%} {h99 / b99:>6.2f}")
        rate, c50, c99 = calls
        print(f"\ncall-next (20 windows, each call followed by a no-show): {rate:.0f} calls/s, "
              f"p50 {c50:.1f} ms, p99 {c99:.1f} ms")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
