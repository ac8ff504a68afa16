"""The wait estimate worked out by hand for a few cases, so each term of the model is pinned.

With `n` ahead, mean service `s`, `w` windows and spread `cv`: per = s / w, mid = (n + ½)·per,
rel = cv / √(n + 1) + 0.2, low = mid·(1 − rel) (0 with nobody ahead), high = mid·(1 + 1.6·rel);
low rounded down and high up to 1 minute up to 10, to 5 up to 60, to 10 beyond; high ≥ low + 2.
"""

from __future__ import annotations

import pytest

from hallops.domain.estimate import ServiceStats, WaitRange, describe, estimate_from_stats, estimate_wait, service_stats


@pytest.mark.parametrize(("ahead", "service", "windows", "expected", "why"), [
    (0, 8, 1, (0, 10), "mid 4, rel 0.8: high 9.12 → 10 in steps of 1"),
    (0, 8, 0, (0, 10), "no window serving: one will open"),
    (0, 4, 1, (0, 5), "high 4.56 → 5"),
    (0, 9.5, 1, (0, 15), "high 10.83: just past 10, so steps of 5"),
    (0, 20, 1, (0, 25), "high 22.8 → 25 in steps of 5; nobody ahead: low 0, not 2"),
    (0, 53, 1, (0, 70), "high 60.42 → 70 in steps of 10"),
    (1, 10, 1, (5, 30), "mid 15, rel 0.624: low 5.64 → 5, high 29.98 → 30"),
    (4, 10, 2, (10, 40), "per 5, mid 22.5, rel 0.468: low 11.96 → 10, high 39.36 → 40"),
    (10, 0.1, 1, (3, 9), "service under half a minute counts as half: mid 5.25, low 3.25 → 3, high 8.45 → 9"),
    (0, 0.1, 1, (0, 2), "never one exact minute: at least low + 2"),
    (-3, 8, 1, (0, 10), "a negative count is nobody ahead"),
])
def test_worked_examples(ahead: int, service: float, windows: int, expected: tuple[int, int], why: str) -> None:
    assert estimate_wait(ahead, service, windows) == WaitRange(*expected), why


def test_the_spread_comes_from_the_stats() -> None:
    # cv 0.2: rel 0.4, high 4 × 1.64 = 6.56 → 7 (the default cv 0.6 would give 10).
    assert estimate_from_stats(0, ServiceStats(8, cv=0.2, samples=9), 1) == WaitRange(0, 7)
    assert estimate_wait(0, 8, 1, cv=0.2) == WaitRange(0, 7)


def test_few_samples_fall_back_to_the_typical_time() -> None:
    assert service_stats([1.0, 1.5], 10) == ServiceStats(10.0, 0.6, 2)
    assert service_stats([], 10) == ServiceStats(10.0, 0.6, 0)
    # Zero and negative durations are not services: two real ones are still too few.
    assert service_stats([0, 0, -1, 5, 5], 10) == ServiceStats(10.0, 0.6, 2)


def test_the_spread_of_real_samples_is_clamped_to_0_2_to_1_5() -> None:
    # One very long service among quick ones: cv 1.90, clamped; the mean is shrunk: (104 + 30) / 8.
    assert service_stats([1, 1, 1, 1, 100], 10) == ServiceStats(16.75, 1.5, 5)
    assert service_stats([4.0] * 5, 10) == ServiceStats(6.25, 0.2, 5)
    # Short services (mean under a minute) still get their own spread: pstdev 0.2357 / mean 0.6667.
    s = service_stats([0.5, 0.5, 1.0], 10)
    assert s.mean_minutes == pytest.approx(32 / 6) and s.cv == pytest.approx(0.35355, abs=1e-4) and s.samples == 3


@pytest.mark.parametrize(("r", "text"), [
    (WaitRange(0, 1), ("即将叫号", "any moment now")),
    (WaitRange(0, 2), ("即将叫号", "any moment now")),
    (WaitRange(0, 3), ("3 分钟以内", "under 3 min")),
    (WaitRange(1, 3), ("约 1–3 分钟", "about 1–3 min")),
    (WaitRange(10, 20), ("约 10–20 分钟", "about 10–20 min")),
])
def test_describe_at_its_edges(r: WaitRange, text: tuple[str, str]) -> None:
    assert describe(r) == text
