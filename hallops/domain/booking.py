"""Booking from the phone (预约): which days may be booked, and the rule for people who book and do not come.

Configurable per hall: `booking_missed_limit` missed bookings within `booking_missed_window_days` block online
booking for `booking_block_days` after the last one missed. Pure; times are UNIX seconds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hallops.domain.errors import Conflict, E, TooManyRequests

DAY = 86400.0


@dataclass(frozen=True, slots=True)
class MissedRule:
    limit: int = 3
    window_days: int = 30
    block_days: int = 30

    @classmethod
    def of(cls, settings: Mapping[str, Any]) -> MissedRule:
        return cls(int(settings["booking_missed_limit"]), int(settings["booking_missed_window_days"]),
                   int(settings["booking_block_days"]))


def blocked_until(missed: Sequence[float], now: float, rule: MissedRule) -> float | None:
    """When online booking opens again for a person who missed bookings at `missed` (each the end of its
    check-in window); None when not blocked. The block starts at the miss that made `limit` misses within
    `window_days`, and lasts `block_days`. A limit of 0 turns the rule off."""
    if rule.limit <= 0:
        return None
    recent = sorted(m for m in missed if m <= now)
    until = None
    for i in range(rule.limit - 1, len(recent)):
        if recent[i] - recent[i - rule.limit + 1] <= rule.window_days * DAY:
            until = recent[i] + rule.block_days * DAY
    return until if until is not None and until > now else None


def check_not_blocked(missed: Sequence[float], now: float, rule: MissedRule, day_text: str) -> None:
    until = blocked_until(missed, now, rule)
    if until is not None:
        raise TooManyRequests(E.BOOKING_BLOCKED,
                              f"近 {rule.window_days} 天内有 {rule.limit} 次预约未到，{day_text} 前暂停网上预约，"
                              f"可到大厅现场取号 "
                              f"({rule.limit} missed bookings within {rule.window_days} days: online booking is paused "
                              f"until {day_text}; you can still take a ticket in the hall)",
                              until=until, missed=len(missed))


def check_day(slot_start: float, now: float, days_ahead: int) -> None:
    """A slot may be booked from now until `days_ahead` days on."""
    if slot_start <= now or slot_start > now + days_ahead * DAY:
        raise Conflict(E.BOOKING_OUT_OF_RANGE, f"只能预约今后 {days_ahead} 天内的时段 "
                                               f"(only slots within the next {days_ahead} days can be booked)")
