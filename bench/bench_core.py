"""Issuing and calling through the HTTP API, against the bare-aiohttp-plus-one-insert floor, in one run.

    python bench/bench_core.py [--seconds 8] [--clients 4,64]

The server runs on core 0 (taskset), this load generator on core 1; both servers use a fresh database
with WAL and the same synchronous setting (FULL by default). Prints issued/s, p50 and p99 for hallops and
for the bare server at each concurrency, the ratio, the share of core 1 the load generator used (near 100 %:
it, not the server, would be the bottleneck), the server's CPU time per ticket (from /proc: steadier than the
rates when other work shares the machine), and then the rate of calls (call-next + no-show).

First, in process (on core 0, no HTTP): the statements one issued ticket runs (SQLite's trace: top-level
statements, and the trigger subprograms they ran apart), SQLite's virtual machine steps (its work, the same
however busy the machine) and the time of the issuing job itself, with jobs grouped 32 to a transaction as the
writer groups them. Uses only names older trees have too, so the same
script measures an older tree: `PYTHONPATH=/path/to/old/tree python bench/bench_core.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import sqlite3
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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux): what a request costs the server, whatever else the
    machine runs, where the rate and latencies move with the load beside it."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
               ) -> tuple[int, list[float], int, float]:
    lat: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    cpu0 = time.process_time()
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
    return len(lat), lat, errors, (time.process_time() - cpu0) / seconds  # the share of core 1 it used


def in_process(path: Path, synchronous: str, tickets: int = 3000, batch: int = 32) -> None:
    """Issue `tickets` through storage's issuing job on the writer's kind of connection; print statements and
    microseconds per ticket."""
    from hallops.domain.actors import Actor
    from hallops.domain.model import Channel, Priority, Role
    from hallops.storage.rules import Rules
    from hallops.storage.sqlite import SQLiteTx
    from hallops.storage.tickets import issue_ticket

    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {synchronous}")
    conn.execute("PRAGMA foreign_keys = ON")
    hall = conn.execute("SELECT id FROM halls ORDER BY id LIMIT 1").fetchone()[0]
    rules, actor = Rules(), Actor(Role.ADMIN)
    counts = {"stmt": 0, "trigger": 0}
    last = [""]

    def trace(sql: str) -> None:
        # Python hands the trace the statement's text again for each trigger subprogram it runs.
        counts["trigger" if sql == last[0] else "stmt"] += 1
        last[0] = sql

    steps = [0]

    def step() -> int:
        steps[0] += 1
        return 0

    # SQLite's own work, counted in virtual machine steps (triggers included): the same on a busy machine.
    conn.execute("BEGIN IMMEDIATE")
    conn.set_progress_handler(step, 1)
    for i in range(200):
        issue_ticket(SQLiteTx(conn, time.time()), rules, hall_id=hall, queue="A", channel=Channel.KIOSK,
                     priority=Priority.ELDERLY if i % 7 == 0 else Priority.NONE, appointment_at=None, actor=actor,
                     idempotency=None)
    conn.set_progress_handler(None, 1)
    conn.execute("COMMIT")
    job_times: list[float] = []
    t_all = time.perf_counter()
    for start in range(0, tickets, batch):
        conn.execute("BEGIN IMMEDIATE")
        for i in range(start, min(tickets, start + batch)):
            tx = SQLiteTx(conn, time.time())
            prio = Priority.ELDERLY if i % 7 == 0 else Priority.NONE  # some priority classes in the line
            conn.execute("SAVEPOINT job")  # as the writer runs each job of a batch
            conn.set_trace_callback(trace)
            t0 = time.thread_time()  # CPU time: what the job costs, whatever else the core is running
            issue_ticket(tx, rules, hall_id=hall, queue="A", channel=Channel.KIOSK, priority=prio,
                         appointment_at=None, actor=actor, idempotency=None)
            job_times.append(time.thread_time() - t0)
            conn.set_trace_callback(None)
            conn.execute("RELEASE job")
        conn.execute("COMMIT")
    took = time.perf_counter() - t_all
    conn.close()
    print(f"in process, {tickets} tickets into queue A, {batch} jobs a transaction: "
          f"{counts['stmt'] / tickets:.2f} statements (and {counts['trigger'] / tickets:.2f} trigger subprograms) "
          f"and {steps[0] / 200:.0f} SQLite VM steps per ticket; the job's CPU time p50 "
          f"{pct(job_times, 50) * 1000:.0f} µs, mean "
          f"{sum(job_times) / tickets * 1e6:.0f} µs; {took / tickets * 1e6:.0f} µs per ticket with BEGIN, savepoints "
          "and COMMIT (wall clock)\n")


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
    two_cores = hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1
    tmp = Path(tempfile.mkdtemp(prefix="hallops-bench-"))
    env = dict(os.environ, HALLOPS_LOG_LEVEL="WARNING")
    cfg = tmp / "bench.toml"
    cfg.write_text(f'[database]\nsynchronous = "{args.synchronous}"\n')
    try:
        out = subprocess.run([sys.executable, "-m", "hallops", "init", "--demo", "--db", str(tmp / "h.db"),
                              "--config", str(cfg)], check=True, capture_output=True, text=True, env=env).stdout
        tokens = {ln.split()[0]: ln.split()[1] for ln in out.splitlines() if ln.strip().startswith("demo-")}
        print(f"synchronous={args.synchronous}, {args.seconds:.0f} s per run, server on core 0, load on core 1; "
              f"load average {os.getloadavg()[0]:.2f} at start\n")
        shutil.copy(tmp / "h.db", tmp / "in-process.db")
        if two_cores:
            os.sched_setaffinity(0, {0})
        in_process(tmp / "in-process.db", args.synchronous)
        if two_cores:
            os.sched_setaffinity(0, {1})
        print(f"{'clients':>7} | {'hallops issued/s':>16} {'p50 ms':>7} {'p99 ms':>7} | "
              f"{'bare insert/s':>13} {'p50 ms':>7} {'p99 ms':>7} | {'rate':>5} {'p50 ×':>6} {'p99 ×':>6} | "
              f"{'server CPU µs/ticket':>20} {'×':>5} | {'load CPU':>8}")
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
                    c0 = cpu_seconds(proc.pid)
                    n, lat, errors, cpu = asyncio.run(load(url, "/api/v1/tickets", headers, {"queue": "A"}, clients,
                                                      args.seconds))
                    server_us = (cpu_seconds(proc.pid) - c0) / max(n, 1) * 1e6
                    if errors:
                        print(f"  ({kind}: {errors} error responses)")
                    row.append((n / args.seconds, pct(lat, 50), pct(lat, 99), cpu, server_us))
                    if kind == "hallops" and clients == max(int(c) for c in args.clients.split(",")):
                        windows = list(range(1, 21))
                        calls = asyncio.run(call_rate(url, tokens["demo-manager"], tokens["demo-kiosk"], windows,
                                                      args.seconds))
                finally:
                    proc.terminate()
                    proc.wait()
            (h, h50, h99, hcpu, hus), (b, b50, b99, bcpu, bus) = row
            print(f"{clients:>7} | {h:>16.0f} {h50:>7.1f} {h99:>7.1f} | {b:>13.0f} {b50:>7.1f} {b99:>7.1f} | "
                  f"{h / b:>5.0%} {h50 / b50:>6.2f} {h99 / b99:>6.2f} | {f'{hus:.0f} / {bus:.0f}':>20} "
                  f"{hus / bus:>5.2f} | {hcpu:>3.0%}/{bcpu:.0%}")
        rate, c50, c99 = calls
        print(f"\ncall-next (20 windows, each call followed by a no-show): {rate:.0f} calls/s, "
              f"p50 {c50:.1f} ms, p99 {c99:.1f} ms; load average {os.getloadavg()[0]:.2f} at the end")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
