"""The wait estimate: its shape, and its calibration against a simulated day of a real-looking hall."""

from __future__ import annotations

import math
import random
import statistics
from dataclasses import dataclass

import pytest

from hallops.domain.estimate import (
    WaitRange,
    describe,
    estimate_from_stats,
    estimate_wait,
    service_stats,
)


def test_a_range_never_an_exact_minute() -> None:
    for ahead in range(0, 60):
        for svc in (2, 8, 20):
            for w in (0, 1, 3):
                r = estimate_wait(ahead, svc, w)
                assert 0 <= r.low < r.high
                assert r.high - r.low >= 2


def test_more_people_ahead_never_shortens_the_wait() -> None:
    prev = WaitRange(0, 0)
    for ahead in range(0, 80):
        r = estimate_wait(ahead, 8, 2)
        assert r.low >= prev.low and r.high >= prev.high
        prev = r


def test_more_windows_shorten_the_wait() -> None:
    one, three = estimate_wait(12, 8, 1), estimate_wait(12, 8, 3)
    assert three.high < one.high and three.low < one.low


def test_no_window_open_assumes_one_will_open() -> None:
    assert estimate_wait(5, 8, 0) == estimate_wait(5, 8, 1)


def test_bounds_are_rounded_to_readable_steps() -> None:
    r = estimate_wait(20, 9, 1)
    assert r.low % 5 == 0 and r.high % 10 == 0 and r.high > 60


def test_few_samples_lean_on_the_typical_time() -> None:
    assert service_stats([1.0, 1.5], default_minutes=10).mean_minutes == 10
    s = service_stats([1.0, 1.5, 2.0], default_minutes=10)
    assert 5 < s.mean_minutes < 6  # shrunk halfway: three quick renewals are not the whole morning
    many = service_stats([4.0] * 60, default_minutes=10)
    assert 4 < many.mean_minutes < 4.5 and many.cv == 0.2


def test_describe_in_both_languages() -> None:
    assert describe(WaitRange(10, 20)) == ("约 10–20 分钟", "about 10–20 min")
    assert describe(WaitRange(0, 5)) == ("5 分钟以内", "under 5 min")
    assert describe(WaitRange(0, 2))[0] == "即将叫号"


# -- a simulated day ------------------------------------------------------------------------------------

@dataclass
class Outcome:
    estimate: WaitRange
    actual_minutes: float


def simulate_day(seed: int, *, windows: int = 3, mean_service: float = 8.0, cv: float = 0.6) -> list[Outcome]:
    """One queue from 09:00 to 17:00: a morning rush, a lunch dip with one window paused, an afternoon
    wave; service times log-normal. Windows call first come, first served. At every arrival we estimate
    as the server does (mean service time of the last two hours, open windows, people ahead) and then
    record what really happened."""
    rng = random.Random(seed)
    sigma2 = math.log(1 + cv * cv)
    mu = math.log(mean_service) - sigma2 / 2

    def service() -> float:
        return rng.lognormvariate(mu, sigma2 ** 0.5)

    capacity = windows / mean_service  # citizens per minute the windows can serve

    def rate(t: float) -> float:  # arrivals per minute, t minutes after 09:00
        if t < 90:
            return 1.25 * capacity  # the morning rush: above capacity, a line builds
        if 180 <= t < 270:
            return 0.45 * capacity  # lunch, one window paused
        return 0.85 * capacity

    def open_windows(t: float) -> int:
        return windows - 1 if 180 <= t < 270 else windows

    arrivals: list[float] = []
    t = 0.0
    while True:
        t += rng.expovariate(rate(t))
        if t >= 480:
            break
        arrivals.append(t)

    # Discrete-event simulation: free windows take the longest waiting ticket.
    free_at = [0.0] * windows
    called: list[float] = []
    done: list[tuple[float, float]] = []  # (ended, duration)
    for a in arrivals:
        def earliest(i: int, a: float = a) -> float:
            s = max(a, free_at[i])
            if i == windows - 1 and 180 <= s < 270:
                s = 270.0  # the paused window takes no one until it resumes
            return s
        best = min(range(windows), key=earliest)
        start = earliest(best)
        d = service()
        free_at[best] = start + d
        called.append(start)
        done.append((start + d, d))

    outcomes: list[Outcome] = []
    for i, a in enumerate(arrivals):
        ahead = sum(1 for j in range(i) if called[j] > a)
        recent = [d for (end, d) in done if a - 120 <= end <= a]
        stats = service_stats(recent, default_minutes=mean_service)
        est = estimate_from_stats(ahead, stats, open_windows(a))
        outcomes.append(Outcome(est, called[i] - a))
    return outcomes


def calibration(outcomes: list[Outcome]) -> tuple[float, float, float]:
    """(share of actual waits inside the range, share above it, median range width in minutes)."""
    inside = sum(1 for o in outcomes if o.estimate.low <= o.actual_minutes <= o.estimate.high)
    above = sum(1 for o in outcomes if o.actual_minutes > o.estimate.high)
    width = statistics.median(o.estimate.high - o.estimate.low for o in outcomes)
    return inside / len(outcomes), above / len(outcomes), width


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_estimate_against_a_simulated_day(seed: int) -> None:
    outcomes = simulate_day(seed)
    assert len(outcomes) > 120
    inside, above, width = calibration(outcomes)
    # Most citizens are called inside the range they were shown, few later than its end, and the range is
    # narrow enough to plan by (not "0 to 3 hours").
    assert inside >= 0.75, (inside, above, width)
    assert above <= 0.12, (inside, above, width)
    long_waits = [o for o in outcomes if o.actual_minutes > 10]
    assert long_waits, "the simulated rush must build a line"
    rel_width = statistics.median((o.estimate.high - o.estimate.low) / max(o.actual_minutes, 1)
                                  for o in long_waits)
    assert rel_width < 1.5, rel_width


def test_a_slow_erratic_queue_is_still_mostly_inside_the_range() -> None:
    # Two windows, long and very uneven services (cv 0.8): the hardest case for a short range.
    outcomes = [o for seed in range(20, 25) for o in simulate_day(seed, windows=2, mean_service=15, cv=0.8)]
    inside, above, _ = calibration(outcomes)
    assert inside >= 0.7 and above <= 0.15, (inside, above)
