"""Appointments: slots, CSV import (all or nothing), check-in windows, one ticket per booking, no-shows counted."""

from __future__ import annotations

from tests.conftest import Hall

CSV = "预约码,姓名,手机,业务,时间\n111111,王芳,13800001111,D,2026-11-30 10:00\n,赵强,13900002222,D,2026-11-30 10:00\n"


async def _slots(hall: Hall) -> None:
    status, body = await hall.manager.post("/api/v1/halls/liangjiang/appointment-slots", {
        "queue": "D", "day": "2026-11-30", "start": "09:00", "end": "11:00", "every_minutes": 60, "capacity": 2})
    assert status == 200 and body["created"] == 2


async def test_import_is_all_or_nothing_and_idempotent(hall: Hall) -> None:
    await _slots(hall)
    bad = CSV + "222222,钱七,abc,D,2026-11-30 10:00\n333333,孙八,,D,2026-11-30 13:00\n"
    status, body = await hall.manager.post("/api/v1/halls/liangjiang/appointments/import", {"csv": bad})
    assert status == 422 and [e["line"] for e in body["detail"]["errors"]] == [4]
    status, body = await hall.manager.post("/api/v1/halls/liangjiang/appointments/import",
                                           {"csv": CSV + "333333,孙八,,D,2026-11-30 13:00\n"})
    assert status == 422 and body["detail"]["errors"][0]["error"] == "slot_not_found"
    assert (await hall.db.one("SELECT count(*) FROM appointments"))[0] == 0
    status, body = await hall.manager.post("/api/v1/halls/liangjiang/appointments/import", {"csv": CSV})
    assert status == 200 and len(body["created"]) == 2 and body["created"][1]["code"].isdigit()
    first_row_only = "\n".join(CSV.split("\n")[:2])
    status, body = await hall.manager.post("/api/v1/halls/liangjiang/appointments/import", {"csv": first_row_only})
    assert status == 200 and body["skipped"] == 1 and body["created"] == []
    status, body = await hall.manager.post("/api/v1/halls/liangjiang/appointments", {
        "queue": "D", "start": "2026-11-30 10:00", "name": "第三人"})
    assert status == 422 and body["detail"]["errors"][0]["error"] == "slot_full"
    status, _ = await hall.kiosk.post("/api/v1/halls/liangjiang/appointments/import", {"csv": CSV})
    assert status == 403


async def test_check_in_window_and_one_ticket_per_booking(hall: Hall) -> None:
    await _slots(hall)
    await hall.manager.post("/api/v1/halls/liangjiang/appointments/import", {"csv": CSV})
    status, body = await hall.kiosk.post("/api/v1/appointments/check-in", {"code": "111111"})
    assert status == 409 and body["error"] == "checkin_too_early" and "09:30" in body["message"]
    hall.clock.advance(45 * 60)  # 09:45, the slot is at 10:00
    await hall.issue("D")  # an ordinary ticket issued before the check-in
    # spaces are dropped ("1111-11" is refused as an out-of-range date by http/api.py)
    status, t = await hall.kiosk.post("/api/v1/appointments/check-in", {"code": "1111 11"})
    assert status == 201, t
    assert t["channel"] == "appointment" and t["appointment"]["code"] == "111111"
    assert t["people_ahead"] == 0  # placed at its slot time with the appointment boost: ahead of the walk-in
    status, again = await hall.kiosk.post("/api/v1/appointments/check-in", {"code": "111111"})
    assert status == 200 and again["id"] == t["id"]
    status, body = await hall.manager.get("/api/v1/halls/liangjiang/appointments?day=2026-11-30")
    assert body["counts"]["waiting"] == 1 and body["counts"]["booked"] == 1
    w = next(w for w in hall.layout["windows"] if "D" in w["queues"])["number"]
    clerk = await hall.clerk_at(w, "clerk2")
    status, called = await clerk.post(f"/api/v1/windows/{hall.window_id(w)}/call-next")
    assert called["ticket"]["id"] == t["id"]
    await clerk.post(f"/api/v1/tickets/{t['id']}/no-show")
    hall.clock.advance(31 * 60)  # 10:16: the other booking's late limit (15 min) has passed
    status, body = await hall.manager.get("/api/v1/halls/liangjiang/appointments?day=2026-11-30")
    assert body["counts"]["no_show"] == 1 and body["counts"]["missed"] == 1
    code = next(b["code"] for s in body["slots"] for b in s["bookings"] if b["outcome"] == "missed")
    status, body = await hall.kiosk.post("/api/v1/appointments/check-in", {"code": code})
    assert status == 409 and body["error"] == "checkin_too_late"


async def test_check_in_windows_are_configurable(hall: Hall) -> None:
    await _slots(hall)
    await hall.manager.post("/api/v1/halls/liangjiang/appointments/import", {"csv": CSV})
    status, _ = await hall.manager.patch("/api/v1/halls/liangjiang/citizen-settings", {"checkin_early_minutes": 90})
    assert status == 200
    status, _t = await hall.kiosk.post("/api/v1/appointments/check-in", {"code": "111111"})
    assert status == 201
    status, body = await hall.kiosk.post("/api/v1/appointments/check-in", {"code": "999999"})
    assert status == 404 and body["error"] == "appointment_not_found"


async def test_an_impossible_slot_time_is_refused_naming_the_row_and_field(hall: Hall) -> None:
    await _slots(hall)
    status, body = await hall.manager.post("/api/v1/halls/liangjiang/appointments", {
        "queue": "D", "start": "2026-13-45 25:99", "name": "王芳"})
    assert status == 422 and body["error"] == "bad_start" and body["detail"]["field"] == "start"
    assert "2026-13-45 25:99" in body["message"]
    bad = "预约码,姓名,手机,业务,时间\n111111,王芳,13800001111,D,2026-11-30 10:00\n222222,赵强,,D,2026-13-45 25:99\n"
    status, body = await hall.manager.post("/api/v1/halls/liangjiang/appointments/import", {"csv": bad})
    assert status == 422 and body["detail"]["errors"] == [{
        "line": 3, "error": "bad_start", "field": "start", "message": body["detail"]["errors"][0]["message"]}]
    assert body["message"].startswith("第 3 行：start")
    # An API client may give the start as an ISO 8601 time with its offset instead.
    status, body = await hall.manager.post("/api/v1/halls/liangjiang/appointments", {
        "queue": "D", "start": "2026-11-30T02:00:00Z", "name": "王芳"})
    assert status == 201 and body["created"][0]["starts_at"] == "2026-11-30T02:00:00.000Z"
    status, body = await hall.manager.post("/api/v1/halls/liangjiang/appointments", {
        "queue": "D", "start": "2026-11-30T10:00:00", "name": "王芳"})
    assert status == 422  # a time without its zone is only taken in the hall's "YYYY-MM-DD HH:MM" form
