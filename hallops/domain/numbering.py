"""Service days, ticket numbers and issuing hours.

A service day starts at the hall's rollover time (local), not at midnight, so a hall that stays open past
midnight keeps one day of numbers. Serials restart every service day per queue.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from hallops.domain.errors import E, InvalidInput

PREFIX_RE = re.compile(r"^[A-Z]{1,2}$")
_HOURS_RE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


def service_day(now: dt.datetime, tz: ZoneInfo, rollover: dt.time) -> dt.date:
    """The service day that the aware instant `now` belongs to."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    local = now.astimezone(tz)
    shifted = local - dt.timedelta(hours=rollover.hour, minutes=rollover.minute)
    return shifted.date()


def format_number(prefix: str, serial: int) -> str:
    """"A" and 12 give "A012": three digits, more only past 999."""
    return f"{prefix}{serial:03d}"


@dataclass(frozen=True, slots=True)
class Span:
    start: int  # minutes after local midnight
    end: int  # exclusive; 1440 is the end of the day


@dataclass(frozen=True, slots=True)
class IssuingHours:
    """When a queue hands out tickets, as local clock spans, e.g. "08:30-12:00,13:30-17:30"."""

    spans: tuple[Span, ...]

    @classmethod
    @functools.lru_cache(maxsize=256)  # parsed on every issue: a hall has a handful of distinct texts
    def parse(cls, text: str) -> IssuingHours:
        spans = []
        for part in text.replace(" ", "").split(","):
            m = _HOURS_RE.match(part)
            if not m:
                raise InvalidInput(E.BAD_HOURS, f"取号时间格式应为 HH:MM-HH:MM (bad hours: {part!r})")
            h1, m1, h2, m2 = (int(g) for g in m.groups())
            start, end = h1 * 60 + m1, h2 * 60 + m2
            if h1 > 23 or m1 > 59 or m2 > 59 or end > 1440 or start >= end:
                raise InvalidInput(E.BAD_HOURS, f"取号时间段无效 (bad hours span: {part!r})")
            spans.append(Span(start, end))
        spans.sort(key=lambda s: s.start)
        return cls(tuple(spans))

    def contains(self, local_time: dt.time) -> bool:
        minute = local_time.hour * 60 + local_time.minute
        return any(s.start <= minute < s.end for s in self.spans)

    def __str__(self) -> str:
        return ",".join(f"{s.start // 60:02d}:{s.start % 60:02d}-{s.end // 60:02d}:{s.end % 60:02d}"
                        for s in self.spans)
