"""Patrols and findings through the API: every state change, the roles, photos on disk, escalation."""

from __future__ import annotations

import datetime as dt
import io
import struct
import zlib
from typing import Any

import pytest

from hallops.background import LOOPS
from hallops.domain.actors import Actor
from hallops.domain.errors import Forbidden, NotFound
from hallops.domain.model import Role
from hallops.domain.patrols import DEFAULT_CHECKLIST, FindingAction, PatrolKind
from hallops.http.keys import DATABASE, USECASES
from tests.conftest import SHANGHAI, Api, Hall

ITEMS = [i.code for i in DEFAULT_CHECKLIST]


def png(width: int = 2, height: int = 2) -> bytes:
    """A real, tiny PNG (so the type check sees true magic bytes)."""
    raw = b"".join(b"\x00" + b"\xcc\x22\x22" * width for _ in range(height))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


async def upload(api: Api, finding_id: int, data: bytes, stage: str | None = None,
                 content_type: str = "image/png") -> tuple[int, Any]:
    q = f"?stage={stage}" if stage else ""
    return await api.post(f"/api/v1/findings/{finding_id}/photos{q}", raw=data,
                          headers={"Content-Type": content_type})


async def new_finding(hall: Hall, api: Api | None = None, **spec: Any) -> dict[str, Any]:
    body = {"category": "dress_badge", "severity": "minor", "description": "未佩戴工作牌"} | spec
    status, f = await (api or hall.manager).post(f"/api/v1/halls/{hall.hall_id}/findings", body)
    assert status == 201, f
    return f


async def event_types(hall: Hall, prefix: str) -> list[str]:
    _, body = await hall.manager.get(f"/api/v1/halls/{hall.hall_id}/events?after=0")
    return [e["type"] for e in body["events"] if e["type"].startswith(prefix)]


async def test_a_full_patrol_with_a_finding_runs_to_verification(hall: Hall) -> None:
    clerk = await hall.clerk_at(3, "clerk1")
    manager = await hall.login("manager", "demo-manager")
    status, p = await manager.post(f"/api/v1/halls/{hall.hall_id}/patrols", {"kind": "full"})
    assert status == 201 and p["status"] == "open" and [i["code"] for i in p["checklist"]] == ITEMS
    for code in ITEMS:
        if code != "dress_badge":
            status, p = await manager.post(f"/api/v1/patrols/{p['id']}/checks", {"item": code, "result": "pass"})
            assert status == 200, p
    f = await new_finding(hall, manager, patrol=p["id"], window=hall.window_id(3))
    assert f["status"] == "open" and f["responsible"]["name"] == "张丽"  # the clerk signed in at window 3
    assert f["window"]["number"] == 3 and f["created_by"] == "王建华" and not f["overdue"]
    status, p = await manager.post(f"/api/v1/patrols/{p['id']}/finish")
    assert status == 200 and p["status"] == "done" and p["findings"] == 1
    assert {i["code"]: i["result"] for i in p["checklist"]}["dress_badge"] == "finding"

    # The clerk sees it, answers, fixes it with a photo; cannot verify it.
    status, mine = await clerk.get("/api/v1/findings/mine")
    assert status == 200 and [x["id"] for x in mine["findings"]] == [f["id"]] and mine["window"]["number"] == 3
    status, f2 = await clerk.post(f"/api/v1/findings/{f['id']}/start", {"note": "马上整改"})
    assert status == 200 and f2["status"] == "rectifying"
    status, photo = await upload(clerk, f["id"], png())
    assert status == 201 and photo["stage"] == "rectified"
    status, body = await clerk.post(f"/api/v1/findings/{f['id']}/rectify", {"note": ""})
    assert status == 422 and body["error"] == "note_required"
    status, f3 = await clerk.post(f"/api/v1/findings/{f['id']}/rectify", {"note": "已佩戴工作牌"})
    assert status == 200 and f3["status"] == "rectified" and f3["rectified_by"] == "张丽"
    status, body = await clerk.post(f"/api/v1/findings/{f['id']}/verify")
    assert status == 403
    status, f4 = await manager.post(f"/api/v1/findings/{f['id']}/verify", {"note": "复查合格"})
    assert status == 200 and f4["status"] == "verified" and f4["verified_by"] == "王建华"
    assert [e["action"] for e in f4["log"]] == ["opened", "start", "photo", "rectify", "verify"]
    status, body = await manager.post(f"/api/v1/findings/{f['id']}/reopen", {"note": "x"})
    assert status == 409 and body["error"] == "illegal_transition"

    assert await event_types(hall, "finding.") == ["finding.opened", "finding.rectifying", "finding.photo_added",
                                                   "finding.rectified", "finding.verified"]
    assert (await event_types(hall, "patrol."))[-1] == "patrol.finished"
    status, q = await manager.get(f"/api/v1/halls/{hall.hall_id}/patrol-quota")
    assert {p["kind"]: p["done"] for p in q["progress"]} == {"full": 1, "spot": 0}


async def test_a_patrol_finishes_only_when_every_item_is_answered(hall: Hall) -> None:
    _, p = await hall.manager.post(f"/api/v1/halls/{hall.hall_id}/patrols", {"kind": "full"})
    await hall.manager.post(f"/api/v1/patrols/{p['id']}/checks", {"item": "on_post", "result": "pass"})
    status, body = await hall.manager.post(f"/api/v1/patrols/{p['id']}/finish")
    assert status == 409 and body["error"] == "items_unchecked" and body["detail"]["items"] == ITEMS[1:]
    status, body = await hall.manager.post(f"/api/v1/patrols/{p['id']}/checks", {"item": "nope", "result": "pass"})
    assert status == 422
    status, body = await hall.manager.post(f"/api/v1/patrols/{p['id']}/cancel")
    assert status == 200 and body["status"] == "cancelled"
    status, body = await hall.manager.post(f"/api/v1/patrols/{p['id']}/checks", {"item": "hygiene", "result": "pass"})
    assert status == 409 and body["error"] == "patrol_closed"


async def test_a_spot_check_is_of_one_key_window(hall: Hall) -> None:
    url = f"/api/v1/halls/{hall.hall_id}/patrols"
    status, body = await hall.manager.post(url, {"kind": "spot"})
    assert status == 422 and body["error"] == "window_required"
    status, body = await hall.manager.post(url, {"kind": "spot", "window": hall.window_id(2)})
    assert status == 422 and body["error"] == "not_key_window"
    status, body = await hall.manager.post(url, {"kind": "spot", "window": hall.window_id(1)})
    assert status == 201 and body["window"] == 1 and body["kind"] == "spot"


async def test_clerks_see_only_their_windows_findings_and_run_no_patrols(hall: Hall) -> None:
    clerk1 = await hall.clerk_at(3, "clerk1")
    clerk2 = await hall.clerk_at(5, "clerk2")
    mine = await new_finding(hall, window=hall.window_id(3))
    other = await new_finding(hall, window=hall.window_id(5), category="hygiene", description="台面杂乱")
    status, body = await clerk1.get(f"/api/v1/halls/{hall.hall_id}/findings")
    assert status == 200 and [f["id"] for f in body["findings"]] == [mine["id"]]
    status, _ = await clerk1.get(f"/api/v1/findings/{other['id']}")
    assert status == 404
    status, _ = await clerk1.post(f"/api/v1/findings/{other['id']}/start")
    assert status == 404
    status, _ = await upload(clerk1, other["id"], png())
    assert status == 404
    status, _ = await clerk2.post(f"/api/v1/findings/{other['id']}/comment", {"note": "已整理"})
    assert status == 200
    for method, url, body in [("POST", f"/api/v1/halls/{hall.hall_id}/patrols", {"kind": "full"}),
                              ("POST", f"/api/v1/halls/{hall.hall_id}/findings",
                               {"category": "hygiene", "description": "x", "area": "大厅"}),
                              ("GET", f"/api/v1/halls/{hall.hall_id}/alerts", None),
                              ("POST", f"/api/v1/findings/{mine['id']}/reopen", {"note": "x"})]:
        status, resp = await clerk1.call(method, url, body)
        assert status == 403, (url, resp)
    status, _ = await hall.kiosk.get(f"/api/v1/halls/{hall.hall_id}/findings")
    assert status == 403
    status, page = await clerk1.get("/findings/mine")
    assert status == 200 and "未佩戴工作牌" in page and "台面杂乱" not in page


async def test_nobody_verifies_their_own_rectification(hall: Hall) -> None:
    manager = await hall.login("manager", "demo-manager")
    manager2 = await hall.login("manager2", "demo-manager")
    f = await new_finding(hall, area="老年人接待区", category="elderly_help", description="轮椅未归位")
    status, f = await manager.post(f"/api/v1/findings/{f['id']}/rectify", {"note": "已归位"})
    assert status == 200 and f["status"] == "rectified"
    status, body = await manager.post(f"/api/v1/findings/{f['id']}/verify")
    assert status == 403 and body["error"] == "own_rectification"
    status, body = await manager2.post(f"/api/v1/findings/{f['id']}/reopen", {"note": ""})
    assert status == 422
    status, f = await manager2.post(f"/api/v1/findings/{f['id']}/reopen", {"note": "轮椅仍在通道"})
    assert status == 200 and f["status"] == "reopened" and f["reopen_count"] == 1
    status, body = await manager2.post(f"/api/v1/findings/{f['id']}/verify")
    assert status == 409
    status, f = await manager.post(f"/api/v1/findings/{f['id']}/start")
    assert status == 200 and f["status"] == "rectifying"
    status, f = await manager.post(f"/api/v1/findings/{f['id']}/rectify", {"note": "已移至存放区"})
    status, f = await manager2.post(f"/api/v1/findings/{f['id']}/verify")
    assert status == 200 and f["status"] == "verified"


async def test_a_finding_names_a_window_a_clerk_or_an_area(hall: Hall) -> None:
    url = f"/api/v1/halls/{hall.hall_id}/findings"
    status, body = await hall.manager.post(url, {"category": "hygiene", "description": "地面湿滑"})
    assert status == 422 and body["error"] == "subject_required"
    status, body = await hall.manager.post(url, {"category": "nope", "description": "x", "area": "大厅"})
    assert status == 422 and body["error"] == "unknown_category"
    past = dt.datetime(2026, 11, 29, 9, 0, tzinfo=SHANGHAI).isoformat()
    status, body = await hall.manager.post(url, {"category": "other", "description": "x", "area": "大厅",
                                                 "due_at": past})
    assert status == 422 and body["error"] == "due_in_past"


async def test_photos_are_checked_by_their_bytes_and_kept_on_disk(hall: Hall) -> None:
    f = await new_finding(hall, window=hall.window_id(1))
    status, body = await upload(hall.manager, f["id"], b"<html>not an image</html>" * 10, content_type="image/jpeg")
    assert status == 415 and body["error"] == "unsupported_media_type"
    big = io.BytesIO(b"\xff\xd8\xff" + b"\0" * (5 * 1024 * 1024))
    async with hall.client.post(f"/api/v1/findings/{f['id']}/photos", data=big, headers={
            "Authorization": f"Bearer {hall.manager.token}", "Content-Type": "image/jpeg"}) as r:
        assert r.status == 413 and (await r.json())["error"] == "payload_too_large"
    status, photo = await upload(hall.manager, f["id"], png())
    assert status == 201 and photo["stage"] == "found" and photo["mime"] == "image/png"
    db = hall.client.server.app[DATABASE]
    row = await db.one("SELECT path FROM finding_photos WHERE id = ?", (photo["id"],))
    assert row is not None
    rel = row["path"]
    on_disk = db.data_dir / "photos" / rel
    assert on_disk.read_bytes() == png() and rel.startswith(f"{hall.hall_id}/2026-11/") and rel.endswith(".png")
    async with hall.client.get(photo["url"], headers={"Authorization": f"Bearer {hall.manager.token}"}) as r:
        assert r.status == 200 and r.content_type == "image/png" and await r.read() == png()
    clerk = await hall.clerk_at(4, "clerk2")  # another window's clerk
    status, _ = await clerk.get(photo["url"])
    assert status == 404
    status, _ = await hall.display.get(photo["url"])
    assert status == 403
    status, _ = await hall.anon.get(photo["url"])
    assert status == 401


async def test_the_third_finding_of_a_kind_at_a_window_in_30_days_is_escalated(hall: Hall) -> None:
    w = hall.window_id(7)
    first = await new_finding(hall, window=w, category="attitude", description="语气生硬")
    hall.clock.advance(10 * 86400)
    second = await new_finding(hall, window=w, category="attitude", description="不耐烦")
    other = await new_finding(hall, window=w, category="hygiene", description="台面杂乱")
    hall.clock.advance(10 * 86400)
    third = await new_finding(hall, window=w, category="attitude", description="与群众争执")
    assert [x["escalation"] for x in (first, second, other, third)] == ["none", "none", "none", "reminder"]
    assert third["repeat_count"] == 3
    fourth = await new_finding(hall, window=w, category="attitude", description="再次争执")
    assert fourth["escalation"] == "interview"
    hall.clock.advance(31 * 86400)  # all of them now lie more than 30 days back
    later = await new_finding(hall, window=w, category="attitude", description="x")
    assert later["escalation"] == "none" and later["repeat_count"] == 1
    assert "finding.escalated" in await event_types(hall, "finding.")


async def test_an_overdue_finding_stands_out(hall: Hall) -> None:
    serious = await new_finding(hall, window=hall.window_id(2), severity="serious", category="integrity",
                                description="收取群众财物")
    minor = await new_finding(hall, window=hall.window_id(2), category="signage", description="指引牌缺失")
    assert serious["due_at"] == "2026-11-30T16:00:00.000Z"  # found Monday 09:00: by the end of that day
    hall.clock.advance(15 * 3600 - 1)  # Monday 23:59:59: not yet
    status, body = await hall.manager.get(f"/api/v1/halls/{hall.hall_id}/findings?overdue=1")
    assert body["findings"] == []
    hall.clock.advance(2)
    status, body = await hall.manager.get(f"/api/v1/halls/{hall.hall_id}/findings?open=1")
    assert [(f["id"], f["overdue"]) for f in body["findings"]] == [(serious["id"], True), (minor["id"], False)]
    status, body = await hall.manager.get(f"/api/v1/halls/{hall.hall_id}/findings?overdue=1")
    assert [f["id"] for f in body["findings"]] == [serious["id"]]
    new_due = dt.datetime(2026, 12, 2, 17, 0, tzinfo=SHANGHAI).isoformat()
    status, f = await hall.manager.patch(f"/api/v1/findings/{serious['id']}", {"due_at": new_due})
    assert status == 200 and not f["overdue"]


async def test_the_quota_is_spread_over_opening_hours(hall: Hall) -> None:
    url = f"/api/v1/halls/{hall.hall_id}/patrol-quota"
    status, q = await hall.manager.get(url)
    assert status == 200
    assert [(p["kind"], p["quota"], p["expected"], p["behind"], p["next_due"]) for p in q["progress"]] == [
        ("full", 6, 0, False, "10:10"), ("spot", 4, 0, False, "10:45")]
    hall.clock.set(dt.datetime(2026, 11, 30, 11, 30, tzinfo=SHANGHAI))
    _, q = await hall.manager.get(url)
    full = q["progress"][0]
    assert (full["expected"], full["behind"], full["behind_minutes"]) == (2, True, 80)
    status, s = await hall.manager.patch(f"/api/v1/halls/{hall.hall_id}/patrol-settings", {"full_quota": 2})
    assert status == 200 and s["full_quota"] == 2
    _, q = await hall.manager.get(url)
    assert q["progress"][0]["expected"] == 0  # 2 a day: the first is due at 13:20
    status, _ = await hall.manager.patch(f"/api/v1/halls/{hall.hall_id}/patrol-settings",
                                         {"opening_hours": "9-17"})
    assert status == 422
    hall.clock.set(dt.datetime(2026, 12, 5, 11, 30, tzinfo=SHANGHAI))  # a Saturday: closed
    _, q = await hall.manager.get(url)
    assert all(p["quota"] == 0 and not p["behind"] for p in q["progress"])


async def test_the_checklist_is_per_hall(hall: Hall) -> None:
    url = f"/api/v1/halls/{hall.hall_id}/checklist"
    _, body = await hall.manager.get(url)
    assert [i["code"] for i in body["items"]] == ITEMS
    status, body = await hall.manager.call("PUT", url, {"items": [
        {"code": "on_post", "name": "人员在岗"}, {"code": "self_service", "name": "自助设备", "name_en": "Kiosks"}]})
    assert status == 200 and [i["code"] for i in body["items"]] == ["on_post", "self_service"]
    _, p = await hall.manager.post(f"/api/v1/halls/{hall.hall_id}/patrols", {"kind": "full"})
    assert [i["name"] for i in p["checklist"]] == ["人员在岗", "自助设备"]
    clerk = await hall.clerk_at(1)
    status, _ = await clerk.call("PUT", url, {"items": [{"code": "x", "name": "x"}]})
    assert status == 403


async def test_the_dashboard_gathers_the_hall(hall: Hall) -> None:
    await hall.clerk_at(1)
    await hall.issue("A")
    status, d = await hall.manager.get(f"/api/v1/halls/{hall.hall_id}/dashboard")
    assert status == 200
    assert d["today"]["issued"] == 1 and d["hourly"] == [{"hour": 9, "issued": 1, "served": 0}]
    assert {p["kind"] for p in d["quota"]["progress"]} == {"full", "spot"} and d["alerts"] == []
    assert d["findings"] == {"open": 0, "overdue": 0, "to_verify": 0, "escalated": 0}
    assert [lp.interval for lp in hall.client.server.app[LOOPS] if lp.name == "alerts"] == [15.0]
    clerk = await hall.login("clerk2", "demo-clerk")
    status, _ = await clerk.get(f"/api/v1/halls/{hall.hall_id}/dashboard")
    assert status == 403


async def test_due_dates_without_a_timezone_or_out_of_range_are_refused(hall: Hall) -> None:
    url = f"/api/v1/halls/{hall.hall_id}/findings"
    f = await new_finding(hall, window=hall.window_id(1))
    for bad in ("0001-01-01T00:00:00", "2026-12-01T10:00:00", "0001-01-01T00:00:00+00:00",
                "9999-12-31T23:59:59+14:00", "2026-12-01"):
        status, body = await hall.manager.post(url, {"category": "hygiene", "description": "x", "area": "大厅",
                                                     "due_at": bad})
        assert status == 422 and body["error"] == "invalid_input", (bad, body)
        assert body["detail"]["errors"][0]["field"] == "due_at"
        status, body = await hall.manager.patch(f"/api/v1/findings/{f['id']}", {"due_at": bad})
        assert status == 422 and body["error"] == "invalid_input", (bad, body)
    status, body = await hall.manager.patch(f"/api/v1/findings/{f['id']}", {"due_at": "2026-12-01T10:00:00+08:00"})
    assert status == 200 and body["due_at"] == "2026-12-01T02:00:00.000Z"


async def test_the_demo_hall_patrols_every_day(hall: Hall) -> None:
    """The demo hall takes tickets any day, so its patrol quota applies on a Sunday too."""
    url = f"/api/v1/halls/{hall.hall_id}/patrol-quota"
    hall.clock.set(dt.datetime(2026, 12, 6, 11, 30, tzinfo=SHANGHAI))  # a Sunday
    _, q = await hall.manager.get(url)
    assert all(p["quota"] == 0 for p in q["progress"])  # the defaults: Monday to Friday
    patrols = hall.client.server.app[USECASES].patrols
    await patrols.configure_demo(hall.hall_id)
    await patrols.configure_demo(hall.hall_id)  # run again at every start: harmless
    _, q = await hall.manager.get(url)
    assert [(p["kind"], p["quota"]) for p in q["progress"]] == [("full", 6), ("spot", 4)]
    _, s = await hall.manager.get(f"/api/v1/halls/{hall.hall_id}/patrol-settings")
    assert s["weekdays"] == "1,2,3,4,5,6,7" and s["opening_hours"] == "09:00-12:00,13:00-17:00"


async def test_a_refused_photo_leaves_no_file_behind(hall: Hall) -> None:
    """The file is written before the write job (which may run twice on PostgreSQL) and removed when the job
    refuses: a clerk may not add a photo of what was found, and a verified finding takes no more photos."""
    f = await new_finding(hall, window=hall.window_id(3))
    clerk = await hall.clerk_at(3, "clerk1")
    folder = hall.client.server.app[DATABASE].data_dir / "photos"
    status, body = await upload(clerk, f["id"], png(), stage="found")
    assert status == 403 and body["error"] == "forbidden"
    assert [p for p in folder.rglob("*") if p.is_file()] == []
    status, body = await upload(clerk, f["id"], png(), stage="later")
    assert status == 422 and body["error"] == "bad_query"
    status, _ = await upload(clerk, f["id"], png())
    assert status == 201
    assert len([p for p in folder.rglob("*") if p.is_file()]) == 1
    await clerk.post(f"/api/v1/findings/{f['id']}/rectify", {"note": "已整改"})
    await hall.manager.post(f"/api/v1/findings/{f['id']}/verify")
    status, body = await upload(hall.manager, f["id"], png())
    assert status == 409 and body["error"] == "finding_closed"
    assert len([p for p in folder.rglob("*") if p.is_file()]) == 1


async def test_the_findings_a_clerk_is_listed_are_the_ones_they_may_open(hall: Hall) -> None:
    """The list filters in SQL, a single finding is checked by the domain rule: they agree."""
    clerk1 = await hall.clerk_at(3, "clerk1")
    clerk2 = await hall.clerk_at(5, "clerk2")
    _, me1 = await clerk1.get("/api/v1/session")
    uid1 = me1["user_id"]
    at3 = await new_finding(hall, window=hall.window_id(3))
    about1 = await new_finding(hall, window=hall.window_id(5), clerk=uid1, category="attitude", description="语气生硬")
    given1 = await new_finding(hall, area="老年人接待区", responsible=uid1, category="elderly_help",
                               description="轮椅未归位")
    at5 = await new_finding(hall, window=hall.window_id(5), category="hygiene", description="台面杂乱")
    every = [at3, about1, given1, at5]
    for api, expected in [(clerk1, {at3["id"], about1["id"], given1["id"]}),
                          (clerk2, {about1["id"], at5["id"]}),
                          (hall.manager, {f["id"] for f in every})]:
        _, listed = await api.get(f"/api/v1/halls/{hall.hall_id}/findings")
        assert {f["id"] for f in listed["findings"]} == expected
        opened = {f["id"] for f in every if (await api.get(f"/api/v1/findings/{f['id']}"))[0] == 200}
        assert opened == expected


@pytest.mark.parametrize("role", [Role.CLERK, Role.KIOSK, Role.DISPLAY])
async def test_the_use_cases_refuse_what_the_role_may_not_do_whatever_route_calls_them(hall: Hall, role: Role) -> None:
    uc = hall.client.server.app[USECASES]
    actor = Actor(role, user_id=None, hall_id=hall.hall_id)
    h = hall.hall_id
    f = await new_finding(hall, window=hall.window_id(1))
    refused = [
        uc.patrols.start(actor, h, PatrolKind.FULL, None, ""), uc.patrols.change_settings(actor, h, {"full_quota": 0}),
        uc.patrols.set_checklist(actor, h, [{"code": "x", "name": "x"}]), uc.patrols.list(actor, h, None),
        uc.findings.open(actor, h, {"category": "hygiene", "description": "x", "area": "大厅"}),
        uc.findings.update(actor, f["id"], {"severity": "serious"}),
        uc.alerts.set_rules(actor, h, [{"kind": "window_idle", "threshold": 1}]), uc.alerts.evaluate(actor, h),
        uc.alerts.list(actor, h, active_only=False, limit=10), uc.floor.dashboard(actor, h),
    ]
    for call in refused:
        with pytest.raises(Forbidden):
            await call
    _, s = await hall.manager.get(f"/api/v1/halls/{h}/patrol-settings")
    assert s["full_quota"] == 6
    _, listed = await hall.manager.get(f"/api/v1/halls/{h}/patrols")
    assert listed["patrols"] == []


async def test_another_halls_manager_finds_nothing_here(hall: Hall) -> None:
    uc = hall.client.server.app[USECASES]
    stranger = Actor(Role.MANAGER, user_id=None, hall_id=hall.hall_id + 1000)
    f = await new_finding(hall, window=hall.window_id(1))
    for call in (uc.patrols.quota(stranger, hall.hall_id), uc.findings.get(stranger, f["id"]),
                 uc.findings.act(stranger, f["id"], FindingAction.START, ""),
                 uc.alerts.rules(stranger, hall.hall_id)):
        with pytest.raises(NotFound):
            await call


async def test_a_device_does_not_verify_what_it_reported_fixed(hall: Hall) -> None:
    """A manager's tablet signed in by token (no person) is one actor for the four-eyes rule."""
    tablet = hall.manager  # a manager token: a device without a user
    status, made = await hall.admin.post("/api/v1/tokens", {"role": "manager", "hall": hall.hall_id,
                                                            "label": "tablet-2"})
    assert status == 201
    other_tablet = Api(hall.client, token=made["token"])
    f = await new_finding(hall, area="叫号区", category="hygiene", description="地面有水渍")
    status, f = await tablet.post(f"/api/v1/findings/{f['id']}/rectify", {"note": "已拖干"})
    assert status == 200 and f["status"] == "rectified"
    status, body = await tablet.post(f"/api/v1/findings/{f['id']}/verify")
    assert status == 403 and body["error"] == "own_rectification"
    status, f = await other_tablet.post(f"/api/v1/findings/{f['id']}/verify")
    assert status == 200 and f["status"] == "verified"


async def test_a_findings_default_due_date_is_counted_in_working_days_on_the_halls_calendar(hall: Hall) -> None:
    hall.clock.set(dt.datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI))  # Wednesday, the day before National Day
    dues = await hall.manager.get(f"/api/v1/halls/{hall.hall_id}/finding-dues")
    assert dues == (200, {  # the end of the due day, Shanghai time (16:00 UTC)
        "serious": {"due_at": "2026-09-30T16:00:00.000Z", "provisional": False},
        "major": {"due_at": "2026-10-09T16:00:00.000Z", "provisional": False},
        "minor": {"due_at": "2026-10-12T16:00:00.000Z", "provisional": False}})
    f = await new_finding(hall, area="取号区", severity="minor")
    assert (f["due_at"], f["due_provisional"]) == ("2026-10-12T16:00:00.000Z", False)
    # A hall gives minor findings 2 working days from the next one: 8 and 9 October.
    status, _ = await hall.admin.patch(f"/api/v1/halls/{hall.hall_id}/quality-settings",
                                       {"finding_minor_days": 2, "finding_count_from": "next_day"})
    assert status == 200
    assert (await new_finding(hall, area="取号区", severity="minor"))["due_at"] == "2026-10-09T16:00:00.000Z"
    # Into a year nobody has published: provisional, until the manager sets a date of their own.
    hall.clock.set(dt.datetime(2026, 12, 31, 10, 0, tzinfo=SHANGHAI))
    f = await new_finding(hall, area="取号区", severity="major")  # now from the next day: 1, 4, 5 Jan (a guess)
    assert (f["due_at"], f["due_provisional"]) == ("2027-01-05T16:00:00.000Z", True)
    status, changed = await hall.manager.patch(f"/api/v1/findings/{f['id']}", {"due_at": "2027-01-05T18:00:00+08:00"})
    assert status == 200 and (changed["due_at"], changed["due_provisional"]) == ("2027-01-05T10:00:00.000Z", False)
    # A clerk or a kiosk does not ask.
    assert (await hall.kiosk.get(f"/api/v1/halls/{hall.hall_id}/finding-dues"))[0] == 403


async def test_the_daily_scan_names_findings_due_and_overdue(hall: Hall) -> None:
    hall.clock.set(dt.datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI))  # Monday
    late = await new_finding(hall, area="取号区", severity="serious")  # due Mon 30 Nov, 24:00
    soon = await new_finding(hall, area="取号区", severity="major")  # due Wed 2 Dec
    later = await new_finding(hall, area="取号区", severity="minor")  # due Fri 4 Dec
    fixed = await new_finding(hall, area="取号区", severity="serious", description="已整改")
    status, _ = await hall.manager.post(f"/api/v1/findings/{fixed['id']}/rectify", {"note": "已佩戴"})
    assert status == 200
    hall.clock.set(dt.datetime(2026, 12, 1, 9, 30, tzinfo=SHANGHAI))  # Tuesday: the next working day is Wed 2
    out = (await hall.client.server.app[USECASES].cases.scan_due())[hall.hall_id]
    assert [(e["subject"], e["id"]) for e in out["overdue"]] == [("finding", late["id"])]
    assert [(e["subject"], e["id"]) for e in out["due_soon"]] == [("finding", soon["id"])]
    assert out["findings_overdue"] == 1  # the rectified one waits for the manager: not the fixer's delay
    assert later["id"] not in [e["id"] for e in out["due_soon"] + out["overdue"]]
