"""Text no field can mean — a NUL character — is refused at the door alike on both backends (PostgreSQL cannot
store it, SQLite would), with a code, and changes nothing."""

from __future__ import annotations

from tests.conftest import Hall


async def test_a_nul_character_in_a_body_is_refused_and_changes_nothing(hall: Hall) -> None:
    seq, notice = await hall.db.one("SELECT event_seq, notice FROM halls")
    status, body = await hall.anon.post("/api/v1/session", {"username": "ev\u0000il", "password": "x"})
    assert status == 422 and body["error"] == "bad_text" and body["detail"]["field"] == "username"
    status, body = await hall.admin.patch(f"/api/v1/halls/{hall.hall_id}", {"notice": "今日\u0000通知"})
    assert status == 422 and body["error"] == "bad_text"
    assert (await hall.db.one("SELECT event_seq FROM halls"))[0] == seq
    assert (await hall.db.one("SELECT notice FROM halls"))[0] == notice


async def test_a_nul_character_in_a_url_is_refused(hall: Hall) -> None:
    assert (await hall.anon.get("/api/v1/ticket-status/ab%00cd"))[0] == 404
    status, body = await hall.admin.get(f"/api/v1/halls/{hall.hall_id}/events?after=0&x=%00")
    assert status == 422 and body["error"] == "bad_text"
