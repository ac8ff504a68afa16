import datetime as dt

import pytest

from hallops.domain.errors import InvalidInput
from hallops.domain.stats import (
    Period,
    PeriodKind,
    Spread,
    backoff_seconds,
    change,
    parse_date,
    percentile,
    rate,
)


def test_percentile_interpolates_between_closest_ranks() -> None:
    v = [600, 780, 960, 2700]
    assert percentile(v, 50) == 870
    assert percentile(v, 90) == pytest.approx(2178)
    assert percentile(v, 0) == 600 and percentile(v, 100) == 2700
    assert percentile([42], 90) == 42
    assert percentile([], 50) is None
    with pytest.raises(ValueError):
        percentile(v, 101)


def test_spread_in_minutes_uses_exact_sum_and_max_when_given() -> None:
    s = Spread.of([360, 600, 1200])
    assert s.minutes() == {"n": 3, "mean": 12.0, "median": 10.0, "p90": 18.0, "max": 20.0}
    # Stored values are whole seconds; the exact sum and maximum come from the counters.
    assert Spread.of([60, 120], total=181.2, maximum=120.4).mean == pytest.approx(90.6)
    assert Spread.of([]).minutes() == {"n": 0, "mean": None, "median": None, "p90": None, "max": None}


def test_rate_is_none_without_a_denominator() -> None:
    assert rate(3, 4) == 0.75
    assert rate(0, 0) is None


def test_change_against_previous_period() -> None:
    c = change(120, 100)
    assert (c.delta, c.ratio, c.direction) == (20, 0.2, "up")
    assert change(5, 0).ratio is None and change(5, 0).delta == 5
    assert change(None, 3).delta is None and change(3, 3).direction == "flat"
    assert change(80, 100).direction == "down"


def test_periods_and_their_previous() -> None:
    wed = dt.date(2026, 12, 2)
    assert Period.week_of(wed) == Period(PeriodKind.WEEKLY, dt.date(2026, 11, 30), dt.date(2026, 12, 6))
    assert Period.week_of(wed).previous().start == dt.date(2026, 11, 23)
    m = Period.month_of(dt.date(2026, 3, 15))
    assert (m.start, m.end, m.days) == (dt.date(2026, 3, 1), dt.date(2026, 3, 31), 31)
    assert m.previous() == Period(PeriodKind.MONTHLY, dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert Period.month_of(dt.date(2024, 3, 1)).previous().end == dt.date(2024, 2, 29)  # leap year
    assert Period.month_of(dt.date(2026, 1, 9)).previous().start == dt.date(2025, 12, 1)
    assert Period.day(wed).previous() == Period.day(dt.date(2026, 12, 1))
    c = Period(PeriodKind.CUSTOM, dt.date(2026, 1, 10), dt.date(2026, 1, 19))
    assert c.previous() == Period(PeriodKind.CUSTOM, dt.date(2025, 12, 31), dt.date(2026, 1, 9))
    assert m.label_zh() == "2026年3月" and Period.day(wed).label_zh() == "2026年12月2日"
    with pytest.raises(InvalidInput):
        Period(PeriodKind.CUSTOM, dt.date(2026, 1, 2), dt.date(2026, 1, 1))


def test_days_outside_2000_to_2099_are_refused_before_any_date_arithmetic() -> None:
    for kind in (PeriodKind.DAILY, PeriodKind.WEEKLY, PeriodKind.MONTHLY):
        for d in (dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(1999, 12, 31), dt.date(2100, 1, 1)):
            with pytest.raises(InvalidInput) as e:
                Period.of(kind, d)
            assert e.value.code == "date_out_of_range"
    with pytest.raises(InvalidInput):
        Period(PeriodKind.CUSTOM, dt.date(2026, 1, 1), dt.date(9999, 1, 1))
    with pytest.raises(InvalidInput):
        parse_date("0001-01-01")
    assert parse_date("2099-12-31") == dt.date(2099, 12, 31)
    assert Period.of(PeriodKind.MONTHLY, dt.date(2099, 12, 31)).end == dt.date(2099, 12, 31)


def test_backoff_doubles_up_to_a_cap() -> None:
    assert [backoff_seconds(n, 30, 600) for n in range(1, 7)] == [30, 60, 120, 240, 480, 600]
    with pytest.raises(ValueError):
        backoff_seconds(0, 30, 600)
