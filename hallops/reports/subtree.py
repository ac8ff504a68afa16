"""Statistics of a subtree of centres (issue 10): a district, a street with its communities — the sum over its
centres, computed from their counts and from every ticket's wait.

The figures are those of one hall (hallops/reports/service.py), gathered for many at once: the closed days'
roll-ups of every centre in one read, the open day's tickets of every centre in one read, folded per centre
and merged. So the subtree's mean wait is its total wait over its waits (a mean weighted by each centre's
count), and its median and p90 are those of all its tickets' waits together — never an average of the
centres' averages or p90s.

The dimensions: `centre` (one row per centre, every centre of the subtree even a quiet one), then queues,
windows, clerks and departments, which belong to one centre each (their rows say which: `hall_id`, `centre`),
and channels and hours, summed over the subtree. `totals` is the subtree's.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from hallops.domain.errors import E, InvalidInput
from hallops.domain.halltree import LEVEL_ZH, Level, ancestors, depth_first
from hallops.domain.stats import Period
from hallops.reports.figures import DIMS, Acc, Accs, dim_row, figure, fold_day, sort_key
from hallops.reports.service import MAX_DAYS, Statistics
from hallops.storage.reports import DayRows, HallMeta, Row
from hallops.storage.subtree_reports import SubtreeReads

# Dimensions whose keys belong to one centre; the others (channel, hour) are summed over the subtree.
PER_CENTRE = ("queue", "window", "clerk", "department")
SUBTREE_DIMS = ("centre", *DIMS[1:])
ALL = "all"


def centres_of(halls: Sequence[dict[str, Any]], root: int) -> list[dict[str, Any]]:
    """The root and every hall below it, in the tree's order, each with its depth below the root."""
    parents = {int(h["id"]): h["parent_id"] for h in halls}
    by_id = {int(h["id"]): h for h in halls}
    top = len(ancestors(parents, root))
    return [{**by_id[i], "depth": len(ancestors(parents, i)) - top,
             "level_zh": LEVEL_ZH.get(Level(by_id[i]["level"]), by_id[i]["level"])}
            for i in depth_first(parents, [root])]


def check_dims(dims: Iterable[str]) -> list[str]:
    """The dimensions asked for, as the subtree offers them (the centre's always)."""
    out = ["centre", *[d for d in dims if d not in ("hall", "centre")]]
    for d in out:
        if d not in SUBTREE_DIMS:
            raise InvalidInput(E.BAD_DIMENSION, f"未知的统计维度 {d!r} (unknown dimension; one of "
                                                f"{', '.join(SUBTREE_DIMS)})", field="by")
    return out


class SubtreeStatistics:
    """Figures of any period of a subtree of centres, from the same roll-ups as a hall's."""

    def __init__(self, stats: Statistics) -> None:
        self.stats = stats
        self.reads: SubtreeReads = stats.port.subtree

    async def centres(self, root: int) -> list[dict[str, Any]]:
        return centres_of(await self.reads.halls(), root)

    async def metas(self, centres: Sequence[dict[str, Any]]) -> dict[int, HallMeta]:
        return await self.reads.metas([int(c["id"]) for c in centres])

    def bounds(self, metas: dict[int, HallMeta], period: Period) -> dict[tuple[float, float], list[int]]:
        """The centres grouped by the instants the period starts and ends for them (one group unless the
        subtree spans time zones)."""
        out: dict[tuple[float, float], list[int]] = {}
        for hid, meta in metas.items():
            out.setdefault(self.stats.bounds(meta, period), []).append(hid)
        return out

    async def statistics(self, centres: Sequence[dict[str, Any]], period: Period, dims: Iterable[str] = SUBTREE_DIMS,
                         *, work: bool = True, metas: dict[int, HallMeta] | None = None) -> dict[str, Any]:
        """The subtree's figures by the dimensions asked for (its centres' always). `work`: count calls,
        recalls and transfers of the open day too (from its work events); without it they cover closed days."""
        dims = check_dims(dims)
        if period.days > MAX_DAYS:
            raise InvalidInput(E.PERIOD_TOO_LONG, f"统计周期最长 {MAX_DAYS} 天 (at most {MAX_DAYS} days)")
        metas = metas if metas is not None else await self.metas(centres)
        ids = [int(c["id"]) for c in centres]
        live = await self.ensure_rollup(metas, period)
        stored = ["hall", *[d for d in dims if d != "centre"]]
        rows = await self.reads.rollup_rows(ids, stored, period.start.isoformat(), period.end.isoformat())
        folded: list[tuple[str, int, Accs]] = []
        for (day, tz_bounds), halls in sorted(live.items()):
            day_rows = await self.reads.day_rows(halls, day, tz_bounds if work else None,
                                                 departments="department" in stored)

            def fold(rows: dict[int, DayRows] = day_rows) -> list[tuple[int, Accs]]:
                return [(hid, fold_day(rs, metas[hid], stored)) for hid, rs in rows.items() if rs.tickets or rs.events]
            folded += [(day, hid, accs) for hid, accs in await asyncio.to_thread(fold)]
        accs, days = await asyncio.to_thread(_merge, rows, folded, dims)
        out = await asyncio.to_thread(_figures, accs, metas, centres, dims)
        root = centres[0]
        return {"hall": {"id": root["id"], "code": root["code"], "name": root["name"]}, "scope": "subtree",
                "centres": [{k: c[k] for k in ("id", "code", "name", "level", "level_zh", "parent_id", "depth")}
                            for c in centres],
                "period": {"kind": period.kind.value, "from": period.start.isoformat(), "to": period.end.isoformat(),
                           "days": period.days},
                **out, "days": _series(days, period)}

    async def ensure_rollup(self, metas: dict[int, HallMeta],
                            period: Period) -> dict[tuple[str, tuple[float, float]], list[int]]:
        """Build the closed days of the period that some centre misses; return what must be folded live:
        (day, that day's instants) → the centres. As `Statistics.ensure_rollup` does for one hall, with one
        read of what is built and one of which missing days had tickets, for every centre at once."""
        live: dict[tuple[str, tuple[float, float]], list[int]] = {}
        closed_to: dict[int, dt.date] = {}
        for hid, meta in metas.items():
            today = self.stats.today(meta)
            closed_to[hid] = min(period.end, today - dt.timedelta(days=1))
            if period.start <= today <= period.end:
                live.setdefault((today.isoformat(), self.stats.day_bounds(meta, today)), []).append(hid)
        closed = [hid for hid, last in closed_to.items() if last >= period.start]
        if not closed:
            return live
        start, end = period.start.isoformat(), max(closed_to[h] for h in closed).isoformat()
        async with self.stats.build_lock:
            built = await self.reads.built_days(closed, start, end)
            missing = [(hid, d.isoformat()) for hid in closed
                       for d in Period(period.kind, period.start, closed_to[hid]).dates()
                       if (hid, d.isoformat()) not in built]
            if not missing:
                return live
            days = sorted(d for _, d in missing)
            had = await self.reads.ticket_days(sorted({h for h, _ in missing}), days[0], days[-1])
            await self.reads.mark_empty_days(p for p in missing if p not in had)
            to_build: dict[tuple[str, tuple[float, float]], list[int]] = {}
            for hid, d in missing:
                if (hid, d) in had:  # with tickets not all final yet: folded live (the rollover will close them)
                    day = (d, self.stats.day_bounds(metas[hid], dt.date.fromisoformat(d)))
                    (live if had[(hid, d)] else to_build).setdefault(day, []).append(hid)
            for (d, bounds), halls in sorted(to_build.items()):
                await self.build_day(metas, halls, d, bounds)
        return live

    async def build_day(self, metas: dict[int, HallMeta], halls: list[int], day: str,
                        bounds: tuple[float, float]) -> None:
        """Roll up one closed day of many centres: their tickets and work events in one read, each centre's
        roll-up stored as `Statistics.build_day` stores one (a write job each, so none holds the writer long)."""
        rows = await self.reads.day_rows(halls, day, bounds)

        def fold() -> list[tuple[int, list[tuple[str, str, dict[str, Any]]], int]]:
            return [(hid, [(dim, key, a.row()) for (dim, key), a in fold_day(rs, metas[hid]).items()],
                     len(rs.tickets)) for hid, rs in rows.items()]
        for hid, out, tickets in await asyncio.to_thread(fold):
            await self.stats.port.store_rollup(hid, day, out, tickets)


def _acc(accs: Accs, key: tuple[str, str]) -> Acc:
    a = accs.get(key)
    if a is None:
        a = accs[key] = Acc()
    return a


def _targets(hid: int, dim: str, key: str, dims: Sequence[str]) -> list[tuple[str, str]]:
    """Where a hall's (dim, key) figures go in the subtree: its centre's row and the totals, a per-centre
    dimension's row under the centre, or the subtree's channel or hour."""
    if dim == "hall":
        return [("hall", ALL), ("centre", str(hid))]
    if dim not in dims:
        return []
    return [(dim, f"{hid}:{key}")] if dim in PER_CENTRE else [(dim, key)]


def _merge(rows: list[Row], folded: list[tuple[str, int, Accs]],
           dims: Sequence[str]) -> tuple[Accs, Accs]:
    """The subtree's accumulators, and its days' (the hall rows of each day summed over the centres)."""
    accs: Accs = {}
    days: Accs = {}
    for r in rows:
        for target in _targets(int(r["hall_id"]), r["dim"], r["key"], dims):
            _acc(accs, target).merge_row(r)
        if r["dim"] == "hall":
            _acc(days, ("day", r["service_day"])).merge_row(r)
    for day, hid, part in folded:
        for (dim, key), a in part.items():
            row = a.row()
            for target in _targets(hid, dim, key, dims):
                _acc(accs, target).merge_row(row)
            if dim == "hall":
                _acc(days, ("day", day)).merge_row(row)
    return accs, days


def _series(days: Accs, period: Period) -> list[dict[str, Any]]:
    """Issued, served, no-shows and the mean wait of each day of the period, over the subtree."""
    out = []
    for d in period.dates():
        a = days.get(("day", d.isoformat()))
        n = a.wait_count() if a else 0
        out.append({"day": d.isoformat(), "issued": a.c["issued"] if a else 0, "served": a.c["served"] if a else 0,
                    "no_show": a.c["no_show"] if a else 0,
                    "mean_wait_minutes": round(a.wait_sum / n / 60, 1) if a and n else None})
    return out


def _figures(accs: Accs, metas: dict[int, HallMeta], centres: Sequence[dict[str, Any]],
             dims: Sequence[str]) -> dict[str, Any]:
    root = centres[0]
    order = {int(c["id"]): i for i, c in enumerate(centres)}
    out: dict[str, Any] = {"totals": {"key": ALL, "label": root["name"], **figure(accs.get(("hall", ALL), Acc()))}}
    out["centre"] = [{"key": str(c["id"]), "label": c["name"], "hall_id": c["id"], "code": c["code"],
                      "centre": c["name"], "level": c["level"], "level_zh": c["level_zh"], "depth": c["depth"],
                      "parent_id": c["parent_id"], **figure(accs.get(("centre", str(c["id"])), Acc()))}
                     for c in centres]
    for dim in dims:
        if dim == "centre":
            continue
        keyed = [k for d, k in accs if d == dim]
        if dim in PER_CENTRE:
            split = [(int(k.split(":", 1)[0]), k.split(":", 1)[1], k) for k in keyed]
            split.sort(key=lambda x: (order[x[0]], sort_key(metas[x[0]], dim, x[1])))
            out[dim] = [{**dim_row(metas[hid], dim, key, accs[(dim, full)]), "hall_id": hid,
                         "centre": centres[order[hid]]["name"]} for hid, key, full in split]
        else:
            meta = metas[int(root["id"])]
            out[dim] = [dim_row(meta, dim, k, accs[(dim, k)])
                        for k in sorted(keyed, key=lambda k: sort_key(meta, dim, k))]
    return out
