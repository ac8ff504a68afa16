"""When the daily briefing is due: at the hall's set local time, for the service day that is ending."""

from __future__ import annotations

import datetime as dt

from hallops.reports.scheduler import due_day
from hallops.storage.rules import Rules
from tests.conftest import SHANGHAI

RULES = Rules(rollover=dt.time(3, 0))


def ts(day: int, h: int, m: int) -> float:
    return dt.datetime(2026, 11, day, h, m, tzinfo=SHANGHAI).timestamp()


def test_the_daily_briefing_is_due_from_its_time_until_the_rollover() -> None:
    assert due_day(ts(30, 17, 59), "Asia/Shanghai", "18:00", RULES) is None
    assert due_day(ts(30, 18, 0), "Asia/Shanghai", "18:00", RULES) == dt.date(2026, 11, 30)
    assert due_day(ts(30, 23, 59), "Asia/Shanghai", "18:00", RULES) == dt.date(2026, 11, 30)
    # After midnight, before the rollover, the service day is still the 30th.
    assert due_day(dt.datetime(2026, 12, 1, 2, 59, tzinfo=SHANGHAI).timestamp(), "Asia/Shanghai", "18:00",
                   RULES) == dt.date(2026, 11, 30)


def test_a_time_after_midnight_belongs_to_the_day_that_is_ending() -> None:
    evening = ts(30, 22, 0)
    assert due_day(evening, "Asia/Shanghai", "00:30", RULES) is None
    after = dt.datetime(2026, 12, 1, 0, 30, tzinfo=SHANGHAI).timestamp()
    assert due_day(after, "Asia/Shanghai", "00:30", RULES) == dt.date(2026, 11, 30)


def test_the_time_is_the_halls_own() -> None:
    urumqi = "Asia/Urumqi"  # UTC+6: 18:00 there is 20:00 in Shanghai
    assert due_day(ts(30, 19, 59), urumqi, "18:00", RULES) is None
    assert due_day(ts(30, 20, 0), urumqi, "18:00", RULES) == dt.date(2026, 11, 30)
