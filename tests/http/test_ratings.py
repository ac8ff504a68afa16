"""好差评 over HTTP: the rating rules (once per visit and per item, only by the ticket's own citizen on their
phone or on the serving window's pad, never by staff, not after the time limit), bad ratings' follow-ups and
appeals with their evidence, unrated visits, 办件编号 and reporting upward to the (fake) province."""

from __future__ import annotations

import asyncio
from typing import Any

from hallops.domain.model import Role
from tests.conftest import Api, Hall

GOOD = {"level": "satisfied", "indicators": {"efficiency": 4, "attitude": 5}}
BAD = {"level": "very_dissatisfied", "reasons": ["long_wait", "attitude"], "comment": "等了很久，态度冷淡"}


async def pad_for(hall: Hall, window: int) -> Api:
    tok, _ = await hall.ports.accounts.create_token(role=Role.RATING_PAD, hall_id=hall.hall_id,
                                                    window_id=hall.window_id(window), label=f"pad-{window}")
    return Api(hall.client, token=tok)


async def served(hall: Hall, clerk: Api, window: int = 1, items: list[str] | None = None) -> dict[str, Any]:
    """A ticket issued, called to `window`, served and finished there."""
    t = await hall.issue("A")
    status, body = await clerk.post(f"/api/v1/windows/{hall.window_id(window)}/call-next")
    assert status == 200 and body["ticket"]["id"] == t["id"], body
    assert (await clerk.post(f"/api/v1/tickets/{t['id']}/start"))[0] == 200
    status, body = await clerk.post(f"/api/v1/tickets/{t['id']}/finish", {"items": items or []})
    assert status == 200, body
    return t


async def test_the_pad_offers_the_visit_just_finished_and_takes_one_rating(hall: Hall) -> None:
    clerk = await hall.clerk_at(1)
    pad = await pad_for(hall, 1)
    status, body = await pad.get("/api/v1/rating-pad")
    assert status == 200 and body["offer"] is None and body["window"]["number"] == 1
    assert [lv["label"] for lv in body["levels"]] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    t = await served(hall, clerk)
    status, body = await pad.get("/api/v1/rating-pad")
    assert body["offer"]["ticket"]["number"] == t["number"]
    status, rated = await pad.post("/api/v1/rating-pad/ratings", {"ticket": t["id"], **GOOD})
    assert status == 201, rated
    assert rated["level"] == "satisfied" and rated["channel"] == "pad" and rated["window_number"] == 1
    assert rated["clerk_name"] and rated["followup"] is None
    # 一次一评: the second try is refused, from the pad or the phone; the pad no longer offers it.
    status, body = await pad.post("/api/v1/rating-pad/ratings", {"ticket": t["id"], **GOOD})
    assert (status, body["error"]) == (409, "already_rated")
    status, body = await hall.anon.post(f"/api/v1/ticket-status/{t['token']}/rating", GOOD)
    assert (status, body["error"]) == (409, "already_rated")
    assert (await pad.get("/api/v1/rating-pad"))[1]["offer"] is None


async def test_the_pad_of_another_window_cannot_rate(hall: Hall) -> None:
    clerk = await hall.clerk_at(1)
    t = await served(hall, clerk)
    other = await pad_for(hall, 2)
    status, body = await other.post("/api/v1/rating-pad/ratings", {"ticket": t["id"], **GOOD})
    assert (status, body["error"]) == (403, "wrong_pad")
    assert (await other.get("/api/v1/rating-pad"))[1]["offer"] is None


async def test_staff_and_other_devices_cannot_rate(hall: Hall) -> None:
    clerk = await hall.clerk_at(1)
    t = await served(hall, clerk)
    # the clerk, signed in, holding the citizen's link
    status, body = await clerk.post(f"/api/v1/ticket-status/{t['token']}/rating", GOOD)
    assert (status, body["error"]) == (403, "staff_cannot_rate")
    status, body = await hall.manager.post(f"/api/v1/ticket-status/{t['token']}/rating", GOOD)
    assert (status, body["error"]) == (403, "staff_cannot_rate")
    status, body = await clerk.post("/api/v1/rating-pad/ratings", {"ticket": t["id"], **GOOD})
    assert status == 403
    status, body = await hall.kiosk.post(f"/api/v1/ticket-status/{t['token']}/rating", GOOD)
    assert status == 403
    rows = await hall.ports.ratings.ratings(hall.hall_id, 0, 2e10)
    assert rows == []


async def test_an_unfinished_visit_cannot_be_rated(hall: Hall) -> None:
    t = await hall.issue("A")
    status, body = await hall.anon.post(f"/api/v1/ticket-status/{t['token']}/rating", GOOD)
    assert (status, body["error"]) == (409, "not_rateable")
    status, body = await hall.anon.get(f"/api/v1/ticket-status/{t['token']}/rating")
    assert body["can_rate"] is False


async def test_the_time_limit_just_under_and_over(hall: Hall) -> None:
    clerk = await hall.clerk_at(1)
    t1 = await served(hall, clerk)
    t2 = await served(hall, clerk)
    hall.clock.advance(24 * 3600 - 1)  # the default limit is 24 hours (1,440 minutes) after the visit ended
    status, _ = await hall.anon.post(f"/api/v1/ticket-status/{t1['token']}/rating", GOOD)
    assert status == 201
    hall.clock.advance(2)
    status, body = await hall.anon.post(f"/api/v1/ticket-status/{t2['token']}/rating", GOOD)
    assert (status, body["error"]) == (409, "rating_expired")
    # the sweep records it unrated (once), and it counts in no level
    assert await hall.ports.ratings.expire_unrated() == {hall.hall_id: 1}
    assert await hall.ports.ratings.expire_unrated() == {}
    status, body = await hall.anon.get(f"/api/v1/ticket-status/{t2['token']}/rating")
    assert body["can_rate"] is False and body["rated"][0]["level"] == "unrated"


async def test_per_item_ratings_once_each(hall: Hall) -> None:
    clerk = await hall.clerk_at(1)
    t = await served(hall, clerk, items=["psb-hukou-move", "civil-marriage"])
    url = f"/api/v1/ticket-status/{t['token']}/rating"
    assert (await hall.anon.post(url, GOOD))[0] == 201
    assert (await hall.anon.post(url, {**GOOD, "item": "psb-hukou-move"}))[0] == 201
    status, body = await hall.anon.post(url, {**GOOD, "item": "psb-hukou-move"})
    assert (status, body["error"]) == (409, "already_rated")
    status, body = await hall.anon.post(url, {**GOOD, "item": "psb-exit-entry"})
    assert (status, body["error"]) == (422, "bad_rating")
    assert (await hall.anon.post(url, {**GOOD, "item": "civil-marriage"}))[0] == 201
    _, body = await hall.anon.get(url)
    assert sorted(r["item"] or "" for r in body["rated"]) == ["", "civil-marriage", "psb-hukou-move"]


async def test_a_bad_rating_needs_a_reason_or_a_comment(hall: Hall) -> None:
    clerk = await hall.clerk_at(1)
    t = await served(hall, clerk)
    status, body = await hall.anon.post(f"/api/v1/ticket-status/{t['token']}/rating", {"level": "dissatisfied"})
    assert (status, body["error"]) == (422, "rating_needs_reason")
    status, body = await hall.anon.post(f"/api/v1/ticket-status/{t['token']}/rating",
                                        {"level": "dissatisfied", "reasons": ["bogus"]})
    assert (status, body["error"]) == (422, "bad_rating")


async def test_a_bad_rating_opens_a_followup_for_the_clerk_due_in_five_working_days(hall: Hall) -> None:
    clerk = await hall.clerk_at(1)
    t = await served(hall, clerk)  # Monday 2026-11-30
    status, rated = await hall.anon.post(f"/api/v1/ticket-status/{t['token']}/rating", BAD)
    assert status == 201
    f = rated["followup"]
    assert f["status"] == "open" and f["received_day"] == "2026-11-30" and f["due_day"] == "2026-12-07"
    assert f["clerk_name"] == rated["clerk_name"] and f["provisional"] is False
    # the clerk sees it; another clerk does not
    status, body = await clerk.get(f"/api/v1/halls/{hall.hall_id}/followups?open=1")
    assert [x["id"] for x in body["followups"]] == [f["id"]]
    other = await hall.clerk_at(2, "clerk2")
    assert (await other.get(f"/api/v1/halls/{hall.hall_id}/followups"))[1]["followups"] == []
    assert (await other.get(f"/api/v1/followups/{f['id']}"))[0] == 404
    # managers are alerted: an event on the hall's log
    status, body = await hall.manager.get(f"/api/v1/halls/{hall.hall_id}/events?after=0")
    types = [e["type"] for e in body["events"]]
    assert "rating.given" in types and "followup.changed" in types
    # verify → rectify → answer (way and result) → close
    base = f"/api/v1/followups/{f['id']}"
    assert (await clerk.post(f"{base}/close", {"note": "x"}))[0] == 403
    assert (await clerk.post(f"{base}/rectify", {"note": "先整改"}))[1]["error"] == "illegal_transition"
    assert (await clerk.post(f"{base}/verify", {"note": "核实：高峰时段等候 40 分钟"}))[0] == 200
    assert (await clerk.post(f"{base}/rectify", {"note": "增开窗口，调整排班"}))[0] == 200
    status, body = await clerk.post(f"{base}/answer", {"note": "已致歉", "way": "phone"})
    assert (status, body["error"]) == (422, "note_required")
    assert (await clerk.post(f"{base}/answer", {"note": "电话致歉", "way": "phone", "result": "satisfied"}))[0] == 200
    status, body = await hall.manager.post(f"{base}/close", {"note": ""})
    assert status == 200 and body["status"] == "closed" and body["overdue"] is False
    assert [x["action"] for x in body["log"]] == ["opened", "verify", "rectify", "answer", "close"]
    assert body["answer_way"] == "phone" and body["answer_result"] == "satisfied"


async def test_an_appeal_shows_the_evidence_and_an_upheld_one_voids_the_rating(hall: Hall) -> None:
    clerk = await hall.clerk_at(1)
    t = await served(hall, clerk)
    _, rated = await hall.anon.post(f"/api/v1/ticket-status/{t['token']}/rating", BAD)
    base = f"/api/v1/followups/{rated['followup']['id']}"
    assert (await clerk.post(f"{base}/appeal", {"note": ""}))[1]["error"] == "note_required"
    status, body = await clerk.post(f"{base}/appeal", {"note": "群众材料不全，已一次性告知；误评"})
    assert status == 200 and body["status"] == "appealed"
    ev = body["evidence"]
    assert ev["ticket"]["number"] == t["number"] and ev["target_wait_minutes"] > 0 and ev["recalls"] == 0
    assert ev["wait_minutes"] is not None and ev["waited_over_target"] is False
    assert [h["type"] for h in ev["history"]][:2] == ["ticket.issued", "ticket.called"]
    assert (await clerk.post(f"{base}/appeal", {"note": "again"}))[1]["error"] == "already_appealed"
    assert (await clerk.post(f"{base}/uphold", {"note": "自己批"}))[0] == 403
    status, body = await hall.manager.post(f"{base}/uphold", {"note": "核实录像，属误评"})
    assert status == 200 and body["status"] == "voided" and body["rating"]["level"] == "voided"
    assert body["rating"]["given_level"] == "very_dissatisfied"


async def test_a_rejected_appeal_goes_back_and_cannot_be_made_twice(hall: Hall) -> None:
    clerk = await hall.clerk_at(1)
    t = await served(hall, clerk)
    _, rated = await hall.anon.post(f"/api/v1/ticket-status/{t['token']}/rating", BAD)
    base = f"/api/v1/followups/{rated['followup']['id']}"
    await clerk.post(f"{base}/verify", {"note": "核实"})
    await clerk.post(f"{base}/appeal", {"note": "不认同"})
    status, body = await hall.manager.post(f"{base}/reject", {"note": "等候确实超时"})
    assert status == 200 and body["status"] == "verified" and body["appealed"] is True
    status, body = await clerk.post(f"{base}/appeal", {"note": "再申诉"})
    assert (status, body["error"]) == (409, "already_appealed")


async def test_case_numbers_and_reporting_upward_with_retries(hall: Hall) -> None:
    url = str(hall.client.make_url("/fake-province/evaluations"))
    assert (await hall.admin.patch(f"/api/v1/halls/{hall.hall_id}/quality-settings",
                                   {"province_url": url + "?fail=1", "province_token": "secret"}))[0] == 200
    clerk = await hall.clerk_at(1)
    t = await served(hall, clerk)
    status, body = await clerk.post(f"/api/v1/tickets/{t['id']}/case-numbers", {"case_number": "BJ-20261130-0001"})
    assert status == 200 and body["case_number"] == "BJ-20261130-0001"
    other = await hall.clerk_at(2, "clerk2")
    assert (await other.post(f"/api/v1/tickets/{t['id']}/case-numbers", {"case_number": "XX-0002"}))[0] == 403
    assert (await hall.anon.post(f"/api/v1/ticket-status/{t['token']}/rating", GOOD))[0] == 201
    from hallops.http.keys import USECASES

    rates = hall.client.server.app[USECASES].ratings
    for _ in range(50):
        await rates.deliver_due()
        _, body = await hall.manager.get(f"/api/v1/halls/{hall.hall_id}/quality-deliveries")
        if body["deliveries"] and body["deliveries"][0]["attempts"] >= 1:
            break
        await asyncio.sleep(0.05)
    d = body["deliveries"][0]
    assert d["state"] == "pending" and d["http_status"] == 503 and d["case_number"] == "BJ-20261130-0001"
    # the endpoint comes back: the retry is due after 30 s
    await hall.admin.patch(f"/api/v1/halls/{hall.hall_id}/quality-settings", {"province_url": url})
    hall.clock.advance(31)
    await rates.deliver_due()
    _, body = await hall.manager.get(f"/api/v1/halls/{hall.hall_id}/quality-deliveries")
    assert body["deliveries"][0]["state"] == "delivered" and body["deliveries"][0]["attempts"] == 2
    _, got = await hall.manager.get("/fake-province/evaluations")
    sent = [r for r in got["received"] if r["body"]["type"] == "evaluation"]
    assert sent[-1]["body"]["case_number"] == "BJ-20261130-0001" and sent[-1]["body"]["level"] == "satisfied"
    assert sent[-1]["headers"]["token"] is True


async def test_the_pad_page_and_the_phone_page_load(hall: Hall) -> None:
    status, html = await hall.anon.get(f"/pad/{hall.hall_id}")
    assert status == 200 and "pad.js" in html
    t = await hall.issue("A")
    status, html = await hall.anon.get(f"/r/{t['token']}")
    assert status == 200 and "phone.js" in html


async def test_managers_list_the_bad_ratings_of_a_period(hall: Hall) -> None:
    clerk = await hall.clerk_at(1)
    t1, t2 = await served(hall, clerk), await served(hall, clerk)
    await hall.anon.post(f"/api/v1/ticket-status/{t1['token']}/rating", GOOD)
    await hall.anon.post(f"/api/v1/ticket-status/{t2['token']}/rating", BAD)
    status, body = await hall.manager.get(f"/api/v1/halls/{hall.hall_id}/ratings?bad=1&from=2026-11-30&to=2026-11-30")
    assert status == 200 and [r["ticket_number"] for r in body["ratings"]] == [t2["number"]]
    status, body = await hall.manager.get(f"/api/v1/halls/{hall.hall_id}/ratings?from=2026-12-01&to=2026-12-01")
    assert body["ratings"] == []
    assert (await clerk.get(f"/api/v1/halls/{hall.hall_id}/ratings"))[0] == 403


async def test_two_ratings_of_one_visit_at_once_keep_one(hall: Hall) -> None:
    clerk = await hall.clerk_at(1)
    t = await served(hall, clerk)
    pad = await pad_for(hall, 1)
    results = await asyncio.gather(hall.anon.post(f"/api/v1/ticket-status/{t['token']}/rating", BAD),
                                   pad.post("/api/v1/rating-pad/ratings", {"ticket": t["id"], **GOOD}))
    assert sorted(s for s, _ in results) == [201, 409]
    assert len(await hall.ports.ratings.ratings(hall.hall_id, 0, 2e10)) == 1


async def test_a_pad_token_must_be_bound_to_a_window(hall: Hall) -> None:
    tok, _ = await hall.ports.accounts.create_token(role=Role.RATING_PAD, hall_id=hall.hall_id, window_id=None,
                                                    label="pad-loose")
    status, body = await Api(hall.client, token=tok).get("/api/v1/rating-pad")
    assert (status, body["error"]) == (403, "wrong_pad")
    # a pad token opens nothing else
    assert (await Api(hall.client, token=tok).get(f"/api/v1/halls/{hall.hall_id}/followups"))[0] == 403


async def test_the_background_loops_are_registered(hall: Hall) -> None:
    from hallops.background import LOOPS

    names = {lp.name for lp in hall.client.server.app[LOOPS]}
    assert {"quality-delivery", "ratings-unrated", "deadline-scan"} <= names


async def test_a_manager_reminds_and_the_log_keeps_it(hall: Hall) -> None:
    clerk = await hall.clerk_at(1)
    t = await served(hall, clerk)
    _, rated = await hall.anon.post(f"/api/v1/ticket-status/{t['token']}/rating", BAD)
    base = f"/api/v1/followups/{rated['followup']['id']}"
    assert (await clerk.post(f"{base}/remind", {"note": ""}))[0] == 403
    status, body = await hall.manager.post(f"{base}/remind", {"note": "请今日内核实"})
    assert status == 200 and body["status"] == "open" and body["log"][-1]["action"] == "remind"


async def test_the_clerk_enters_the_case_number_when_finishing(hall: Hall) -> None:
    clerk = await hall.clerk_at(1)
    t = await hall.issue("A")
    await clerk.post(f"/api/v1/windows/{hall.window_id(1)}/call-next")
    await clerk.post(f"/api/v1/tickets/{t['id']}/start")
    status, body = await clerk.post(f"/api/v1/tickets/{t['id']}/finish", {"case_number": "no spaces!"})
    assert status == 422 and body["error"] == "invalid_input"  # refused before anything changed
    status, body = await clerk.post(f"/api/v1/tickets/{t['id']}/finish", {"case_number": "5001122026113000017"})
    assert status == 200 and body["ticket"]["status"] == "done"
    status, rated = await hall.anon.post(f"/api/v1/ticket-status/{t['token']}/rating", GOOD)
    assert status == 201 and rated["case_number"] == "5001122026113000017"
