"""The district briefing's rules: patrol days and quota, coverage counted kind by kind, the centres' score and
their ranking. Every expected value is worked out by hand in the test."""

from __future__ import annotations

import datetime as dt

from hallops.domain.district_stats import (
    DEFAULT_PATROLS,
    Floor,
    PatrolRule,
    patrol_coverage,
    rank,
    score,
    sum_floors,
)
from hallops.domain.stats import Period


def test_patrol_days_are_the_periods_patrol_weekdays_up_to_today() -> None:
    week = Period.week_of(dt.date(2026, 11, 30))  # Monday 30 November to Sunday 6 December
    assert DEFAULT_PATROLS.days(week, dt.date(2026, 12, 10)) == 5
    assert DEFAULT_PATROLS.days(week, dt.date(2026, 12, 2)) == 3  # Monday to Wednesday so far
    assert DEFAULT_PATROLS.days(week, dt.date(2026, 11, 29)) == 0  # the week has not begun
    six = PatrolRule.parse("1,2,3,4,5,6", 6, 4)
    assert six.days(week, dt.date(2026, 12, 10)) == 6 and six.weekdays == frozenset({1, 2, 3, 4, 5, 6})
    assert PatrolRule.parse("7", 1, 0).days(Period.month_of(dt.date(2026, 11, 1)), dt.date(2027, 1, 1)) == 5


def test_coverage_counts_each_kind_up_to_its_quota_and_never_across_centres() -> None:
    # Ten full patrols and no spot check against 6 + 4: only 6 of the 10 owed count.
    assert patrol_coverage([Floor(full=10, full_quota=6, spot=0, spot_quota=4)]) == 0.6
    # One centre's surplus does not cover another's shortfall: (6 + 4 + 0) / 20.
    a = Floor(full=12, full_quota=6, spot=4, spot_quota=4)
    b = Floor(full=0, full_quota=6, spot=0, spot_quota=4)
    assert patrol_coverage([a, b]) == 0.5
    assert patrol_coverage([Floor()]) is None  # nothing was owed: no claim either way
    total = sum_floors([a, b, Floor(findings_open=3, findings_overdue=1, cases_open=2, cases_overdue=2)])
    assert (total.full, total.full_quota, total.spot, total.open_items, total.overdue_items) == (12, 12, 4, 5, 3)


def test_a_score_weighs_waits_patrols_and_items_on_time() -> None:
    # Waits 3 of 4 within target (75.0), patrols 5 of 10 (50.0), 1 of 4 open items overdue (75.0):
    # (75 · 50 + 50 · 30 + 75 · 20) / 100 = (3750 + 1500 + 1500) / 100 = 67.5.
    s = score(0.75, Floor(full=3, full_quota=6, spot=2, spot_quota=4, findings_open=2, findings_overdue=1,
                          followups_open=1, cases_open=1))
    assert s == {"score": 67.5, "parts": {"wait": 75.0, "patrol": 50.0, "on_time": 75.0},
                 "weights": {"wait": 50.0, "patrol": 30.0, "on_time": 20.0}}
    # Nothing open: items on time are whole. No patrol day: that part is left out and the others scaled up,
    # (60 · 50 + 100 · 20) / 70 = 5000 / 70 = 71.43 → 71.4.
    s = score(0.6, Floor())
    assert s["parts"] == {"wait": 60.0, "patrol": None, "on_time": 100.0} and s["score"] == 71.4
    assert s["weights"] == {"wait": 50.0, "on_time": 20.0}
    # A centre that called nobody is not scored, whatever else it did.
    assert score(None, Floor(full=6, full_quota=6))["score"] is None


def test_ranking_goes_by_score_then_the_shorter_wait_then_the_trees_order() -> None:
    rows = [{"score": 80.0, "wait_mean": 12.0}, {"score": None, "wait_mean": None},
            {"score": 91.5, "wait_mean": 30.0}, {"score": 80.0, "wait_mean": 9.5},
            {"score": 80.0, "wait_mean": 9.5}, {"score": 40.0, "wait_mean": None}]
    assert rank(rows) == [4, None, 1, 2, 3, 5]
    assert rank([]) == []
