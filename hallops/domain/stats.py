"""The arithmetic of statistics and briefings: percentiles, rates, periods and their changes.

Pure: values and dates come in, figures go out. Percentiles use linear interpolation between closest ranks
(the definition of numpy's default and of Excel's PERCENTILE.INC), so a reader can check them by hand.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hallops.domain.errors import E, InvalidInput


def percentile(sorted_values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (0 ≤ p ≤ 100) of values already sorted ascending; None when empty."""
    return percentile_by_rank(len(sorted_values), p, lambda k: float(sorted_values[k]))


def percentile_by_rank(n: int, p: float, value_at: Callable[[int], float]) -> float | None:
    """The same percentile, given the count and the value at each 0-based rank (a histogram can answer
    that without sorting a million values)."""
    if n == 0:
        return None
    if not 0 <= p <= 100:
        raise ValueError(f"percentile out of range: {p}")
    pos = (n - 1) * p / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, n - 1)
    low = value_at(lo)
    return low + (value_at(hi) - low) * (pos - lo)


@dataclass(frozen=True, slots=True)
class Spread:
    """Mean, median, p90 and max of a duration, in seconds."""

    n: int
    mean: float | None
    median: float | None
    p90: float | None
    max: float | None

    @classmethod
    def of(cls, sorted_values: Sequence[float], total: float | None = None,
           maximum: float | None = None) -> Spread:
        """`total` and `maximum`, when given, are the exact sum and max (the values may be rounded)."""
        n = len(sorted_values)
        if n == 0:
            return cls(0, None, None, None, None)
        s = float(sum(sorted_values)) if total is None else total
        return cls(n, s / n, percentile(sorted_values, 50), percentile(sorted_values, 90),
                   float(sorted_values[-1]) if maximum is None else maximum)

    def minutes(self) -> dict[str, float | int | None]:
        """As a JSON-friendly dict in minutes, rounded to 0.1."""
        def m(v: float | None) -> float | None:
            return None if v is None else round(v / 60.0, 1)
        return {"n": self.n, "mean": m(self.mean), "median": m(self.median), "p90": m(self.p90), "max": m(self.max)}


def rate(part: int | float, whole: int | float) -> float | None:
    """part / whole as a fraction; None when there is nothing to divide (not 0, which would be a claim)."""
    if not whole:
        return None
    return part / whole


@dataclass(frozen=True, slots=True)
class Change:
    """A figure against the previous period's: absolute difference and relative change (None when the
    previous value is 0 or missing, where a percentage means nothing)."""

    current: float | None
    previous: float | None
    delta: float | None
    ratio: float | None

    @property
    def direction(self) -> str:
        if self.delta is None or self.delta == 0:
            return "flat"
        return "up" if self.delta > 0 else "down"


def change(current: float | None, previous: float | None) -> Change:
    if current is None or previous is None:
        return Change(current, previous, None, None)
    delta = current - previous
    return Change(current, previous, delta, delta / previous if previous else None)


class PeriodKind(enum.StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    CUSTOM = "custom"


# Statistics cover service days in this range: anything else is a typo (and year 1 or 9999 would overflow
# the date arithmetic of periods and day bounds).
FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2099, 12, 31)


def check_day(d: dt.date, name: str = "date") -> dt.date:
    if not FIRST_DAY <= d <= LAST_DAY:
        raise InvalidInput(E.DATE_OUT_OF_RANGE, f"日期须在 {FIRST_DAY} 至 {LAST_DAY} 之间 ({name} must lie between "
                                                f"{FIRST_DAY} and {LAST_DAY}: {d})", field=name)
    return d


KIND_ZH = {PeriodKind.DAILY: "日报", PeriodKind.WEEKLY: "周报", PeriodKind.MONTHLY: "月报",
           PeriodKind.CUSTOM: "统计"}


@dataclass(frozen=True, slots=True)
class Period:
    """Service days from `start` to `end`, both included."""

    kind: PeriodKind
    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        check_day(self.start, "from")
        check_day(self.end, "to")
        if self.end < self.start:
            raise InvalidInput(E.BAD_PERIOD, f"结束日期早于开始日期 (period ends before it starts: {self.start} "
                                             f"to {self.end})")

    @classmethod
    def day(cls, d: dt.date) -> Period:
        return cls(PeriodKind.DAILY, d, d)

    @classmethod
    def week_of(cls, d: dt.date) -> Period:
        """Monday to Sunday, as Chinese offices count a week."""
        start = d - dt.timedelta(days=d.weekday())
        return cls(PeriodKind.WEEKLY, start, start + dt.timedelta(days=6))

    @classmethod
    def month_of(cls, d: dt.date) -> Period:
        start = d.replace(day=1)
        nxt = (start + dt.timedelta(days=32)).replace(day=1)
        return cls(PeriodKind.MONTHLY, start, nxt - dt.timedelta(days=1))

    @classmethod
    def of(cls, kind: PeriodKind, d: dt.date) -> Period:
        check_day(d)
        if kind is PeriodKind.DAILY:
            return cls.day(d)
        if kind is PeriodKind.WEEKLY:
            return cls.week_of(d)
        if kind is PeriodKind.MONTHLY:
            return cls.month_of(d)
        raise InvalidInput(E.BAD_PERIOD, f"请给出起止日期 (a custom period needs from and to: {kind})")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def dates(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range(self.days)]

    def previous(self) -> Period:
        """The period just before: the day before, the week before, the month before, or for a custom
        period the same number of days right before it."""
        if self.kind is PeriodKind.MONTHLY:
            return Period.month_of(self.start - dt.timedelta(days=1))
        length = dt.timedelta(days=self.days)
        return Period(self.kind, self.start - length, self.end - length)

    def label_zh(self) -> str:
        if self.kind is PeriodKind.DAILY:
            return f"{self.start.year}年{self.start.month}月{self.start.day}日"
        if self.kind is PeriodKind.MONTHLY:
            return f"{self.start.year}年{self.start.month}月"
        return (f"{self.start.year}年{self.start.month}月{self.start.day}日至"
                f"{self.end.year}年{self.end.month}月{self.end.day}日")

    def previous_label_zh(self) -> str:
        return {PeriodKind.DAILY: "前一日", PeriodKind.WEEKLY: "上周", PeriodKind.MONTHLY: "上月"}.get(
            self.kind, "上一周期")


def parse_date(value: str, name: str = "date") -> dt.date:
    try:
        d = dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(E.BAD_DATE, f"日期格式应为 YYYY-MM-DD ({name} must be a date YYYY-MM-DD)",
                           field=name) from None
    return check_day(d, name)


def backoff_seconds(attempt: int, base: float, cap: float) -> float:
    """Delay before retry number `attempt` (1 = the first retry): base, 2·base, 4·base … at most cap."""
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    return min(cap, base * 2 ** (attempt - 1))
