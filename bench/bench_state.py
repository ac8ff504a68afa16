"""A hall's state read (GET /api/v1/halls/{hall}/state, what every lobby screen reads when it connects) at
10, 1,000, 10,000 and 100,000 waiting tickets, beside a bare floor: `SELECT 1` through the same reader.

    python bench/bench_state.py [--postgres URL] [--sizes 10,1000,10000,100000] [--seconds 1.5]

The demo hall is loaded into a fresh database (a SQLite file in a temporary folder, or, with --postgres, the
empty PostgreSQL database at URL), then grown to each size: the waiting tickets spread over the hall's queues
(a tenth transferred to a window), and as many tickets again finished today. At each size `HallStore.state` is
read for about `--seconds` (at least 20 times) in one process pinned to one core; the median, p99 and the ratio
to the floor's median are printed, and the query plans of the waiting counts once at the end.
Only public names that the hall's store had before its counters (migration 0016) are used, so the same script
measures an older tree: `PYTHONPATH=/path/to/old/tree python bench/bench_state.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

from hallops.cli import demo_layout
from hallops.storage.db import Database, Tx, open_database
from hallops.storage.halls import HallStore
from hallops.storage.layout import LayoutStore
from hallops.storage.rules import Rules, service_day_of

PLANS = {
    "waiting by queue (before)": "SELECT queue_id, count(*) AS n, min(issued_at) AS oldest FROM tickets "
                                 "WHERE hall_id = ? AND status = 'waiting' GROUP BY queue_id",
    "oldest waiting of one queue": "SELECT min(issued_at) FROM tickets WHERE hall_id = ? AND status = 'waiting' "
                                   "AND queue_id = ?",
}


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))] * 1000


async def timed(fn: Any, seconds: float) -> list[float]:
    lat: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(lat) < 20:
        t0 = time.perf_counter()
        await fn()
        lat.append(time.perf_counter() - t0)
    return lat


async def grow(db: Database, hall: int, queues: list[int], windows: list[int], day: str, have: int, want: int
               ) -> None:
    """Add waiting tickets (one in ten transferred to a window) and as many finished ones, up to `want` waiting."""
    now = time.time()
    rows = []
    for i in range(have, want):
        q = queues[i % len(queues)]
        for status, tag in (("waiting", "W"), ("done", "D")):
            rows.append((hall, day, f"{tag}{i}", i + 1, q, q, secrets.token_urlsafe(12), "kiosk", "none", 0, status,
                         now - (want - i), now - (want - i),
                         windows[i % len(windows)] if status == "waiting" and i % 10 == 9 else None))
    step = 5000

    def job(part: list[tuple[Any, ...]]) -> Any:
        def run(tx: Tx) -> None:
            tx.many("INSERT INTO tickets (hall_id, service_day, number, serial, origin_queue_id, queue_id, token, "
                    "channel, priority, boost_class, status, issued_at, sort_at, target_window_id) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", part)
        return run

    for start in range(0, len(rows), step):
        await db.write(job(rows[start:start + step]))


async def run(target: str, sizes: list[int], seconds: float) -> None:
    db = open_database(target)
    await db.open()
    try:
        rules = Rules()
        hall = await LayoutStore(db).load_layout(demo_layout())
        halls = HallStore(db, rules)
        queues = [int(r[0]) for r in await db.all("SELECT id FROM queues WHERE hall_id = ? AND active = 1 "
                                                   "ORDER BY id", (hall,))]
        windows = [int(r[0]) for r in await db.all("SELECT id FROM windows WHERE hall_id = ? ORDER BY id", (hall,))]
        tz = (await db.one("SELECT timezone FROM halls WHERE id = ?", (hall,)))["timezone"]  # type: ignore[index]
        day = service_day_of(time.time(), tz, rules)

        async def floor() -> None:
            async with db.snapshot() as conn:
                await conn.one("SELECT 1")

        async def state() -> None:
            await halls.state(hall)

        print(f"{db.label.split('/')[-1] if 'postgres' not in target else 'PostgreSQL'}: "
              f"{len(queues)} queues, {len(windows)} windows; load average {os.getloadavg()[0]:.2f}\n")
        print(f"{'waiting':>8} {'today':>8} | {'state p50 ms':>12} {'p99 ms':>7} | {'floor p50 ms':>12} "
              f"{'p99 ms':>7} | {'× floor':>7}")
        have = 0
        for size in sizes:
            await grow(db, hall, queues, windows, day, have, size)
            have = size
            st = await halls.state(hall)
            assert st is not None
            shown = sum(q["waiting"] for q in st["queues"])
            assert shown == size and st["today"]["issued"] == 2 * size, (shown, st["today"])
            f = await timed(floor, seconds / 3)
            s = await timed(state, seconds)
            print(f"{size:>8,} {2 * size:>8,} | {pct(s, 50):>12.2f} {pct(s, 99):>7.2f} | {pct(f, 50):>12.3f} "
                  f"{pct(f, 99):>7.3f} | {pct(s, 50) / pct(f, 50):>7.1f}")
        print(f"\nload average after: {os.getloadavg()[0]:.2f}\n")
        explain = "EXPLAIN QUERY PLAN " if "postgres" not in target else "EXPLAIN "
        plans = dict(PLANS)
        if await db.one("SELECT 1 FROM schema_migrations WHERE version = 16") is not None:
            from hallops.storage.halls import WAITING_BY_QUEUE
            plans["waiting by queue (counters)"] = WAITING_BY_QUEUE
        for name, sql in plans.items():
            args: Any = {"hall": hall} if ":hall" in sql else (hall, queues[0]) if sql.count("?") == 2 else (hall,)
            print(f"plan, {name}:")
            for r in await db.all(explain + sql, args):
                print("   ", r[-1])
    finally:
        await db.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--postgres", help="an empty PostgreSQL database's URL (default: a SQLite file)")
    p.add_argument("--sizes", default="10,1000,10000,100000")
    p.add_argument("--seconds", type=float, default=1.5)
    args = p.parse_args()
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {1})
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="hallops-bench-state-") as tmp:
        asyncio.run(run(args.postgres or str(Path(tmp) / "state.db"), sizes, args.seconds))


if __name__ == "__main__":
    main()
