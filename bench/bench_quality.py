"""A year of 好差评 and cases: how long the import, the daily scan, the figures and the window ranking take.

The seed's centre handled 18,884 cases in a year; with ~1,500 visits a working day rated at ~60 % there are
~220,000 ratings. This imports the cases through the port (every one counted on the working-day calendar),
writes the ratings straight into SQLite (tickets are not needed for the figures), then times:

  - importing the year's cases (2,000 a job, as the import endpoint takes them),
  - the daily scan over the open cases,
  - the month's and the year's figures, and the month's window ranking.

    python bench/bench_quality.py [--cases 18884] [--ratings 220000]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hallops.cli import demo_layout
from hallops.domain.actors import Actor
from hallops.domain.model import Role
from hallops.storage.cases import CasesPort
from hallops.storage.layout import LayoutStore
from hallops.storage.sqlite import SQLiteDatabase as Database

TZ = dt.timezone(dt.timedelta(hours=8))
FIRST, LAST = dt.datetime(2025, 12, 1, 9, tzinfo=TZ), dt.datetime(2026, 11, 30, 17, tzinfo=TZ)
LEVELS = (("very_satisfied", 70), ("satisfied", 22), ("basic", 6), ("dissatisfied", 1.5), ("very_dissatisfied", 0.5))


async def main(n_cases: int, n_ratings: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "hall.db"
        now = [LAST.timestamp()]
        db = Database(path, clock=lambda: now[0])
        await db.open()
        hall_id = await LayoutStore(db).load_layout(demo_layout())
        rng = random.Random(7)
        span = LAST.timestamp() - FIRST.timestamp()
        specs = [{"source": rng.choice(["12345", "hotline", "counter", "supervision"]),
                  "kind": "complex" if rng.random() < 0.1 else "consultation", "subject": f"件 {i}",
                  "received_at": dt.datetime.fromtimestamp(FIRST.timestamp() + span * i / n_cases, TZ),
                  "department": rng.choice(["psb", "civil", "hrss", None]), "_line": i + 1}
                 for i in range(n_cases)]
        port = CasesPort(db)
        actor = Actor(Role.ADMIN, display_name="bench")
        t0 = time.perf_counter()
        for i in range(0, n_cases, 2000):
            await port.import_many(hall_id, specs[i:i + 2000], actor)
        t_import = time.perf_counter() - t0
        await db.close()
        conn = sqlite3.connect(path)
        conn.execute("UPDATE cases SET status = 'closed', closed_at = created_at + 86400 * 3 "
                     "WHERE id % 50 <> 0")  # 98 % closed, as the seed reports
        windows = [r[0] for r in conn.execute("SELECT id FROM windows WHERE hall_id = ?", (hall_id,))]
        queue = conn.execute("SELECT id FROM queues WHERE hall_id = ? LIMIT 1", (hall_id,)).fetchone()[0]
        conn.execute("INSERT INTO tickets (id, hall_id, service_day, number, serial, origin_queue_id, queue_id, token,"
                     " channel, priority, status, issued_at, sort_at) VALUES (1, ?, '2026-11-30', 'A001', 1, ?, ?,"
                     " 't', 'kiosk', 'none', 'done', 0, 0)", (hall_id, queue, queue))
        rows = []
        for i in range(n_ratings):
            at = FIRST.timestamp() + span * i / n_ratings
            level = rng.choices([k for k, _ in LEVELS], [w for _, w in LEVELS])[0]
            rows.append((hall_id, 1, f"i{i}", level, level, "pad", rng.choice(windows), queue, "2026-01-01", at, at))
        conn.executemany("INSERT INTO ratings (hall_id, ticket_id, item_code, level, given_level, channel, window_id,"
                         " queue_id, service_day, visit_ended_at, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
        conn.commit()
        conn.close()
        db = Database(path, clock=lambda: now[0])
        await db.open()
        port = CasesPort(db)
        timings = {}
        for name, coro in [
            ("daily scan", lambda: port.scan_now(hall_id)),
            ("figures, month", lambda: port.figures(hall_id, dt.datetime(2026, 11, 1, tzinfo=TZ).timestamp(),
                                                    dt.datetime(2026, 12, 1, tzinfo=TZ).timestamp())),
            ("figures, year", lambda: port.figures(hall_id, FIRST.timestamp() - 9 * 3600, now[0])),
            ("window ranking, month", lambda: port.window_scores(
                hall_id, dt.datetime(2026, 11, 1, tzinfo=TZ).timestamp(),
                dt.datetime(2026, 12, 1, tzinfo=TZ).timestamp())),
        ]:
            t0 = time.perf_counter()
            await coro()
            timings[name] = time.perf_counter() - t0
        await db.close()
    print(f"import of {n_cases:,} cases: {t_import:.2f} s ({n_cases / t_import:,.0f} a second)")
    for name, t in timings.items():
        print(f"{name}: {t * 1000:.0f} ms")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=18884)
    ap.add_argument("--ratings", type=int, default=220000)
    a = ap.parse_args()
    asyncio.run(main(a.cases, a.ratings))
