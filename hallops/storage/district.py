"""What the district board reads (hallops/events/district.py): the centres of the tree and their floor figures.

Floor figures are counts over small, indexed tables — the day's finished patrols against each centre's quota,
findings awaiting their fix, open bad-rating follow-ups, overdue cases — read for many centres at once, one
grouped query per kind (never one per centre, never the event log). A centre's queues and windows come from
its hall state (HallStore.state), read once and then folded from events.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from hallops.domain.district import EMPTY_FLOOR
from hallops.domain.patrols import PENDING_FIX
from hallops.storage.db import Database
from hallops.storage.patrols import DEFAULT_SETTINGS as PATROL_DEFAULTS
from hallops.storage.rules import Rules, service_day_of

_PENDING = tuple(s.value for s in PENDING_FIX)


def _marks(n: int) -> str:
    return ",".join("?" * n)


class DistrictPort:
    def __init__(self, db: Database, rules: Rules) -> None:
        self.db = db
        self.rules = rules

    def now(self) -> float:
        return self.db.clock()

    async def centres(self) -> list[dict[str, Any]]:
        """Every hall, parent before child (ids grow as centres are added under existing ones)."""
        rows = await self.db.all("SELECT id, code, name, name_en, level, parent_id, timezone FROM halls ORDER BY id")
        return [dict(r) for r in rows]

    async def floor(self, halls: list[dict[str, Any]]) -> dict[int, dict[str, int]]:
        """Each hall's floor figures now (`halls`: rows with id and timezone)."""
        if not halls:
            return {}
        now = self.db.clock()
        ids = [int(h["id"]) for h in halls]
        quota = {k: int(PATROL_DEFAULTS[k]) for k in ("full_quota", "spot_quota")}  # a hall that set none
        out: dict[int, dict[str, int]] = {i: dict(EMPTY_FLOOR) | quota for i in ids}
        by_day: dict[str, list[int]] = defaultdict(list)
        for h in halls:
            by_day[service_day_of(now, h["timezone"], self.rules)].append(int(h["id"]))
        async with self.db.snapshot() as r:
            for s in await r.all(f"SELECT hall_id, full_quota, spot_quota FROM patrol_settings "
                                  f"WHERE hall_id IN ({_marks(len(ids))})", ids):
                out[int(s["hall_id"])].update(full_quota=int(s["full_quota"]), spot_quota=int(s["spot_quota"]))
            for day, day_ids in by_day.items():
                for p in await r.all(f"SELECT hall_id, kind, count(*) AS n FROM patrols WHERE hall_id IN "
                                     f"({_marks(len(day_ids))}) AND service_day = ? AND status = 'done' "
                                     "GROUP BY hall_id, kind", [*day_ids, day]):
                    if p["kind"] in ("full", "spot"):
                        out[int(p["hall_id"])][f"{p['kind']}_done"] = int(p["n"])
            for f in await r.all(
                    f"SELECT hall_id, count(*) AS n, count(*) FILTER (WHERE status IN ({_marks(len(_PENDING))}) "
                    f"AND due_at < ?) AS overdue FROM findings WHERE hall_id IN ({_marks(len(ids))}) "
                    "AND status <> 'verified' GROUP BY hall_id", [*_PENDING, now, *ids]):
                out[int(f["hall_id"])].update(findings_open=int(f["n"]), findings_overdue=int(f["overdue"]))
            for f in await r.all(f"SELECT hall_id, count(*) AS n FROM followups WHERE hall_id IN "
                                 f"({_marks(len(ids))}) AND status NOT IN ('closed', 'voided') GROUP BY hall_id",
                                 ids):
                out[int(f["hall_id"])]["followups_open"] = int(f["n"])
            for c in await r.all(f"SELECT hall_id, count(*) AS n FROM cases WHERE hall_id IN ({_marks(len(ids))}) "
                                 "AND closed_at IS NULL AND due_at <= ? GROUP BY hall_id", [*ids, now]):
                out[int(c["hall_id"])]["cases_overdue"] = int(c["n"])
        return out
