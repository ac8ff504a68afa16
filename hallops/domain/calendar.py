"""Working days and deadlines: one engine for rating follow-ups, consultation/complaint cases and patrol findings.

Which days are worked comes from three places, the first that knows wins:
1. the hall's own overrides (an admin's table: a year the State Council has not published yet, a local closure,
   a make-up working day the package lacks);
2. the `chinesecalendar` package: official holidays and make-up working days (调休) of every published year
   (1.11.0 knows 2004–2026 and raises for 2027);
3. otherwise Monday to Friday, and the answer is *provisional*: a deadline counted over such a day says so
   (`Deadline.provisional`, the years in `Deadline.unknown_years`) and is never silently taken as settled.
   A hall that has entered a year's days off and make-up days confirms the year; its days are then settled.

Counting (`CountFrom`): from the day of receipt (day 1 is the day received) or from the next day (day 1 is
the first working day after it, as 次日起算). Something received on a day that is not worked is deemed
received on the next working day (顺延), under both rules. The due day is inclusive: overdue from the day after.
Pure code: dates in, dates out; the caller turns instants into local dates.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import chinese_calendar  # type: ignore[import-untyped]

MAX_WORKING_DAYS = 365  # a deadline longer than this is a typing error, not a rule
_SEARCH_LIMIT = 3 * 366  # calendar days searched for the n-th working day


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


class CountFrom(enum.StrEnum):
    RECEIPT_DAY = "receipt_day"  # 受理当日起算
    NEXT_DAY = "next_day"  # 次日起算


class DueState(enum.StrEnum):
    ON_TRACK = "on_track"
    DUE_SOON = "due_soon"  # due today or on the next working day
    OVERDUE = "overdue"


@lru_cache(maxsize=4096)
def package_workday(day: dt.date) -> bool | None:
    """What chinesecalendar says of the day; None for a year it has no data for."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


def package_years() -> range:
    """The years the installed package knows (probed, so an upgrade widens it without code changes)."""
    first, last = 2004, 2004
    while package_workday(dt.date(last + 1, 6, 1)) is not None:
        last += 1
    return range(first, last + 1)


@dataclass(frozen=True, slots=True)
class Deadline:
    received: dt.date  # the day it came in
    start: dt.date  # the day it is deemed received (the next working day when it came on a day off)
    due: dt.date  # the last day to finish it on (inclusive)
    working_days: int
    count_from: CountFrom
    provisional: bool  # counted over a year nobody has published: may move when that year is known
    unknown_years: tuple[int, ...] = ()

    def as_json(self) -> dict[str, object]:
        return {"received": self.received.isoformat(), "start": self.start.isoformat(), "due": self.due.isoformat(),
                "working_days": self.working_days, "count_from": self.count_from.value,
                "provisional": self.provisional, "unknown_years": list(self.unknown_years)}


@dataclass(frozen=True)
class WorkCalendar:
    """One hall's calendar: its overrides (date → worked?) and the years it confirmed, over the package."""

    overrides: Mapping[dt.date, bool] = field(default_factory=dict)
    confirmed_years: frozenset[int] = frozenset()

    def is_workday(self, day: dt.date) -> bool:
        return self.day(day)[0]

    def day(self, day: dt.date) -> tuple[bool, bool]:
        """(worked?, settled?): settled when the hall or the package knows the day's year."""
        if day in self.overrides:
            return self.overrides[day], True
        known = package_workday(day)
        if known is not None:
            return known, True
        return day.weekday() < 5, day.year in self.confirmed_years

    def is_known_year(self, year: int) -> bool:
        return year in self.confirmed_years or package_workday(dt.date(year, 6, 1)) is not None

    def next_workday(self, day: dt.date, *, include: bool = False) -> dt.date:
        d = day if include else day + dt.timedelta(days=1)
        for _ in range(_SEARCH_LIMIT):
            if self.is_workday(d):
                return d
            d += dt.timedelta(days=1)
        raise ValueError(f"no working day within {_SEARCH_LIMIT} days of {day}")

    def deadline(self, received: dt.date, working_days: int, count_from: CountFrom) -> Deadline:
        if not 1 <= working_days <= MAX_WORKING_DAYS:
            raise ValueError(f"working days must be 1–{MAX_WORKING_DAYS}, not {working_days}")
        start = self.next_workday(received, include=True)
        d, n = start, (1 if count_from is CountFrom.RECEIPT_DAY else 0)
        while n < working_days:
            d += dt.timedelta(days=1)
            n += self.is_workday(d)
        unknown = {x.year for x in _days(received, d) if not self.day(x)[1]}
        return Deadline(received, start, d, working_days, count_from, bool(unknown), tuple(sorted(unknown)))

    def extend(self, due: dt.date, working_days: int) -> Deadline:
        """A deadline moved by an approved extension: `working_days` more after the old due day."""
        return self.deadline(due, working_days, CountFrom.NEXT_DAY)

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after `start` up to and including `end` (negative when `end` is before `start`)."""
        if end < start:
            return -self.working_days_between(end, start)
        n, d = 0, start
        while d < end:
            d += dt.timedelta(days=1)
            n += self.is_workday(d)
        return n

    def due_state(self, due: dt.date, today: dt.date) -> DueState:
        """Overdue once the due day has passed; due soon when it is today or by the next working day."""
        if today > due:
            return DueState.OVERDUE
        if due <= self.next_workday(today):
            return DueState.DUE_SOON
        return DueState.ON_TRACK
