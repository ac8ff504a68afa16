"""Periods of a briefing stated day by day, their labels, their limits, and the small arithmetic around."""

from __future__ import annotations

import datetime as dt

import pytest

from hallops.domain.errors import InvalidInput
from hallops.domain.stats import (
    Change,
    Period,
    PeriodKind,
    Spread,
    backoff_seconds,
    change,
    check_day,
    parse_date,
    percentile,
    rate,
)

D = dt.date
MONDAY = D(2026, 11, 30)
WEDNESDAY = D(2026, 12, 2)
SUNDAY = D(2026, 12, 6)


@pytest.mark.parametrize(("kind", "day", "start", "end", "days"), [
    (PeriodKind.DAILY, WEDNESDAY, WEDNESDAY, WEDNESDAY, 1),
    (PeriodKind.WEEKLY, WEDNESDAY, MONDAY, SUNDAY, 7),
    (PeriodKind.WEEKLY, MONDAY, MONDAY, SUNDAY, 7),
    (PeriodKind.WEEKLY, SUNDAY, MONDAY, SUNDAY, 7),
    (PeriodKind.MONTHLY, WEDNESDAY, D(2026, 12, 1), D(2026, 12, 31), 31),
    (PeriodKind.MONTHLY, D(2026, 2, 28), D(2026, 2, 1), D(2026, 2, 28), 28),
    (PeriodKind.MONTHLY, D(2024, 2, 10), D(2024, 2, 1), D(2024, 2, 29), 29),
    (PeriodKind.MONTHLY, D(2026, 4, 1), D(2026, 4, 1), D(2026, 4, 30), 30),
    (PeriodKind.MONTHLY, D(2026, 1, 31), D(2026, 1, 1), D(2026, 1, 31), 31),
])
def test_each_kind_of_period_covers_its_days(kind: PeriodKind, day: D, start: D, end: D, days: int) -> None:
    p = Period.of(kind, day)
    assert p == Period(kind, start, end)
    assert p.days == days and len(p.dates()) == days


def test_the_dates_of_a_week() -> None:
    assert Period.of(PeriodKind.WEEKLY, WEDNESDAY).dates() == [
        D(2026, 11, 30), D(2026, 12, 1), D(2026, 12, 2), D(2026, 12, 3), D(2026, 12, 4), D(2026, 12, 5),
        D(2026, 12, 6)]
    assert Period.day(WEDNESDAY).dates() == [WEDNESDAY]


def test_a_custom_period_needs_both_ends() -> None:
    with pytest.raises(InvalidInput) as e:
        Period.of(PeriodKind.CUSTOM, WEDNESDAY)
    assert e.value.code == "bad_period"
    assert e.value.message == "请给出起止日期 (a custom period needs from and to: custom)"


@pytest.mark.parametrize(("period", "previous"), [
    (Period.day(D(2026, 12, 1)), Period.day(D(2026, 11, 30))),
    (Period.of(PeriodKind.WEEKLY, WEDNESDAY), Period(PeriodKind.WEEKLY, D(2026, 11, 23), D(2026, 11, 29))),
    (Period.of(PeriodKind.MONTHLY, WEDNESDAY), Period(PeriodKind.MONTHLY, D(2026, 11, 1), D(2026, 11, 30))),
    (Period.of(PeriodKind.MONTHLY, D(2026, 3, 31)), Period(PeriodKind.MONTHLY, D(2026, 2, 1), D(2026, 2, 28))),
    (Period(PeriodKind.CUSTOM, D(2026, 1, 1), D(2026, 1, 1)), Period(PeriodKind.CUSTOM, D(2025, 12, 31),
                                                                     D(2025, 12, 31))),
])
def test_the_period_before(period: Period, previous: Period) -> None:
    assert period.previous() == previous


@pytest.mark.parametrize(("period", "label", "previous_label"), [
    (Period.day(WEDNESDAY), "2026年12月2日", "前一日"),
    (Period.of(PeriodKind.WEEKLY, WEDNESDAY), "2026年11月30日至2026年12月6日", "上周"),
    (Period.of(PeriodKind.MONTHLY, WEDNESDAY), "2026年12月", "上月"),
    (Period(PeriodKind.CUSTOM, D(2026, 1, 10), D(2026, 2, 9)), "2026年1月10日至2026年2月9日", "上一周期"),
])
def test_labels_in_chinese(period: Period, label: str, previous_label: str) -> None:
    assert period.label_zh() == label and period.previous_label_zh() == previous_label


def test_a_one_day_custom_period_is_fine_and_a_backwards_one_is_not() -> None:
    assert Period(PeriodKind.CUSTOM, WEDNESDAY, WEDNESDAY).days == 1
    with pytest.raises(InvalidInput) as e:
        Period(PeriodKind.CUSTOM, D(2026, 1, 2), D(2026, 1, 1))
    assert e.value.code == "bad_period"
    assert e.value.message == "结束日期早于开始日期 (period ends before it starts: 2026-01-02 to 2026-01-01)"


@pytest.mark.parametrize(("day", "ok"), [
    (D(1999, 12, 31), False), (D(2000, 1, 1), True), (D(2099, 12, 31), True), (D(2100, 1, 1), False),
])
def test_days_from_2000_to_2099(day: D, ok: bool) -> None:
    if ok:
        assert check_day(day) == day
        return
    with pytest.raises(InvalidInput) as e:
        check_day(day, "to")
    assert (e.value.code, e.value.detail) == ("date_out_of_range", {"field": "to"})
    assert e.value.message == (f"日期须在 2000-01-01 至 2099-12-31 之间 "
                               f"(to must lie between 2000-01-01 and 2099-12-31: {day})")
    with pytest.raises(InvalidInput) as e:
        check_day(day)
    assert e.value.detail == {"field": "date"}


def test_a_period_names_the_end_that_is_out_of_range() -> None:
    with pytest.raises(InvalidInput) as e:
        Period(PeriodKind.CUSTOM, D(1999, 12, 31), D(2026, 1, 1))
    assert e.value.detail == {"field": "from"}
    with pytest.raises(InvalidInput) as e:
        Period(PeriodKind.CUSTOM, D(2026, 1, 1), D(2100, 1, 1))
    assert e.value.detail == {"field": "to"}


def test_parse_date() -> None:
    assert parse_date("2026-12-02") == WEDNESDAY
    with pytest.raises(InvalidInput) as e:
        parse_date("2026-13-01", "to")
    assert (e.value.code, e.value.detail) == ("bad_date", {"field": "to"})
    assert e.value.message == "日期格式应为 YYYY-MM-DD (to must be a date YYYY-MM-DD)"
    with pytest.raises(InvalidInput) as e:
        parse_date("yesterday")
    assert e.value.detail == {"field": "date"}
    with pytest.raises(InvalidInput) as e:
        parse_date("1999-12-31", "from")
    assert (e.value.code, e.value.detail) == ("date_out_of_range", {"field": "from"})


# -- small arithmetic -----------------------------------------------------------------------------------

def test_percentile_edges() -> None:
    assert percentile([10, 20], 50) == 15
    assert percentile([10, 20, 40], 75) == 30
    for p in (-0.1, 100.1):
        with pytest.raises(ValueError, match=f"percentile out of range: {p}"):
            percentile([1, 2], p)


def test_spread_rounds_minutes_to_a_tenth() -> None:
    s = Spread.of([100, 200])
    assert s == Spread(2, 150.0, 150.0, 190.0, 200.0)
    assert s.minutes() == {"n": 2, "mean": 2.5, "median": 2.5, "p90": 3.2, "max": 3.3}
    assert Spread.of([60, 120], maximum=125.0).max == 125.0
    assert Spread.of([60, 120], total=200.0).mean == 100.0


def test_rates_and_changes() -> None:
    assert rate(0, 5) == 0.0 and rate(1, 0.0) is None and rate(2, 8) == 0.25
    assert change(80, 100) == Change(80, 100, -20, -0.2)
    assert change(3, None) == Change(3, None, None, None)
    assert change(None, 3) == Change(None, 3, None, None)
    assert change(0, 0) == Change(0, 0, 0, None)
    assert change(0, 0).direction == "flat" and change(None, None).direction == "flat"
    assert change(1, 0).direction == "up" and change(-1, 0).direction == "down"


def test_backoff() -> None:
    assert backoff_seconds(1, 30, 30) == 30
    assert backoff_seconds(3, 10, 40) == 40
    assert backoff_seconds(4, 10, 1000) == 80
    for attempt in (0, -1):
        with pytest.raises(ValueError, match=r"^attempt counts from 1$"):
            backoff_seconds(attempt, 30, 600)
