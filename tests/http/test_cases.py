"""咨询投诉 cases over HTTP: registering with a deadline on the hall's calendar, importing (a bad row named by its
line and field, nothing kept), each step audited, extensions moving the due day, the daily scan, and the
figures (completion, on time, satisfaction, overdue) in the statistics API and the briefing's sections 五 and 六."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from hallops.http.keys import USECASES
from tests.conftest import SHANGHAI, Hall
from tests.http.test_ratings import BAD, GOOD, served


async def ok(call: Any, status: int = 200) -> Any:
    code, body = await call
    assert code == status, body
    return body


async def users(hall: Hall) -> dict[str, int]:
    body = await ok(hall.admin.get("/api/v1/users"))
    return {u["username"]: u["id"] for u in body["users"]}


async def test_a_consultation_received_the_day_before_national_day(hall: Hall) -> None:
    hall.clock.set(dt.datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI))
    c = await ok(hall.manager.post(f"/api/v1/halls/{hall.hall_id}/cases", {
        "source": "12345", "ref": "GD-2026-0930-001", "subject": "居住证办理咨询", "kind": "consultation",
        "received_at": "2026-09-30T16:30:00+08:00"}), 201)
    assert (c["received_day"], c["due_day"], c["status"], c["provisional"]) == ("2026-09-30", "2026-10-13",
                                                                                 "received", False)
    assert c["overdue"] is True  # it is 30 November now
    complex_ = await ok(hall.manager.post(f"/api/v1/halls/{hall.hall_id}/cases", {
        "source": "supervision", "subject": "投诉窗口推诿", "kind": "complex", "department": "psb"}), 201)
    assert (complex_["received_day"], complex_["due_day"], complex_["status"]) == ("2026-11-30", "2026-12-21",
                                                                                   "assigned")
    code, body = await hall.manager.post(f"/api/v1/halls/{hall.hall_id}/cases", {
        "source": "12345", "ref": "GD-2026-0930-001", "subject": "重复"})
    assert (code, body["error"]) == (409, "duplicate_case")


async def test_a_case_across_new_year_is_provisional_until_the_hall_confirms_2027(hall: Hall) -> None:
    hall.clock.set(dt.datetime(2026, 12, 28, 9, 0, tzinfo=SHANGHAI))
    c = await ok(hall.manager.post(f"/api/v1/halls/{hall.hall_id}/cases", {"source": "hotline", "subject": "咨询"}),
                 201)
    assert (c["due_day"], c["provisional"]) == ("2027-01-04", True)
    await ok(hall.admin.post(f"/api/v1/halls/{hall.hall_id}/calendar", {
        "days": [{"day": "2027-01-01", "workday": False, "note": "元旦"}],
        "years": [{"year": 2027, "confirmed": True, "note": "按国务院办公厅通知录入"}]}))
    c = await ok(hall.manager.post(f"/api/v1/halls/{hall.hall_id}/cases", {"source": "hotline", "subject": "咨询"}),
                 201)
    assert (c["due_day"], c["provisional"]) == ("2027-01-05", False)
    prev = await ok(hall.manager.get(f"/api/v1/halls/{hall.hall_id}/deadline?received=2026-09-30&kind=complex"))
    assert prev["due"] == "2026-10-27" and prev["working_days"] == 15
    cal = await ok(hall.manager.get(f"/api/v1/halls/{hall.hall_id}/calendar?year=2026"))
    special = {d["day"]: d["workday"] for d in cal["special_days"]}
    assert special["2026-10-10"] is True and special["2026-10-01"] is False and cal["known"] is True
    # only admins edit the calendar
    code, _ = await hall.manager.post(f"/api/v1/halls/{hall.hall_id}/calendar", {"years": [
        {"year": 2028, "confirmed": True}]})
    assert code == 403


async def test_the_life_of_a_case_with_an_extension_every_step_audited(hall: Hall) -> None:
    ids = await users(hall)
    clerk = await hall.clerk_at(1)
    c = await ok(hall.manager.post(f"/api/v1/halls/{hall.hall_id}/cases", {
        "source": "counter", "subject": "社保转移咨询", "citizen_name": "王先生", "citizen_phone": "13800000000"}), 201)
    base = f"/api/v1/cases/{c['id']}"
    assert c["due_day"] == "2026-12-07"  # Mon 30 Nov + 5 working days from the next day
    assert (await clerk.get(base))[0] == 404  # not theirs yet
    await ok(hall.manager.post(f"{base}/assign", {"department": "hrss", "assignee": ids["clerk1"]}))
    assert [x["id"] for x in (await ok(clerk.get(f"/api/v1/halls/{hall.hall_id}/cases")))["cases"]] == [c["id"]]
    await ok(clerk.post(f"{base}/start", {}))
    code, body = await clerk.post(f"{base}/approve-extension", {})
    assert code == 403
    await ok(clerk.post(f"{base}/request-extension", {"days": 3, "note": "需向外省调取参保记录"}))
    code, body = await clerk.post(f"{base}/request-extension", {"days": 3, "note": "again"})
    assert (code, body["error"]) == (409, "extension_pending")
    body = await ok(hall.manager.post(f"{base}/approve-extension", {}))
    assert body["due_day"] == "2026-12-10" and body["extensions"] == 1
    await ok(hall.manager.post(f"{base}/remind", {"note": "请尽快答复"}))
    code, body = await clerk.post(f"{base}/close", {})
    assert code == 403
    await ok(clerk.post(f"{base}/reply", {"note": "已电话告知转移流程"}))
    hall.clock.advance(3600)
    body = await ok(hall.manager.post(f"{base}/close", {}))
    assert body["status"] == "closed" and body["on_time"] is True and body["reminders"] == 1
    assert [x["action"] for x in body["log"]] == ["received", "assign", "start", "request_extension",
                                                  "approve_extension", "remind", "reply", "close"]
    assert body["log"][4]["data"] == {"from": "2026-12-07", "to": "2026-12-10", "days": 3}
    code, body = await hall.manager.post(f"{base}/reopen", {"note": "x"})
    assert (code, body["error"]) == (409, "case_closed")


async def test_import_csv_names_the_bad_row_and_keeps_nothing(hall: Hall) -> None:
    good = ("source,kind,subject,ref,department,received_at\n"
            "12345,consultation,公积金提取咨询,GD-1,hpf,2026-11-27T09:00:00+08:00\n"
            "hotline,complex,投诉等候过长,,,\n")
    bad = good + "12345,consultation,,GD-3,,\n"
    raw = {"headers": {"Content-Type": "text/csv"}}
    code, body = await hall.manager.call("POST", f"/api/v1/halls/{hall.hall_id}/cases/import", raw=bad, **raw)
    assert code == 422 and body["error"] == "bad_import" and "第 4 行 subject" in body["message"]
    code, body = await hall.manager.call("POST", f"/api/v1/halls/{hall.hall_id}/cases/import",
                                         raw=good + "nowhere,consultation,x,,,\n", **raw)
    assert code == 422 and "第 4 行 source" in body["message"]
    code, body = await hall.manager.call("POST", f"/api/v1/halls/{hall.hall_id}/cases/import",
                                         raw=good + "12345,consultation,x,GD-1,,\n", **raw)
    assert code == 422 and "第 4 行" in body["message"]  # a number the source already used
    assert (await ok(hall.manager.get(f"/api/v1/halls/{hall.hall_id}/cases")))["cases"] == []
    body = await ok(hall.manager.call("POST", f"/api/v1/halls/{hall.hall_id}/cases/import", raw=good, **raw), 201)
    assert body["imported"] == 2
    assert [c["due_day"] for c in body["cases"]] == ["2026-12-04", "2026-12-21"]  # Fri 27 Nov + 5; Mon 30 + 15
    rows = json.dumps([{"source": "online", "subject": "网上咨询"}, {"source": "online", "subject": "x", "kind": "y"}])
    code, body = await hall.manager.call("POST", f"/api/v1/halls/{hall.hall_id}/cases/import", raw=rows,
                                         headers={"Content-Type": "application/json"})
    assert code == 422 and "第 2 行 kind" in body["message"]


async def test_the_daily_scan_once_per_working_day_pushed_to_the_work_group(hall: Hall) -> None:
    robot: list[dict[str, Any]] = []

    async def receive(request: web.Request) -> web.Response:
        robot.append(await request.json())
        return web.json_response({"errcode": 0})
    app = web.Application()
    app.router.add_post("/robot/send", receive)
    async with TestServer(app) as srv:
        await ok(hall.manager.post(f"/api/v1/halls/{hall.hall_id}/report-webhooks", {
            "kind": "wecom", "label": "中心工作群", "url": str(srv.make_url("/robot/send?key=k"))}), 201)
        hall.clock.set(dt.datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI))  # Mon: due Mon 30 Nov
        old = await ok(hall.manager.post(f"/api/v1/halls/{hall.hall_id}/cases", {"source": "12345", "subject": "早"}),
                       201)
        hall.clock.set(dt.datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI))  # Tue: due Tue 1 Dec
        soon = await ok(hall.manager.post(f"/api/v1/halls/{hall.hall_id}/cases", {"source": "12345", "subject": "中"}),
                        201)
        hall.clock.set(dt.datetime(2026, 11, 27, 9, 0, tzinfo=SHANGHAI))  # Fri: due Fri 4 Dec
        await ok(hall.manager.post(f"/api/v1/halls/{hall.hall_id}/cases", {"source": "12345", "subject": "晚"}), 201)
        assert (old["due_day"], soon["due_day"]) == ("2026-11-30", "2026-12-01")
        cases = hall.client.server.app[USECASES].cases
        hall.clock.set(dt.datetime(2026, 12, 1, 8, 59, tzinfo=SHANGHAI))  # just before 09:00: nothing
        assert await cases.scan_due() == {}
        hall.clock.set(dt.datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI))
        out = (await cases.scan_due())[hall.hall_id]
        assert [e["id"] for e in out["overdue"]] == [old["id"]]
        assert [e["id"] for e in out["due_soon"]] == [soon["id"]]
        assert await cases.scan_due() == {}  # once a day
        hall.clock.set(dt.datetime(2026, 12, 5, 10, 0, tzinfo=SHANGHAI))  # a Saturday: no scan
        assert await cases.scan_due() == {}
        await hall.client.server.app[USECASES].ratings.deliver_due()
        assert robot and "每日到期扫描 2026-12-01" in robot[0]["markdown"]["content"]
        assert "已超期 **1** 件" in robot[0]["markdown"]["content"]
        last = await ok(hall.manager.get(f"/api/v1/halls/{hall.hall_id}/deadline-scan"))
        assert last["scan"]["day"] == "2026-12-01"


async def test_figures_and_the_briefing_sections_with_real_numbers(hall: Hall) -> None:
    clerk = await hall.clerk_at(1)
    tickets = [await served(hall, clerk) for _ in range(4)]
    for t, level in zip(tickets[:3], [GOOD, {"level": "very_satisfied"}, BAD], strict=True):
        await ok(hall.anon.post(f"/api/v1/ticket-status/{t['token']}/rating", level), 201)
    c1 = await ok(hall.manager.post(f"/api/v1/halls/{hall.hall_id}/cases", {"source": "12345", "subject": "一",
                                                                              "department": "psb"}), 201)
    await ok(hall.manager.post(f"/api/v1/halls/{hall.hall_id}/cases", {"source": "12345", "subject": "二"}), 201)
    await ok(hall.manager.post(f"/api/v1/cases/{c1['id']}/reply", {"note": "已答复"}))
    await ok(hall.manager.post(f"/api/v1/cases/{c1['id']}/close", {}))
    f = await ok(hall.manager.get(f"/api/v1/halls/{hall.hall_id}/quality-figures?period=day&date=2026-11-30"))
    assert f["ratings"]["rated"] == 3 and f["ratings"]["bad"] == 1
    assert f["ratings"]["satisfaction_rate"] == 0.6667
    (w1,) = [w for w in f["ratings"]["by_window"] if w["name"] == 1]
    assert (w1["rated"], w1["bad"]) == (3, 1)
    assert {k: f["cases"][k] for k in ("received", "closed", "on_time", "overdue")} == {
        "received": 2, "closed": 1, "on_time": 1, "overdue": 0}
    assert f["cases"]["completion_rate"] == 0.5 and f["followups"]["opened"] == 1
    scores = await ok(hall.manager.get(f"/api/v1/halls/{hall.hall_id}/window-scores?month=2026-11"))
    top = scores["windows"][0]
    assert top["number"] == 1 and top["rank"] == 1 and top["facts"]["ratings"] == 3
    assert top["parts"]["rating"] == round(((5 + 4 + 1) / 3 - 1) / 4 * 100, 1)
    b = await ok(hall.manager.post(f"/api/v1/halls/{hall.hall_id}/briefings", {"kind": "daily",
                                                                               "date": "2026-11-30"}), 201)
    r, c = b["data"]["ratings"], b["data"]["cases"]
    assert r["available"] and (r["total"], r["bad"]) == (3, 1) and round(r["satisfaction_rate"], 4) == 0.6667
    assert c["available"] and (c["received"], c["closed"], c["on_time"]) == (2, 1, 1)
    code, html = await hall.manager.get(f"/reports/briefings/{b['id']}")
    assert code == 200 and "共收到评价 3 件，差评 1 件" in html and "受理 2 件，办结 1 件" in html
    assert "差评转办 1 件，已办结 0 件（按时 0 件），超期未结 0 件" in html
    assert "<td>公安分局</td><td>1</td><td>1</td><td>1</td><td>0</td><td>100.0%</td>" in html.replace("\n", "")
    assert "窗口服务质量排名" not in html  # the ranking is the monthly briefing's
    m = await ok(hall.manager.post(f"/api/v1/halls/{hall.hall_id}/briefings", {"kind": "monthly",
                                                                               "date": "2026-11-30"}), 201)
    assert m["data"]["quality"]["window_ranking"][0]["number"] == 1
    code, html = await hall.manager.get(f"/reports/briefings/{m['id']}")
    assert "窗口服务质量排名（红旗窗口、服务之星评选参考）" in html and "<td>1 号</td>" in html


async def test_the_quality_page_loads_for_staff(hall: Hall) -> None:
    code, html = await hall.manager.get(f"/quality/{hall.hall_id}")
    assert code == 200 and "quality.js" in html


async def test_the_figures_export_as_csv(hall: Hall) -> None:
    clerk = await hall.clerk_at(1)
    t = await served(hall, clerk)
    await ok(hall.anon.post(f"/api/v1/ticket-status/{t['token']}/rating", BAD), 201)
    await ok(hall.manager.post(f"/api/v1/halls/{hall.hall_id}/cases", {"source": "12345", "subject": "一",
                                                                         "department": "psb"}), 201)
    code, text = await hall.manager.get(f"/api/v1/halls/{hall.hall_id}/quality-figures.csv?period=week"
                                        "&date=2026-11-30")
    assert code == 200 and text.startswith("\ufeff类别,维度,名称,评价数")
    lines = text.splitlines()
    assert "好差评,窗口,1,1,1,0,0.0,,,,,," in lines
    assert "好差评,日期,2026-11-30,1,1,0,0.0,,,,,," in lines
    assert any(line.startswith("咨询投诉,部门,公安分局,,,,,1,0,0,0,0.0,") for line in lines)


async def test_the_department_head_sees_and_works_the_departments_cases(hall: Hall) -> None:
    ids = await users(hall)
    depts = {d["code"]: d["id"] for d in (await hall.ports.halls.layout(hall.hall_id))["departments"]}
    code, _ = await hall.manager.post(f"/api/v1/halls/{hall.hall_id}/departments/{depts['psb']}/head",
                                      {"user": ids["clerk3"]})
    assert code == 403  # admins only
    code, _ = await hall.admin.post(f"/api/v1/halls/{hall.hall_id}/departments/{depts['psb']}/head",
                                    {"user": ids["clerk3"]})
    assert code == 204
    head = await hall.clerk_at(3, "clerk3")
    c = await ok(hall.manager.post(f"/api/v1/halls/{hall.hall_id}/cases", {"source": "12345", "subject": "户口迁移投诉",
                                                                             "department": "psb"}), 201)
    assert [x["id"] for x in (await ok(head.get(f"/api/v1/halls/{hall.hall_id}/cases")))["cases"]] == [c["id"]]
    await ok(head.post(f"/api/v1/cases/{c['id']}/start", {}))
    other = await hall.clerk_at(2, "clerk2")
    assert (await other.get(f"/api/v1/cases/{c['id']}"))[0] == 404


async def test_deadlines_follow_the_halls_settings(hall: Hall) -> None:
    code, _ = await hall.manager.patch(f"/api/v1/halls/{hall.hall_id}/quality-settings", {"consultation_days": 7})
    assert code == 403
    s = await ok(hall.admin.patch(f"/api/v1/halls/{hall.hall_id}/quality-settings",
                                  {"consultation_days": 7, "count_from": "receipt_day"}))
    assert (s["consultation_days"], s["count_from"], s["complex_days"]) == (7, "receipt_day", 15)
    c = await ok(hall.manager.post(f"/api/v1/halls/{hall.hall_id}/cases", {"source": "hotline", "subject": "x"}), 201)
    assert c["due_day"] == "2026-12-08"  # Mon 30 Nov is day 1 of 7: Tue 8 Dec
    code, _ = await hall.admin.patch(f"/api/v1/halls/{hall.hall_id}/quality-settings", {"consultation_days": 0})
    assert code == 422
    code, _ = await hall.admin.patch(f"/api/v1/halls/{hall.hall_id}/quality-settings", {"scan_at": "25:00"})
    assert code == 422
