"""A year of a busy hall: how long statistics and the monthly briefing's PDF take.

Generates ~1.5 million tickets (working days from 2025-12-01 to 2026-11-30, about 5,800 a day, with an
arrival peak in the morning and one after lunch), their items and their events (~6 million) into a temp
database holding the demo hall, then times:

  - building the daily roll-up of the whole year (once; afterwards one day is added per night),
  - statistics of a closed day, of today (folded live), of a month and of the year (every dimension),
  - assembling the monthly briefing and rendering its PDF.

Goals: under 1 s for any statistics query, under 3 s for the monthly PDF.

    python bench/bench_reports.py [--days 365] [--per-day 5800] [--keep PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import jinja2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hallops.cli import demo_layout
from hallops.domain.stats import Period, PeriodKind
from hallops.http.web import DISPLAYS_DIR, WEB_DIR
from hallops.reports.briefing import assemble
from hallops.reports.render import render_pdf
from hallops.reports.service import Statistics
from hallops.storage.layout import LayoutStore
from hallops.storage.reports import ReportsPort
from hallops.storage.rules import Rules
from hallops.storage.sqlite import SQLiteDatabase as Database

TZ = dt.timezone(dt.timedelta(hours=8))
LAST_DAY = dt.date(2026, 11, 30)
# Arrivals per opening hour (09–17, lunch dip), as weights.
HOUR_WEIGHTS = {9: 16, 10: 18, 11: 12, 12: 4, 13: 8, 14: 15, 15: 14, 16: 10, 17: 3}
CHANNELS = (("kiosk", 60), ("mobile", 25), ("appointment", 10), ("help_desk", 5))


def weighted(rng: random.Random, pairs: list[tuple[object, float]]) -> object:
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


def generate(path: Path, hall_id: int, days: int, per_day: int, seed: int = 7) -> tuple[int, int]:
    """Write the history straight into SQLite (the write API would take hours for a year)."""
    rng = random.Random(seed)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA journal_mode = WAL")
    queues = conn.execute("SELECT id, prefix, kind, avg_service_minutes, target_wait_minutes FROM queues "
                          "WHERE hall_id = ?", (hall_id,)).fetchall()
    qwin: dict[int, list[tuple[int, int]]] = {}
    for qid, wid, number in conn.execute("SELECT wq.queue_id, w.id, w.number FROM window_queues wq "
                                         "JOIN windows w ON w.id = wq.window_id"):
        qwin.setdefault(qid, []).append((wid, number))
    items: dict[int, list[int]] = {}
    for iid, qid in conn.execute("SELECT id, queue_id FROM service_items WHERE queue_id IS NOT NULL"):
        items.setdefault(qid, []).append(iid)
    clerks = [r[0] for r in conn.execute("SELECT id FROM users WHERE role = 'clerk'")]
    clerk_of = {wid: clerks[i % len(clerks)] for i, wid in enumerate(sorted({w for ws in qwin.values()
                                                                              for w, _ in ws}))}
    qweights = [(q, 30 if q[1] == "A" else 12 if q[2] == "bundle" else 6) for q in queues if q[0] in qwin]
    tid = conn.execute("SELECT coalesce(max(id), 0) FROM tickets").fetchone()[0]
    seq = conn.execute("SELECT event_seq FROM halls WHERE id = ?", (hall_id,)).fetchone()[0]
    n_tickets = 0
    day = LAST_DAY - dt.timedelta(days=days - 1)
    while day <= LAST_DAY:
        if day.weekday() < 5:
            tickets, ev, ti = [], [], []
            serial: dict[int, int] = {}
            n = int(per_day * rng.uniform(.8, 1.2))
            for _ in range(n):
                q = weighted(rng, qweights)  # type: ignore[arg-type]
                qid, prefix, kind, avg_svc, _target = q  # type: ignore[misc]
                hour = weighted(rng, list(HOUR_WEIGHTS.items()))
                issued = dt.datetime.combine(day, dt.time(int(hour), rng.randrange(60), rng.randrange(60)),
                                             tzinfo=TZ).timestamp()
                load = HOUR_WEIGHTS[int(hour)] / 18  # type: ignore[index]
                serial[qid] = serial.get(qid, 0) + 1
                tid += 1
                channel = weighted(rng, list(CHANNELS))
                prio = "elderly" if rng.random() < .05 else "none"
                appt = issued + rng.uniform(0, 900) if channel == "appointment" else None
                r = rng.random()
                wid, wnum = rng.choice(qwin[qid])
                clerk = clerk_of[wid]
                wait = rng.expovariate(1 / (60 * (4 + 26 * load)))
                first_called = issued + wait
                svc = max(30.0, rng.lognormvariate(math.log(avg_svc * 60), .5))
                transfers = 1 if kind == "bundle" and rng.random() < .6 else (1 if rng.random() < .02 else 0)
                status, started, ended = "done", first_called + rng.uniform(10, 60), None
                if r < .05:
                    status, started, ended = "no_show", None, first_called + 120
                elif r < .06:
                    status, started, ended, first_called = "cancelled", None, issued + 600, None  # type: ignore
                elif r < .08:
                    status, started, ended, first_called = "expired", None, issued + 9 * 3600, None  # type: ignore
                if status == "done":
                    ended = started + svc  # type: ignore[operator]
                number = f"{prefix}{serial[qid]:03d}"
                tickets.append((tid, hall_id, day.isoformat(), number, serial[qid], qid, qid, f"b{tid}", channel,
                                prio, status, issued, issued, appt, first_called, first_called, started, ended,
                                wid if first_called else None, clerk if first_called else None, transfers))
                brief = {"id": tid, "number": number, "queue": prefix, "status": status}
                seq += 1
                ev.append((hall_id, seq, "ticket.issued", issued, json.dumps({"ticket": brief, "people_ahead": 3})))
                win = {"id": wid, "number": wnum}
                if first_called:
                    seq += 1
                    ev.append((hall_id, seq, "ticket.called", first_called,
                               json.dumps({"ticket": brief, "window": win, "reason": "call"})))
                if transfers:
                    seq += 1
                    ev.append((hall_id, seq, "ticket.transferred", (first_called or issued) + 60, json.dumps(
                        {"ticket": brief, "from": {"queue": prefix, "window": wnum},
                         "to": {"queue": prefix, "window": None}, "placement": "end", "window": win})))
                if started:
                    seq += 1
                    ev.append((hall_id, seq, "ticket.started", started, json.dumps({"ticket": brief, "window": win})))
                if ended:
                    seq += 1
                    ev.append((hall_id, seq, f"ticket.{ {'done': 'finished'}.get(status, status)}", ended,
                               json.dumps({"ticket": brief, "window": win})))
                if status == "done" and items.get(qid):
                    ti.append((tid, rng.choice(items[qid]), wid, ended))
            conn.executemany(
                "INSERT INTO tickets (id, hall_id, service_day, number, serial, origin_queue_id, queue_id, token,"
                " channel, priority, status, issued_at, sort_at, appointment_at, first_called_at, called_at,"
                " started_at, ended_at, window_id, clerk_user_id, transfer_count) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", tickets)
            conn.executemany("INSERT INTO events (hall_id, seq, type, at, payload) VALUES (?,?,?,?,?)", ev)
            conn.executemany("INSERT OR IGNORE INTO ticket_items (ticket_id, item_id, window_id, at) VALUES (?,?,?,?)",
                             ti)
            conn.execute("INSERT OR REPLACE INTO day_counters (queue_id, service_day, last_serial) "
                         "SELECT origin_queue_id, service_day, max(serial) FROM tickets WHERE service_day = ? "
                         "GROUP BY origin_queue_id", (day.isoformat(),))
            conn.commit()
            n_tickets += len(tickets)
        day += dt.timedelta(days=1)
    conn.execute("UPDATE halls SET event_seq = ? WHERE id = ?", (seq, hall_id))
    conn.commit()
    conn.close()
    return n_tickets, seq


async def timed(name: str, coro: object, results: dict[str, float]) -> object:
    t = time.perf_counter()
    out = await coro  # type: ignore[misc]
    results[name] = time.perf_counter() - t
    print(f"  {name:<44} {results[name]:7.3f} s", flush=True)
    return out


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--per-day", type=int, default=5800)
    ap.add_argument("--keep", type=Path, help="database file to create or reuse (default: a temp file)")
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    path = args.keep or Path(tmp.name) / "year.db"
    fresh = not path.exists()
    now = dt.datetime.combine(LAST_DAY, dt.time(18, 0), tzinfo=TZ).timestamp()
    db = Database(path, synchronous="NORMAL", clock=lambda: now)
    await db.open()
    if fresh:
        hall_id = await LayoutStore(db).load_layout(demo_layout())
        await db.close()
        t = time.perf_counter()
        n, events = generate(path, hall_id, args.days, args.per_day)
        print(f"generated {n:,} tickets and {events:,} events in {time.perf_counter() - t:.1f} s "
              f"({path.stat().st_size / 2**20:,.0f} MiB)")
        db = Database(path, synchronous="NORMAL", clock=lambda: now)
        await db.open()
    hall_id = (await db.one("SELECT id FROM halls"))[0]
    n = (await db.one("SELECT count(*) FROM tickets"))[0]
    print(f"{n:,} tickets; now {dt.datetime.fromtimestamp(now, TZ)}")
    stats = Statistics(ReportsPort(db), Rules(), lambda: now)
    r: dict[str, float] = {}
    await timed("roll-up of every closed day (once)", stats.catch_up(hall_id, args.days + 5), r)
    yesterday = LAST_DAY - dt.timedelta(days=1)
    if yesterday.weekday() >= 5:
        yesterday -= dt.timedelta(days=yesterday.weekday() - 4)
    await timed(f"daily statistics, closed day {yesterday}", stats.statistics(hall_id, Period.day(yesterday)), r)
    await timed("daily statistics, today (folded live)", stats.statistics(hall_id, Period.day(LAST_DAY)), r)
    await timed("weekly statistics", stats.statistics(hall_id, Period.week_of(LAST_DAY)), r)
    await timed("monthly statistics (every dimension)", stats.statistics(hall_id, Period.month_of(LAST_DAY)), r)
    year = Period(PeriodKind.CUSTOM, LAST_DAY - dt.timedelta(days=args.days - 1), LAST_DAY)
    await timed("yearly statistics, by queue", stats.statistics(hall_id, year, ["queue"]), r)
    await timed("yearly statistics (every dimension)", stats.statistics(hall_id, year), r)
    month = Period.month_of(dt.date(2026, 10, 1))
    data = await timed("monthly briefing figures (Oct 2026)", assemble(stats, hall_id, month), r)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader([str(WEB_DIR / "templates"),
                                                             str(DISPLAYS_DIR / "templates")]),
                             autoescape=jinja2.select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    b = {"id": 1, "kind": "monthly", "data": data, "generated_at": now, "annotated_at": None, "published_at": None,
         "annotation": "", "annotated_by": None}
    await asyncio.to_thread(render_pdf, env, b, "Asia/Shanghai")  # warm: imports and font loading, once per process
    pdf = await timed("monthly briefing PDF (rendering, warm)", asyncio.to_thread(
        render_pdf, env, b, "Asia/Shanghai"), r)
    out = Path(__file__).resolve().parent / "out"  # noqa: ASYNC240 - a script, nothing else waits
    out.mkdir(exist_ok=True)
    (out / "briefing-monthly.pdf").write_bytes(pdf)  # type: ignore[arg-type]
    print(f"  monthly PDF: {len(pdf):,} bytes -> bench/out/briefing-monthly.pdf")  # type: ignore[arg-type]
    worst = max(v for k, v in r.items() if "statistics" in k)
    print(f"worst statistics query {worst:.3f} s (goal < 1 s); monthly PDF figures + render "
          f"{r['monthly briefing figures (Oct 2026)'] + r['monthly briefing PDF (rendering, warm)']:.3f} s "
          f"(goal < 3 s)")
    await db.close()
    tmp.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
