"""How often a wrong password may be tried: failed sign-ins per client address and per username in a sliding
window. Pure: the caller reads the recent failure times (from every server process) and passes them in."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from hallops.domain.errors import E, TooManyRequests


@dataclass(frozen=True, slots=True)
class SignInLimit:
    failures: int = 10  # failed sign-ins allowed per key in the window
    window: float = 600.0  # seconds


def keys(address: str | None, username: str) -> list[str]:
    """What failures are counted by: the client's address and the account asked for (case-insensitive)."""
    return [f"addr:{address or '?'}", f"user:{username.strip().lower()}"]


def wait_seconds(times: Iterable[float], now: float, limit: SignInLimit) -> float:
    """Seconds until one more try is allowed for one key (0: allowed now)."""
    recent = sorted(t for t in times if now - limit.window < t <= now)
    if len(recent) < limit.failures:
        return 0.0
    return recent[len(recent) - limit.failures] + limit.window - now


def check(failures: dict[str, list[float]], now: float, limit: SignInLimit) -> None:
    wait = max((wait_seconds(ts, now, limit) for ts in failures.values()), default=0.0)
    if wait > 0:
        seconds = math.ceil(wait)
        raise TooManyRequests(E.TOO_MANY_ATTEMPTS, f"登录失败次数过多，请 {max(1, math.ceil(seconds / 60))} 分钟后再试 "
                                                   "(too many failed sign-ins; try again later)", retry_after=seconds)
