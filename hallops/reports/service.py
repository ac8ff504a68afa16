"""Statistics for any period: closed days from the roll-up (built once, incrementally), the open day live.

A service day is rolled up once it is over and all its tickets are final; until then its figures are
folded from the tickets on every request (one day is a few thousand rows). Folding and merging run in a
worker thread so that a year's statistics never hold up the event loop.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Iterable
from typing import Any

from hallops.domain.errors import E, InvalidInput
from hallops.domain.stats import Period, PeriodKind
from hallops.reports.figures import DIMS, Accs, fold_day, merge_into, merge_rows
from hallops.reports.figures import figures as to_figures
from hallops.storage.reports import HallMeta, ReportsPort
from hallops.storage.rules import Rules, service_day_of, zone

log = logging.getLogger(__name__)
MAX_DAYS = 400


def day_bounds(day: dt.date, tz_name: str, rollover: dt.time) -> tuple[float, float]:
    """The instants a service day starts and ends (rollover to rollover, local time)."""
    tz = zone(tz_name)
    start = dt.datetime.combine(day, rollover, tzinfo=tz)
    end = dt.datetime.combine(day + dt.timedelta(days=1), rollover, tzinfo=tz)
    return start.timestamp(), end.timestamp()


class Statistics:
    """Figures of any period of a hall, read through the reports port; one per application."""

    def __init__(self, port: ReportsPort, rules: Rules, clock: Callable[[], float]) -> None:
        self.port = port
        self.rules = rules
        self.now = clock
        self.build_lock = asyncio.Lock()

    def today(self, meta: HallMeta) -> dt.date:
        return dt.date.fromisoformat(service_day_of(self.now(), meta.hall["timezone"], self.rules))

    def day_bounds(self, meta: HallMeta, day: dt.date) -> tuple[float, float]:
        return day_bounds(day, meta.hall["timezone"], self.rules.rollover)

    def bounds(self, meta: HallMeta, period: Period) -> tuple[float, float]:
        return self.day_bounds(meta, period.start)[0], self.day_bounds(meta, period.end)[1]

    async def build_day(self, meta: HallMeta, day: dt.date) -> int:
        """Roll up one closed day; returns its ticket count."""
        d = day.isoformat()
        rows = await self.port.day_rows(meta.hall["id"], d, self.day_bounds(meta, day))
        accs = await asyncio.to_thread(fold_day, rows, meta)
        out = [(dim, key, a.row()) for (dim, key), a in accs.items()]
        await self.port.store_rollup(meta.hall["id"], d, out, len(rows.tickets))
        return len(rows.tickets)

    async def ensure_rollup(self, meta: HallMeta, period: Period) -> set[str]:
        """Build the missing closed days of the period; return the days that must be folded live."""
        today = self.today(meta)
        last_closed = min(period.end, today - dt.timedelta(days=1))
        live = {d.isoformat() for d in period.dates() if today >= d > last_closed}
        if last_closed < period.start:
            return live
        s, e = period.start.isoformat(), last_closed.isoformat()
        async with self.build_lock:
            built = await self.port.built_days(meta.hall["id"], s, e)
            first = await self.port.first_ticket_day(meta.hall["id"])
            missing = [d for d in Period(period.kind, period.start, last_closed).dates()
                       if d.isoformat() not in built and first is not None and d.isoformat() >= first]
            if missing:
                active = await self.port.days_with_active_tickets(meta.hall["id"], s, e)
                for d in missing:
                    if d.isoformat() in active:
                        live.add(d.isoformat())  # not closed yet: the rollover will expire its leftovers
                    else:
                        await self.build_day(meta, d)
        return live

    async def catch_up(self, hall_id: int, days: int = 400) -> int:
        """Roll up every closed day of the last `days` that is missing (at start and nightly)."""
        meta = await self.port.hall_meta(hall_id)
        today = self.today(meta)
        first = await self.port.first_ticket_day(hall_id)
        if first is None:
            return 0
        start = max(dt.date.fromisoformat(first), today - dt.timedelta(days=days))
        if start >= today:
            return 0
        before = len(await self.port.built_days(hall_id, start.isoformat(), today.isoformat()))
        await self.ensure_rollup(meta, Period(PeriodKind.CUSTOM, start, today - dt.timedelta(days=1)))
        after = len(await self.port.built_days(hall_id, start.isoformat(), today.isoformat()))
        return after - before

    async def accumulate(self, meta: HallMeta, period: Period, dims: Iterable[str]) -> tuple[Accs, list[Any]]:
        """The period's accumulators for `dims`, and the hall's per-day rows (for daily series)."""
        dims = list(dims)
        if period.days > MAX_DAYS:
            raise InvalidInput(E.PERIOD_TOO_LONG, f"统计周期最长 {MAX_DAYS} 天 (at most {MAX_DAYS} days)")
        live = await self.ensure_rollup(meta, period)
        rows = await self.port.rollup_rows(meta.hall["id"], dims, period.start.isoformat(),
                                           period.end.isoformat())
        day_accs: list[tuple[str, Accs]] = []
        for d in sorted(live):
            rs = await self.port.day_rows(meta.hall["id"], d, self.day_bounds(meta, dt.date.fromisoformat(d)))
            day_accs.append((d, await asyncio.to_thread(fold_day, rs, meta, dims)))

        def merge() -> Accs:
            total: Accs = {}
            merge_rows(total, rows)
            for _, accs in day_accs:
                merge_into(total, {k: v for k, v in accs.items() if k[0] in dims})
            return total

        total = await asyncio.to_thread(merge)
        series: list[Any] = [r for r in rows if r["dim"] == "hall"]
        series += [{"service_day": d, **accs[("hall", "all")].row()} for d, accs in day_accs
                   if ("hall", "all") in accs]
        return total, series

    async def statistics(self, hall_id: int, period: Period, dims: Iterable[str] = DIMS) -> dict[str, Any]:
        dims = ["hall", *[d for d in dims if d != "hall"]]
        for d in dims:
            if d not in DIMS:
                raise InvalidInput(E.BAD_DIMENSION, f"未知的统计维度 {d!r} (unknown dimension; one of "
                                                    f"{', '.join(DIMS)})", field="by")
        meta = await self.port.hall_meta(hall_id)
        accs, series = await self.accumulate(meta, period, dims)
        out = await asyncio.to_thread(to_figures, accs, meta, dims)
        return {"hall": {"id": hall_id, "code": meta.hall["code"], "name": meta.hall["name"]},
                "period": {"kind": period.kind.value, "from": period.start.isoformat(),
                           "to": period.end.isoformat(), "days": period.days},
                **out, "days": daily_series(series, period)}


def daily_series(rows: list[Any], period: Period) -> list[dict[str, Any]]:
    """Issued, served, no-shows and the mean wait of each day of the period (0 for days without tickets)."""
    by_day = {r["service_day"]: r for r in rows}
    out = []
    for d in period.dates():
        r = by_day.get(d.isoformat())
        n_wait = len(r["waits"]) // 2 if r else 0
        out.append({"day": d.isoformat(), "issued": r["issued"] if r else 0, "served": r["served"] if r else 0,
                    "no_show": r["no_show"] if r else 0,
                    "mean_wait_minutes": round(r["wait_sum"] / n_wait / 60, 1) if r and n_wait else None})
    return out
