"""Supervision visits of sub-centres (巡察, issue 10) through the API: who may supervise whom, a visit's life, its
findings going to the visited centre's manager and verified from above, and the plan's coverage over a year.

The tree: the fixture's district centre (liangjiang) with streets renhe and lijia and a new town longxing, and a
community under each street. Every refusal is a 4xx with a code and a message in both languages, and changes
nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import pytest

from hallops.domain.model import Role
from tests.conftest import SHANGHAI, Api, Hall

ITEMS = ["discipline", "service_quality", "integrity", "signage", "elderly_help", "queue_order", "facilities"]
PASSWORD = "a-long-pass-9271"
BILINGUAL = re.compile(r"[\u4e00-\u9fff].*\(.*[A-Za-z].*\)")


@dataclass
class Tree:
    ids: dict[str, int]  # code → hall id
    managers: dict[str, int]  # code → user id of the centre's manager (username m-{code})


async def add_centre(hall: Hall, code: str, name: str, level: str, parent: str) -> int:
    status, h = await hall.admin.post("/api/v1/halls", {"code": code, "name": name, "level": level,
                                                         "parent": parent})
    assert status == 201, h
    return int(h["hall"]["id"] if "hall" in h else h["id"])


async def add_user(hall: Hall, username: str, name: str, role: str, hall_id: int) -> int:
    status, u = await hall.admin.post("/api/v1/users", {"username": username, "display_name": name, "role": role,
                                                        "password": PASSWORD, "hall": hall_id,
                                                        "must_change_password": False})
    assert status == 201, u
    return int(u["id"])


async def token(hall: Hall, role: Role, hall_id: int, window_id: int | None = None) -> Api:
    t, _ = await hall.ports.accounts.create_token(role=role, hall_id=hall_id, window_id=window_id,
                                                  label=f"{role.value}-{hall_id}")
    return Api(hall.client, token=t)


@pytest.fixture
async def tree(hall: Hall) -> Tree:
    ids = {"liangjiang": hall.hall_id}
    for code, name, level, parent in [
            ("renhe", "人和街道便民服务中心", "street", "liangjiang"),
            ("lijia", "礼嘉街道便民服务中心", "street", "liangjiang"),
            ("longxing", "龙兴新城便民服务中心", "new_town", "liangjiang"),
            ("renhe-wanshou", "万寿社区便民服务站", "community", "renhe"),
            ("lijia-bailin", "白林社区便民服务站", "community", "lijia")]:
        ids[code] = await add_centre(hall, code, name, level, parent)
    managers = {"renhe-wanshou": await add_user(hall, "m-wanshou", "周万寿", "manager", ids["renhe-wanshou"]),
                "lijia-bailin": await add_user(hall, "m-bailin", "吴白林", "manager", ids["lijia-bailin"])}
    return Tree(ids, managers)


async def start(api: Api, hall_id: int, mode: str = "on_site") -> dict[str, Any]:
    status, v = await api.post(f"/api/v1/halls/{hall_id}/supervision/visits", {"mode": mode})
    assert status == 201, v
    return v


async def visit_rows(hall: Hall) -> list[tuple[Any, ...]]:
    rows = await hall.db.all("SELECT id, hall_id, status, note, updated_at FROM supervision_visits ORDER BY id")
    return [tuple(r) for r in rows]


def refused(answer: tuple[int, Any], status: int, code: str) -> None:
    got, body = answer
    assert (got, body["error"]) == (status, code), body
    assert BILINGUAL.search(body["message"]), body["message"]


# -- who supervises whom ---------------------------------------------------------------------------------------

async def test_staff_above_a_centre_supervise_it_and_nobody_else(hall: Hall, tree: Tree) -> None:
    ids = tree.ids
    district = await token(hall, Role.MANAGER, hall.hall_id)
    renhe = await token(hall, Role.MANAGER, ids["renhe"])
    wanshou = await token(hall, Role.MANAGER, ids["renhe-wanshou"])
    clerk = await token(hall, Role.CLERK, ids["renhe-wanshou"])
    kiosk = await token(hall, Role.KIOSK, ids["renhe-wanshou"])
    url = lambda code: f"/api/v1/halls/{ids[code]}/supervision/visits"  # noqa: E731

    # A street manager supervises its own community, not another street's, not its own centre.
    assert (await renhe.post(url("renhe-wanshou"), {"mode": "on_site"}))[0] == 201
    before = await visit_rows(hall)
    refused(await renhe.post(url("lijia-bailin"), {"mode": "on_site"}), 404, "not_found")
    refused(await renhe.post(url("lijia"), {"mode": "remote"}), 404, "not_found")
    refused(await renhe.post(url("renhe"), {"mode": "on_site"}), 403, "own_centre")
    # A community manager supervises nobody: their own centre is all they hold.
    refused(await wanshou.post(url("renhe-wanshou"), {"mode": "on_site"}), 403, "own_centre")
    refused(await wanshou.post(url("renhe"), {"mode": "on_site"}), 404, "not_found")
    # The district's own centre is supervised by nobody here, not even the deployment's administrator.
    refused(await district.post(url("liangjiang"), {"mode": "on_site"}), 403, "own_centre")
    refused(await hall.admin.post(url("liangjiang"), {"mode": "on_site"}), 422, "not_a_sub_centre")
    # Clerks and devices are refused by role, whichever centre.
    refused(await clerk.post(url("renhe-wanshou"), {"mode": "on_site"}), 403, "forbidden")
    refused(await kiosk.post(url("renhe-wanshou"), {"mode": "on_site"}), 403, "forbidden")
    refused(await clerk.get(f"/api/v1/halls/{ids['renhe-wanshou']}/supervision/coverage"), 403, "forbidden")
    assert await visit_rows(hall) == before

    # The district supervises every centre below it: a street, a new town, another street's community.
    for code in ("renhe", "longxing", "lijia-bailin"):
        v = await start(district, ids[code], "remote")
        assert (v["hall"]["code"], v["mode"], v["status"], v["from_hall"]["id"]) == (code, "remote", "started",
                                                                                     hall.hall_id)
    # A street manager does not see the district's visit of its community; the district sees the street's.
    lijia = await token(hall, Role.MANAGER, ids["lijia"])
    district_visit = (await district.get(f"/api/v1/halls/{ids['lijia-bailin']}/supervision/visits"))[1]["visits"]
    refused(await lijia.get(f"/api/v1/supervision/visits/{district_visit[0]['id']}"), 404, "visit_not_found")
    assert (await lijia.get(f"/api/v1/halls/{ids['lijia']}/supervision/visits"))[1]["visits"] == []
    seen = (await district.get(f"/api/v1/halls/{hall.hall_id}/supervision/visits?status=started"))[1]["visits"]
    assert sorted(v["hall"]["code"] for v in seen) == ["lijia-bailin", "longxing", "renhe", "renhe-wanshou"]


async def test_no_route_of_a_visit_reaches_out_of_its_supervisors(hall: Hall, tree: Tree) -> None:
    """The hall-tree walk for visits: every visit route, by every outsider, answers 4xx and changes nothing."""
    ids = tree.ids
    district = await token(hall, Role.MANAGER, hall.hall_id)
    v = await start(district, ids["lijia-bailin"])
    outsiders = [await token(hall, Role.MANAGER, ids["renhe"]), await token(hall, Role.ADMIN, ids["renhe"]),
                 await token(hall, Role.MANAGER, ids["lijia"]), await token(hall, Role.MANAGER, ids["longxing"]),
                 await token(hall, Role.MANAGER, ids["lijia-bailin"]),
                 await token(hall, Role.CLERK, ids["lijia-bailin"]), await token(hall, Role.KIOSK, ids["lijia-bailin"]),
                 await token(hall, Role.DISPLAY, ids["lijia-bailin"])]
    routes = [(m, p) for m, p in
              {(r.method, r.resource.canonical) for r in hall.client.server.app.router.routes() if r.resource}
              if "/supervision/visits/{visit_id}" in p]
    assert len(routes) == 6, routes
    before = await visit_rows(hall)
    seq = await hall.db.one("SELECT event_seq FROM halls WHERE id = ?", (ids["lijia-bailin"],))
    for api in outsiders:
        for method, path in routes:
            url = path.replace("{visit_id}", str(v["id"]))
            body = {"item": "discipline", "result": "pass", "note": "x", "category": "discipline",
                    "description": "x"}
            status, out = await api.call(method, url, body if method != "GET" else None)
            assert status in (403, 404, 422), (method, url, status, out)
    assert await visit_rows(hall) == before
    assert await hall.db.one("SELECT event_seq FROM halls WHERE id = ?", (ids["lijia-bailin"],)) == seq


# -- a visit's life --------------------------------------------------------------------------------------------

async def test_a_visit_is_answered_item_by_item_and_finished_or_cancelled(hall: Hall, tree: Tree) -> None:
    district = await token(hall, Role.MANAGER, hall.hall_id)
    wanshou = tree.ids["renhe-wanshou"]
    v = await start(district, wanshou)
    assert [i["code"] for i in v["checklist"]] == ITEMS and v["checked"] == 0
    assert [i["name"] for i in v["checklist"]] == ["工作纪律", "窗口服务质量", "吃拿卡要", "标识导引", "适老化服务",
                                                   "排队秩序", "设施设备"]
    vid = v["id"]
    # One visit of a centre at a time.
    before = await visit_rows(hall)
    answer = await district.post(f"/api/v1/halls/{wanshou}/supervision/visits", {"mode": "remote"})
    refused(answer, 409, "visit_in_progress")
    assert answer[1]["detail"]["visit"] == vid
    refused(await district.post(f"/api/v1/supervision/visits/{vid}/checks", {"item": "hygiene", "result": "pass"}),
            422, "unknown_item")
    refused(await district.post(f"/api/v1/supervision/visits/{vid}/finish"), 409, "items_unchecked")
    assert await visit_rows(hall) == before

    for code in ITEMS[:-1]:
        status, v = await district.post(f"/api/v1/supervision/visits/{vid}/checks", {"item": code, "result": "pass"})
        assert status == 200, v
    answer = await district.post(f"/api/v1/supervision/visits/{vid}/finish")
    refused(answer, 409, "items_unchecked")
    assert answer[1]["detail"]["items"] == ["facilities"]
    status, v = await district.patch(f"/api/v1/supervision/visits/{vid}", {"note": "窗口秩序良好"})
    assert status == 200 and v["note"] == "窗口秩序良好"
    await district.post(f"/api/v1/supervision/visits/{vid}/checks", {"item": "facilities", "result": "pass"})
    status, v = await district.post(f"/api/v1/supervision/visits/{vid}/finish", {"note": "全部合格"})
    assert (status, v["status"], v["checked"], v["note"]) == (200, "finished", 7, "全部合格")
    assert v["finished_at"] == "2026-11-30T01:00:00.000Z"

    # A finished visit takes no more answers, findings, notes, or cancelling.
    before = await visit_rows(hall)
    refused(await district.post(f"/api/v1/supervision/visits/{vid}/checks", {"item": "discipline",
                                                                             "result": "finding"}),
            409, "illegal_transition")
    refused(await district.post(f"/api/v1/supervision/visits/{vid}/findings", {"category": "discipline",
                                                                               "description": "迟到"}),
            409, "illegal_transition")
    refused(await district.patch(f"/api/v1/supervision/visits/{vid}", {"note": "改"}), 409, "illegal_transition")
    refused(await district.post(f"/api/v1/supervision/visits/{vid}/cancel"), 409, "illegal_transition")
    assert await visit_rows(hall) == before

    # The next visit is cancelled while it has no findings; one with a finding must be finished.
    v2 = await start(district, wanshou, "remote")
    status, v2 = await district.post(f"/api/v1/supervision/visits/{v2['id']}/cancel")
    assert (status, v2["status"]) == (200, "cancelled")
    v3 = await start(district, wanshou)
    status, out = await district.post(f"/api/v1/supervision/visits/{v3['id']}/findings",
                                      {"category": "signage", "description": "无导引标识"})
    assert status == 201, out
    refused(await district.post(f"/api/v1/supervision/visits/{v3['id']}/checks", {"item": "signage",
                                                                                  "result": "pass"}),
            409, "item_has_finding")
    refused(await district.post(f"/api/v1/supervision/visits/{v3['id']}/cancel"), 409, "visit_has_findings")
    statuses = [r[2] for r in await visit_rows(hall)]
    assert statuses == ["finished", "cancelled", "started"]


async def test_a_centre_taken_by_many_at_once_gets_one_visit(hall: Hall, tree: Tree) -> None:
    """Eight starts of one centre at once (double taps, two inspectors): one visit, seven told of it; then a
    finish and a cancel at once: one of them, the other refused."""
    district = await token(hall, Role.MANAGER, hall.hall_id)
    renhe = await token(hall, Role.MANAGER, tree.ids["renhe"])
    wanshou = tree.ids["renhe-wanshou"]
    answers = await asyncio.gather(*[(district if i % 2 else renhe).post(
        f"/api/v1/halls/{wanshou}/supervision/visits", {"mode": "on_site"}) for i in range(8)])
    assert sorted(status for status, _ in answers) == [201] + [409] * 7
    vid = next(body["id"] for status, body in answers if status == 201)
    assert {body["detail"]["visit"] for status, body in answers if status == 409} == {vid}
    assert [r[:3] for r in await visit_rows(hall)] == [(vid, wanshou, "started")]
    for code in ITEMS:
        await district.post(f"/api/v1/supervision/visits/{vid}/checks", {"item": code, "result": "pass"})
    done = await asyncio.gather(district.post(f"/api/v1/supervision/visits/{vid}/finish"),
                                district.post(f"/api/v1/supervision/visits/{vid}/cancel"))
    assert sorted(status for status, _ in done) == [200, 409]
    assert next(body for status, body in done if status == 409)["error"] == "illegal_transition"


# -- findings ----------------------------------------------------------------------------------------------------

async def test_a_visits_finding_goes_to_the_centres_manager_and_is_verified_from_above(hall: Hall, tree: Tree
                                                                                       ) -> None:
    wanshou = tree.ids["renhe-wanshou"]
    inspector = await hall.login("manager", "demo-manager")  # 王建华, the district's manager
    v = await start(inspector, wanshou, "remote")
    # Found Monday 30 November 2026: a major finding is due in 3 working days, by the end of Wednesday.
    status, out = await inspector.post(f"/api/v1/supervision/visits/{v['id']}/findings",
                                       {"category": "service_quality", "severity": "major",
                                        "description": "窗口人员离岗 20 分钟，群众等候无人受理"})
    assert status == 201, out
    f = out["finding"]
    assert (f["hall_id"], f["visit_id"], f["patrol_id"], f["status"]) == (wanshou, v["id"], None, "open")
    assert f["responsible"] == {"user_id": tree.managers["renhe-wanshou"], "name": "周万寿"}
    assert f["due_at"] == "2026-12-02T16:00:00.000Z" and f["due_provisional"] is False
    assert (f["category_name"], f["category_name_en"], f["area"]) == ("窗口服务质量", "Window service quality",
                                                                      "全中心")
    assert f["created_by"] == "王建华"
    assert {i["code"]: i["result"] for i in out["checklist"]}["service_quality"] == "finding"
    # Named by the inspector: someone outside the staff (the property firm); a person of another centre is refused.
    status, out = await inspector.post(f"/api/v1/supervision/visits/{v['id']}/findings",
                                       {"category": "other", "description": "饮水机损坏", "area": "等候区",
                                        "responsible_name": "物业公司"})
    assert status == 201 and out["finding"]["responsible"] == {"user_id": None, "name": "物业公司"}
    refused(await inspector.post(f"/api/v1/supervision/visits/{v['id']}/findings",
                                 {"category": "discipline", "description": "x",
                                  "responsible": tree.managers["lijia-bailin"]}), 422, "user_not_found")
    refused(await inspector.post(f"/api/v1/supervision/visits/{v['id']}/findings",
                                 {"category": "hygiene", "description": "x"}), 422, "unknown_category")

    # The finding is the centre's: on its findings list and its event stream, for its own manager to fix.
    centre = await hall.login("m-wanshou", PASSWORD)
    status, listed = await centre.get(f"/api/v1/halls/{wanshou}/findings?open=1")
    assert status == 200 and f["id"] in [x["id"] for x in listed["findings"]]
    _, evs = await centre.get(f"/api/v1/halls/{wanshou}/events?after=0")
    assert [e["payload"]["finding"]["id"] for e in evs["events"] if e["type"] == "finding.opened"] == [
        f["id"], out["finding"]["id"]]
    # Nor gives itself more time or makes it lighter.
    due_before = (await hall.db.one("SELECT due_at, severity FROM findings WHERE id = ?", (f["id"],)))
    refused(await centre.patch(f"/api/v1/findings/{f['id']}", {"due_at": "2027-06-30T17:00:00+08:00"}), 403,
            "own_centre")
    refused(await centre.patch(f"/api/v1/findings/{f['id']}", {"severity": "minor"}), 403, "own_centre")
    assert tuple(await hall.db.one("SELECT due_at, severity FROM findings WHERE id = ?", (f["id"],))) == \
        tuple(due_before)
    assert (await centre.post(f"/api/v1/findings/{f['id']}/start", {"note": "已安排专人值守"}))[0] == 200
    status, g = await centre.post(f"/api/v1/findings/{f['id']}/rectify", {"note": "建立离岗登记，AB 岗互补"})
    assert (status, g["status"], g["rectified_by"]) == (200, "rectified", "周万寿")

    # The centre's own manager neither verifies nor sends back what the district found there.
    refused(await centre.post(f"/api/v1/findings/{f['id']}/verify", {"note": ""}), 403, "own_centre")
    refused(await centre.post(f"/api/v1/findings/{f['id']}/reopen", {"note": "自己退回"}), 403, "own_centre")
    assert (await hall.db.one("SELECT status FROM findings WHERE id = ?", (f["id"],)))[0] == "rectified"
    # The inspector (or another manager above the centre) does.
    status, g = await inspector.post(f"/api/v1/findings/{f['id']}/verify", {"note": "复查合格"})
    assert (status, g["status"], g["verified_by"]) == (200, "verified", "王建华")


# -- the plan ----------------------------------------------------------------------------------------------------

# The seed's district: 8 streets, 3 new towns, 51 communities below them — 62 centres.
STREETS, NEW_TOWNS, COMMUNITIES = 8, 3, 51
# Visits finished in 2026, by month: 62 in the year.
PER_MONTH = [5, 5, 5, 5, 5, 6, 5, 5, 6, 5, 5, 5]


async def district_of_62(hall: Hall) -> list[int]:
    """The 62 centres in tree order (each street or new town followed by its communities)."""
    tops = [(f"s{i}", "street") for i in range(STREETS)] + [(f"n{i}", "new_town") for i in range(NEW_TOWNS)]
    ids: dict[str, int] = {}
    for code, level in tops:
        ids[code] = await add_centre(hall, code, f"{code} 中心", level, "liangjiang")
    for i in range(COMMUNITIES):
        parent = tops[i % len(tops)][0]
        ids[f"{parent}-c{i}"] = await add_centre(hall, f"{parent}-c{i}", f"社区 {i}", "community", parent)
    status, listed = await hall.admin.get(f"/api/v1/halls/{hall.hall_id}/supervision/coverage")
    assert status == 200 and listed["total"] == 62
    return [c["id"] for c in listed["not_visited"]]


async def visit_on(hall: Hall, api: Api, hall_id: int, when: dt.datetime, mode: str = "on_site") -> None:
    hall.clock.set(when)
    v = await start(api, hall_id, mode)
    for code in ITEMS:
        assert (await api.post(f"/api/v1/supervision/visits/{v['id']}/checks",
                               {"item": code, "result": "pass"}))[0] == 200
    assert (await api.post(f"/api/v1/supervision/visits/{v['id']}/finish"))[0] == 200


def at(month: int, day: int, hour: int = 10, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=SHANGHAI)


async def test_every_centre_is_visited_within_the_year_and_coverage_follows_the_calendar(hall: Hall) -> None:
    hall.clock.set(at(1, 1, 9, 2025))
    order = await district_of_62(hall)
    inspector = await token(hall, Role.MANAGER, hall.hall_id)
    url = f"/api/v1/halls/{hall.hall_id}/supervision/coverage"
    # Last year, three centres were visited (one twice): they come after the never-visited, oldest first.
    await visit_on(hall, inspector, order[5], at(6, 1, year=2025))
    await visit_on(hall, inspector, order[9], at(3, 1, year=2025))
    await visit_on(hall, inspector, order[5], at(11, 20, year=2025), "remote")
    await visit_on(hall, inspector, order[20], at(9, 9, year=2025))

    hall.clock.set(at(1, 1, 9))
    _, cov = await inspector.get(url)
    assert (cov["period"], cov["period_start"], cov["period_end"]) == ("year", "2026-01-01", "2026-12-31")
    assert (cov["total"], cov["visited"], cov["expected"], cov["percent"], cov["behind"]) == (62, 0, 0.2, 0.0, False)
    never = [i for i in order if i not in (order[5], order[9], order[20])]
    assert [c["id"] for c in cov["not_visited"]] == [*never, order[9], order[20], order[5]]
    last = cov["not_visited"][-1]["last_visit"]
    assert (last["at"], last["mode"]) == ("2025-11-20T02:00:00.000Z", "remote")

    # Through 2026, on given days: the k-th visit of a month on day 2 + 3k, in tree order.
    plan = iter(order)
    visits = [(month, 2 + 3 * k) for month, n in enumerate(PER_MONTH, 1) for k in range(n)]
    checks = {  # (month, day) → visited, expected by the end of that day, percent, behind
        (3, 31): (15, 15.3, 24.2, False),  # 62 × 90/365
        (6, 30): (31, 30.7, 50.0, False),  # 62 × 181/365
        (9, 30): (47, 46.4, 75.8, False),  # 62 × 273/365
        (12, 31): (62, 62.0, 100.0, False),
    }
    for month in range(1, 13):
        for m, day in visits:
            if m == month:
                await visit_on(hall, inspector, next(plan), at(m, day))
        for (cm, cd), want in checks.items():
            if cm == month:
                hall.clock.set(at(cm, cd, 17))
                _, cov = await inspector.get(url)
                assert (cov["visited"], cov["expected"], cov["percent"], cov["behind"]) == want, (cm, cd)
                assert len(cov["not_visited"]) == 62 - want[0]
    assert cov["not_visited"] == [] and len(cov["visited_centres"]) == 62
    # A second visit of a centre and a cancelled one add nothing.
    await visit_on(hall, inspector, order[0], at(12, 31, 11))
    hall.clock.set(at(12, 31, 12))
    extra = await start(inspector, order[1])
    await inspector.post(f"/api/v1/supervision/visits/{extra['id']}/cancel")
    _, cov = await inspector.get(url)
    assert (cov["visited"], cov["percent"]) == (62, 100.0)

    # The new year starts from nothing, with last year's visits as the order of the list.
    hall.clock.set(at(1, 1, 9, 2027))
    _, cov = await inspector.get(url)
    assert (cov["period_start"], cov["visited"], cov["expected"]) == ("2027-01-01", 0, 0.2)
    left = [c["id"] for c in cov["not_visited"]]
    assert left[:3] == [order[1], order[2], order[3]]  # last visited 5, 8 and 11 January 2026
    assert left[-1] == order[0]  # visited on 2 January and again on 31 December


async def test_the_district_sets_its_period_and_a_street_counts_its_communities(hall: Hall, tree: Tree) -> None:
    ids = tree.ids
    district = await token(hall, Role.MANAGER, hall.hall_id)
    renhe = await token(hall, Role.MANAGER, ids["renhe"])
    hall.clock.set(at(3, 10))
    await visit_on(hall, district, ids["renhe-wanshou"], at(3, 10))
    await visit_on(hall, district, ids["renhe"], at(3, 11))
    hall.clock.set(at(3, 31, 17))
    _, cov = await district.get(f"/api/v1/halls/{hall.hall_id}/supervision/coverage")
    assert (cov["total"], cov["visited"], cov["expected"]) == (5, 2, 1.2)  # 5 × 90/365
    assert [c["code"] for c in cov["not_visited"]] == ["lijia", "lijia-bailin", "longxing"]
    # A street sees its own communities, under the district's period.
    status, street = await renhe.get(f"/api/v1/halls/{ids['renhe']}/supervision/coverage")
    assert (status, street["total"], street["visited"], street["not_visited"]) == (200, 1, 1, [])

    # Quarterly: on the quarter's last day every centre is due; the next day a new quarter starts.
    before = await hall.db.all("SELECT * FROM supervision_plans")
    refused(await renhe.call("PUT", f"/api/v1/halls/{ids['renhe']}/supervision/plan", {"period": "month"}),
            422, "not_a_district")
    assert (await renhe.call("PUT", f"/api/v1/halls/{ids['renhe']}/supervision/plan", {"period": "decade"}))[0] == 422
    assert await hall.db.all("SELECT * FROM supervision_plans") == before
    status, cov = await district.call("PUT", f"/api/v1/halls/{hall.hall_id}/supervision/plan", {"period": "quarter"})
    assert status == 200, cov
    assert (cov["period"], cov["period_start"], cov["period_end"], cov["visited"], cov["expected"], cov["behind"]) == (
        "quarter", "2026-01-01", "2026-03-31", 2, 5.0, True)
    hall.clock.set(at(4, 1, 9))
    _, cov = await district.get(f"/api/v1/halls/{hall.hall_id}/supervision/coverage")
    assert (cov["period_start"], cov["visited"], cov["expected"], cov["behind"]) == ("2026-04-01", 0, 0.1, False)
    _, street = await renhe.get(f"/api/v1/halls/{ids['renhe']}/supervision/coverage")
    assert (street["period"], street["visited"]) == ("quarter", 0)


async def test_a_remote_visit_reads_the_centres_live_state_and_events(hall: Hall, tree: Tree) -> None:
    """The district reads a centre's state and event log (what the remote visit's page shows beside the
    checklist); the visit itself raises no event on the centre's screens."""
    bailin = tree.ids["lijia-bailin"]
    status, _ = await hall.admin.post(f"/api/v1/halls/{bailin}/queues", {"prefix": "A", "name": "综合受理"})
    assert status == 201
    status, _ = await hall.admin.post(f"/api/v1/halls/{bailin}/windows", {"number": 1, "name": "综合窗口",
                                                                         "queues": ["A"]})
    assert status == 201
    status, t = await hall.admin.post("/api/v1/tickets", {"queue": "A", "hall": bailin})
    assert status == 201
    district = await token(hall, Role.MANAGER, hall.hall_id)
    _, state = await district.get(f"/api/v1/halls/{bailin}/state")
    seq = state["seq"]
    v = await start(district, bailin, "remote")
    for code in ITEMS:
        await district.post(f"/api/v1/supervision/visits/{v['id']}/checks", {"item": code, "result": "pass"})
    assert (await district.post(f"/api/v1/supervision/visits/{v['id']}/finish"))[1]["status"] == "finished"
    _, state = await district.get(f"/api/v1/halls/{bailin}/state")
    assert state["seq"] == seq and [q["waiting"] for q in state["queues"]] == [1]
    assert [x["number"] for x in state["windows"]] == [1]
    _, evs = await district.get(f"/api/v1/halls/{bailin}/events?after={max(0, seq - 20)}")
    assert [e["payload"]["ticket"]["number"] for e in evs["events"] if e["type"] == "ticket.issued"] == [t["number"]]


async def test_the_page_opens_for_staff_above_and_shows_nothing_to_do_below_a_community(hall: Hall, tree: Tree
                                                                                        ) -> None:
    district = await hall.login("manager", "demo-manager")
    status, html = await district.get(f"/supervision/{hall.hall_id}", headers={"Accept": "text/html"})
    assert status == 200 and "巡察覆盖" in html and '"total": 5' in html
    community = await hall.login("m-wanshou", PASSWORD)
    status, html = await community.get(f"/supervision/{tree.ids['renhe-wanshou']}", headers={"Accept": "text/html"})
    assert status == 200 and '"total": 0' in html
    status, _ = await community.get(f"/supervision/{hall.hall_id}", headers={"Accept": "text/html"})
    assert status == 404
    clerk = await token(hall, Role.CLERK, hall.hall_id)
    assert (await clerk.get(f"/supervision/{hall.hall_id}", headers={"Accept": "text/html"}))[0] == 403
    # The floor manager's tablet links here, except at a community (nothing below it to supervise).
    _, tablet = await district.get(f"/manager/{hall.hall_id}", headers={"Accept": "text/html"})
    assert f'href="/supervision/{hall.hall_id}"' in tablet
    _, tablet = await community.get(f"/manager/{tree.ids['renhe-wanshou']}", headers={"Accept": "text/html"})
    assert "/supervision/" not in tablet
