"""Sliding-window limits on phone tickets (一码取号): so nobody can drain a queue from one phone.

Pure: the caller reads the recent issue times from storage and passes them in with the time now.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from hallops.domain.errors import TooManyRequests

HOUR = 3600.0


@dataclass(frozen=True, slots=True)
class Limit:
    what: str  # "device" or "address": named in the refusal so support can tell which one bit
    per_hour: int


def retry_after(times: Sequence[float], now: float, limit: Limit) -> float:
    """Seconds until one more ticket is allowed under `limit` (0: allowed now)."""
    recent = sorted(t for t in times if now - HOUR < t <= now)
    if limit.per_hour <= 0:
        return math.inf
    if len(recent) < limit.per_hour:
        return 0.0
    # The oldest ticket that still counts must leave the window before another fits.
    return recent[len(recent) - limit.per_hour] + HOUR - now


def check(times: Sequence[float], now: float, limit: Limit) -> None:
    wait = retry_after(times, now, limit)
    if wait <= 0:
        return
    if math.isinf(wait):
        raise TooManyRequests("mobile_disabled", "本大厅暂不支持手机取号，请到自助取号机取号 "
                                                 "(phone tickets are off here; use a kiosk)")
    minutes = max(1, math.ceil(wait / 60))
    raise TooManyRequests("rate_limited",
                          f"取号过于频繁，请 {minutes} 分钟后再试，或到自助取号机取号 "
                          f"(too many tickets from this {limit.what}; try again in {minutes} min)",
                          retry_after=math.ceil(wait), limit=limit.per_hour, scope=limit.what)
