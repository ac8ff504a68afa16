"""Every change writes an event in its own transaction; /events replays them in order."""

from __future__ import annotations

from tests.conftest import Hall


async def test_events_follow_every_change_in_order(hall: Hall) -> None:
    _, start = await hall.display.get(f"/api/v1/halls/{hall.hall_id}/events?after=0&limit=1000")
    last = start["events"][-1]["seq"]
    clerk = await hall.clerk_at(1)
    t = await hall.issue("A")
    await clerk.post(f"/api/v1/windows/{hall.window_id(1)}/call-next")
    await clerk.post(f"/api/v1/tickets/{t['id']}/start")
    await clerk.post(f"/api/v1/windows/{hall.window_id(1)}/pause", {"reason": "系统故障"})
    status, body = await hall.display.get(f"/api/v1/halls/{hall.hall_id}/events?after={last}")
    assert status == 200
    evs = body["events"]
    assert [e["type"] for e in evs] == ["window.opened", "ticket.issued", "ticket.called", "ticket.started",
                                        "window.paused"]
    assert [e["seq"] for e in evs] == list(range(last + 1, last + 6))
    called = evs[2]["payload"]
    assert called["ticket"]["number"] == "A001" and called["window"]["number"] == 1
    assert "token" not in called["ticket"]  # events go to screens: no secrets
    assert evs[4]["payload"]["window"]["pause_reason"] == "系统故障"
    # Paging: limit and after.
    _, page = await hall.display.get(f"/api/v1/halls/{hall.hall_id}/events?after={last}&limit=2")
    assert [e["seq"] for e in page["events"]] == [last + 1, last + 2] and page["more"] is True


async def test_a_refused_change_writes_no_event(hall: Hall) -> None:
    seq = (await hall.db.one("SELECT event_seq FROM halls"))[0]
    assert (await hall.manager.post(f"/api/v1/windows/{hall.window_id(1)}/call-next"))[0] == 409  # closed
    assert (await hall.db.one("SELECT event_seq FROM halls"))[0] == seq
    assert (await hall.db.one("SELECT max(seq) FROM events"))[0] == seq


async def test_state_snapshot_carries_the_sequence_and_the_latest_calls(hall: Hall) -> None:
    clerk = await hall.clerk_at(2)
    for _ in range(3):
        await hall.issue("A")
    hall.clock.advance(125)
    await clerk.post(f"/api/v1/windows/{hall.window_id(2)}/call-next")
    status, s = await hall.display.get(f"/api/v1/halls/{hall.hall_id}/state")
    assert status == 200
    assert s["seq"] == (await hall.db.one("SELECT event_seq FROM halls"))[0]
    qa = next(q for q in s["queues"] if q["prefix"] == "A")
    assert qa["waiting"] == 2 and qa["longest_wait_seconds"] == 125
    w2 = next(w for w in s["windows"] if w["number"] == 2)
    assert w2["state"] == "open" and w2["clerk"]["display_name"] and w2["current"]["number"] == "A001"
    assert s["latest_calls"][0]["number"] == "A001" and s["latest_calls"][0]["window"] == 2
    assert s["today"]["issued"] == 3 and s["today"]["waiting"] == 2


async def test_latest_calls_keep_a_call_whose_ticket_moved_on(hall: Hall) -> None:
    clerk = await hall.clerk_at(1)
    t = await hall.issue("A")
    await clerk.post(f"/api/v1/windows/{hall.window_id(1)}/call-next")
    await clerk.post(f"/api/v1/tickets/{t['id']}/recall")
    await clerk.post(f"/api/v1/tickets/{t['id']}/transfer", {"queue": "B"})
    _, s = await hall.display.get(f"/api/v1/halls/{hall.hall_id}/state")
    assert [(c["number"], c["window"], c["kind"]) for c in s["latest_calls"]] == [("A001", 1, "recall"),
                                                                                 ("A001", 1, "call")]
    _, full = await hall.manager.get(f"/api/v1/tickets/{t['id']}")
    assert [h["type"] for h in full["history"]] == ["ticket.issued", "ticket.called", "ticket.recalled",
                                                    "ticket.transferred"]
    row = await hall.db.one("SELECT count(*) FROM events WHERE ticket_id = ?", (t["id"],))
    assert row[0] == 4
