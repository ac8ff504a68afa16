"""Wait estimates, always a range: people ahead × service time ÷ windows serving the queue, with a spread.

Model. With `w` windows serving and every window busy, one window frees up about every `s / w` minutes
(`s` the mean service time); the first one frees after about half a service (the residual of the service
under way). A citizen with `n` people ahead is called after about `(n + ½) · s / w`.

Spread. The wait is a sum of about `n + 1` service times, so its relative spread falls like
`cv / √(n + 1)` (`cv` the coefficient of variation of the service times). On top of that comes what the
model cannot see: priority tickets and appointments placed ahead later, windows pausing or opening,
integrated windows splitting their time between queues. That is `MODEL_SLACK`, and because it mostly
makes waits longer, the range leans upwards.

Rounding. The bounds are rounded outwards to steps that grow with the wait (1, 5, 10 minutes), so a
citizen never reads a false exact minute. The calibration is measured against a simulated day in
tests/domain/test_estimate.py.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_CV = 0.6  # service times in a hall vary a lot: a missing document, a simple renewal
MIN_SAMPLES = 3  # fewer finished services than this: trust the queue's configured typical time
MODEL_SLACK = 0.2
LOW_FACTOR = 1.0  # how far below the middle the range reaches, in units of the relative spread
HIGH_FACTOR = 1.6  # ... and how far above it (waits run long more often than short)


@dataclass(frozen=True, slots=True)
class WaitRange:
    low: int  # minutes
    high: int


@dataclass(frozen=True, slots=True)
class ServiceStats:
    """What recent service times say: their mean (minutes), their coefficient of variation, how many."""

    mean_minutes: float
    cv: float = DEFAULT_CV
    samples: int = 0


def service_stats(durations_minutes: Sequence[float], default_minutes: float) -> ServiceStats:
    """Summarise the service times of the last hours; with few samples, lean on the typical time.

    The mean is shrunk towards `default_minutes` as if the default were worth `MIN_SAMPLES` services,
    so the first two quick renewals of the morning do not promise everyone a short wait."""
    xs = [x for x in durations_minutes if x > 0]
    n = len(xs)
    if n < MIN_SAMPLES:
        return ServiceStats(float(default_minutes), DEFAULT_CV, n)
    mean = (sum(xs) + default_minutes * MIN_SAMPLES) / (n + MIN_SAMPLES)
    cv = statistics.pstdev(xs) / statistics.fmean(xs) if statistics.fmean(xs) > 0 else DEFAULT_CV
    return ServiceStats(mean, min(max(cv, 0.2), 1.5), n)


def _step(minutes: float) -> int:
    if minutes <= 10:
        return 1
    if minutes <= 60:
        return 5
    return 10


def estimate_wait(ahead: int, service_minutes: float, serving_windows: int, *,
                  cv: float = DEFAULT_CV) -> WaitRange:
    """Minutes until called, as a range. With no window serving, assume one will open."""
    windows = max(serving_windows, 1)
    per = max(service_minutes, 0.5) / windows
    mid = (max(ahead, 0) + 0.5) * per
    rel = cv / math.sqrt(max(ahead, 0) + 1) + MODEL_SLACK
    # Nobody ahead: a window may be free this very minute.
    low_raw = mid * max(0.0, 1 - LOW_FACTOR * rel) if ahead > 0 else 0.0
    high_raw = mid * (1 + HIGH_FACTOR * rel)
    low = math.floor(low_raw / _step(low_raw)) * _step(low_raw)
    high = math.ceil(high_raw / _step(high_raw)) * _step(high_raw)
    # Never one exact minute, and the range always reaches past the middle.
    high = max(high, low + 2, math.ceil(mid))
    return WaitRange(int(low), int(high))


def estimate_from_stats(ahead: int, stats: ServiceStats, serving_windows: int) -> WaitRange:
    return estimate_wait(ahead, stats.mean_minutes, serving_windows, cv=stats.cv)


def describe(r: WaitRange) -> tuple[str, str]:
    """The range as people read it: ("约 10–20 分钟", "about 10–20 min")."""
    if r.high <= 2:
        return "即将叫号", "any moment now"
    if r.low <= 0:
        return f"{r.high} 分钟以内", f"under {r.high} min"
    return f"约 {r.low}–{r.high} 分钟", f"about {r.low}–{r.high} min"
