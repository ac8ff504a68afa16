"""The console's snapshot of a window: the current ticket with history, parked tickets, queues, own figures."""

from __future__ import annotations

from tests.conftest import Hall


async def test_snapshot_follows_the_clerks_day(hall: Hall) -> None:
    t1 = await hall.issue("B")
    t2 = await hall.issue("B")
    await hall.issue("A")
    clerk = await hall.clerk_at(5, "clerk1")
    wid = hall.window_id(5)
    status, snap = await clerk.get(f"/api/v1/console/windows/{wid}")
    assert status == 200 and snap["current"] is None and snap["rules"]["recall_limit"] == 3
    assert [(q["prefix"], q["waiting"]) for q in snap["queues"]] == [("B", 2), ("A", 1)]
    await clerk.post(f"/api/v1/windows/{wid}/call-next")
    hall.clock.advance(60)
    await clerk.post(f"/api/v1/tickets/{t1['id']}/start")
    hall.clock.advance(300)
    await clerk.post(f"/api/v1/tickets/{t1['id']}/finish", {"items": []})
    await clerk.post(f"/api/v1/windows/{wid}/call-next")
    await clerk.post(f"/api/v1/tickets/{t2['id']}/start")
    await clerk.post(f"/api/v1/tickets/{t2['id']}/park")
    status, snap = await clerk.get(f"/api/v1/console/windows/{wid}")
    assert snap["parked"][0]["number"] == t2["number"] and snap["current"] is None
    f = snap["figures"]
    assert f["served"] == 1 and f["mean_service_minutes"] == 5.0 and f["no_show"] == 0
    await clerk.post(f"/api/v1/tickets/{t2['id']}/call-back")
    status, snap = await clerk.get(f"/api/v1/console/windows/{wid}")
    assert snap["current"]["number"] == t2["number"]
    assert [h["type"] for h in snap["current"]["history"]][:2] == ["ticket.issued", "ticket.called"]
    other = await hall.login("clerk2", "demo-clerk")
    status, _ = await other.post(f"/api/v1/tickets/{t2['id']}/finish", {"items": []})
    assert status == 403  # the console of another clerk cannot act on my window


async def test_console_page_picks_the_clerks_window(hall: Hall) -> None:
    clerk = await hall.clerk_at(7, "clerk3")
    status, html = await clerk.get("/console/liangjiang")
    assert status == 200 and f'data-window-id="{hall.window_id(7)}"' in html and "/findings/mine" in html
    fresh = await hall.login("clerk4", "demo-clerk")
    status, html = await fresh.get("/console/liangjiang")
    assert status == 200 and 'data-window-id=""' in html and "请选择窗口" in html
    status, _ = await hall.anon.get("/console/liangjiang")
    assert status == 200  # the sign-in page (redirected)


async def test_a_clerk_sees_no_console_of_a_window_another_clerk_serves_at(hall: Hall) -> None:
    ticket = await hall.issue("B")
    serving = await hall.clerk_at(5, "clerk1")
    await serving.post(f"/api/v1/windows/{hall.window_id(5)}/call-next")
    other = await hall.login("clerk2", "demo-clerk")
    status, body = await other.get(f"/api/v1/console/windows/{hall.window_id(5)}")
    assert status == 403 and body["error"] == "not_your_window" and ticket["number"] not in str(body)
    # A window nobody is signed in to can be looked at before opening it; supervisors see every window.
    status, snap = await other.get(f"/api/v1/console/windows/{hall.window_id(6)}")
    assert status == 200 and snap["window"]["number"] == 6
    status, snap = await hall.manager.get(f"/api/v1/console/windows/{hall.window_id(5)}")
    assert status == 200 and snap["current"]["number"] == ticket["number"]
    status, snap = await serving.get(f"/api/v1/console/windows/{hall.window_id(5)}")
    assert status == 200 and snap["current"]["number"] == ticket["number"]
