import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallops.domain.errors import InvalidInput
from hallops.domain.numbering import IssuingHours, format_number, service_day

SH = ZoneInfo("Asia/Shanghai")


def test_numbers_have_three_digits_and_grow_past_999() -> None:
    assert format_number("A", 12) == "A012"
    assert format_number("BD", 1) == "BD001"
    assert format_number("A", 1000) == "A1000"


@given(st.integers(1, 99_999), st.integers(1, 99_999))
def test_distinct_serials_give_distinct_numbers(a: int, b: int) -> None:
    assert (format_number("A", a) == format_number("A", b)) == (a == b)


def test_service_day_turns_at_the_rollover_not_at_midnight() -> None:
    roll = dt.time(3, 0)
    late = dt.datetime(2026, 11, 30, 1, 30, tzinfo=SH)
    assert service_day(late, SH, roll) == dt.date(2026, 11, 29)
    assert service_day(dt.datetime(2026, 11, 30, 3, 0, tzinfo=SH), SH, roll) == dt.date(2026, 11, 30)
    # The same instant in UTC gives the same local service day.
    assert service_day(late.astimezone(dt.UTC), SH, roll) == dt.date(2026, 11, 29)


def test_service_day_needs_an_aware_time() -> None:
    with pytest.raises(ValueError):
        service_day(dt.datetime(2026, 1, 1), SH, dt.time(3))


def test_issuing_hours() -> None:
    h = IssuingHours.parse("13:30-17:30, 08:30-12:00")
    assert str(h) == "08:30-12:00,13:30-17:30"
    assert h.contains(dt.time(8, 30)) and h.contains(dt.time(11, 59))
    assert not h.contains(dt.time(12, 0)) and not h.contains(dt.time(17, 30)) and not h.contains(dt.time(7))
    assert IssuingHours.parse("00:00-24:00").contains(dt.time(23, 59))


@pytest.mark.parametrize("bad", ["", "8:30-12:00", "12:00-08:00", "25:00-26:00", "08:60-09:00", "x", "00:00-24:01"])
def test_bad_hours_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput):
        IssuingHours.parse(bad)
