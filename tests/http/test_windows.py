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
