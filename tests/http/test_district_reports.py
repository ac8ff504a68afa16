"""Statistics and briefings over a subtree of centres (issue 10), against a small district built through the API.

The district (Monday 2026-11-30, Shanghai; every queue's target wait is 20 minutes), worked out on paper:

  两江 (the district centre, D), queue A at window 1:
    A001 issued 09:00, called 09:05, served        wait  300 s
    A002 issued 09:01, called 09:11, no-show       wait  600 s
    A003 issued 09:02, called 09:32, served        wait 1800 s
    A004 issued 09:03, called 09:48, served        wait 2700 s
    → issued 4, served 3, no-shows 1; mean 1350 s = 22.5 min; within target 2 of 4
  人和 (a street, S), under D:
    A001 issued 09:00, called 09:02, served        wait  120 s
    A002 issued 09:01, called 09:41, served        wait 2400 s
    A003 issued 09:02, cancelled 09:03
    → issued 3, served 2; mean 1260 s = 21.0 min; within target 1 of 2
  万寿 (a community, C), under S:
    A001 issued 09:00, called 09:25, no-show       wait 1500 s
    → issued 1, no-shows 1; mean 25.0 min; within target 0 of 1
  礼嘉 (a street, L), under D: no ticket.

  The district's totals: issued 8, served 5, no-shows 2 (no-show rate 0.25), cancelled 1.
  Its waits, all seven: 120, 300, 600, 1500, 1800, 2400, 2700 s (sum 9420):
    mean 9420 / 7 = 1345.7 s = 22.4 min (the centres' means 22.5, 21.0, 25.0 averaged would say 22.8);
    median 1500 s = 25.0; p90 at rank 6 · 0.9 = 5.4: 2400 + 0.4 · 300 = 2520 s = 42.0 min (the centres' p90s are
    40.5, 36.2 and 25.0: neither their mean nor their largest is the district's); within target 3 of 7.
  The street 人和 with its community: waits 120, 1500, 2400: mean 4020 / 3 = 1340 s = 22.3 min, p90 at 1.8:
    1500 + 0.8 · 900 = 2220 s = 37.0 min.

  Patrols (quota per patrol day: 6 full and 4 spot checks; 人和 set to 2 and 1): D does 2 full and 1 spot check,
  S 2 full. Coverage, each kind counted up to its quota: D (2 + 1) / 10, S 2 / 3, C and L 0 / 10; the district
  5 / 33 = 0.1515. Open items: 万寿 has two findings, one due 10:30 (overdue by the afternoon), 人和 one case
  (due in five working days).

  Scores (waits within target 50, patrols 30, items on time 20):
    人和 (S)  50 · 50 + 66.7 · 30 + 100 · 20 = 6501 / 100 → 65.0   rank 1
    两江 (D)  50 · 50 + 30.0 · 30 + 100 · 20 = 5400 / 100 → 54.0   rank 2
    万寿 (C)   0 · 50 +  0.0 · 30 +  50 · 20 = 1000 / 100 → 10.0   rank 3
    礼嘉 (L)  no ticket called: not ranked
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from hallops.domain.model import Role
from tests.conftest import SHANGHAI, Api, Hall, postgres_url

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def at(h: int, m: int, day: int = 30) -> dt.datetime:
    return dt.datetime(2026, 11, day, h, m, tzinfo=SHANGHAI) if day <= 30 else dt.datetime(
        2026, 12, day - 30, h, m, tzinfo=SHANGHAI)


async def ok(call: Any, status: int = 200) -> Any:
    code, body = await call
    assert code == status, body
    return body


@dataclass
class Centre:
    id: int
    code: str
    window: int


async def centre(hall: Hall, code: str, name: str, level: str, parent: str) -> Centre:
    """A centre with one queue A (target 20 minutes) and one window serving it, opened."""
    h = await ok(hall.admin.post("/api/v1/halls", {"code": code, "name": name, "level": level, "parent": parent}),
                 201)
    hid = h["hall"]["id"] if "hall" in h else h["id"]
    await ok(hall.admin.post(f"/api/v1/halls/{hid}/queues", {"prefix": "A", "name": "综合受理"}), 201)
    w = await ok(hall.admin.post(f"/api/v1/halls/{hid}/windows", {"number": 1, "name": "综合窗口", "queues": ["A"]}),
                 201)
    await ok(hall.admin.post(f"/api/v1/windows/{w['id']}/open", {}))
    return Centre(hid, code, w["id"])


async def manager_of(hall: Hall, hall_id: int) -> Api:
    t, _ = await hall.ports.accounts.create_token(role=Role.MANAGER, hall_id=hall_id, label=f"manager-{hall_id}")
    return Api(hall.client, token=t)


async def issue(hall: Hall, c: Centre) -> int:
    return int((await ok(hall.admin.post("/api/v1/tickets", {"queue": "A", "hall": c.id}), 201))["id"])


async def call(api: Api, window: int, ticket: int, outcome: str) -> None:
    """Call the next ticket at the window (it must be `ticket`), then serve it or mark it a no-show."""
    called = await ok(api.post(f"/api/v1/windows/{window}/call-next"))
    assert called["ticket"]["id"] == ticket, called
    if outcome == "no-show":
        await ok(api.post(f"/api/v1/tickets/{ticket}/no-show"))
        return
    await ok(api.post(f"/api/v1/tickets/{ticket}/start"))
    await ok(api.post(f"/api/v1/tickets/{ticket}/finish", {}))


async def patrol(hall: Hall, hall_id: int, kind: str, window: int | None = None) -> None:
    """A patrol done: every checklist item passed."""
    p = await ok(hall.admin.post(f"/api/v1/halls/{hall_id}/patrols",
                                 {"kind": kind, **({"window": window} if window else {})}), 201)
    for item in p["checklist"]:
        await ok(hall.admin.post(f"/api/v1/patrols/{p['id']}/checks", {"item": item["code"], "result": "pass"}))
    await ok(hall.admin.post(f"/api/v1/patrols/{p['id']}/finish"))


async def build_district(hall: Hall) -> dict[str, Centre]:
    c = hall.clock
    d = Centre(hall.hall_id, "liangjiang", hall.window_id(1))
    s = await centre(hall, "renhe", "人和街道便民服务中心", "street", "liangjiang")
    w = await centre(hall, "renhe-wanshou", "万寿社区便民服务站", "community", "renhe")
    lj = await centre(hall, "lijia", "礼嘉街道便民服务中心", "street", "liangjiang")
    clerk = await hall.clerk_at(1, "clerk1")
    admin = hall.admin
    c.set(at(9, 0))
    d1, s1, w1 = await issue(hall, d), await issue(hall, s), await issue(hall, w)
    c.set(at(9, 1))
    d2, s2 = await issue(hall, d), await issue(hall, s)
    c.set(at(9, 2))
    d3, s3 = await issue(hall, d), await issue(hall, s)
    await call(admin, s.window, s1, "served")
    c.set(at(9, 3))
    d4 = await issue(hall, d)
    await ok(admin.post(f"/api/v1/tickets/{s3}/cancel"))
    for when, api, centre_, ticket, outcome in (
            (at(9, 5), clerk, d, d1, "served"), (at(9, 11), clerk, d, d2, "no-show"),
            (at(9, 25), admin, w, w1, "no-show"), (at(9, 32), clerk, d, d3, "served"),
            (at(9, 41), admin, s, s2, "served"), (at(9, 48), clerk, d, d4, "served")):
        c.set(when)
        await call(api, centre_.window, ticket, outcome)
    c.set(at(10, 0))
    await ok(admin.patch(f"/api/v1/halls/{s.id}/patrol-settings", {"full_quota": 2, "spot_quota": 1}))
    for hid, kind, window in ((d.id, "full", None), (d.id, "full", None), (d.id, "spot", hall.window_id(1)),
                              (s.id, "full", None), (s.id, "full", None)):
        await patrol(hall, hid, kind, window)
    for due in ({"due_at": "2026-11-30T10:30:00+08:00"}, {}):
        await ok(admin.post(f"/api/v1/halls/{w.id}/findings", {"category": "signage", "description": "指引牌缺失",
                                                               "area": "大厅", **due}), 201)
    await ok(admin.post(f"/api/v1/halls/{s.id}/cases", {"source": "12345", "subject": "咨询社保转移"}), 201)
    c.set(at(17, 30))
    return {"district": d, "renhe": s, "wanshou": w, "lijia": lj}


def row_of(rows: list[dict[str, Any]], code: str) -> dict[str, Any]:
    return next(r for r in rows if r["code"] == code)


def check_briefing(b: dict[str, Any]) -> None:
    assert [r["code"] for r in b["rows"]] == ["liangjiang", "renhe", "renhe-wanshou", "lijia"]
    assert [r["depth"] for r in b["rows"]] == [0, 1, 2, 1]
    d, s, w, lj = (row_of(b["rows"], code) for code in ("liangjiang", "renhe", "renhe-wanshou", "lijia"))
    assert (d["issued"], d["served"], d["no_show"], d["no_show_rate"]) == (4, 3, 1, 0.25)
    assert (d["wait_mean"], d["wait_p90"], d["within_target_rate"]) == (22.5, 40.5, 0.5)
    assert (s["issued"], s["served"], s["no_show"], s["cancelled"]) == (3, 2, 0, 1)
    assert (s["wait_mean"], s["wait_p90"]) == (21.0, 36.2)
    assert (w["issued"], w["no_show"], w["no_show_rate"], w["wait_mean"]) == (1, 1, 1.0, 25.0)
    assert (lj["issued"], lj["wait_mean"], lj["score"], lj["rank"]) == (0, None, None, None)
    t = b["totals"]
    # The rows add up to the totals …
    for k in ("issued", "served", "no_show", "cancelled", "waits", "within_target", "full", "full_quota", "spot",
              "spot_quota", "findings_open", "findings_overdue", "cases_open"):
        assert sum(r[k] for r in b["rows"]) == t[k], k
    assert (t["issued"], t["served"], t["no_show"], t["cancelled"], t["waits"]) == (8, 5, 2, 1, 7)
    # … and the totals' waits are every ticket's: the weighted mean, the p90 of all seven.
    assert (t["wait_mean"], t["wait_median"], t["wait_p90"], t["wait_max"]) == (22.4, 25.0, 42.0, 45.0)
    assert t["no_show_rate"] == 0.25 and t["within_target_rate"] == round(3 / 7, 4)
    # Patrols against quota, each kind up to its quota; open items as they stand.
    assert (d["full"], d["full_quota"], d["spot"], d["spot_quota"], d["patrol_coverage"]) == (2, 6, 1, 4, 0.3)
    assert (s["full"], s["full_quota"], s["spot"], s["spot_quota"]) == (2, 2, 0, 1)
    assert (t["full"], t["full_quota"], t["spot"], t["spot_quota"], t["patrol_coverage"]) == (4, 20, 1, 13, 0.1515)
    assert (w["findings_open"], w["findings_overdue"], s["cases_open"], s["cases_overdue"]) == (2, 1, 1, 0)
    # The ranking, by the stated composite.
    assert [(r["name"], r["score"], r["rank"]) for r in b["ranking"]] == [
        ("人和街道便民服务中心", 65.0, 1), ("两江新区政务服务中心", 54.0, 2), ("万寿社区便民服务站", 10.0, 3)]
    assert s["parts"] == {"wait": 50.0, "patrol": 66.7, "on_time": 100.0}
    assert w["parts"] == {"wait": 0.0, "patrol": 0.0, "on_time": 50.0}
    assert b["unranked"] == ["礼嘉街道便民服务中心"]


async def test_a_district_briefing_adds_up_its_centres_live_and_rolled_up(hall: Hall) -> None:
    await build_district(hall)
    url = f"/api/v1/halls/{hall.hall_id}/district-briefing?period=day&date=2026-11-30"
    live = await ok(hall.manager.get(url))
    assert live["period"] == {"kind": "daily", "from": "2026-11-30", "to": "2026-11-30", "label": "2026年11月30日",
                              "days": 1, "kind_zh": "日报"}
    check_briefing(live)
    hall.clock.set(at(9, 0, day=31))  # the next morning: the day is closed, read from every centre's roll-up
    rolled = await ok(hall.manager.get(url))
    check_briefing(rolled)
    built = await hall.db.all("SELECT hall_id, tickets FROM report_days WHERE service_day = '2026-11-30' "
                              "ORDER BY hall_id")
    assert [r[1] for r in built] == [4, 3, 1, 0]  # 礼嘉's empty day is complete too: not asked for again
    week = await ok(hall.manager.get("/api/v1/halls/liangjiang/district-briefing?period=week&date=2026-12-01"))
    assert week["period"]["from"] == "2026-11-30" and week["totals"]["wait_p90"] == 42.0
    # Monday and Tuesday are patrol days by now: twice the quota.
    assert (week["totals"]["full_quota"], row_of(week["rows"], "renhe")["full_quota"]) == (40, 4)
    code, body = await hall.manager.get(f"/api/v1/halls/{hall.hall_id}/district-briefing?period=year")
    assert code == 422 and body["error"] == "bad_period"


async def test_statistics_of_a_subtree_sum_their_centres(hall: Hall) -> None:
    centres = await build_district(hall)
    s = await ok(hall.manager.get(f"/api/v1/halls/{hall.hall_id}/stats?date=2026-11-30&scope=subtree"))
    assert s["scope"] == "subtree" and [c["code"] for c in s["centres"]] == [
        "liangjiang", "renhe", "renhe-wanshou", "lijia"]
    t = s["totals"]
    assert (t["issued"], t["served"], t["no_show"], t["cancelled"]) == (8, 5, 2, 1)
    assert t["wait_minutes"] == {"n": 7, "mean": 22.4, "median": 25.0, "p90": 42.0, "max": 45.0}
    assert t["calls"] == 7  # the open day's calls, from its work events
    assert [(r["label"], r["issued"], r["wait_minutes"]["p90"]) for r in s["centre"]] == [
        ("两江新区政务服务中心", 4, 40.5), ("人和街道便民服务中心", 3, 36.2), ("万寿社区便民服务站", 1, 25.0),
        ("礼嘉街道便民服务中心", 0, None)]
    # Queues and windows belong to one centre each; channels are summed over the subtree.
    assert [(q["centre"], q["prefix"], q["issued"]) for q in s["queue"]] == [
        ("两江新区政务服务中心", "A", 4), ("人和街道便民服务中心", "A", 3), ("万寿社区便民服务站", "A", 1)]
    assert [(w["hall_id"], w["key"], w["calls"]) for w in s["window"]] == [
        (hall.hall_id, str(hall.window_id(1)), 4), (centres["renhe"].id, str(centres["renhe"].window), 2),
        (centres["wanshou"].id, str(centres["wanshou"].window), 1)]
    assert [(r["key"], r["issued"]) for r in s["channel"]] == [("kiosk", 8)]
    assert sum(d["issued"] for d in s["days"]) == 8
    # The hall alone is still the default.
    alone = await ok(hall.manager.get(f"/api/v1/halls/{hall.hall_id}/stats?date=2026-11-30"))
    assert "scope" not in alone and alone["totals"]["issued"] == 4
    code, body = await hall.manager.get(f"/api/v1/halls/{hall.hall_id}/stats?scope=district")
    assert code == 422 and body["error"] == "bad_query"
    code, body = await hall.manager.get(f"/api/v1/halls/{hall.hall_id}/stats?scope=subtree&by=nonsense")
    assert code == 422 and body["error"] == "bad_dimension"


async def test_a_street_manager_sees_its_street_and_its_communities_only(hall: Hall) -> None:
    centres = await build_district(hall)
    renhe = await manager_of(hall, centres["renhe"].id)
    for url in (f"/api/v1/halls/{hall.hall_id}/stats?scope=subtree", f"/api/v1/halls/{hall.hall_id}/district-briefing",
                "/api/v1/halls/lijia/stats?scope=subtree", "/api/v1/halls/lijia/district-briefing",
                f"/api/v1/halls/{hall.hall_id}/stats.csv?scope=subtree", "/reports/liangjiang/district"):
        code, _ = await renhe.get(url)
        assert code == 404, url
    s = await ok(renhe.get("/api/v1/halls/renhe/stats?date=2026-11-30&scope=subtree"))
    assert [c["code"] for c in s["centres"]] == ["renhe", "renhe-wanshou"]
    assert (s["totals"]["issued"], s["totals"]["wait_minutes"]["mean"], s["totals"]["wait_minutes"]["p90"]) == (
        4, 22.3, 37.0)
    b = await ok(renhe.get("/api/v1/halls/renhe/district-briefing?date=2026-11-30"))
    assert [r["code"] for r in b["rows"]] == ["renhe", "renhe-wanshou"] and b["totals"]["issued"] == 4
    assert [r["rank"] for r in b["rows"]] == [1, 2]
    # A community manager's subtree is its own centre; a clerk reads no statistics.
    wanshou = await manager_of(hall, centres["wanshou"].id)
    b = await ok(wanshou.get("/api/v1/halls/renhe-wanshou/district-briefing?date=2026-11-30"))
    assert [r["code"] for r in b["rows"]] == ["renhe-wanshou"]
    assert (await wanshou.get("/api/v1/halls/renhe/district-briefing"))[0] == 404
    code, _ = await hall.kiosk.get(f"/api/v1/halls/{hall.hall_id}/district-briefing")
    assert code == 403


async def test_subtree_exports_name_each_rows_centre(hall: Hall) -> None:
    await build_district(hall)
    code, text = await hall.manager.get(f"/api/v1/halls/{hall.hall_id}/stats.csv?date=2026-11-30&scope=subtree")
    assert code == 200
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    head = rows[0]
    assert head[:4] == ["维度", "中心", "名称", "取号"]
    assert rows[1][:4] == ["合计", "全部中心", "两江新区政务服务中心", "8"]
    centre_rows = [r for r in rows if r[0] == "中心"]
    assert [(r[1], r[3], r[head.index("P90等候(分)")]) for r in centre_rows] == [
        ("两江新区政务服务中心", "4", "40.5"), ("人和街道便民服务中心", "3", "36.2"),
        ("万寿社区便民服务站", "1", "25.0"), ("礼嘉街道便民服务中心", "0", "")]
    assert [(r[1], r[2]) for r in rows if r[0] == "业务"] == [
        ("两江新区政务服务中心", "A 无差别综合受理"), ("人和街道便民服务中心", "A 综合受理"),
        ("万寿社区便民服务站", "A 综合受理")]
    assert {r[1] for r in rows if r[0] in ("渠道", "时段")} == {"全部中心"}
    async with hall.client.get(f"/api/v1/halls/{hall.hall_id}/stats.xlsx?date=2026-11-30&scope=subtree",
                               headers={"Authorization": f"Bearer {hall.manager.token}"}) as resp:
        assert resp.status == 200
        assert "liangjiang-subtree-2026-11-30" in resp.headers["Content-Disposition"]
        wb = load_workbook(io.BytesIO(await resp.read()))
    assert wb.sheetnames[:3] == ["合计", "中心", "业务"] and wb.sheetnames[-1] == "中心-巡查与质量"
    sheet = [[c.value for c in row] for row in wb["中心"].iter_rows()]
    assert sheet[0][:3] == ["层级", "名称", "取号"]
    assert [(r[0], r[1], r[2]) for r in sheet[1:]] == [
        ("区级中心", "两江新区政务服务中心", 4), ("街道中心", "人和街道便民服务中心", 3),
        ("社区中心", "万寿社区便民服务站", 1), ("街道中心", "礼嘉街道便民服务中心", 0)]
    windows = [[c.value for c in row] for row in wb["窗口"].iter_rows()]
    assert windows[0][:2] == ["中心", "名称"] and [r[0] for r in windows[1:]] == [
        "两江新区政务服务中心", "人和街道便民服务中心", "万寿社区便民服务站"]
    quality = [[c.value for c in row] for row in wb["中心-巡查与质量"].iter_rows()]
    head = quality[0]
    wanshou = next(r for r in quality if r[0] == "万寿社区便民服务站")
    assert (wanshou[head.index("未整改问题")], wanshou[head.index("全面巡查")]) == (2, 0)
    assert quality[1][head.index("巡查完成率")] == 0.3


async def tool(argv: list[str], data: bytes) -> str:
    done = await asyncio.to_thread(subprocess.run, argv, input=data, capture_output=True, check=True)
    return done.stdout.decode()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
async def test_the_district_briefing_as_a_page_and_a_pdf(hall: Hall) -> None:
    centres = await build_district(hall)
    code, html = await hall.manager.get("/reports/liangjiang/district?period=day&date=2026-11-30")
    assert code == 200 and "两江新区政务服务中心区域日报" in html and "三、综合排名" in html
    assert 'href="/reports/renhe"' in html
    code, page = await hall.manager.get("/reports/liangjiang")
    assert code == 200 and "/reports/liangjiang/district?period=week" in page and 'name="scope"' in page
    async with hall.client.get("/reports/liangjiang/district.pdf?period=day&date=2026-11-30",
                               headers={"Authorization": f"Bearer {hall.manager.token}"}) as resp:
        assert resp.status == 200 and resp.content_type == "application/pdf"
        pdf = await resp.read()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "district-daily.pdf").write_bytes(pdf)
    text = (await tool(["pdftotext", "-layout", "-", "-"], pdf)).replace("\n", "")
    for s in ("两江新区政务服务中心区域日报", "一、总体情况", "二、各中心情况", "三、综合排名", "合计（4 个中心）",
              "4 个中心共取号 8 张，办结 5 件，过号 2 张（过号率 25.0%）",
              "平均等候 22.4 分钟，90% 的号等候不超过 42.0 分钟", "综合得分满分 100"):
        assert s in text, s
    fonts = await tool(["pdffonts", "-"], pdf)
    assert "NotoSansCJK" in fonts.replace("-", "").replace(" ", "") and " yes yes " in fonts
    # A street manager's page: its own part of the tree.
    renhe = await manager_of(hall, centres["renhe"].id)
    code, html = await renhe.get("/reports/renhe/district?period=week&date=2026-11-30")
    assert code == 200 and "礼嘉" not in html and "万寿社区便民服务站" in html


@pytest.mark.skipif(postgres_url() is not None, reason="counts SQLite's statements")
async def test_a_districts_figures_cost_the_same_statements_for_many_centres_as_for_few(hall: Hall) -> None:
    """Grouped reads, one per figure kind over the subtree's halls: with 20 more communities the briefing runs
    the same statements (once the closed days are rolled up), and it never reads the event log."""
    centres = await build_district(hall)
    url = f"/api/v1/halls/{hall.hall_id}/district-briefing?period=week&date=2026-11-30"
    hall.clock.set(at(9, 0, day=31))

    async def statements() -> list[str]:
        await ok(hall.manager.get(url))  # builds what is missing
        seen: list[str] = []
        readers = hall.db._all_readers  # type: ignore[attr-defined]
        for r in readers:
            await r.set_trace_callback(seen.append)
        try:
            b = await ok(hall.manager.get(url))
        finally:
            for r in readers:
                await r.set_trace_callback(None)
        assert b["centres"] == len(b["rows"])
        return [s for s in seen if s.lstrip().upper().startswith("SELECT")]

    few = await statements()
    hall.clock.set(at(10, 0, day=30))  # back to Monday for 20 more communities, one ticket each
    for n in range(20):
        c = await centre(hall, f"lijia-{n}", f"礼嘉第{n}社区便民服务站", "community", "lijia")
        await call(hall.admin, c.window, await issue(hall, c), "served")
    assert centres["lijia"].id
    hall.clock.set(at(9, 0, day=31))
    many = await statements()
    assert len(many) == len(few), (len(few), len(many))
    assert not [s for s in many if "FROM events" in s]


async def test_ratings_follow_ups_and_cases_count_for_their_centre(hall: Hall) -> None:
    """A bad rating at the district centre opens a follow-up due Monday 7 December (five working days), as is a
    case received at the street; asked on Wednesday 9 December, both are open and overdue. One good rating at
    the street: satisfaction 0 of 1 at the district centre, 1 of 1 at the street, 1 of 2 over both."""
    s = await centre(hall, "renhe", "人和街道便民服务中心", "street", "liangjiang")
    clerk = await hall.clerk_at(1, "clerk1")
    d_ticket = (await ok(hall.admin.post("/api/v1/tickets", {"queue": "A", "hall": hall.hall_id}), 201))
    s_ticket = (await ok(hall.admin.post("/api/v1/tickets", {"queue": "A", "hall": s.id}), 201))
    hall.clock.set(at(9, 10))
    await call(clerk, hall.window_id(1), d_ticket["id"], "served")
    await call(hall.admin, s.window, s_ticket["id"], "served")
    await ok(hall.anon.post(f"/api/v1/ticket-status/{d_ticket['token']}/rating",
                            {"level": "very_dissatisfied", "reasons": ["long_wait"], "comment": "等了很久"}), 201)
    await ok(hall.anon.post(f"/api/v1/ticket-status/{s_ticket['token']}/rating", {"level": "satisfied"}), 201)
    await ok(hall.admin.post(f"/api/v1/halls/{s.id}/cases", {"source": "12345", "subject": "咨询社保转移"}), 201)
    hall.clock.set(at(10, 0, day=39))  # Wednesday 9 December
    b = await ok(hall.manager.get(f"/api/v1/halls/{hall.hall_id}/district-briefing?period=week&date=2026-11-30"))
    d, st = row_of(b["rows"], "liangjiang"), row_of(b["rows"], "renhe")
    assert (d["followups_open"], d["followups_overdue"], d["rated"], d["bad"], d["satisfaction_rate"]) == (
        1, 1, 1, 1, 0.0)
    assert (st["cases_open"], st["cases_overdue"], st["cases_received"], st["rated"], st["satisfaction_rate"]) == (
        1, 1, 1, 1, 1.0)
    t = b["totals"]
    assert (t["rated"], t["bad"], t["satisfaction_rate"], t["followups_overdue"], t["cases_overdue"]) == (
        2, 1, 0.5, 1, 1)
    # Nothing patrolled in a week of five patrol days; every open item overdue: only the waits score.
    assert (d["full_quota"], d["spot_quota"], d["parts"]["patrol"], d["parts"]["on_time"]) == (30, 20, 0.0, 0.0)
