"""A window's own life: open, pause with a reason, resume, close — and what each refuses."""

from __future__ import annotations

from tests.conftest import Hall


async def test_open_pause_resume_close(hall: Hall) -> None:
    clerk = await hall.clerk_at(6, "clerk4")
    w = hall.window_id(6)
    status, body = await clerk.post(f"/api/v1/windows/{w}/pause")
    assert status == 422 and body["error"] == "invalid_input"  # a reason is required
    status, body = await clerk.post(f"/api/v1/windows/{w}/pause", {"reason": "临时离岗"})
    assert status == 200 and body["window"]["state"] == "paused" and body["window"]["pause_reason"] == "临时离岗"
    await hall.issue("A")
    status, body = await clerk.post(f"/api/v1/windows/{w}/call-next")
    assert status == 409 and body["error"] == "window_not_open"
    assert (await clerk.post(f"/api/v1/windows/{w}/pause", {"reason": "again"}))[0] == 409
    assert (await clerk.post(f"/api/v1/windows/{w}/resume"))[1]["window"]["state"] == "open"
    status, body = await clerk.post(f"/api/v1/windows/{w}/close")
    assert status == 200 and body["window"]["state"] == "closed" and body["window"]["clerk"] is None
    assert (await clerk.post(f"/api/v1/windows/{w}/close"))[0] == 403  # signed out: no longer theirs
    assert (await hall.manager.post(f"/api/v1/windows/{w}/close"))[0] == 409  # already closed


async def test_a_window_with_a_ticket_in_hand_cannot_close(hall: Hall) -> None:
    clerk = await hall.clerk_at(1)
    w = hall.window_id(1)
    t = await hall.issue("A")
    await clerk.post(f"/api/v1/windows/{w}/call-next")
    status, body = await clerk.post(f"/api/v1/windows/{w}/close")
    assert status == 409 and body["error"] == "window_busy"
    await clerk.post(f"/api/v1/tickets/{t['id']}/start")
    await clerk.post(f"/api/v1/tickets/{t['id']}/park")
    status, body = await clerk.post(f"/api/v1/windows/{w}/close")
    assert status == 409 and body["error"] == "tickets_parked"


async def test_a_manager_opens_a_window_for_a_clerk(hall: Hall) -> None:
    w = hall.window_id(7)
    status, body = await hall.manager.post(f"/api/v1/windows/{w}/open", {"clerk": "clerk5"})
    assert status == 200 and body["window"]["clerk"]["username"] == "clerk5"
    status, body = await hall.manager.post(f"/api/v1/windows/{hall.window_id(8)}/open", {"clerk": "nobody"})
    assert status == 422 and body["error"] == "clerk_not_found"


async def test_a_window_others_were_sent_to_cannot_close_until_they_are_moved(hall: Hall) -> None:
    c1 = await hall.clerk_at(1, "clerk1")
    c2 = await hall.clerk_at(2, "clerk2")
    t = await hall.issue("A")
    await c1.post(f"/api/v1/windows/{hall.window_id(1)}/call-next")
    await c1.post(f"/api/v1/tickets/{t['id']}/transfer", {"window": hall.window_id(2)})
    status, body = await c2.post(f"/api/v1/windows/{hall.window_id(2)}/close")
    assert status == 409 and body["error"] == "tickets_waiting_for_window" and body["detail"]["count"] == 1
    # A clerk may not move a waiting ticket; a manager may, back to its queue.
    assert (await c1.post(f"/api/v1/tickets/{t['id']}/transfer", {"queue": "A"}))[0] == 403
    status, body = await hall.manager.post(f"/api/v1/tickets/{t['id']}/transfer",
                                           {"queue": "A", "placement": "issue_time"})
    assert status == 200 and body["ticket"]["target_window_id"] is None and body["ticket"]["status"] == "waiting"
    assert (await c2.post(f"/api/v1/windows/{hall.window_id(2)}/close"))[0] == 200


async def test_an_open_window_cannot_be_deactivated(hall: Hall) -> None:
    await hall.clerk_at(3)
    status, body = await hall.admin.patch(f"/api/v1/windows/{hall.window_id(3)}", {"active": False})
    assert status == 409 and body["error"] == "window_in_use"
    assert (await hall.admin.patch(f"/api/v1/windows/{hall.window_id(4)}", {"active": False}))[0] == 200
