"""Service days at any rollover (04:30 as well as 03:00), and issuing hours at the edges of each field."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallops.domain.errors import InvalidInput
from hallops.domain.numbering import IssuingHours, Span, service_day

SH = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(("clock", "day"), [
    (dt.time(0, 0), 29), (dt.time(3, 0), 29), (dt.time(4, 0), 29), (dt.time(4, 29), 29),
    (dt.time(4, 29, 59), 29), (dt.time(4, 30), 30), (dt.time(4, 31), 30), (dt.time(23, 59), 30),
])
def test_a_0430_rollover_turns_the_day_at_0430(clock: dt.time, day: int) -> None:
    now = dt.datetime.combine(dt.date(2026, 11, 30), clock, tzinfo=SH)
    assert service_day(now, SH, dt.time(4, 30)) == dt.date(2026, 11, day)


def test_a_midnight_rollover_is_the_calendar_day() -> None:
    assert service_day(dt.datetime(2026, 11, 30, 0, 0, tzinfo=SH), SH, dt.time(0)) == dt.date(2026, 11, 30)
    assert service_day(dt.datetime(2026, 11, 29, 23, 59, tzinfo=SH), SH, dt.time(0)) == dt.date(2026, 11, 29)


def test_the_halls_zone_decides_not_the_instants() -> None:
    # 20:45 UTC on the 29th is 04:45 on the 30th in Shanghai: past a 04:30 rollover.
    now = dt.datetime(2026, 11, 29, 20, 45, tzinfo=dt.UTC)
    assert service_day(now, SH, dt.time(4, 30)) == dt.date(2026, 11, 30)
    assert service_day(now, SH, dt.time(4, 50)) == dt.date(2026, 11, 29)


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^now must be timezone-aware$"):
        service_day(dt.datetime(2026, 1, 1), SH, dt.time(3))


@given(st.integers(0, 23 * 60 + 59), st.integers(0, 23 * 60 + 59))
def test_before_the_rollover_is_the_day_before_and_from_it_the_same_day(minute: int, roll: int) -> None:
    day = dt.date(2026, 11, 30)
    now = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=SH)
    rollover = dt.time(roll // 60, roll % 60)
    expected = day if minute >= roll else day - dt.timedelta(days=1)
    assert service_day(now, SH, rollover) == expected


# -- issuing hours --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "spans"), [
    ("08:05-09:55", [(485, 595)]),
    ("09:00-09:01", [(540, 541)]),
    ("23:59-24:00", [(1439, 1440)]),
    ("00:00-24:00", [(0, 1440)]),
    ("13:30-17:30,08:30-12:00", [(510, 720), (810, 1050)]),
])
def test_hours_are_read_as_minute_spans_sorted(text: str, spans: list[tuple[int, int]]) -> None:
    h = IssuingHours.parse(text)
    assert h.spans == tuple(Span(a, b) for a, b in spans)
    assert str(IssuingHours.parse(str(h))) == str(h)


def test_hours_print_back_with_two_digits() -> None:
    assert str(IssuingHours.parse("08:05-09:55")) == "08:05-09:55"
    assert str(IssuingHours.parse("23:59-24:00")) == "23:59-24:00"


def test_contains_is_minute_exact_and_end_exclusive() -> None:
    h = IssuingHours.parse("08:05-09:55")
    assert not h.contains(dt.time(8, 4, 59)) and h.contains(dt.time(8, 5))
    assert h.contains(dt.time(9, 54, 59)) and not h.contains(dt.time(9, 55))


@pytest.mark.parametrize("bad", ["8:30-12:00", "08:30-12", "x", "", "08:30-12:00;13:00-14:00"])
def test_a_malformed_span_is_named(bad: str) -> None:
    with pytest.raises(InvalidInput) as e:
        IssuingHours.parse(bad)
    part = bad.replace(" ", "").split(",")[0]
    assert e.value.code == "bad_hours"
    assert e.value.message == f"取号时间格式应为 HH:MM-HH:MM (bad hours: {part!r})"


@pytest.mark.parametrize("bad", [
    "08:60-09:30",   # minutes of the start
    "08:00-08:60",   # minutes of the end
    "00:00-24:01",   # past the end of the day
    "09:00-09:00",   # empty
    "10:00-09:00",   # backwards
    "24:00-24:30",
])
def test_an_impossible_span_is_named(bad: str) -> None:
    with pytest.raises(InvalidInput) as e:
        IssuingHours.parse(bad)
    assert e.value.code == "bad_hours"
    assert e.value.message == f"取号时间段无效 (bad hours span: {bad!r})"
