"""A district of 63 centres (issue 10): how long its briefing and its subtree's statistics take.

Builds the seed's district — the district centre, 8 street centres, 3 new-town centres and 51 communities — and
a month of working days to "now" (Monday 2026-11-30, 16:00, Shanghai) written straight into SQLite: about 4,000
tickets a day at the district centre, 400 at a street, 250 at a new town, 60 at a community (≈ 11,000 a day,
≈ 230,000 in all), with their events, patrols (most centres keep the quota, some fall short) and findings.
Then times, through the code the API runs (hallops/reports/district.py, subtree.py):

  - the first monthly district briefing, which rolls up every closed day of every centre (once),
  - the district briefing of today (folded live), of a closed day, of the week and of the month,
  - the month's statistics of the whole subtree (every dimension: what the subtree's XLSX export reads),
  - today's statistics of the subtree, every dimension, with its work events (calls, recalls, transfers),
  - the month's figures the slow way, one centre after another (the per-hall statistics, 63 times),
  - rendering the monthly district briefing's PDF.

With `--pg URL` (an empty PostgreSQL database) the fresh SQLite file is first copied there (`hallops
migrate-to-postgres`) and the same timings are taken on PostgreSQL too.

    python bench/bench_district_reports.py [--keep PATH] [--days 30] [--pg URL]

Latest figures (2 December 2026; 228,156 tickets, 682,062 events; two runs on 2 cores shared with other work,
load average 6–10, so read them as upper bounds), SQLite / PostgreSQL on the same box:

  first monthly briefing, rolling up 63 × 21 closed days     6.8–8.2 s / 9.9–15.2 s (once; then a day a night)
  district briefing, today (folded live)                     0.06–0.10 s / 0.10–0.11 s
  district briefing, a closed day                            0.010–0.018 s / 0.021–0.024 s
  weekly / monthly district briefing                         0.06–0.15 s / 0.10–0.24 s
  subtree statistics of the month, every dimension           0.58–0.70 s / 1.03–1.12 s
  subtree statistics of today, every dimension, work events  0.24–0.29 s / 0.40–0.71 s
  the month one centre at a time (63 × per-hall statistics)   0.18–0.22 s / 0.55–0.70 s (hall totals only)
  monthly district briefing PDF (5 A4 landscape pages)       1.7–2.2 s (WeasyPrint layout, most of it)

A warm briefing runs 18 statements whatever the number of centres (tests/http/test_district_reports.py counts
them), none on the event log.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import jinja2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hallops.cli import demo_layout
from hallops.domain.stats import Period
from hallops.http.web import DISPLAYS_DIR, WEB_DIR
from hallops.reports import district
from hallops.reports.render import render_district_pdf
from hallops.reports.service import Statistics
from hallops.reports.subtree import SubtreeStatistics
from hallops.storage.db import open_database
from hallops.storage.layout import LayoutStore
from hallops.storage.reports import ReportsPort
from hallops.storage.rules import Rules
from hallops.storage.sqlite import SQLiteDatabase as Database

TZ = dt.timezone(dt.timedelta(hours=8))
TODAY = dt.date(2026, 11, 30)
NOW = dt.datetime.combine(TODAY, dt.time(16, 0), tzinfo=TZ).timestamp()
HOUR_WEIGHTS = {9: 16, 10: 18, 11: 12, 12: 4, 13: 8, 14: 15, 15: 14, 16: 10, 17: 3}
PER_DAY = {"district": 4000, "street": 400, "new_town": 250, "community": 60}
STREETS = ("人和", "礼嘉", "大竹林", "天宫殿", "翠云", "鸳鸯", "金山", "康美")
NEW_TOWNS = ("龙兴", "鱼复", "复盛")


def small_layout(code: str, name: str, level: str) -> dict[str, Any]:
    """A street, new-town or community centre: three queues, a few windows, no staff accounts."""
    windows = {"street": 6, "new_town": 5, "community": 2}[level]
    return {
        "hall": {"code": code, "name": name, "name_en": "", "timezone": "Asia/Shanghai", "notice": ""},
        "departments": [{"code": "civil", "name": "民政", "name_en": ""},
                        {"code": "hrss", "name": "人社", "name_en": ""}],
        "queues": [{"prefix": p, "name": n, "name_en": "", "category": "", "category_en": "", "kind": "general",
                    "target_wait_minutes": t, "daily_cap": 0, "hours": "00:00-24:00", "avg_service_minutes": s,
                    "department": d}
                   for p, n, t, s, d in (("A", "综合受理", 20, 8, None), ("B", "社保医保", 15, 6, "hrss"),
                                         ("C", "民政事务", 30, 12, "civil"))],
        "service_items": [], "bundles": [], "users": [],
        "windows": [{"number": i, "name": f"{i} 号窗口", "name_en": "", "kind": "general", "key_window": i == 1,
                     "area": "大厅", "queues": ["A", "B", "C"]} for i in range(1, windows + 1)],
    }


async def build_tree(db: Database) -> list[tuple[int, str]]:
    """The 63 centres; (hall id, level) each."""
    store = LayoutStore(db)
    root = await store.load_layout(demo_layout())
    parents: list[tuple[int, str, str]] = []
    for i, n in enumerate(STREETS):
        parents.append((await store.load_layout(small_layout(f"s{i}", f"{n}街道便民服务中心", "street")), "street", n))
    for i, n in enumerate(NEW_TOWNS):
        parents.append((await store.load_layout(small_layout(f"n{i}", f"{n}新城便民服务中心", "new_town")),
                        "new_town", n))
    kids: list[tuple[int, int]] = []
    for k in range(51):
        pid, _, pname = parents[k % len(parents)]
        kids.append((await store.load_layout(small_layout(f"c{k}", f"{pname}第{k + 1}社区便民服务站", "community")),
                     pid))
    await db.write(lambda tx: [tx.run("UPDATE halls SET parent_id = ?, level = ? WHERE id = ?", (root, lv, h))
                               for h, lv, _ in parents])
    await db.write(lambda tx: [tx.run("UPDATE halls SET parent_id = ?, level = 'community' WHERE id = ?", (p, h))
                               for h, p in kids])
    return [(root, "district"), *[(h, lv) for h, lv, _ in parents], *[(h, "community") for h, _ in kids]]


def generate(path: Path, centres: list[tuple[int, str]], days: int, seed: int = 11) -> tuple[int, int]:
    """Write the month straight into SQLite (the write API would take an hour for it)."""
    rng = random.Random(seed)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")
    queues: dict[int, list[tuple[int, str, int, int]]] = {}
    for qid, hid, prefix, target, svc in conn.execute(
            "SELECT id, hall_id, prefix, target_wait_minutes, avg_service_minutes FROM queues"):
        queues.setdefault(hid, []).append((qid, prefix, target, svc))
    wins: dict[int, list[int]] = {}
    for wid, qid in conn.execute("SELECT window_id, queue_id FROM window_queues"):
        wins.setdefault(qid, []).append(wid)
    queues = {h: [q for q in qs if q[0] in wins] for h, qs in queues.items()}
    tid = conn.execute("SELECT coalesce(max(id), 0) FROM tickets").fetchone()[0]
    seqs = {int(h): int(s) for h, s in conn.execute("SELECT id, event_seq FROM halls")}
    n_tickets = n_events = 0
    day = TODAY - dt.timedelta(days=days - 1)
    while day <= TODAY:
        if day.weekday() < 5:
            tickets, ev, patrols, findings = [], [], [], []
            for hid, level in centres:
                n = int(PER_DAY[level] * rng.uniform(.8, 1.2))
                busy = rng.uniform(.6, 1.6)  # some centres are slower than others that day
                serial: dict[int, int] = {}
                for _ in range(n):
                    qid, prefix, target, svc_min = rng.choice(queues[hid])
                    hour = rng.choices(list(HOUR_WEIGHTS), weights=list(HOUR_WEIGHTS.values()))[0]
                    issued = dt.datetime.combine(day, dt.time(hour, rng.randrange(60), rng.randrange(60)),
                                                 tzinfo=TZ).timestamp()
                    if issued > NOW - 1800:
                        continue  # today: only what has been settled by now
                    serial[qid] = serial.get(qid, 0) + 1
                    tid += 1
                    called: float | None = issued + rng.expovariate(
                        1 / (60 * target * .6 * busy * HOUR_WEIGHTS[hour] / 14))
                    r = rng.random()
                    status, started, ended = "done", (called or 0) + rng.uniform(10, 60), 0.0
                    if r < .06:
                        status, started, ended = "no_show", None, (called or 0) + 120
                    elif r < .07:
                        status, started, ended, called = "cancelled", None, issued + 600, None
                    if status == "done" and started is not None:
                        ended = started + max(30.0, rng.lognormvariate(math.log(svc_min * 60), .5))
                    wid = rng.choice(wins[qid])
                    number = f"{prefix}{serial[qid]:03d}"
                    tickets.append((tid, hid, day.isoformat(), number, serial[qid], qid, qid, f"d{tid}", "kiosk",
                                    "none", status, issued, issued, None, called, called, started, ended,
                                    wid if called else None, None, 0))
                    payload = json.dumps({"ticket": {"id": tid, "number": number}, "window": {"id": wid},
                                          "reason": "call"})
                    steps = [("ticket.issued", issued)] + ([("ticket.called", called)] if called else [])
                    steps.append(("ticket.finished" if status == "done" else f"ticket.{status}", ended))
                    for kind, at in steps:
                        seqs[hid] += 1
                        ev.append((hid, seqs[hid], kind, at, payload))
                for kind, quota in (("full", 6), ("spot", 4)):  # most centres keep the quota, some fall short
                    for _ in range(quota if rng.random() < .7 else rng.randrange(quota)):
                        at = dt.datetime.combine(day, dt.time(rng.randrange(9, 17)), tzinfo=TZ).timestamp()
                        patrols.append((hid, kind, day.isoformat(), "done", "[]", "巡查员", at, at + 900))
                if rng.random() < .3:
                    at = dt.datetime.combine(day, dt.time(11), tzinfo=TZ).timestamp()
                    findings.append((hid, "signage", "minor", "指引牌缺失", "大厅", at + rng.uniform(-2, 6) * 86400,
                                     rng.choice(("open", "rectifying", "verified", "verified")), at, "巡查员", at))
            conn.executemany(
                "INSERT INTO tickets (id, hall_id, service_day, number, serial, origin_queue_id, queue_id, token,"
                " channel, priority, status, issued_at, sort_at, appointment_at, first_called_at, called_at,"
                " started_at, ended_at, window_id, clerk_user_id, transfer_count) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", tickets)
            conn.executemany("INSERT INTO events (hall_id, seq, type, at, payload) VALUES (?,?,?,?,?)", ev)
            conn.executemany("INSERT INTO patrols (hall_id, kind, service_day, status, items, inspector_name, "
                             "started_at, finished_at) VALUES (?,?,?,?,?,?,?,?)", patrols)
            conn.executemany("INSERT INTO findings (hall_id, category, severity, description, area, due_at, status, "
                             "created_at, created_by_name, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)", findings)
            conn.commit()
            n_tickets += len(tickets)
            n_events += len(ev)
        day += dt.timedelta(days=1)
    for hid, seq in seqs.items():
        conn.execute("UPDATE halls SET event_seq = ? WHERE id = ?", (seq, hid))
    conn.commit()
    conn.close()
    return n_tickets, n_events


async def timed(name: str, coro: Any, results: dict[str, float]) -> Any:
    t = time.perf_counter()
    out = await coro
    results[name] = time.perf_counter() - t
    print(f"  {name:<62} {results[name]:7.3f} s", flush=True)
    return out


async def measure(target: str | Path, label: str) -> None:
    db = open_database(target, clock=lambda: NOW)
    await db.open()
    root = (await db.one("SELECT id FROM halls WHERE parent_id IS NULL"))[0]
    print(f"{label}: {(await db.one('SELECT count(*) FROM tickets'))[0]:,} tickets; "
          f"now {dt.datetime.fromtimestamp(NOW, TZ)}")
    stats = Statistics(ReportsPort(db), Rules(), lambda: NOW)
    sub = SubtreeStatistics(stats)
    subtree = await sub.centres(root)
    r: dict[str, float] = {}
    month, week = Period.month_of(TODAY), Period.week_of(TODAY)
    friday = TODAY - dt.timedelta(days=3)
    await timed("monthly district briefing, first (rolls up every closed day)",
                district.assemble(sub, subtree, month), r)
    await timed("district briefing, today (folded live)", district.assemble(sub, subtree, Period.day(TODAY)), r)
    await timed(f"district briefing, closed day {friday}", district.assemble(sub, subtree, Period.day(friday)), r)
    await timed("weekly district briefing", district.assemble(sub, subtree, week), r)
    data = await timed("monthly district briefing", district.assemble(sub, subtree, month), r)
    await timed("subtree statistics of the month, every dimension", sub.statistics(subtree, month), r)
    await timed("subtree statistics of today, every dimension, work events",
                sub.statistics(subtree, Period.day(TODAY)), r)

    async def one_by_one() -> None:
        for c in subtree:
            await stats.statistics(int(c["id"]), month, ["hall"])
    await timed("the month's figures one centre at a time (63 x per hall)", one_by_one(), r)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader([str(WEB_DIR / "templates"),
                                                             str(DISPLAYS_DIR / "templates")]),
                             autoescape=jinja2.select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    await asyncio.to_thread(render_district_pdf, env, data, "Asia/Shanghai")  # warm: imports and fonts
    pdf = await timed("monthly district briefing PDF (rendering, warm)",
                      asyncio.to_thread(render_district_pdf, env, data, "Asia/Shanghai"), r)
    out = Path(__file__).resolve().parent / "out"  # noqa: ASYNC240 - a script, nothing else waits
    out.mkdir(exist_ok=True)
    (out / "district-monthly.pdf").write_bytes(pdf)
    print(f"  monthly district PDF: {len(pdf):,} bytes -> bench/out/district-monthly.pdf")
    await db.close()


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--keep", type=Path, help="database file to create or reuse (default: a temp file)")
    ap.add_argument("--pg", help="an empty PostgreSQL database to copy the fresh file to and time as well")
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    path = args.keep or Path(tmp.name) / "district.db"
    if not path.exists():
        db = Database(path, synchronous="NORMAL", clock=lambda: NOW)
        await db.open()
        t = time.perf_counter()
        centres = await build_tree(db)
        await db.close()
        n, events = generate(path, centres, args.days)
        print(f"built 63 centres, {n:,} tickets and {events:,} events in {time.perf_counter() - t:.1f} s "
              f"({path.stat().st_size / 2**20:,.0f} MiB)")
        if args.pg:  # before any roll-up is built, so that PostgreSQL's first briefing builds them too
            t = time.perf_counter()
            cli = str(Path(sys.executable).parent / "hallops")
            await asyncio.to_thread(subprocess.run, [cli, "migrate-to-postgres", str(path), args.pg], check=True,
                                    capture_output=True)
            print(f"copied to PostgreSQL in {time.perf_counter() - t:.1f} s")
    await measure(path, "SQLite")
    if args.pg:
        await measure(args.pg, "PostgreSQL")
    tmp.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
