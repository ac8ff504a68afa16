"""The citizen's side through the API (issue 15): search, 一码取号 against the fake identity provider (down
too), texts before one's turn through the fake SMS provider (down: the ticket is issued, the text retried),
booking from the phone with the missed-booking rule, and a phone's own tickets."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from hallops.http.keys import USECASES
from hallops.identity.fake import FakeIdentity
from hallops.sms.fake import FakeSms
from hallops.usecases.citizens import Citizens
from tests.conftest import Api, Hall

ZHANG = "50010119900101123X"   # 张三华 of the fake provider
LI = "500112195505053215"      # 李秀英
SCAN = f"YKM1:{ZHANG}"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def citizens(hall: Hall) -> Citizens:
    return hall.client.server.app[USECASES].citizens


def fake_identity(hall: Hall) -> FakeIdentity:
    p = citizens(hall).identity
    assert isinstance(p, FakeIdentity)
    return p


def fake_sms(hall: Hall) -> FakeSms:
    p = citizens(hall).sms
    assert isinstance(p, FakeSms)
    return p


async def phone(hall: Hall) -> Api:
    c = TestClient(hall.client.server)  # its own cookie jar: one phone
    await c.start_server()
    hall._extra_clients.append(c)
    api = Api(c)
    assert (await api.get("/m/liangjiang"))[0] == 200
    return api


async def count(hall: Hall, table: str) -> int:
    return int((await hall.db.one(f"SELECT count(*) FROM {table}"))[0])


# -- search --------------------------------------------------------------------------------------------

async def test_search_answers_items_with_their_queue_and_refuses_a_long_query(hall: Hall) -> None:
    status, body = await hall.anon.get("/api/v1/halls/liangjiang/search?q=yyzz")
    assert status == 200
    first = body["hits"][0]
    assert (first["item"], first["queue"], first["queue_name"], first["matched"]) == (
        "营业执照设立登记", "D", "商事登记", "initials")
    status, body = await hall.anon.get("/api/v1/halls/liangjiang/search?q=" + "社" * 40)
    assert status == 200 and body["hits"] == []
    status, body = await hall.anon.get("/api/v1/halls/liangjiang/search?q=" + "社" * 41)
    assert status == 422 and body["error"] == "bad_query"
    assert (await hall.anon.get("/api/v1/halls/liangjiang/search?q=sb&limit=20"))[0] == 200
    assert (await hall.anon.get("/api/v1/halls/liangjiang/search?q=sb&limit=21"))[0] == 422
    assert (await hall.anon.get("/api/v1/halls/liangjiang/search?q=sb&limit=0"))[0] == 422


async def test_the_hall_setting_puts_the_integrated_queue_first(hall: Hall) -> None:
    _, body = await hall.anon.get("/api/v1/halls/liangjiang/search?q=%E7%A4%BE%E4%BF%9D%E5%8D%A1")  # 社保卡
    assert body["hits"][0]["queue"] == "G"
    status, _ = await hall.manager.patch("/api/v1/halls/liangjiang/citizen-settings", {"search_integrated_first": True})
    assert status == 200
    _, body = await hall.anon.get("/api/v1/halls/liangjiang/search?q=%E7%A4%BE%E4%BF%9D%E5%8D%A1")
    assert body["hits"][0]["queue"] == "A"


# -- 一码取号 ------------------------------------------------------------------------------------------

async def test_a_scanned_code_gives_a_real_name_ticket_shown_masked(hall: Hall) -> None:
    status, who = await hall.kiosk.post("/api/v1/kiosk/identify", {"code": SCAN})
    assert status == 200, who
    assert who["person"] == {"name": "张*华", "id": "5001**********123X"}
    assert who["tickets"] == [] and who["booking"] is None
    status, t = await hall.kiosk.post("/api/v1/kiosk/real-name-tickets", {"session": who["session"], "queue": "B"})
    assert status == 201, t
    assert t["number"] == "B001" and t["person"] == {"name": "张*华", "id": "5001**********123X"}
    row = await hall.db.one("SELECT name, id_number, name_masked FROM ticket_people")
    assert tuple(row) == ("张三华", ZHANG, "张*华")
    _, again = await hall.kiosk.post("/api/v1/kiosk/identify", {"code": SCAN})
    assert [x["number"] for x in again["tickets"]] == ["B001"]
    page = await hall.anon.client.get(f"/t/{t['token']}")
    html = await page.text()
    assert "张*华" in html and "张三华" not in html and ZHANG not in html


async def test_the_help_desk_types_an_id_number_and_bad_ones_change_nothing(hall: Hall) -> None:
    status, who = await hall.kiosk.post("/api/v1/kiosk/identify", {"id_number": LI, "name": "李秀英"})
    assert status == 200 and who["person"]["name"] == "李*英"
    bad_check_digit = LI[:-1] + "4"
    for body, code in (({"id_number": bad_check_digit, "name": "李秀英"}, "bad_id_number"),
                       ({"id_number": LI[:-1], "name": "李秀英"}, "bad_id_number"),
                       ({"id_number": LI, "name": "王五"}, "identity_rejected"),
                       ({"code": "YKM1:12"}, "bad_identity_code"),       # 7 signs: under 8
                       ({"code": "YKM1 " + ZHANG}, "bad_identity_code"),
                       ({"code": "YKM1:110101199003070000"}, "identity_rejected"),
                       ({"code": SCAN, "id_number": LI}, "invalid_input")):
        status, out = await hall.kiosk.post("/api/v1/kiosk/identify", body)
        assert status == 422 and out["error"] == code, (body, out)
    assert await count(hall, "identity_sessions") == 1
    assert (await hall.anon.post("/api/v1/kiosk/identify", {"code": SCAN}))[0] == 401


async def test_the_daily_limit_per_person_counts_real_name_tickets(hall: Hall) -> None:
    await hall.manager.patch("/api/v1/halls/liangjiang/citizen-settings", {"person_daily_limit": 2})
    _, who = await hall.kiosk.post("/api/v1/kiosk/identify", {"code": SCAN})
    for q in ("A", "B"):  # just under, and at, the limit
        status, _ = await hall.kiosk.post("/api/v1/kiosk/real-name-tickets", {"session": who["session"], "queue": q})
        assert status == 201
    status, body = await hall.kiosk.post("/api/v1/kiosk/real-name-tickets", {"session": who["session"], "queue": "C"})
    assert status == 429 and body["error"] == "person_daily_limit"
    assert await count(hall, "tickets") == 2
    _, other = await hall.kiosk.post("/api/v1/kiosk/identify", {"id_number": LI, "name": "李秀英"})
    assert (await hall.kiosk.post("/api/v1/kiosk/real-name-tickets",
                                  {"session": other["session"], "queue": "C"}))[0] == 201


async def test_a_session_expires(hall: Hall) -> None:
    _, who = await hall.kiosk.post("/api/v1/kiosk/identify", {"code": SCAN})
    hall.clock.advance(5 * 60 + 1)
    status, body = await hall.kiosk.post("/api/v1/kiosk/real-name-tickets", {"session": who["session"], "queue": "A"})
    assert status == 409 and body["error"] == "identity_expired"


async def test_identity_provider_down_refuses_the_scan_and_ordinary_tickets_still_issue(hall: Hall) -> None:
    fake_identity(hall).down = True
    status, body = await hall.kiosk.post("/api/v1/kiosk/identify", {"code": SCAN})
    assert status == 503 and body["error"] == "identity_unavailable"
    t = await hall.issue("A")  # what the kiosk offers instead
    assert t["number"] == "A001"
    fake_identity(hall).down = False
    assert (await hall.kiosk.post("/api/v1/kiosk/identify", {"code": SCAN}))[0] == 200


# -- texts before one's turn ---------------------------------------------------------------------------

async def test_a_text_when_n_ahead_and_when_called(hall: Hall) -> None:
    tickets = [await hall.issue("B") for _ in range(4)]
    mine = tickets[3]
    status, body = await hall.anon.post(f"/api/v1/mobile/tickets/{mine['token']}/sms",
                                        {"mobile": "+86 138 0000 9999", "relation": "family", "ahead": 2})
    assert status == 200 and body == {"mobile": "138****9999", "relation": "family", "ahead": 2}
    c = citizens(hall)
    assert await c.scan_step() == 0  # three ahead
    clerk = await hall.clerk_at(1)
    wid = hall.window_id(1)
    status, body = await clerk.post(f"/api/v1/windows/{wid}/call-next")
    assert status == 200
    called = body["ticket"]
    assert await c.scan_step() == 1  # two ahead now
    assert await c.send_step() == 1
    sent = fake_sms(hall).sent
    assert sent[-1].kind == "near" and sent[-1].mobile == "13800009999" and "前面还有 2 人" in sent[-1].text
    # Serve the three ahead, then the window calls ours.
    await clerk.post(f"/api/v1/tickets/{called['id']}/start")
    await clerk.post(f"/api/v1/tickets/{called['id']}/finish")
    for _ in range(2):
        _, body = await clerk.post(f"/api/v1/windows/{wid}/call-next")
        t = body["ticket"]
        await clerk.post(f"/api/v1/tickets/{t['id']}/start")
        await clerk.post(f"/api/v1/tickets/{t['id']}/finish")
    _, body = await clerk.post(f"/api/v1/windows/{wid}/call-next")
    assert body["ticket"]["number"] == mine["number"]
    assert await c.scan_step() == 1
    hall.clock.advance(30)  # the per-number gap
    assert await c.send_step() == 1
    assert fake_sms(hall).sent[-1].kind == "called" and "1 号窗口" in fake_sms(hall).sent[-1].text
    assert await c.scan_step() == 0  # told once
    status, body = await hall.manager.get("/api/v1/halls/liangjiang/sms")
    assert status == 200 and [m["status"] for m in body["messages"]] == ["sent", "sent"]
    assert {m["phone_masked"] for m in body["messages"]} == {"138****9999"}
    assert "13800009999" not in str(body)


async def test_sms_provider_down_the_ticket_stands_and_the_text_is_retried(hall: Hall) -> None:
    t = await hall.issue("B")
    await hall.anon.post(f"/api/v1/mobile/tickets/{t['token']}/sms", {"mobile": "13800001234", "ahead": 3})
    fake_sms(hall).down = True
    c = citizens(hall)
    assert await c.scan_step() == 1
    assert await c.send_step() == 0
    row = await hall.db.one("SELECT status, attempts, last_error FROM sms_outbox")
    assert (row["status"], row["attempts"]) == ("queued", 1) and "down" in row["last_error"]
    assert await c.send_step() == 0 and fake_sms(hall).attempts == 1  # not before its retry time
    fake_sms(hall).down = False
    hall.clock.advance(16)
    assert await c.send_step() == 1
    row = await hall.db.one("SELECT status, attempts FROM sms_outbox")
    assert (row["status"], row["attempts"]) == ("sent", 2)
    status, _ = await hall.anon.get(f"/api/v1/ticket-status/{t['token']}")
    assert status == 200


async def test_a_provider_down_for_good_marks_the_text_failed(hall: Hall) -> None:
    t = await hall.issue("B")
    await hall.anon.post(f"/api/v1/mobile/tickets/{t['token']}/sms", {"mobile": "13800001234", "ahead": 3})
    fake_sms(hall).down = True
    c = citizens(hall)
    await c.scan_step()
    for _ in range(6):
        await c.send_step()
        hall.clock.advance(3601)
    row = await hall.db.one("SELECT status, attempts FROM sms_outbox")
    assert (row["status"], row["attempts"]) == ("failed", 6)


async def test_bad_sms_input_is_refused_and_changes_nothing(hall: Hall) -> None:
    t = await hall.issue("B")
    url = f"/api/v1/mobile/tickets/{t['token']}/sms"
    for body, code in (({"mobile": "1380000123"}, "bad_mobile"), ({"mobile": "123456789012"}, "bad_mobile"),
                       ({"mobile": "13800001234", "ahead": 0}, "bad_ahead"),
                       ({"mobile": "13800001234", "ahead": 21}, "bad_ahead"),
                       ({"mobile": "13800001234", "relation": "boss"}, "invalid_input")):
        status, out = await hall.anon.post(url, body)
        assert status == 422 and out["error"] == code, (body, out)
    assert await count(hall, "sms_subscriptions") == 0
    assert (await hall.anon.post(url, {"mobile": "13800001234", "ahead": 1}))[0] == 200
    assert (await hall.anon.post(url, {"mobile": "13800001234", "ahead": 20}))[0] == 200


async def test_personal_data_is_erased_after_the_retention(hall: Hall) -> None:
    _, who = await hall.kiosk.post("/api/v1/kiosk/identify", {"code": SCAN})
    _, t = await hall.kiosk.post("/api/v1/kiosk/real-name-tickets", {"session": who["session"], "queue": "A"})
    await hall.anon.post(f"/api/v1/mobile/tickets/{t['token']}/sms", {"mobile": "13800001234"})
    c = citizens(hall)
    hall.clock.advance(29 * 86400)
    await c.erase_step()
    assert (await hall.db.one("SELECT name FROM ticket_people"))[0] == "张三华"
    hall.clock.advance(86400 + 1)
    await c.erase_step()
    row = await hall.db.one("SELECT name, id_number, person_key, name_masked FROM ticket_people")
    assert tuple(row) == (None, None, None, "张*华")
    assert (await hall.db.one("SELECT phone, phone_masked FROM sms_subscriptions"))[0] is None
    assert await count(hall, "identity_sessions") == 0


# -- booking from the phone ----------------------------------------------------------------------------

async def slots(hall: Hall, day: str = "2026-12-01") -> list[dict[str, Any]]:
    status, body = await hall.manager.post("/api/v1/halls/liangjiang/appointment-slots", {
        "queue": "D", "day": day, "start": "09:00", "end": "11:00", "every_minutes": 60, "capacity": 1})
    assert status == 200
    _, body = await hall.anon.get("/api/v1/mobile/liangjiang/slots")
    return [s for s in body["slots"] if s["queue"] == "D"]


async def test_book_from_the_phone_then_check_in_by_scanning(hall: Hall) -> None:
    p = await phone(hall)
    open_slots = await slots(hall, "2026-11-30")
    assert [s["free"] for s in open_slots] == [1]  # the 09:00 slot has begun: only 10:00 is open
    status, b = await p.post("/api/v1/mobile/liangjiang/bookings", {
        "slot": open_slots[0]["id"], "id_number": ZHANG, "name": "张三华", "mobile": "13800001111"})
    assert status == 201, b
    assert b["code"].isdigit() and b["person"] == "张*华" and b["mobile"] == "138****1111"
    await citizens(hall).send_step()
    assert fake_sms(hall).sent[-1].kind == "booked" and b["code"] in fake_sms(hall).sent[-1].text
    status, again = await p.post("/api/v1/mobile/liangjiang/bookings", {
        "slot": open_slots[0]["id"], "id_number": LI, "name": "李秀英"})
    assert status == 409 and again["error"] == "slot_full"
    _, mine = await p.get("/api/v1/mobile/liangjiang/mine")
    assert [x["code"] for x in mine["bookings"]] == [b["code"]]
    hall.clock.advance(35 * 60)  # 09:35: the 10:00 slot's check-in is open
    _, who = await hall.kiosk.post("/api/v1/kiosk/identify", {"code": SCAN})
    assert who["booking"]["code"] == b["code"]
    status, t = await hall.kiosk.post("/api/v1/kiosk/real-name-tickets", {"session": who["session"]})
    assert status == 201 and t["channel"] == "appointment" and t["appointment"]["code"] == b["code"]


async def test_a_booking_reminder_goes_the_day_before_and_cancelling_drops_it(hall: Hall) -> None:
    p = await phone(hall)
    s = (await slots(hall, "2026-12-02"))[0]
    status, b = await p.post("/api/v1/mobile/liangjiang/bookings", {
        "slot": s["id"], "id_number": ZHANG, "name": "张三华", "mobile": "13800001111"})
    assert status == 201
    c = citizens(hall)
    await c.send_step()
    assert [m.kind for m in fake_sms(hall).sent] == ["booked"]
    hall.clock.advance(86400)  # Tue 09:00: the day before Wed 09:00
    await c.send_step()
    assert [m.kind for m in fake_sms(hall).sent] == ["booked", "reminder"]
    other = await phone(hall)
    status, body = await other.post(f"/api/v1/mobile/liangjiang/bookings/{b['id']}/cancel", {})
    assert status == 403 and body["error"] == "not_your_booking"
    status, body = await p.post(f"/api/v1/mobile/liangjiang/bookings/{b['id']}/cancel", {})
    assert status == 200 and body["status"] == "cancelled"
    status, body = await p.post(f"/api/v1/mobile/liangjiang/bookings/{b['id']}/cancel", {})
    assert status == 409


async def test_three_missed_bookings_block_online_booking_with_the_reason(hall: Hall) -> None:
    p = await phone(hall)
    for day in ("2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04"):
        await hall.manager.post("/api/v1/halls/liangjiang/appointment-slots", {
            "queue": "D", "day": day, "start": "09:00", "end": "10:00", "every_minutes": 60, "capacity": 5})
    _, body = await p.get("/api/v1/mobile/liangjiang/slots")
    by_day = {s["starts_at"][:10]: s["id"] for s in body["slots"] if s["queue"] == "D"}
    for day in ("2026-12-01", "2026-12-02"):  # two missed: under the limit
        status, _ = await p.post("/api/v1/mobile/liangjiang/bookings", {"slot": by_day[day], "id_number": ZHANG,
                                                                       "name": "张三华"})
        assert status == 201
    hall.clock.advance(2 * 86400 + 3600)  # Wed 10:00: both missed
    status, _ = await p.post("/api/v1/mobile/liangjiang/bookings", {"slot": by_day["2026-12-03"],
                                                                    "id_number": ZHANG, "name": "张三华"})
    assert status == 201
    hall.clock.advance(86400)  # Thu 10:00: the third missed
    status, body = await p.post("/api/v1/mobile/liangjiang/bookings", {"slot": by_day["2026-12-04"],
                                                                      "id_number": ZHANG, "name": "张三华"})
    assert status == 429 and body["error"] == "booking_blocked"
    assert "3 次预约未到" in body["message"] and "2027-01-02" in body["message"]
    status, _ = await p.post("/api/v1/mobile/liangjiang/bookings", {"slot": by_day["2026-12-04"],
                                                                   "id_number": LI, "name": "李秀英"})
    assert status == 201  # another person is not blocked


async def test_booking_refuses_bad_input_and_a_down_provider_changes_nothing(hall: Hall) -> None:
    p = await phone(hall)
    s = (await slots(hall))[0]
    url = "/api/v1/mobile/liangjiang/bookings"
    bad_id = ZHANG[:-1] + "1"
    for body, status, code in (({"slot": s["id"], "id_number": bad_id, "name": "张三华"}, 422, "bad_id_number"),
                               ({"slot": s["id"], "id_number": ZHANG, "name": "张三华", "mobile": "12"}, 422,
                                "bad_mobile"),
                               ({"slot": 999999, "id_number": ZHANG, "name": "张三华"}, 422, "booking_out_of_range"),
                               ({"slot": s["id"], "id_number": ZHANG, "name": ""}, 422, "invalid_input")):
        got, out = await p.post(url, body)
        assert (got, out["error"]) == (status, code), (body, out)
    fake_identity(hall).down = True
    got, out = await p.post(url, {"slot": s["id"], "id_number": ZHANG, "name": "张三华"})
    assert (got, out["error"]) == (503, "identity_unavailable")
    assert await count(hall, "appointments") == 0


# -- coming back ---------------------------------------------------------------------------------------

async def test_the_phone_lists_its_tickets_and_those_it_opened(hall: Hall) -> None:
    p = await phone(hall)
    status, _ = await p.post("/api/v1/mobile/liangjiang/tickets", {"queue": "A"})
    assert status == 201
    kiosk_ticket = await hall.issue("B")
    assert (await p.get(f"/t/{kiosk_ticket['token']}"))[0] == 200  # scanned the slip's QR code
    _, mine = await p.get("/api/v1/mobile/liangjiang/mine")
    assert [x["number"] for x in mine["tickets"]] == ["B001", "A001"] or \
        sorted(x["number"] for x in mine["tickets"]) == ["A001", "B001"]
    other = await phone(hall)
    _, theirs = await other.get("/api/v1/mobile/liangjiang/mine")
    assert theirs == {"tickets": [], "bookings": []}
    _, page = await p.get("/m/liangjiang")
    assert "A001" in page and "B001" in page  # "my tickets" comes first on the hall's page


# -- the poster ----------------------------------------------------------------------------------------

def pdf_facts(path: Path) -> tuple[str, str]:
    """pdfinfo's and pdftotext's reading of a PDF (poppler-utils)."""
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return info, text


async def test_the_poster_is_an_a4_or_a3_pdf_for_managers(hall: Hall) -> None:
    artifacts = ARTIFACTS
    await asyncio.to_thread(artifacts.mkdir, exist_ok=True)
    for size, points in (("A4", "595.276 x 841.89"), ("A3", "841.89 x 1190.55")):
        resp = await hall.client.get(f"/m/liangjiang/poster.pdf?size={size}",
                                     headers={"Authorization": f"Bearer {hall.manager.token}"})
        assert resp.status == 200 and resp.content_type == "application/pdf"
        path = artifacts / f"poster-{size}.pdf"  # kept for people to look at (pdftoppm)
        await asyncio.to_thread(path.write_bytes, await resp.read())
        info, text = await asyncio.to_thread(pdf_facts, path)
        assert "Pages:           1" in info and points in info, info
        assert "两江新区政务服务中心" in text and "一码取号" in text and "Scan to take a ticket" in text
    status, body = await hall.manager.get("/m/liangjiang/poster.pdf?size=A5")
    assert status == 422 and body["error"] == "bad_poster_size"
    assert (await hall.kiosk.get("/m/liangjiang/poster.pdf"))[0] == 403
