"""Working-day deadlines on real dates (chinesecalendar 1.11.0 knows 2004–2026): the expected due days are
written out, counted by hand from the State Council's 2026 notice (国办发明电〔2025〕7号: National Day
1–7 October off, Sunday 20 September and Saturday 10 October worked; Spring Festival 15–23 February off,
Saturday 14 and Saturday 28 February worked)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hallops.domain.calendar import CountFrom, DueState, WorkCalendar, package_years

D = dt.date.fromisoformat
CAL = WorkCalendar()
NEXT, SAME = CountFrom.NEXT_DAY, CountFrom.RECEIPT_DAY


def due(received: str, days: int, rule: CountFrom = NEXT) -> str:
    return CAL.deadline(D(received), days, rule).due.isoformat()


def test_the_package_knows_2026_and_not_2027() -> None:
    assert package_years() == range(2004, 2027)
    assert CAL.day(D("2026-10-10")) == (True, True)  # a make-up Saturday
    assert CAL.day(D("2026-10-05")) == (False, True)  # National Day week
    assert CAL.day(D("2027-01-01")) == (True, False)  # a Friday nobody has published: guessed, unsettled


def test_received_the_day_before_national_day() -> None:
    # Wed 30 Sep; from the next day: Thu 8 Oct (1), Fri 9 (2), Sat 10 make-up (3), Mon 12 (4), Tue 13 (5)
    assert due("2026-09-30", 5) == "2026-10-13"
    assert due("2026-09-30", 5, SAME) == "2026-10-12"  # 30 Sep counts as day 1
    assert due("2026-09-30", 15) == "2026-10-27"  # a complex case
    assert due("2026-09-30", 1) == "2026-10-08"


def test_received_on_a_make_up_saturday_it_is_a_working_day() -> None:
    d = CAL.deadline(D("2026-10-10"), 5, NEXT)
    assert (d.start, d.due) == (D("2026-10-10"), D("2026-10-16"))
    assert due("2026-10-10", 5, SAME) == "2026-10-15"
    assert due("2026-09-20", 1) == "2026-09-21"  # Sunday 20 Sep is worked


def test_received_on_a_holiday_is_deemed_received_on_the_next_working_day() -> None:
    d = CAL.deadline(D("2026-10-03"), 5, NEXT)
    assert d.start == D("2026-10-08") and d.due == D("2026-10-14")
    assert due("2026-10-03", 5, SAME) == "2026-10-13"
    assert due("2026-02-13", 5) == "2026-02-27"  # Fri before Spring Festival: Sat 14 worked, then 24–27


def test_across_new_year_into_an_unpublished_year_is_flagged() -> None:
    # Mon 28 Dec 2026: 29, 30, 31 Dec, then 2027 unknown: Fri 1 Jan guessed worked (4), Mon 4 Jan (5)
    d = CAL.deadline(D("2026-12-28"), 5, NEXT)
    assert d.due == D("2027-01-04") and d.provisional and d.unknown_years == (2027,)
    # the hall enters New Year's Day: the due day moves, still provisional until the year is confirmed
    cal = WorkCalendar({D("2027-01-01"): False})
    d = cal.deadline(D("2026-12-28"), 5, NEXT)
    assert d.due == D("2027-01-05") and d.provisional
    cal = WorkCalendar({D("2027-01-01"): False}, frozenset({2027}))
    d = cal.deadline(D("2026-12-28"), 5, NEXT)
    assert d.due == D("2027-01-05") and not d.provisional and d.unknown_years == ()
    # within 2026 nothing is provisional
    assert not CAL.deadline(D("2026-12-21"), 5, NEXT).provisional  # due Mon 28 Dec
    assert CAL.deadline(D("2026-12-24"), 5, NEXT).due == D("2026-12-31")  # just under the year's end
    assert not CAL.deadline(D("2026-12-24"), 5, NEXT).provisional
    assert CAL.deadline(D("2026-12-25"), 5, NEXT).provisional  # just over: due Fri 1 Jan 2027


def test_a_local_closure_overrides_the_package() -> None:
    cal = WorkCalendar({D("2026-11-30"): False})  # a Monday the hall is closed
    assert cal.deadline(D("2026-11-27"), 1, NEXT).due == D("2026-12-01")
    assert CAL.deadline(D("2026-11-27"), 1, NEXT).due == D("2026-11-30")


def test_working_days_limits() -> None:
    with pytest.raises(ValueError):
        CAL.deadline(D("2026-11-30"), 0, NEXT)
    with pytest.raises(ValueError):
        CAL.deadline(D("2026-11-30"), 366, NEXT)
    assert CAL.deadline(D("2026-01-05"), 365, NEXT).provisional  # runs into 2027


def test_due_state_just_under_and_over() -> None:
    due_day = D("2026-10-13")  # Tue
    assert CAL.due_state(due_day, D("2026-10-09")) is DueState.ON_TRACK  # Fri: next working day is Sat 10
    assert CAL.due_state(due_day, D("2026-10-12")) is DueState.DUE_SOON  # the working day before
    assert CAL.due_state(due_day, D("2026-10-13")) is DueState.DUE_SOON  # due today
    assert CAL.due_state(due_day, D("2026-10-14")) is DueState.OVERDUE
    # over a holiday the "one working day" stretches: 30 Sep's next working day is 8 Oct
    assert CAL.due_state(D("2026-10-08"), D("2026-09-30")) is DueState.DUE_SOON


def test_extension_counts_after_the_old_due_day() -> None:
    assert CAL.extend(D("2026-09-30"), 3).due == D("2026-10-10")


def test_working_days_between() -> None:
    assert CAL.working_days_between(D("2026-09-30"), D("2026-10-13")) == 5
    assert CAL.working_days_between(D("2026-10-13"), D("2026-09-30")) == -5
    assert CAL.working_days_between(D("2026-10-13"), D("2026-10-13")) == 0


DAYS = st.dates(min_value=dt.date(2004, 1, 1), max_value=dt.date(2026, 6, 30))


@settings(deadline=None)  # a shared machine: no per-example time limit
@given(DAYS, st.integers(1, 30), st.sampled_from(list(CountFrom)))
def test_the_due_day_is_a_working_day_exactly_n_working_days_on(day: dt.date, n: int, rule: CountFrom) -> None:
    d = CAL.deadline(day, n, rule)
    assert CAL.is_workday(d.due) and d.due >= d.start >= day
    counted = CAL.working_days_between(d.start, d.due) + (1 if rule is CountFrom.RECEIPT_DAY else 0)
    assert counted == n
    assert CAL.due_state(d.due, d.due) is DueState.DUE_SOON
    assert CAL.due_state(d.due, d.due + dt.timedelta(days=1)) is DueState.OVERDUE


@settings(deadline=None)  # a shared machine: no per-example time limit
@given(DAYS, st.integers(1, 30))
def test_one_more_day_never_comes_sooner(day: dt.date, n: int) -> None:
    assert CAL.deadline(day, n + 1, NEXT).due > CAL.deadline(day, n, NEXT).due
    assert CAL.deadline(day, n, CountFrom.RECEIPT_DAY).due <= CAL.deadline(day, n, NEXT).due


NEAR_YEAR_END = st.dates(min_value=dt.date(2026, 11, 1), max_value=dt.date(2027, 2, 1))


@settings(deadline=None)  # a shared machine: no per-example time limit
@given(NEAR_YEAR_END, st.integers(1, 20), st.booleans())
def test_a_deadline_is_provisional_exactly_when_it_touches_an_unconfirmed_unpublished_year(
        day: dt.date, n: int, confirmed: bool) -> None:
    cal = WorkCalendar({}, frozenset({2027}) if confirmed else frozenset())
    d = cal.deadline(day, n, NEXT)
    assert d.provisional == (not confirmed and d.due.year >= 2027)
    assert d.unknown_years == ((2027,) if d.provisional else ())
