"""A rough wait estimate, always a range: people ahead × service time ÷ windows serving the queue."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WaitRange:
    low: int  # minutes
    high: int


def estimate_wait(ahead: int, service_minutes: float, serving_windows: int) -> WaitRange:
    """Minutes until called. With no window serving, assume one will open."""
    per = max(service_minutes, 0.5) / max(serving_windows, 1)
    mid = ahead * per
    low = math.floor(mid * 0.7)
    high = max(math.ceil(mid * 1.3), low + (1 if ahead else 0))
    return WaitRange(low, high)
