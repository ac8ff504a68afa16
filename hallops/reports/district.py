"""The district's briefing (区域简报, issue 10): a row per centre of a subtree, the subtree's totals, and the
centres' ranking, for a day, a week or a month.

Each row: tickets issued and served, the no-show rate, the mean and p90 wait and the share called within
target; patrols against quota over the period's patrol days; findings awaiting their fix, open bad-rating
follow-ups and open cases, with those overdue; ratings and their satisfaction rate; the centre's score and
rank (hallops/domain/district_stats.py says how, and the briefing says it too). The totals are the subtree's
own figures (hallops/reports/subtree.py), so they add up: sums of the rows' counts, a mean wait weighted by
each centre's waits, the p90 of every ticket's wait.

Computed when asked, from grouped reads (a few queries whatever the number of centres); nothing is kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hallops.domain.district_stats import (
    DEFAULT_PATROLS,
    METHOD_EN,
    METHOD_ZH,
    PART_ZH,
    WEIGHTS,
    Floor,
    PatrolRule,
    patrol_coverage,
    rank,
    score,
    sum_floors,
)
from hallops.domain.ratings import BAD_LEVELS, Level
from hallops.domain.stats import KIND_ZH, Period, rate
from hallops.reports.subtree import SubtreeStatistics
from hallops.storage.reports import HallMeta

RATED = frozenset(lv.value for lv in Level)
BAD = frozenset(lv.value for lv in BAD_LEVELS)


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 4)


async def floors(sub: SubtreeStatistics, metas: Mapping[int, HallMeta], period: Period) -> dict[int, dict[str, Any]]:
    """Each centre's patrols against quota, open items and the period's ratings and cases, as counts."""
    now = sub.stats.now()
    raw: dict[int, dict[str, Any]] = {}
    for (start_ts, end_ts), halls in sub.bounds(dict(metas), period).items():
        raw |= await sub.reads.floor(halls, period.start.isoformat(), period.end.isoformat(), start_ts, end_ts, now)
    out = {}
    for hid, r in raw.items():
        rule = PatrolRule.parse(*r["settings"]) if r["settings"] else DEFAULT_PATROLS
        days = rule.days(period, sub.stats.today(metas[hid]))
        floor = Floor(full=r["done"].get("full", 0), full_quota=rule.full_quota * days,
                      spot=r["done"].get("spot", 0), spot_quota=rule.spot_quota * days,
                      findings_open=r["findings"][0], findings_overdue=r["findings"][1],
                      followups_open=r["followups"][0], followups_overdue=r["followups"][1],
                      cases_open=r["cases"][0], cases_overdue=r["cases"][1])
        out[hid] = {"floor": floor, "patrol_days": days, "ratings": r["ratings"], "received": r["received"]}
    return out


def floor_figures(floor: Floor, ratings: Mapping[str, int], received: Sequence[int],
                  coverage: float | None) -> dict[str, Any]:
    """Patrols against quota, open items, ratings and cases: the columns a centre's row, the totals and the
    workbook's sheet share."""
    rated = sum(n for level, n in ratings.items() if level in RATED)
    bad = sum(n for level, n in ratings.items() if level in BAD)
    return {**floor.as_dict(), "patrol_coverage": _r(coverage), "rated": rated, "bad": bad,
            "satisfaction_rate": _r(rate(rated - bad, rated)), "cases_received": received[0],
            "cases_closed": received[1], "cases_on_time": received[2]}


def ticket_figures(fig: Mapping[str, Any]) -> dict[str, Any]:
    """The ticket columns of a centre's row or of the totals, from its statistics."""
    w = fig["wait_minutes"]
    return {"issued": fig["issued"], "served": fig["served"], "no_show": fig["no_show"],
            "cancelled": fig["cancelled"], "expired": fig["expired"], "waiting": fig["waiting"],
            "served_rate": fig["served_rate"], "no_show_rate": fig["no_show_rate"],
            "within_target": fig["within_target"], "within_target_rate": fig["within_target_rate"],
            "waits": w["n"], "wait_mean": w["mean"], "wait_median": w["median"], "wait_p90": w["p90"],
            "wait_max": w["max"]}


def _sum_ratings(parts: Sequence[Mapping[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for p in parts:
        for k, n in p.items():
            out[k] = out.get(k, 0) + n
    return out


async def assemble(sub: SubtreeStatistics, centres: Sequence[dict[str, Any]], period: Period) -> dict[str, Any]:
    """The district briefing of `period` over `centres` (the subtree's root first, in the tree's order)."""
    metas = await sub.metas(centres)
    stats = await sub.statistics(centres, period, ["centre"], work=False, metas=metas)
    fl = await floors(sub, metas, period)
    rows = []
    for c, fig in zip(centres, stats["centre"], strict=True):
        f = fl[int(c["id"])]
        row = {"hall_id": c["id"], **{k: c[k] for k in ("code", "name", "level", "level_zh", "depth", "parent_id")},
               "patrol_days": f["patrol_days"], **ticket_figures(fig),
               **floor_figures(f["floor"], f["ratings"], f["received"], patrol_coverage([f["floor"]]))}
        rows.append(row | score(fig["within_target_rate"], f["floor"]))
    for row, n in zip(rows, rank(rows), strict=True):
        row["rank"] = n
    all_floors = [f["floor"] for f in fl.values()]
    received = [sum(f["received"][i] for f in fl.values()) for i in range(3)]
    totals = {**ticket_figures(stats["totals"]),
              **floor_figures(sum_floors(all_floors), _sum_ratings([f["ratings"] for f in fl.values()]), received,
                              patrol_coverage(all_floors))}
    root = centres[0]
    ranking = sorted((r for r in rows if r["rank"] is not None), key=lambda r: r["rank"])
    return {
        "hall": stats["hall"],
        "root": {"id": root["id"], "code": root["code"], "name": root["name"], "level": root["level"],
                 "level_zh": root["level_zh"]},
        "period": {"kind": period.kind.value, "from": period.start.isoformat(), "to": period.end.isoformat(),
                   "label": period.label_zh(), "days": period.days, "kind_zh": KIND_ZH[period.kind]},
        "centres": len(rows),
        "rows": rows,
        "totals": totals,
        "days": stats["days"],
        "ranking": [{"rank": r["rank"], "hall_id": r["hall_id"], "name": r["name"], "score": r["score"],
                     "parts": r["parts"], "wait_mean": r["wait_mean"]} for r in ranking],
        "unranked": [r["name"] for r in rows if r["rank"] is None],
        "method": {"weights": dict(WEIGHTS), "parts_zh": PART_ZH, "zh": METHOD_ZH, "en": METHOD_EN},
        "summary": summary(totals, rows, ranking),
        "as_of": sub.stats.now(),
    }


async def quality_rows(sub: SubtreeStatistics, centres: Sequence[dict[str, Any]],
                       period: Period) -> list[dict[str, Any]]:
    """Each centre's patrols against quota, open items, ratings and cases of `period` (no ticket figures), for
    the subtree's workbook."""
    fl = await floors(sub, await sub.metas(centres), period)
    return [{"hall_id": c["id"], "centre": c["name"], "level_zh": c["level_zh"],
             **floor_figures(f["floor"], f["ratings"], f["received"], patrol_coverage([f["floor"]]))}
            for c in centres for f in [fl[int(c["id"])]]]


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{round(v * 100, 1)}%"


def _num(v: float | None) -> str:
    return "—" if v is None else f"{v}"


def summary(t: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], ranking: Sequence[Mapping[str, Any]]) -> list[str]:
    """The few sentences read first."""
    out = [f"{len(rows)} 个中心共取号 {t['issued']} 张，办结 {t['served']} 件，过号 {t['no_show']} 张"
           f"（过号率 {_pct(t['no_show_rate'])}）。"]
    if t["waits"]:
        out.append(f"平均等候 {_num(t['wait_mean'])} 分钟，90% 的号等候不超过 {_num(t['wait_p90'])} 分钟，"
                   f"{_pct(t['within_target_rate'])} 的号在目标时长内叫到。")
    out.append(f"全面巡查 {t['full']}/{t['full_quota']} 次，重点窗口抽查 {t['spot']}/{t['spot_quota']} 次"
               f"（按应完成次数计完成率 {_pct(t['patrol_coverage'])}）；未整改巡查问题 {t['findings_open']} 个"
               f"（超期 {t['findings_overdue']} 个），差评回访未结 {t['followups_open']} 件（超期 "
               f"{t['followups_overdue']} 件），咨询投诉未结 {t['cases_open']} 件（超期 {t['cases_overdue']} 件）。")
    if len(ranking) > 1:
        k = 3 if len(ranking) >= 6 else 1
        top, bottom = ranking[:k], ranking[-k:]
        out.append("综合得分居前：" + "、".join(f"{r['name']}（{r['score']}）" for r in top) + "；居后："
                   + "、".join(f"{r['name']}（{r['score']}）" for r in bottom) + "。")
    quiet = [r["name"] for r in rows if r["rank"] is None]
    if quiet:
        out.append(f"本期无叫号、不参与排名的中心 {len(quiet)} 个。")
    return out
