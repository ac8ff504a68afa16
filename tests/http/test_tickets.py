"""The life of a ticket through the API, checked in the responses and in the stored rows."""

from __future__ import annotations

from tests.conftest import Hall


async def rows(hall: Hall, sql: str, *params: object) -> list[dict]:
    return [dict(r) for r in await hall.db.all(sql, params)]


async def test_issue_gives_the_contract_fields_and_numbers_count_up(hall: Hall) -> None:
    a1 = await hall.issue("A")
    a2 = await hall.issue("A")
    b1 = await hall.issue("B")
    assert {"id", "number", "queue", "status", "position", "token"} <= a1.keys()
    assert [a1["number"], a2["number"], b1["number"]] == ["A001", "A002", "B001"]
    assert (a2["status"], a2["position"], a2["people_ahead"]) == ("waiting", 2, 1)
    assert b1["position"] == 1
    # What issuing answers is what reading the ticket back gives.
    _, again = await hall.manager.get(f"/api/v1/tickets/{a2['id']}")
    assert {k: v for k, v in again.items() if k not in ("items", "history")} == {
        k: v for k, v in a2.items() if k not in ("people_ahead", "position")}
    stored = await rows(hall, "SELECT number, status, channel FROM tickets ORDER BY id")
    assert stored == [{"number": "A001", "status": "waiting", "channel": "kiosk"},
                      {"number": "A002", "status": "waiting", "channel": "kiosk"},
                      {"number": "B001", "status": "waiting", "channel": "kiosk"}]


async def test_a_whole_service_with_park_and_call_back(hall: Hall) -> None:
    clerk = await hall.clerk_at(1)
    w = hall.window_id(1)
    t = await hall.issue("A")
    status, body = await clerk.post(f"/api/v1/windows/{w}/call-next")
    assert status == 200 and body["ticket"]["id"] == t["id"] and body["ticket"]["status"] == "called"
    tid = t["id"]
    for action, expected in [("recall", "called"), ("start", "serving"), ("park", "parked")]:
        status, body = await clerk.post(f"/api/v1/tickets/{tid}/{action}")
        assert status == 200, body
        assert body["ticket"]["status"] == expected
    # While the citizen fetches a document the window serves someone else.
    other = await hall.issue("A")
    status, body = await clerk.post(f"/api/v1/windows/{w}/call-next")
    assert body["ticket"]["id"] == other["id"]
    await clerk.post(f"/api/v1/tickets/{other['id']}/start")
    await clerk.post(f"/api/v1/tickets/{other['id']}/finish")
    status, body = await clerk.post(f"/api/v1/tickets/{tid}/call-back")
    assert status == 200 and body["ticket"]["status"] == "called" and body["ticket"]["window"] == 1
    await clerk.post(f"/api/v1/tickets/{tid}/start")
    status, body = await clerk.post(f"/api/v1/tickets/{tid}/finish", {"items": ["psb-hukou-move"]})
    assert status == 200 and body["ticket"]["status"] == "done"
    (row,) = await rows(hall, "SELECT status, recall_count, park_count, window_id, ended_at IS NOT NULL AS ended "
                              "FROM tickets WHERE id = ?", tid)
    assert row == {"status": "done", "recall_count": 0, "park_count": 1, "window_id": w, "ended": 1}
    items = await rows(hall, "SELECT i.code FROM ticket_items ti JOIN service_items i ON i.id = ti.item_id "
                             "WHERE ti.ticket_id = ?", tid)
    assert items == [{"code": "psb-hukou-move"}]
    status, full = await clerk.get(f"/api/v1/tickets/{tid}")
    assert [h["type"] for h in full["history"]] == [
        "ticket.issued", "ticket.called", "ticket.recalled", "ticket.started", "ticket.parked", "ticket.called",
        "ticket.started", "ticket.finished"]


async def test_an_illegal_transition_is_409_and_changes_nothing(hall: Hall) -> None:
    t = await hall.issue("A")
    before = await rows(hall, "SELECT * FROM tickets WHERE id = ?", t["id"])
    seq_before = (await hall.db.one("SELECT event_seq FROM halls"))[0]
    status, body = await hall.manager.post(f"/api/v1/tickets/{t['id']}/finish")
    assert status == 409 and body["error"] == "illegal_transition" and "不能" in body["message"]
    assert await rows(hall, "SELECT * FROM tickets WHERE id = ?", t["id"]) == before
    assert (await hall.db.one("SELECT event_seq FROM halls"))[0] == seq_before


async def test_recall_is_counted_and_limited(hall: Hall) -> None:
    clerk = await hall.clerk_at(1)
    t = await hall.issue("A")
    await clerk.post(f"/api/v1/windows/{hall.window_id(1)}/call-next")
    for n in (1, 2, 3):
        status, body = await clerk.post(f"/api/v1/tickets/{t['id']}/recall")
        assert status == 200 and body["ticket"]["recall_count"] == n
    status, body = await clerk.post(f"/api/v1/tickets/{t['id']}/recall")
    assert status == 409 and body["error"] == "recall_limit_reached"
    status, body = await clerk.post(f"/api/v1/tickets/{t['id']}/no-show")
    assert status == 200 and body["ticket"]["status"] == "no_show"


async def test_call_next_when_nobody_waits_is_204_and_a_busy_window_is_409(hall: Hall) -> None:
    clerk = await hall.clerk_at(1)
    w = hall.window_id(1)
    status, _ = await clerk.post(f"/api/v1/windows/{w}/call-next")
    assert status == 204
    await hall.issue("A")
    await hall.issue("A")
    assert (await clerk.post(f"/api/v1/windows/{w}/call-next"))[0] == 200
    status, body = await clerk.post(f"/api/v1/windows/{w}/call-next")
    assert status == 409 and body["error"] == "window_busy"


async def test_priority_ticket_is_called_first(hall: Hall) -> None:
    clerk = await hall.clerk_at(1)
    await hall.issue("A")
    hall.clock.advance(60)
    elderly = await hall.issue("A", priority="elderly")
    _status, body = await clerk.post(f"/api/v1/windows/{hall.window_id(1)}/call-next")
    assert body["ticket"]["id"] == elderly["id"] and body["ticket"]["priority"] == "elderly"


async def test_the_green_channel_is_given_by_staff_never_by_a_kiosk(hall: Hall) -> None:
    status, body = await hall.kiosk.post("/api/v1/tickets", {"queue": "A", "priority": "green_channel"})
    assert status == 403 and body["error"] == "priority_not_on_kiosk"
    assert (await hall.issue("A", priority="disabled"))["number"] == "A001"  # nothing was taken by the refusal
    status, body = await hall.manager.post("/api/v1/tickets", {"queue": "A", "priority": "green_channel"})
    assert status == 201 and body["number"] == "A002" and body["priority"] == "green_channel"


async def test_transfer_keeps_the_number_and_places_the_ticket(hall: Hall) -> None:
    clerk = await hall.clerk_at(1)
    w1 = hall.window_id(1)
    first = await hall.issue("A")
    hall.clock.advance(60)
    waiting_b = [await hall.issue("B") for _ in range(3)]
    await clerk.post(f"/api/v1/windows/{w1}/call-next")
    await clerk.post(f"/api/v1/tickets/{first['id']}/start")
    # A bundle visit moves on to queue B, to the front: it keeps "A001".
    status, body = await clerk.post(f"/api/v1/tickets/{first['id']}/transfer", {"queue": "B", "placement": "front"})
    assert status == 200, body
    assert (body["ticket"]["number"], body["ticket"]["queue"], body["ticket"]["status"]) == ("A001", "B", "waiting")
    _st, status_body = await hall.anon.get(f"/api/v1/ticket-status/{first['token']}")
    assert status_body["people_ahead"] == 0
    # A window serving B calls it before the three who were already waiting there.
    b_window = next(w for w in hall.layout["windows"] if w["queues"][0] == "B")["number"]
    other = await hall.clerk_at(b_window, "clerk2")
    status, body = await other.post(f"/api/v1/windows/{hall.window_id(b_window)}/call-next")
    assert body["ticket"]["number"] == "A001"
    status, body = await other.post(f"/api/v1/windows/{hall.window_id(b_window)}/call-next")
    assert status == 409  # busy with A001
    await other.post(f"/api/v1/tickets/{first['id']}/no-show")
    status, body = await other.post(f"/api/v1/windows/{hall.window_id(b_window)}/call-next")
    assert body["ticket"]["id"] == waiting_b[0]["id"]


async def test_transfer_to_the_end_and_by_issue_time(hall: Hall) -> None:
    clerk = await hall.clerk_at(1)
    w1 = hall.window_id(1)
    t = await hall.issue("A")
    hall.clock.advance(30)
    later = await hall.issue("A")
    await clerk.post(f"/api/v1/windows/{w1}/call-next")  # calls t
    status, body = await clerk.post(f"/api/v1/tickets/{t['id']}/transfer", {"queue": "A", "placement": "end"})
    assert status == 200
    _, s = await hall.anon.get(f"/api/v1/ticket-status/{t['token']}")
    assert s["people_ahead"] == 1  # behind `later`
    status, body = await clerk.post(f"/api/v1/windows/{w1}/call-next")
    assert body["ticket"]["id"] == later["id"]
    hall.clock.advance(30)
    newest = await hall.issue("A")
    await clerk.post(f"/api/v1/tickets/{later['id']}/transfer", {"queue": "A", "placement": "issue_time"})
    # By its issue time `later` goes before t (moved to the end) and before the newest ticket.
    _, s = await hall.anon.get(f"/api/v1/ticket-status/{later['token']}")
    assert s["people_ahead"] == 0
    _, s = await hall.anon.get(f"/api/v1/ticket-status/{newest['token']}")
    assert s["people_ahead"] == 2


async def test_transfer_to_a_window_is_called_only_there(hall: Hall) -> None:
    c1 = await hall.clerk_at(1, "clerk1")
    c2 = await hall.clerk_at(2, "clerk2")
    t = await hall.issue("A")
    await c1.post(f"/api/v1/windows/{hall.window_id(1)}/call-next")
    status, body = await c1.post(f"/api/v1/tickets/{t['id']}/transfer", {"window": hall.window_id(3)})
    assert status == 200 and body["ticket"]["target_window_id"] == hall.window_id(3)
    assert (await c2.post(f"/api/v1/windows/{hall.window_id(2)}/call-next"))[0] == 204
    c3 = await hall.clerk_at(3, "clerk3")
    status, body = await c3.post(f"/api/v1/windows/{hall.window_id(3)}/call-next")
    assert status == 200 and body["ticket"]["id"] == t["id"]


async def test_cancel_a_waiting_ticket(hall: Hall) -> None:
    t = await hall.issue("A")
    status, body = await hall.manager.post(f"/api/v1/tickets/{t['id']}/cancel")
    assert status == 200 and body["ticket"]["status"] == "cancelled"
    assert (await hall.manager.post(f"/api/v1/tickets/{t['id']}/cancel"))[0] == 409


async def test_finish_with_an_unknown_item_changes_nothing(hall: Hall) -> None:
    clerk = await hall.clerk_at(1)
    t = await hall.issue("A")
    await clerk.post(f"/api/v1/windows/{hall.window_id(1)}/call-next")
    await clerk.post(f"/api/v1/tickets/{t['id']}/start")
    status, body = await clerk.post(f"/api/v1/tickets/{t['id']}/finish", {"items": ["no-such-item"]})
    assert status == 422 and body["error"] == "item_not_found"
    (row,) = await rows(hall, "SELECT status FROM tickets WHERE id = ?", t["id"])
    assert row["status"] == "serving"


async def test_daily_cap_and_issuing_hours_refuse_plainly(hall: Hall) -> None:
    qid = hall.queue_id("B")
    status, _ = await hall.admin.patch(f"/api/v1/queues/{qid}", {"daily_cap": 2})
    assert status == 200
    await hall.issue("B")
    await hall.issue("B")
    status, body = await hall.kiosk.post("/api/v1/tickets", {"queue": "B"})
    assert status == 409 and body["error"] == "queue_full" and "今日该业务号源已满" in body["message"]
    count = await hall.db.one("SELECT count(*) FROM tickets WHERE queue_id = ?", (qid,))
    assert count[0] == 2
    await hall.admin.patch(f"/api/v1/queues/{hall.queue_id('C')}", {"hours": "13:30-17:30"})
    status, body = await hall.kiosk.post("/api/v1/tickets", {"queue": "C"})  # it is 09:00
    assert status == 409 and body["error"] == "outside_hours" and "当前不在取号时间" in body["message"]


async def test_public_ticket_status_by_token(hall: Hall) -> None:
    t1 = await hall.issue("A")
    t2 = await hall.issue("A")
    status, body = await hall.anon.get(f"/api/v1/ticket-status/{t2['token']}")
    assert status == 200
    assert (body["number"], body["status"], body["people_ahead"], body["position"]) == ("A002", "waiting", 1, 2)
    assert body["estimated_wait"]["low_minutes"] <= body["estimated_wait"]["high_minutes"]
    assert "token" not in body and "id" not in body
    clerk = await hall.clerk_at(5)
    await hall.admin.patch(f"/api/v1/windows/{hall.window_id(5)}", {"queues": ["A"]})
    await clerk.post(f"/api/v1/windows/{hall.window_id(5)}/call-next")
    _, body = await hall.anon.get(f"/api/v1/ticket-status/{t1['token']}")
    assert (body["status"], body["window"]) == ("called", 5)
    assert (await hall.anon.get("/api/v1/ticket-status/not-a-real-token-at-all"))[0] == 404


async def test_swapping_prefixes_mid_day_skips_taken_numbers(hall: Hall) -> None:
    qa, qb = hall.queue_id("A"), hall.queue_id("B")
    for _ in range(3):
        await hall.issue("A")  # A001–A003
    await hall.issue("B")  # B001: B's counter is at 1
    assert (await hall.admin.patch(f"/api/v1/queues/{qa}", {"prefix": "Y"}))[0] == 200
    assert (await hall.admin.patch(f"/api/v1/queues/{qb}", {"prefix": "A"}))[0] == 200
    # The renamed queue's next serial is 2, but A002 and A003 were issued today: it steps on to A004.
    assert (await hall.issue("A"))["number"] == "A004"
    assert (await hall.issue("A"))["number"] == "A005"
    numbers = [r[0] for r in await hall.db.all("SELECT number FROM tickets")]
    assert len(numbers) == len(set(numbers)) == 6


async def test_the_server_marks_no_show_by_itself_when_the_time_after_the_last_recall_runs_out(hall: Hall) -> None:
    from hallops.background import LOOPS
    from hallops.http.keys import USECASES

    app = hall.client.server.app
    assert {"auto-no-show", "day-close"} <= {lp.name for lp in app[LOOPS]}
    status, _ = await hall.manager.patch("/api/v1/halls/liangjiang/citizen-settings",
                                         {"no_show_after_recalls_seconds": 30})
    assert status == 200
    clerk = await hall.clerk_at(1)
    w = hall.window_id(1)
    t = await hall.issue("A")
    await clerk.post(f"/api/v1/windows/{w}/call-next")
    for _ in range(2):
        await clerk.post(f"/api/v1/tickets/{t['id']}/recall")
    hall.clock.advance(3600)  # below the limit of 3 recalls, never by itself
    assert await app[USECASES].tickets.auto_no_show() == []
    await clerk.post(f"/api/v1/tickets/{t['id']}/recall")
    hall.clock.advance(29.9)
    assert await app[USECASES].tickets.auto_no_show() == []
    assert (await rows(hall, "SELECT status FROM tickets WHERE id = ?", t["id"]))[0]["status"] == "called"
    hall.clock.advance(0.1)
    await app[USECASES].tickets.auto_no_show()  # the loop may have been first: the outcome is the same
    assert await rows(hall, "SELECT status, ended_at FROM tickets WHERE id = ?", t["id"]) == [
        {"status": "no_show", "ended_at": hall.clock()}]
    assert await rows(hall, "SELECT current_ticket_id FROM windows WHERE id = ?", w) == [{"current_ticket_id": None}]
    _, page = await hall.manager.get("/api/v1/halls/liangjiang/events")
    no_shows = [e for e in page["events"] if e["type"] == "ticket.no_show"]
    assert len(no_shows) == 1
    p = no_shows[0]["payload"]
    assert p["auto"] is True and p["ticket"]["id"] == t["id"] and p["ticket"]["status"] == "no_show"
    assert p["window"]["id"] == w
    # The window is free again, and nothing is marked twice.
    assert await app[USECASES].tickets.auto_no_show() == []
    status, _ = await clerk.post(f"/api/v1/windows/{w}/call-next")
    assert status == 204


async def test_no_auto_no_show_unless_the_hall_asks_for_it(hall: Hall) -> None:
    from hallops.http.keys import USECASES

    clerk = await hall.clerk_at(1)
    t = await hall.issue("A")
    await clerk.post(f"/api/v1/windows/{hall.window_id(1)}/call-next")
    for _ in range(3):
        await clerk.post(f"/api/v1/tickets/{t['id']}/recall")
    hall.clock.advance(3600)
    assert await hall.client.server.app[USECASES].tickets.auto_no_show() == []
    assert (await rows(hall, "SELECT status FROM tickets WHERE id = ?", t["id"]))[0]["status"] == "called"


async def test_the_use_cases_by_name_do_what_the_routes_do(hall: Hall) -> None:
    from hallops.domain.actors import Actor
    from hallops.domain.errors import Forbidden
    from hallops.domain.model import Role, TransferPlacement
    from hallops.http.keys import USECASES

    uc = hall.client.server.app[USECASES]
    mgr = Actor(Role.MANAGER, hall_id=hall.hall_id)
    w = hall.window_id(1)
    assert (await uc.windows.open(mgr, w))["state"] == "open"
    t = await hall.issue("A")
    assert (await uc.windows.call_next(mgr, w) or {}).get("id") == t["id"]
    assert (await uc.tickets.recall(mgr, t["id"]))["recall_count"] == 1
    assert (await uc.tickets.start(mgr, t["id"]))["status"] == "serving"
    assert (await uc.tickets.park(mgr, t["id"]))["status"] == "parked"
    assert (await uc.tickets.call_back(mgr, t["id"]))["status"] == "called"
    moved = await uc.tickets.transfer(mgr, t["id"], queue="B", placement=TransferPlacement.FRONT)
    assert (moved["status"], moved["number"], moved["queue"], moved["transfer_count"]) == (
        "waiting", t["number"], "B", 1)
    assert (await uc.tickets.cancel(mgr, t["id"]))["status"] == "cancelled"
    t2 = await hall.issue("A")
    assert (await uc.windows.call_next(mgr, w) or {}).get("id") == t2["id"]
    await uc.tickets.start(mgr, t2["id"])
    assert (await uc.tickets.finish(mgr, t2["id"]))["status"] == "done"
    t3 = await hall.issue("A")
    await uc.windows.call_next(mgr, w)
    assert (await uc.tickets.no_show(mgr, t3["id"]))["status"] == "no_show"
    assert (await uc.windows.pause(mgr, w, "午间休息"))["state"] == "paused"
    assert (await uc.windows.resume(mgr, w))["state"] == "open"
    assert (await uc.windows.close(mgr, w))["state"] == "closed"
    kiosk = Actor(Role.KIOSK, hall_id=hall.hall_id)
    for refused in (uc.windows.call_next(kiosk, w), uc.tickets.cancel(kiosk, t3["id"])):
        try:
            await refused
        except Forbidden as e:
            assert e.code == "forbidden"
        else:
            raise AssertionError("a kiosk may not act on windows or tickets")
