"""The district briefing's rules (issue 10): each centre's patrols against quota over a period, the items it has
open, its ranking score, and the subtree's totals of those.

A subtree's ticket figures are computed from its centres' counts and from every ticket's wait (see
hallops/reports/subtree.py), never by averaging the centres' averages or their p90s. The same holds here: a
rate of the totals is the sum of the parts over the sum of the wholes.

The ranking (综合得分, 0–100) has three parts, each 0–100:

- 等候达标 (weight 50): the share of the centre's called tickets that were called within their queue's target
  wait;
- 巡查完成 (weight 30): full patrols and key-window spot checks done against the quota of the period's patrol
  days, each kind counted up to its quota (extra patrols of one kind do not make up for missing ones of the
  other);
- 按期办理 (weight 20): the share of the centre's open items — patrol findings awaiting their fix, bad-rating
  follow-ups and consultation/complaint cases — that are not overdue; 100 when nothing is open.

A part with nothing to measure (a period without patrol days) is left out and the weights of the others are
scaled up (as the windows' scores do, hallops/domain/scores.py); a centre that called no ticket in the period
is not ranked. Ties go to the shorter mean wait, then to the tree's order.

Pure: numbers and dates come in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from hallops.domain.stats import Period

WEIGHTS: tuple[tuple[str, float], ...] = (("wait", 50.0), ("patrol", 30.0), ("on_time", 20.0))
PART_ZH = {"wait": "等候达标", "patrol": "巡查完成", "on_time": "按期办理"}
# Said in the briefing under the ranking, so a reader can check a score by hand.
METHOD_ZH = ("综合得分满分 100，由三项加权：等候达标（权重 50，目标时长内叫号的号数占已叫号数的比例）、"
             "巡查完成（权重 30，全面巡查与重点窗口抽查各按本期巡查日应完成次数计，超出部分不抵另一项）、"
             "按期办理（权重 20，未结的巡查问题、差评回访和咨询投诉中未超期的比例，无未结事项计满分）。"
             "某项无可计量的数据时（如本期无巡查日）不计，其权重按比例分给其余各项；本期无叫号的中心不参与排名；"
             "得分相同时平均等候短者在前。未结与超期事项为生成简报时的状态。")
METHOD_EN = ("The score (out of 100) weighs three parts: waits within target (50: the share of called tickets "
             "called within their queue's target wait), patrols done (30: full patrols and spot checks against the "
             "quota of the period's patrol days, each kind counted up to its quota) and items on time (20: the "
             "share of open findings, bad-rating follow-ups and cases not overdue; 100 when nothing is open). A "
             "part with nothing to measure is left out and the others scaled up; a centre that called no ticket "
             "is not ranked; ties go to the shorter mean wait.")


@dataclass(frozen=True, slots=True)
class PatrolRule:
    """When a centre patrols and how often (its patrol settings)."""

    weekdays: frozenset[int]  # ISO weekdays, 1 = Monday
    full_quota: int
    spot_quota: int

    @classmethod
    def parse(cls, weekdays: str, full_quota: int, spot_quota: int) -> PatrolRule:
        """`weekdays` as stored: "1,2,3,4,5"."""
        return cls(frozenset(int(x) for x in str(weekdays).split(",") if x.strip()), int(full_quota),
                   int(spot_quota))

    def days(self, period: Period, today: dt.date) -> int:
        """The period's patrol days up to today (a day still to come owes nothing yet)."""
        return sum(1 for d in period.dates() if d.isoweekday() in self.weekdays and d <= today)


DEFAULT_PATROLS = PatrolRule(frozenset({1, 2, 3, 4, 5}), 6, 4)  # a centre that never set its own


@dataclass(frozen=True, slots=True)
class Floor:
    """A centre's patrols against quota over a period, and the items it has open (with those overdue)."""

    full: int = 0
    full_quota: int = 0
    spot: int = 0
    spot_quota: int = 0
    findings_open: int = 0
    findings_overdue: int = 0
    followups_open: int = 0
    followups_overdue: int = 0
    cases_open: int = 0
    cases_overdue: int = 0

    @property
    def patrols_counted(self) -> int:
        """Patrols done that count towards the quota: each kind up to its own quota."""
        return min(self.full, self.full_quota) + min(self.spot, self.spot_quota)

    @property
    def quota(self) -> int:
        return self.full_quota + self.spot_quota

    @property
    def open_items(self) -> int:
        return self.findings_open + self.followups_open + self.cases_open

    @property
    def overdue_items(self) -> int:
        return self.findings_overdue + self.followups_overdue + self.cases_overdue

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def patrol_coverage(floors: Iterable[Floor]) -> float | None:
    """Patrols counted against quota over one or more centres (a centre's surplus never covers another's
    shortfall); None when no patrol was owed."""
    fl = list(floors)
    quota = sum(f.quota for f in fl)
    return sum(f.patrols_counted for f in fl) / quota if quota else None


def sum_floors(floors: Iterable[Floor]) -> Floor:
    fl = list(floors)
    return Floor(**{f.name: sum(getattr(x, f.name) for x in fl) for f in fields(Floor)})


def score(within_target_rate: float | None, floor: Floor) -> dict[str, Any]:
    """A centre's score with its parts (each 0–100, rounded to 0.1) and the weights used. The score is None
    when the centre called no ticket (`within_target_rate` None): it is not ranked."""
    coverage = patrol_coverage([floor])
    parts: dict[str, float | None] = {
        "wait": None if within_target_rate is None else round(within_target_rate * 100, 1),
        "patrol": None if coverage is None else round(coverage * 100, 1),
        "on_time": round((1 - floor.overdue_items / floor.open_items) * 100, 1) if floor.open_items else 100.0,
    }
    if parts["wait"] is None:
        return {"score": None, "parts": parts, "weights": {}}
    used = {k: w for k, w in WEIGHTS if parts[k] is not None}
    total = sum(used.values())
    value = sum((parts[k] or 0.0) * w for k, w in used.items()) / total
    return {"score": round(value, 1), "parts": parts, "weights": used}


def rank(rows: Sequence[Mapping[str, Any]]) -> list[int | None]:
    """The rank of each row (None: not ranked), rows given in the tree's order with "score" and "wait_mean"
    (minutes, None when nothing waited): the higher score first, then the shorter mean wait, then the order."""
    order = sorted((i for i, r in enumerate(rows) if r["score"] is not None),
                   key=lambda i: (-rows[i]["score"], rows[i]["wait_mean"] if rows[i]["wait_mean"] is not None
                                  else float("inf"), i))
    out: list[int | None] = [None] * len(rows)
    for n, i in enumerate(order, 1):
        out[i] = n
    return out
