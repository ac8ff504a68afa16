"""Statistics, briefings and their publication, against a small day built through the API by hand.

The day (Monday 2026-11-30, Shanghai), worked out on paper:

  09:00 B001, B002 issued (kiosk)            09:05 A001 issued (mobile)
  09:10 window 5 calls B001, starts; 09:16 finishes          wait 600 s, service 360 s
  09:16 window 5 calls B002; 09:18 no-show                   wait 960 s
  09:18 window 5 calls A001, starts; transfers it to queue C wait 780 s (first call counts)
  09:30 window 6 calls A001, starts; 09:50 finishes (a 民政 item)            service 1200 s
  09:40 B003 issued; 09:45 cancelled by the manager
  10:00 B004 issued; 10:45 window 5 calls it, starts; 10:55 finishes        wait 2700 s, service 600 s
  10:50 B005 issued, never called; the day is closed: expired

  waits 600, 780, 960, 2700: mean 1260 s = 21.0 min, median 870 s = 14.5, p90 960 + .7·1740 = 2178 s = 36.3,
  max 45.0; within the 20-minute target: 3 of 4. Services 360, 600, 1200: mean 12.0, median 10.0,
  p90 600 + .8·600 = 1080 s = 18.0, max 20.0.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import io
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from openpyxl import load_workbook

from hallops.background import LOOPS, Loop
from hallops.domain.actors import Actor
from hallops.domain.errors import Forbidden, NotFound
from hallops.domain.model import Role
from hallops.domain.stats import PeriodKind
from hallops.http.keys import USECASES
from hallops.http.reports import PUBLISHER
from hallops.usecases.briefings import Briefings
from hallops.usecases.reports import PeriodAsked
from tests.conftest import SHANGHAI, Hall

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def at(h: int, m: int, day: int = 30) -> dt.datetime:
    return dt.datetime(2026, 11, day, h, m, tzinfo=SHANGHAI) if day <= 30 else dt.datetime(
        2026, 12, day - 30, h, m, tzinfo=SHANGHAI)


def briefings(hall: Hall) -> Briefings:
    return hall.client.server.app[USECASES].briefings


def loop(hall: Hall, name: str) -> Loop:
    return next(lp for lp in hall.client.server.app[LOOPS] if lp.name == name)


async def ok(call: Any, status: int = 200) -> Any:
    code, body = await call
    assert code == status, body
    return body


async def build_day(hall: Hall) -> dict[str, int]:
    c = hall.clock
    b1 = await hall.issue("B")
    b2 = await hall.issue("B")
    c.set(at(9, 5))
    a1 = await hall.issue("A", channel="mobile")
    w5 = await hall.clerk_at(5, "clerk1")
    w6 = await hall.clerk_at(6, "clerk2")
    win5, win6 = hall.window_id(5), hall.window_id(6)
    c.set(at(9, 10))
    t = (await ok(w5.post(f"/api/v1/windows/{win5}/call-next")))["ticket"]
    assert t["number"] == "B001"
    await ok(w5.post(f"/api/v1/tickets/{b1['id']}/start"))
    c.set(at(9, 16))
    await ok(w5.post(f"/api/v1/tickets/{b1['id']}/finish", {}))
    assert (await ok(w5.post(f"/api/v1/windows/{win5}/call-next")))["ticket"]["number"] == "B002"
    c.set(at(9, 18))
    await ok(w5.post(f"/api/v1/tickets/{b2['id']}/no-show"))
    assert (await ok(w5.post(f"/api/v1/windows/{win5}/call-next")))["ticket"]["number"] == "A001"
    await ok(w5.post(f"/api/v1/tickets/{a1['id']}/start"))
    await ok(w5.post(f"/api/v1/tickets/{a1['id']}/transfer", {"queue": "C", "placement": "end"}))
    c.set(at(9, 30))
    assert (await ok(w6.post(f"/api/v1/windows/{win6}/call-next")))["ticket"]["number"] == "A001"
    await ok(w6.post(f"/api/v1/tickets/{a1['id']}/start"))
    c.set(at(9, 40))
    b3 = await hall.issue("B")
    c.set(at(9, 45))
    await ok(hall.manager.post(f"/api/v1/tickets/{b3['id']}/cancel"))
    c.set(at(9, 50))
    await ok(w6.post(f"/api/v1/tickets/{a1['id']}/finish", {"items": ["civil-divorce"]}))
    c.set(at(10, 0))
    b4 = await hall.issue("B")
    c.set(at(10, 45))
    assert (await ok(w5.post(f"/api/v1/windows/{win5}/call-next")))["ticket"]["number"] == "B004"
    await ok(w5.post(f"/api/v1/tickets/{b4['id']}/start"))
    c.set(at(10, 50))
    await hall.issue("B")
    c.set(at(10, 55))
    await ok(w5.post(f"/api/v1/tickets/{b4['id']}/finish", {}))
    c.set(at(17, 30))
    await ok(hall.manager.post(f"/api/v1/halls/{hall.hall_id}/close-day", {"through_today": True}))
    return {"win5": win5, "win6": win6}


async def tool(argv: list[str], data: bytes) -> str:
    """Run a poppler tool on bytes, off the event loop (the test server shares it)."""
    done = await asyncio.to_thread(subprocess.run, argv, input=data, capture_output=True, check=True)
    return done.stdout.decode()


def by_key(rows: list[dict[str, Any]], field: str, value: Any) -> dict[str, Any]:
    return next(r for r in rows if r[field] == value)


def check_day(s: dict[str, Any], hall: Hall, win5: int, win6: int) -> None:
    t = s["totals"]
    assert (t["issued"], t["served"], t["no_show"], t["cancelled"], t["expired"], t["waiting"]) == (6, 3, 1, 1, 1, 0)
    assert (t["transferred"], t["transfers"]) == (1, 1)
    assert t["wait_minutes"] == {"n": 4, "mean": 21.0, "median": 14.5, "p90": 36.3, "max": 45.0}
    assert t["service_minutes"] == {"n": 3, "mean": 12.0, "median": 10.0, "p90": 18.0, "max": 20.0}
    assert t["within_target"] == 3 and t["within_target_rate"] == 0.75
    assert t["served_rate"] == 0.5
    b = by_key(s["queue"], "prefix", "B")
    assert (b["issued"], b["served"], b["no_show"], b["cancelled"], b["expired"]) == (5, 2, 1, 1, 1)
    assert b["wait_minutes"] == {"n": 3, "mean": 23.7, "median": 16.0, "p90": 39.2, "max": 45.0}
    assert b["within_target_rate"] == round(2 / 3, 4)
    a = by_key(s["queue"], "prefix", "A")
    assert (a["issued"], a["served"], a["transferred"]) == (1, 1, 1)
    assert a["wait_minutes"]["mean"] == 13.0 and a["service_minutes"]["mean"] == 20.0
    w5 = by_key(s["window"], "key", str(win5))
    assert (w5["issued"], w5["served"], w5["no_show"], w5["transfers_out"]) == (3, 2, 1, 1)
    assert w5["calls"] == 4  # B001, B002, A001 (transferred away: still called here) and B004
    assert w5["service_minutes"] == {"n": 2, "mean": 8.0, "median": 8.0, "p90": 9.6, "max": 10.0}
    w6 = by_key(s["window"], "key", str(win6))
    assert (w6["served"], w6["transfers_out"], w6["calls"]) == (1, 0, 1)
    assert (t["calls"], t["recalls"], t["call_backs"]) == (5, 0, 0)
    assert {r["label"]: r["calls"] for r in s["clerk"]} == {"张丽": 4, "陈静": 1}
    assert b["calls"] is None  # counted for the hall, windows and clerks only
    assert {r["label"]: r["issued"] for r in s["hour"]} == {"09:00": 4, "10:00": 2}
    assert {r["key"]: r["issued"] for r in s["channel"]} == {"kiosk": 5, "mobile": 1}
    assert {r["label"]: r["issued"] for r in s["clerk"]} == {"张丽": 3, "陈静": 1}
    assert {r["label"]: r["issued"] for r in s["department"]} == {"公安分局": 5, "民政局": 1}
    assert [d["issued"] for d in s["days"]] == [6]


async def test_a_hand_computed_day_live_and_rolled_up(hall: Hall) -> None:
    ids = await build_day(hall)
    live = await ok(hall.manager.get(f"/api/v1/halls/{hall.hall_id}/stats?date=2026-11-30"))
    check_day(live, hall, ids["win5"], ids["win6"])
    rows = await hall.ports.db.all("SELECT count(*) FROM report_days")
    assert rows[0][0] == 0  # the day is still today: folded live, not stored
    hall.clock.set(at(9, 0, day=31))  # Tuesday: Monday is over and rolled up on first use
    rolled = await ok(hall.manager.get("/api/v1/halls/liangjiang/stats?period=custom&from=2026-11-30"
                                       "&to=2026-11-30"))
    assert (await hall.ports.db.one("SELECT tickets FROM report_days WHERE service_day = '2026-11-30'"))[0] == 6
    check_day(rolled, hall, ids["win5"], ids["win6"])
    # The week and the month hold the same one day; yesterday's roll-up is read, not rebuilt.
    week = await ok(hall.manager.get(f"/api/v1/halls/{hall.hall_id}/stats?period=weekly&date=2026-12-01&by=queue"))
    assert week["period"] == {"kind": "weekly", "from": "2026-11-30", "to": "2026-12-06", "days": 7}
    assert week["totals"]["wait_minutes"]["p90"] == 36.3 and "window" not in week

    code, csv_text = await hall.manager.get(f"/api/v1/halls/{hall.hall_id}/stats.csv?date=2026-11-30&by=queue")
    assert code == 200 and csv_text.lstrip("\ufeff").splitlines()[1].startswith("合计,两江新区政务服务中心,6,3,1,1,1,1")
    async with hall.client.get(f"/api/v1/halls/{hall.hall_id}/stats.xlsx?date=2026-11-30",
                               headers={"Authorization": f"Bearer {hall.manager.token}"}) as resp:
        assert resp.status == 200
        wb = load_workbook(io.BytesIO(await resp.read()))
    assert wb.sheetnames[:3] == ["合计", "业务", "窗口"]
    assert [c.value for c in wb["合计"][2]][:4] == ["两江新区政务服务中心", 6, 3, 1]

    code, body = await hall.manager.get(f"/api/v1/halls/{hall.hall_id}/stats?by=nonsense")
    assert code == 422 and body["error"] == "bad_dimension"
    for q in ("period=monthly&date=9999-12-31", "period=weekly&date=0001-01-01", "from=2026-01-01&to=9999-01-01"):
        code, body = await hall.manager.get(f"/api/v1/halls/{hall.hall_id}/stats?{q}")
        assert code == 422 and body["error"] == "date_out_of_range", (q, body)
    code, body = await hall.manager.post(f"/api/v1/halls/{hall.hall_id}/briefings", {"kind": "daily",
                                                                                      "date": "0001-01-01"})
    assert code == 422 and body["error"] == "date_out_of_range"
    code, _ = await hall.kiosk.get(f"/api/v1/halls/{hall.hall_id}/stats")
    assert code == 403


async def test_the_workbook_carries_the_periods_ratings_and_cases(hall: Hall) -> None:
    for subject in ("投诉窗口推诿", "咨询社保转移"):
        code, _ = await hall.manager.post(f"/api/v1/halls/{hall.hall_id}/cases", {
            "source": "supervision", "subject": subject, "kind": "complex", "department": "psb"})
        assert code == 201
    async with hall.client.get(f"/api/v1/halls/{hall.hall_id}/stats.xlsx?date=2026-11-30",
                               headers={"Authorization": f"Bearer {hall.manager.token}"}) as resp:
        assert resp.status == 200
        wb = load_workbook(io.BytesIO(await resp.read()))
    assert wb.sheetnames[-5:] == ["好差评-部门", "好差评-窗口", "好差评-日期", "咨询投诉-部门", "咨询投诉-日期"]
    head, *rows = [[c.value for c in row] for row in wb["咨询投诉-部门"].iter_rows()]
    assert head[:2] == ["名称", "评价数"] and head[5:8] == ["受理", "办结", "按时办结"]
    assert [(r[0], r[5], r[6]) for r in rows] == [("公安分局", 2, 0)]
    async with hall.client.get(f"/api/v1/halls/{hall.hall_id}/stats.xlsx?date=2026-11-29",
                               headers={"Authorization": f"Bearer {hall.manager.token}"}) as resp:
        wb = load_workbook(io.BytesIO(await resp.read()))
    assert [[c.value for c in row] for row in wb["咨询投诉-部门"].iter_rows()][1:] == []  # the day before: none


async def test_a_window_counts_every_call_it_made_even_of_tickets_transferred_away(hall: Hall) -> None:
    """The new-user trial's day: window 1 called A001, A002 and A003 and sent two of them on to window 2;
    window 2 called those two and A004 (recalled once, parked and called back)."""
    tickets = [await hall.issue("A") for _ in range(4)]
    a1, a2, a3, a4 = (t["id"] for t in tickets)
    w1, w2 = await hall.clerk_at(1, "clerk1"), await hall.clerk_at(2, "clerk2")
    win1, win2 = hall.window_id(1), hall.window_id(2)
    for tid, number in ((a1, "A001"), (a2, "A002")):
        assert (await ok(w1.post(f"/api/v1/windows/{win1}/call-next")))["ticket"]["number"] == number
        await ok(w1.post(f"/api/v1/tickets/{tid}/transfer", {"window": win2, "placement": "issue_time"}))
    assert (await ok(w1.post(f"/api/v1/windows/{win1}/call-next")))["ticket"]["number"] == "A003"
    await ok(w1.post(f"/api/v1/tickets/{a3}/start"))
    await ok(w1.post(f"/api/v1/tickets/{a3}/finish", {}))
    for tid in (a1, a2):
        assert (await ok(w2.post(f"/api/v1/windows/{win2}/call-next")))["ticket"]["id"] == tid
        await ok(w2.post(f"/api/v1/tickets/{tid}/start"))
        await ok(w2.post(f"/api/v1/tickets/{tid}/finish", {}))
    assert (await ok(w2.post(f"/api/v1/windows/{win2}/call-next")))["ticket"]["id"] == a4
    await ok(w2.post(f"/api/v1/tickets/{a4}/recall"))
    await ok(w2.post(f"/api/v1/tickets/{a4}/start"))
    await ok(w2.post(f"/api/v1/tickets/{a4}/park"))
    await ok(w2.post(f"/api/v1/tickets/{a4}/call-back"))
    await ok(w2.post(f"/api/v1/tickets/{a4}/start"))
    await ok(w2.post(f"/api/v1/tickets/{a4}/finish", {}))

    def check(s: dict[str, Any]) -> None:
        one, two = by_key(s["window"], "key", str(win1)), by_key(s["window"], "key", str(win2))
        fields = ("calls", "served", "transfers_out", "recalls", "call_backs")
        assert tuple(one[f] for f in fields) == (3, 1, 2, 0, 0)
        assert tuple(two[f] for f in fields) == (3, 3, 0, 1, 1)
        assert {r["label"]: r["calls"] for r in s["clerk"]} == {"张丽": 3, "陈静": 3}
        assert (s["totals"]["calls"], s["totals"]["served"]) == (6, 4)

    check(await ok(hall.manager.get(f"/api/v1/halls/{hall.hall_id}/stats?date=2026-11-30")))
    hall.clock.set(at(9, 0, day=31))  # the day is over: the same figures from its roll-up
    check(await ok(hall.manager.get(f"/api/v1/halls/{hall.hall_id}/stats?date=2026-11-30")))
    assert (await hall.ports.db.one("SELECT calls FROM report_rollup WHERE dim = 'window' AND key = ?",
                                    (str(win1),)))[0] == 3
    code, csv_text = await hall.manager.get(f"/api/v1/halls/{hall.hall_id}/stats.csv?date=2026-11-30&by=window")
    rows = [r.split(",") for r in csv_text.lstrip("\ufeff").splitlines()]
    head = rows[0]
    win_row = next(r for r in rows if r[0] == "窗口" and r[1].startswith("1号 "))
    assert (win_row[head.index("叫号")], win_row[head.index("办结")], win_row[head.index("转出")]) == ("3", "1", "2")
    b = await ok(hall.manager.post(f"/api/v1/halls/{hall.hall_id}/briefings", {"kind": "daily",
                                                                                "date": "2026-11-30"}), 201)
    code, html = await hall.manager.get(f"/reports/briefings/{b['id']}")
    assert code == 200
    row1 = next(line for line in html.splitlines() if "<tr><td>1号 " in line)
    assert row1.split("</td>")[1] == '<td class="n">3', row1  # 叫号, the column after the window


async def test_briefing_pdf_has_headings_figures_and_missing_sections(hall: Hall, tmp_path: Path) -> None:
    await build_day(hall)
    b = await ok(hall.manager.post(f"/api/v1/halls/{hall.hall_id}/briefings", {"kind": "daily",
                                                                                "date": "2026-11-30"}), 201)
    await ok(hall.manager.post(f"/api/v1/briefings/{b['id']}/annotation", {"text": "B 业务午前排队偏长，已增开窗口。"}))
    async with hall.client.get(f"/reports/briefings/{b['id']}/pdf",
                               headers={"Authorization": f"Bearer {hall.manager.token}"}) as resp:
        assert resp.status == 200 and resp.content_type == "application/pdf"
        pdf = await resp.read()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "briefing-daily.pdf").write_bytes(pdf)
    text = await tool(["pdftotext", "-layout", "-", "-"], pdf)
    for heading in ("两江新区政务服务中心日报", "2026年11月30日", "一、总体情况", "二、取号与等候", "三、窗口与人员",
                    "四、巡查与整改", "五、好差评", "六、咨询投诉", "各时段取号量与平均等候时长", "各窗口工作量"):
        assert heading in text, heading
    assert "共取号 6 张，办结 3 件，过号 1 张，取消 1 张，日终未办 1 张。" in text.replace("\n", "")
    assert "平均等候 21.0 分钟，中位数 14.5 分钟，最长 45.0 分钟；75.0% 的号在目标时长内叫到" in text.replace("\n", "")
    # 好差评 and cases are connected (issue 12): real counts, none on that day
    assert "共收到评价 0 件，差评 0 件" in text.replace("\n", "") and "受理 0 件，办结 0 件" in text.replace("\n", "")
    assert "B 业务午前排队偏长，已增开窗口。" in text
    assert "全面巡查 0 次（应 6 次）" in text.replace("\n", "")  # patrols exist as a feature: quota shown
    fonts = await tool(["pdffonts", "-"], pdf)
    assert "NotoSansCJK" in fonts.replace("-", "").replace(" ", "") and " yes yes " in fonts
    # The page is the same body on screen.
    code, html = await hall.manager.get(f"/reports/briefings/{b['id']}")
    assert code == 200 and "一、总体情况" in html and "<svg" in html


class Robot:
    """A local work-group robot: answers each post from a script of (status, JSON) and records them."""

    def __init__(self, script: list[tuple[int, dict[str, Any]]], delay: float = 0.0) -> None:
        self.script = script
        self.delay = delay  # seconds before answering: a slow robot keeps a delivery in flight
        self.posts: list[tuple[str, dict[str, Any]]] = []
        self.app = web.Application()
        self.app.router.add_post("/robot/send", self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        self.posts.append((str(request.rel_url), await request.json()))
        await asyncio.sleep(self.delay)
        status, body = self.script[min(len(self.posts), len(self.script)) - 1]
        return web.json_response(body, status=status)


async def wait_for(cond: Any, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if await cond():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


async def test_publish_retries_with_backoff_and_shows_failures(hall: Hall) -> None:
    await build_day(hall)
    settings = briefings(hall).settings
    settings.retry_base_seconds = 60
    settings.max_attempts = 2
    loop(hall, PUBLISHER).interval = 0.02
    ding = Robot([(500, {"errmsg": "busy"}), (200, {"errcode": 0, "errmsg": "ok"})])
    wecom = Robot([(200, {"errcode": 93000, "errmsg": "invalid webhook url"})])
    async with TestServer(ding.app) as ding_srv, TestServer(wecom.app) as wecom_srv:
        await ok(hall.manager.post(f"/api/v1/halls/{hall.hall_id}/report-webhooks", {
            "kind": "dingtalk", "label": "大厅工作群", "url": str(ding_srv.make_url("/robot/send?access_token=t1")),
            "secret": "SEC123"}), 201)
        hook = await ok(hall.manager.post(f"/api/v1/halls/{hall.hall_id}/report-webhooks", {
            "kind": "wecom", "label": "中心领导群", "url": str(wecom_srv.make_url("/robot/send?key=k1"))}), 201)
        assert "SEC123" not in json.dumps(hook)
        b = await ok(hall.manager.post(f"/api/v1/halls/{hall.hall_id}/briefings", {"kind": "daily"}), 201)
        pub = await ok(hall.manager.post(f"/api/v1/briefings/{b['id']}/publish"), 202)
        assert len(pub["deliveries"]) == 2 and pub["link"].endswith(f"/reports/briefings/{b['id']}")

        async def states() -> dict[str, tuple[str, int]]:
            body = await ok(hall.manager.get(f"/api/v1/halls/{hall.hall_id}/report-deliveries"))
            return {d["kind"]: (d["state"], d["attempts"]) for d in body["deliveries"]}

        async def first_attempts_done() -> bool:
            return await states() == {"dingtalk": ("pending", 1), "wecom": ("pending", 1)}
        await wait_for(first_attempts_done)
        # Not retried before its backoff is due (store clock): still one post each.
        await asyncio.sleep(0.1)
        assert len(ding.posts) == 1 and len(wecom.posts) == 1
        hall.clock.advance(61)

        async def settled() -> bool:
            return await states() == {"dingtalk": ("sent", 2), "wecom": ("failed", 2)}
        await wait_for(settled)

    url, body = ding.posts[1]
    assert body["msgtype"] == "markdown" and "取号 **6** 张" in body["markdown"]["text"]
    assert body["markdown"]["title"] == "两江新区政务服务中心日报（2026年11月30日）"
    q = dict(p.split("=", 1) for p in url.split("?", 1)[1].split("&"))
    expect = base64.b64encode(hmac.new(b"SEC123", f"{q['timestamp']}\nSEC123".encode(), hashlib.sha256).digest())
    assert q["access_token"] == "t1" and q["sign"].replace("%2B", "+").replace("%2F", "/").replace("%3D", "=") \
        == expect.decode()
    assert "好差评 0 件，差评 0 件" in wecom.posts[0][1]["markdown"]["content"]  # connected (issue 12)
    # The failure stays on the manager's page with its error, and can be retried.
    code, page = await hall.manager.get(f"/reports/{hall.hall_id}")
    assert code == 200 and "1 条推送失败" in page and "errcode 93000" in page
    failed = next(d for d in (await ok(hall.manager.get(f"/api/v1/halls/{hall.hall_id}/report-deliveries")))[
        "deliveries"] if d["state"] == "failed")
    attempts = await hall.ports.db.all("SELECT ok, http_status, error FROM briefing_attempts ORDER BY id")
    assert [(a[0], a[1]) for a in attempts] == [(0, 500), (0, 200), (1, 200), (0, 200)]
    # Read before the retry: the retry wakes the publisher, whose next attempt (the robot is gone) may land first.
    await ok(hall.manager.post(f"/api/v1/halls/{hall.hall_id}/report-deliveries/{failed['id']}/retry"))


async def test_daily_briefing_is_generated_after_closing_time(hall: Hall) -> None:
    run_once = briefings(hall).generate_due
    await hall.issue("B")
    await ok(hall.manager.patch(f"/api/v1/halls/{hall.hall_id}/report-settings", {"daily_at": "17:30"}))
    hall.clock.set(at(17, 29))
    assert await run_once() == []
    hall.clock.set(at(17, 31))
    made = await run_once()
    assert len(made) == 1
    again = await run_once()
    assert again == []  # kept: generated once
    listed = await ok(hall.manager.get(f"/api/v1/halls/{hall.hall_id}/briefings"))
    assert [(x["kind"], x["period_start"], x["generated_by"]) for x in listed["briefings"]] == [
        ("daily", "2026-11-30", "scheduler")]


async def test_publishing_wakes_the_publisher_and_two_workers_never_post_one_delivery_twice(hall: Hall) -> None:
    """Publishing does not wait for the publisher's next round; and a delivery in flight (claimed, its robot
    slow to answer) is not taken by another worker — here a second Briefings over the same database, as a
    second server process would be."""
    await build_day(hall)
    loop(hall, PUBLISHER).interval = 3600  # only a wake-up can make it post within the test
    robot = Robot([(200, {"errcode": 0, "errmsg": "ok"})], delay=0.3)
    async with TestServer(robot.app) as srv:
        for n in range(3):
            await ok(hall.manager.post(f"/api/v1/halls/{hall.hall_id}/report-webhooks", {
                "kind": "wecom", "label": f"群{n}", "url": str(srv.make_url(f"/robot/send?key=k{n}"))}), 201)
        b = await ok(hall.manager.post(f"/api/v1/halls/{hall.hall_id}/briefings", {"kind": "daily"}), 201)
        await ok(hall.manager.post(f"/api/v1/briefings/{b['id']}/publish"), 202)
        uc = briefings(hall)
        other = Briefings(hall.client.server.app[USECASES].ctx, uc.stats)
        attempted = await asyncio.gather(uc.deliver_due(), other.deliver_due(), other.deliver_due())

        async def all_sent() -> bool:
            body = await ok(hall.manager.get(f"/api/v1/halls/{hall.hall_id}/report-deliveries"))
            return [(d["state"], d["attempts"]) for d in body["deliveries"]] == [("sent", 1)] * 3
        await wait_for(all_sent, 3.0)
    assert sorted(url for url, _ in robot.posts) == [f"/robot/send?key=k{n}" for n in range(3)]
    assert sum(attempted) <= 3
    attempts = await hall.ports.db.all("SELECT delivery_id FROM briefing_attempts")
    assert len(attempts) == 3 and len({a[0] for a in attempts}) == 3


async def test_statistics_and_briefings_are_a_supervisors_of_their_own_hall(hall: Hall) -> None:
    """The use cases check who asks, whatever door they are reached by."""
    await build_day(hall)
    app = hall.client.server.app
    reports, kept = app[USECASES].reports, briefings(hall)
    manager = Actor(Role.MANAGER, hall_id=hall.hall_id, display_name="王芳")
    b = await kept.generate(manager, hall.hall_id, PeriodKind.DAILY, dt.date(2026, 11, 30))
    assert b["generated_by"] == "王芳" and b["data"]["stats"]["totals"]["issued"] == 6
    clerk = Actor(Role.CLERK, hall_id=hall.hall_id)
    with pytest.raises(Forbidden):
        await reports.statistics(clerk, hall.hall_id, PeriodAsked())
    with pytest.raises(Forbidden):
        await kept.annotate(clerk, b["id"], "不该写")
    elsewhere = Actor(Role.MANAGER, hall_id=hall.hall_id + 1)
    with pytest.raises(NotFound):
        await kept.get(elsewhere, b["id"])
    with pytest.raises(NotFound):
        await reports.statistics(elsewhere, hall.hall_id, PeriodAsked())
    code, body = await hall.kiosk.get(f"/api/v1/briefings/{b['id']}")
    assert code == 403, body
