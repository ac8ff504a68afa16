"""A briefing's content: headline figures with their change, the statistics behind the charts, and the
sections of other features (patrols, appointments, ratings, cases), each saying plainly when its data does
not exist yet. The result is plain JSON, kept with the briefing so a published briefing never drifts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hallops.domain.stats import Period, PeriodKind, change, rate
from hallops.reports.service import Statistics

# (key, Chinese name, unit, where in the totals, how many decimals, whether up is good)
HEADLINE = (
    ("issued", "取号总量", "张", ("issued",), 0, None),
    ("served", "办结量", "件", ("served",), 0, True),
    ("served_rate", "办结率", "%", ("served_rate",), 1, True),
    ("no_show", "过号", "张", ("no_show",), 0, False),
    ("wait_mean", "平均等候", "分钟", ("wait_minutes", "mean"), 1, False),
    ("wait_median", "等候中位数", "分钟", ("wait_minutes", "median"), 1, False),
    ("wait_p90", "90%等候不超过", "分钟", ("wait_minutes", "p90"), 1, False),
    ("within_target_rate", "目标时长内叫号", "%", ("within_target_rate",), 1, True),
    ("service_mean", "平均办理", "分钟", ("service_minutes", "mean"), 1, None),
    ("transferred", "转移", "张", ("transferred",), 0, None),
    ("bundle", "一件事一次办", "件", ("bundle",), 0, None),
    ("appointments", "预约签到", "张", ("appointments",), 0, None),
)
NO_RATINGS = "暂无数据来源（好差评系统尚未接入）"
NO_CASES = "暂无数据来源（咨询投诉系统尚未接入）"
NO_PATROLS = "暂无数据来源（巡查功能尚未接入）"
RATING_LEVELS = (("very_satisfied", "非常满意"), ("satisfied", "满意"), ("basic", "基本满意"),
                 ("dissatisfied", "不满意"), ("very_dissatisfied", "非常不满意"))


def _get(d: dict[str, Any], path: tuple[str, ...]) -> Any:
    for p in path:
        d = d.get(p) if isinstance(d, dict) else None  # type: ignore[assignment]
    return d


def headline(cur: dict[str, Any], prev: dict[str, Any] | None) -> list[dict[str, Any]]:
    out = []
    for key, name, unit, path, digits, up_good in HEADLINE:
        v, pv = _get(cur, path), _get(prev, path) if prev else None
        if unit == "%":
            v = None if v is None else round(v * 100, 1)
            pv = None if pv is None else round(pv * 100, 1)
        ch = change(v, pv)
        out.append({"key": key, "name": name, "unit": unit, "value": v, "previous": pv,
                    "delta": None if ch.delta is None else round(ch.delta, digits),
                    "ratio": None if ch.ratio is None else round(ch.ratio, 4), "direction": ch.direction,
                    "good": None if up_good is None or ch.direction == "flat" else
                    (ch.direction == "up") == up_good, "digits": digits})
    return out


async def previous_period(stats: Statistics, hall_id: int, period: Period) -> Period:
    """For a daily briefing the last earlier day the hall served (a Monday is set against Friday, not an
    empty Sunday); otherwise the period just before."""
    if period.kind is not PeriodKind.DAILY:
        return period.previous()
    day = await stats.port.last_ticket_day(hall_id, period.start.isoformat(),
                                           (period.start - dt.timedelta(days=14)).isoformat())
    return Period.day(dt.date.fromisoformat(day)) if day else period.previous()


async def assemble(stats: Statistics, hall_id: int, period: Period) -> dict[str, Any]:
    """The briefing of `period`: figures, their change against the period before, and every section."""
    cur = await stats.statistics(hall_id, period)
    prev_period = await previous_period(stats, hall_id, period)
    prev = await stats.statistics(hall_id, prev_period, ["hall"])
    meta = await stats.port.hall_meta(hall_id)
    start_ts, end_ts = stats.bounds(meta, period)
    now = stats.now()
    totals = cur["totals"]
    port = stats.port
    return {
        "hall": cur["hall"],
        "period": {"kind": period.kind.value, "from": period.start.isoformat(), "to": period.end.isoformat(),
                   "label": period.label_zh(), "days": period.days},
        "previous": {"from": prev_period.start.isoformat(), "to": prev_period.end.isoformat(),
                     "label": prev_period.label_zh(),
                     "name": "上一服务日" if period.kind is PeriodKind.DAILY else period.previous_label_zh()},
        "headline": headline(totals, prev["totals"]),
        "summary": summary_sentences(totals, cur),
        "stats": {k: cur[k] for k in ("totals", "queue", "window", "clerk", "department", "channel", "hour",
                                      "days")},
        "bundle": {"bundle": totals["bundle"], "single": totals["single"],
                   "bundle_share": rate(totals["bundle"], totals["issued"])},
        "patrols": patrols_section(await port.patrols(hall_id, period.start.isoformat(), period.end.isoformat(),
                                                      start_ts, end_ts, now), period, stats.today(meta), meta.tz),
        "appointments": appointments_section(totals, await port.appointments(hall_id, start_ts, end_ts, now)),
        "ratings": ratings_section(await port.ratings(hall_id, start_ts, end_ts)),
        "cases": cases_section(await port.cases(hall_id, start_ts, end_ts, now)),
        "quality": await port.quality(hall_id, start_ts, end_ts, period.kind is PeriodKind.MONTHLY),
        "as_of": now,
    }


def summary_sentences(t: dict[str, Any], cur: dict[str, Any]) -> list[str]:
    """The few sentences a reader of the work group reads first."""
    w = t["wait_minutes"]
    out = [f"共取号 {t['issued']} 张，办结 {t['served']} 件，过号 {t['no_show']} 张，取消 {t['cancelled']} 张，"
           f"日终未办 {t['expired']} 张。"]
    if w["n"]:
        share = t["within_target_rate"]
        out.append(f"平均等候 {w['mean']} 分钟，中位数 {w['median']} 分钟，最长 {w['max']} 分钟；"
                   f"{round(share * 100, 1) if share is not None else '—'}% 的号在目标时长内叫到。")
    over = [q for q in cur.get("queue", []) if q["wait_minutes"]["mean"] is not None
            and q.get("target_wait_minutes") and q["wait_minutes"]["mean"] > q["target_wait_minutes"]]
    if over:
        out.append("平均等候超过目标的业务：" + "、".join(
            f"{q['label']}（{q['wait_minutes']['mean']}/{q['target_wait_minutes']} 分钟）" for q in over) + "。")
    return out


def patrols_section(r: dict[str, Any] | None, period: Period, today: dt.date, tz: Any) -> dict[str, Any]:
    """Patrols against their quota on the period's open days (up to today), findings raised, fixed, open."""
    if r is None:
        return {"available": False, "note": NO_PATROLS}
    s = r["settings"]
    open_days = {int(x) for x in str(s["weekdays"]).split(",") if x.strip()}
    days = [d for d in period.dates() if d.isoweekday() in open_days and d <= today]
    full = sum(x["n"] for x in r["done"] if x["kind"] == "full")
    spot = sum(x["n"] for x in r["done"] if x["kind"] == "spot")
    per_day: dict[str, dict[str, int]] = {}
    for x in r["done"]:
        per_day.setdefault(x["service_day"], {"full": 0, "spot": 0})[x["kind"]] = x["n"]
    short = [d.isoformat() for d in days if per_day.get(d.isoformat(), {}).get("full", 0) < s["full_quota"]
             or per_day.get(d.isoformat(), {}).get("spot", 0) < s["spot_quota"]]
    overdue = [f for f in r["open"] if f["overdue"]]
    return {"available": True, "open_days": len(days), "full": full, "spot": spot,
            "full_quota": s["full_quota"] * len(days), "spot_quota": s["spot_quota"] * len(days),
            "days_short": short, "raised": sum(r["raised"].values()), "raised_by_severity": r["raised"],
            "rectified": r["rectified"], "verified": r["verified"], "open": len(r["open"]),
            "overdue": [{"id": f["id"], "description": f["description"], "window": f["window"], "area": f["area"],
                         "responsible": f["responsible_name"], "severity": f["severity"],
                         "due": due_text(f["due_at"], tz),
                         "escalation": f["escalation"]} for f in overdue]}


def due_text(ts: float, tz: Any) -> str:
    """A due instant as the briefing prints it; the end of a due day (the next 00:00) as that day's 24:00."""
    t = dt.datetime.fromtimestamp(ts, tz)
    if t.time() == dt.time(0):
        return (t - dt.timedelta(days=1)).strftime("%m-%d 24:00")
    return t.strftime("%m-%d %H:%M")


def appointments_section(totals: dict[str, Any], bookings: dict[str, int] | None) -> dict[str, Any]:
    out: dict[str, Any] = {"tickets": totals["appointments"], "kept": totals["appointments_kept"],
                           "missed": totals["appointments_missed"],
                           "kept_rate": rate(totals["appointments_kept"], totals["appointments"])}
    if bookings is not None:
        out["bookings"] = bookings
    return out


def ratings_section(by: dict[str, int] | None) -> dict[str, Any]:
    """好差评 by level; says so when the ratings system is not connected."""
    if by is None:
        return {"available": False, "note": NO_RATINGS}
    levels: list[dict[str, Any]] = [{"key": k, "label": zh, "count": by.get(k, 0)} for k, zh in RATING_LEVELS]
    total = sum(by.get(k, 0) for k, _ in RATING_LEVELS)
    bad = by.get("dissatisfied", 0) + by.get("very_dissatisfied", 0)
    return {"available": True, "total": total, "levels": levels, "bad": bad,
            "satisfaction_rate": rate(total - bad, total)}


def cases_section(r: dict[str, int] | None) -> dict[str, Any]:
    """咨询投诉; says so when the case system is not connected."""
    if r is None:
        return {"available": False, "note": NO_CASES}
    return {"available": True, **r, "completion_rate": rate(r["closed"], r["received"])}
