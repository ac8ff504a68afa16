"""The settings write jobs obey, gathered from the configuration once at start."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

from hallops.domain.policy import PolicyParams


@dataclass(frozen=True, slots=True)
class Rules:
    policy: PolicyParams = field(default_factory=PolicyParams)
    recall_limit: int = 3
    rollover: dt.time = dt.time(3, 0)
    idempotency_hours: int = 24


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def service_day_of(now: float, tz_name: str, rules: Rules) -> str:
    from hallops.domain.numbering import service_day

    return service_day(dt.datetime.fromtimestamp(now, dt.UTC), zone(tz_name), rules.rollover).isoformat()
