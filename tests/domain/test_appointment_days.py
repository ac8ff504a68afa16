"""The appointment helpers the use cases lean on: the phone tail kept, a day's span in the hall's zone, the
check-in window from the settings, and the day's counts by outcome."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from hallops.domain import appointments as ap
from hallops.domain.appointments import Outcome

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_a_booking_keeps_the_last_four_digits_of_the_phone() -> None:
    assert ap.phone_tail("138 0013 8000") == "8000"
    assert ap.phone_tail("+86-138-0013-8123") == "8123"
    assert ap.phone_tail("123") == "123"
    assert ap.phone_tail("1234") == "1234"
    assert ap.phone_tail("12345") == "2345"
    assert ap.phone_tail("") == ""
    assert ap.phone_tail("无") == ""


@given(st.text(max_size=30))
def test_the_tail_is_at_most_four_digits_and_ends_the_number(text: str) -> None:
    tail = ap.phone_tail(text)
    digits = "".join(c for c in text if c.isascii() and c.isdigit())
    assert len(tail) <= 4 and digits.endswith(tail) and len(tail) == min(4, len(digits))


def test_a_day_runs_from_local_midnight_for_24_hours() -> None:
    start, end = ap.day_span(dt.date(2026, 11, 30), SHANGHAI)
    assert start == dt.datetime(2026, 11, 29, 16, 0, tzinfo=dt.UTC).timestamp() == 1_795_968_000.0
    assert end - start == 86400


def test_the_check_in_window_comes_from_the_settings() -> None:
    w = ap.check_in_window({"checkin_early_minutes": 30, "checkin_late_minutes": 15, "mobile_enabled": True})
    assert w == ap.CheckInWindow(30, 15)
    assert w.opens(10_000.0) == 8_200.0 and w.closes(10_000.0) == 10_900.0
    assert ap.check_in_window({"checkin_early_minutes": 0, "checkin_late_minutes": 240}) == ap.CheckInWindow(0, 240)


def test_the_days_counts_leave_cancelled_bookings_out_of_the_total() -> None:
    assert ap.count_outcomes([]) == {"booked": 0, "missed": 0, "waiting": 0, "served": 0, "no_show": 0,
                                     "cancelled": 0, "total": 0}
    counts = ap.count_outcomes([Outcome.SERVED, Outcome.SERVED, Outcome.MISSED, Outcome.CANCELLED,
                                Outcome.NO_SHOW, Outcome.BOOKED, Outcome.WAITING])
    assert counts == {"booked": 1, "missed": 1, "waiting": 1, "served": 2, "no_show": 1, "cancelled": 1,
                      "total": 6}
    assert ap.count_outcomes([Outcome.CANCELLED])["total"] == 0
