"""The daily briefing, generated at a set local time after closing and kept; roll-ups caught up first.

Time is the store's clock, so tests (and a hall replaying a day) move it by hand. A day without tickets
(a weekend) gets no briefing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from hallops.domain.stats import Period
from hallops.reports.briefing import assemble
from hallops.reports.publish import ReportSettings
from hallops.reports.service import Statistics
from hallops.storage import reports as sql
from hallops.storage.rules import service_day_of, zone

log = logging.getLogger(__name__)


async def generate(stats: Statistics, hall_id: int, period: Period, by: str) -> int:
    data = await assemble(stats, hall_id, period)
    return await stats.store.db.write(lambda tx: sql.save_briefing(
        tx, hall_id, period.kind.value, period.start.isoformat(), period.end.isoformat(), data, by))


async def run_once(stats: Statistics, caught_up: set[int]) -> list[int]:
    """Generate each hall's daily briefing if its time has come and it is not kept yet."""
    store = stats.store
    made = []
    for h in await sql.all_settings(store.db):
        if h["hall_id"] not in caught_up:
            built = await stats.catch_up(h["hall_id"])
            if built:
                log.info("rolled up %d closed days of hall %s", built, h["hall_id"])
            caught_up.add(h["hall_id"])
        now = store.now()
        day = dt.date.fromisoformat(service_day_of(now, h["timezone"], store.rules))
        at = dt.datetime.combine(day, dt.time.fromisoformat(h["daily_at"]), tzinfo=zone(h["timezone"]))
        if at.time() < store.rules.rollover:  # a time after midnight belongs to the day that is ending
            at += dt.timedelta(days=1)
        if now < at.timestamp():
            continue
        if await sql.find_briefing(store.db, h["hall_id"], "daily", day.isoformat()) is not None:
            continue
        if not await store.db.one("SELECT 1 FROM tickets WHERE hall_id = ? AND service_day = ? LIMIT 1",
                                  (h["hall_id"], day.isoformat())):
            continue
        made.append(await generate(stats, h["hall_id"], Period.day(day), "scheduler"))
        log.info("daily briefing of hall %s for %s generated", h["hall_id"], day)
    return made


async def run(stats: Statistics, settings: ReportSettings) -> None:
    caught_up: set[int] = set()
    while True:
        try:
            await run_once(stats, caught_up)
        except Exception:
            log.exception("daily briefing scheduler failed; will retry")
        await asyncio.sleep(settings.scheduler_seconds)
