"""What a printed ticket says: the priority line, the appointment time in the hall's zone, and the slip."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hallops.printing import escpos
from hallops.printing.slips import appointment_text, priority_text, ticket_slip

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_the_elderly_are_named_other_priorities_are_not() -> None:
    assert priority_text("none") == ""
    assert priority_text("elderly") == "老年人优先"
    assert priority_text("disabled") == "优先办理"
    assert priority_text("green_channel") == "优先办理"


def test_the_appointment_time_is_the_halls_local_time() -> None:
    at = dt.datetime(2026, 11, 30, 9, 30, tzinfo=SHANGHAI).timestamp()
    assert appointment_text(at, "Asia/Shanghai") == "预约 09:30"
    assert appointment_text(at, "Asia/Urumqi") == "预约 07:30"
    assert appointment_text(None, "Asia/Shanghai") == ""


def test_a_slip_carries_the_ticket_the_wait_and_the_status_link() -> None:
    issued = dt.datetime(2026, 11, 30, 9, 5, tzinfo=SHANGHAI).timestamp()
    row = {"hall_name": "两江政务服务中心", "number": "A012", "queue_name": "户籍", "queue_name_en": "Household",
           "issued_at": issued, "timezone": "Asia/Shanghai", "priority": "elderly", "appointment_at": None}
    slip = ticket_slip(row, people_ahead=3, wait_text="约 10–20 分钟", status_url="https://h.example/t/tok")
    assert slip == escpos.TicketSlip("两江政务服务中心", "A012", "户籍", "Household", issued, "Asia/Shanghai", 3,
                                     "约 10–20 分钟", "https://h.example/t/tok", "老年人优先", "")
    data = escpos.render(slip)
    assert b"A012" in data and "老年人优先".encode("gb18030") in data and b"https://h.example/t/tok" in data
