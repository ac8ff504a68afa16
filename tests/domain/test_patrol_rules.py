"""Patrol rules stated at their edges: a quota of one, slots that land on a span's end, opening minutes,
the finding table in full, due dates by severity, and the 30-day escalation window."""

from __future__ import annotations

import datetime as dt

import pytest

from hallops.domain.calendar import WorkCalendar
from hallops.domain.errors import Conflict, Forbidden, InvalidInput
from hallops.domain.patrols import (
    DEFAULT_CHECKLIST,
    Escalation,
    FindingAction,
    FindingStatus,
    OpeningHours,
    PatrolKind,
    QuotaProgress,
    Severity,
    check_verifier,
    default_deadline,
    escalation_for,
    is_overdue,
    local_minute,
    missing_items,
    next_finding_status,
    quota_progress,
    slot_minutes,
)

F = FindingStatus
MONDAY = dt.date(2026, 11, 30)
SATURDAY = dt.date(2026, 12, 5)
SUNDAY = dt.date(2026, 12, 6)
HALL = OpeningHours.parse("09:00-12:00,13:00-17:00")  # 7 h open, lunch closed
DAY = 86400.0


def hm(text: str) -> float:
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def clock(minutes: list[float]) -> list[str]:
    return [f"{int(m) // 60:02d}:{int(m) % 60:02d}" for m in minutes]


# -- a quota of one -------------------------------------------------------------------------------------

def test_a_quota_of_one_is_due_at_closing() -> None:
    assert clock(slot_minutes(HALL, 1)) == ["17:00"]


@pytest.mark.parametrize(("at", "grace", "expected", "behind", "behind_minutes"), [
    ("16:59", 0, 0, False, 0.0),
    ("17:00", 0, 1, False, 0.0),   # due this minute: not yet late
    ("17:01", 0, 1, True, 1.0),
    ("17:30", 30, 1, False, 30.0),  # exactly the grace
    ("17:31", 30, 1, True, 31.0),
])
def test_a_quota_of_one_patrol_shows_as_behind_once_late(at: str, grace: float, expected: int, behind: bool,
                                                          behind_minutes: float) -> None:
    p = quota_progress(PatrolKind.SPOT, HALL, 1, 0, MONDAY, hm(at), grace_minutes=grace)
    assert p == QuotaProgress(PatrolKind.SPOT, 1, 0, expected, behind, behind_minutes, hm("17:00"))
    assert p.remaining == 1


def test_a_quota_of_one_done_is_met() -> None:
    p = quota_progress(PatrolKind.SPOT, HALL, 1, 1, MONDAY, hm("18:00"), grace_minutes=30)
    assert p == QuotaProgress(PatrolKind.SPOT, 1, 1, 1, False, 0.0, None)
    assert p.remaining == 0


def test_progress_in_full_when_late() -> None:
    p = quota_progress(PatrolKind.FULL, HALL, 6, 0, MONDAY, hm("10:41"), grace_minutes=30)
    assert p == QuotaProgress(PatrolKind.FULL, 6, 0, 1, True, 31.0, hm("10:10"))
    # Without a grace argument there is none.
    assert quota_progress(PatrolKind.FULL, HALL, 6, 0, MONDAY, hm("10:11")).behind


def test_the_last_of_the_quota_is_next_until_done() -> None:
    p = quota_progress(PatrolKind.FULL, HALL, 6, 5, MONDAY, hm("16:00"), grace_minutes=30)
    assert (p.expected, p.behind, p.next_due_minute) == (5, False, hm("17:00"))


@pytest.mark.parametrize("quota", [0, -1])
def test_no_quota_no_progress(quota: int) -> None:
    assert slot_minutes(HALL, quota) == []
    assert quota_progress(PatrolKind.FULL, HALL, quota, 2, MONDAY, hm("16:00")) == QuotaProgress(
        PatrolKind.FULL, 0, 2, 0, False, 0.0, None)


def test_a_closed_day_has_no_quota() -> None:
    assert quota_progress(PatrolKind.FULL, HALL, 6, 1, SUNDAY, hm("16:00")) == QuotaProgress(
        PatrolKind.FULL, 0, 1, 0, False, 0.0, None)


def test_a_slot_that_falls_on_the_end_of_a_span_stays_there() -> None:
    # Seven a day: one an hour of opening; the third is due as the morning closes, not after lunch.
    assert clock(slot_minutes(HALL, 7)) == ["10:00", "11:00", "12:00", "14:00", "15:00", "16:00", "17:00"]
    assert HALL.minute_at(180) == hm("12:00") and HALL.minute_at(181) == hm("13:01")
    assert HALL.minute_at(0) == hm("09:00")
    assert HALL.minute_at(500) == hm("17:00")  # past the day's opening time: its end
    assert OpeningHours.parse("09:00-17:00").minute_at(500) == hm("17:00")


def test_a_hall_open_one_minute_still_has_its_quota() -> None:
    tiny = OpeningHours.parse("09:00-09:01")
    assert slot_minutes(tiny, 1) == [hm("09:01")]
    assert quota_progress(PatrolKind.SPOT, tiny, 1, 0, MONDAY, hm("09:02")) == QuotaProgress(
        PatrolKind.SPOT, 1, 0, 1, True, 1.0, hm("09:01"))


# -- opening hours --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("at", "elapsed", "open_", "since"), [
    ("08:00", 0, False, None),
    ("09:00", 0, True, 0),
    ("10:00", 60, True, 60),
    ("11:59", 179, True, 179),
    ("12:00", 180, False, None),
    ("12:30", 180, False, None),
    ("13:00", 180, True, 0),
    ("16:59", 419, True, 239),
    ("17:00", 420, False, None),
    ("23:00", 420, False, None),
])
def test_opening_minutes_at_any_hour(at: str, elapsed: float, open_: bool, since: float | None) -> None:
    assert HALL.elapsed_minutes(MONDAY, hm(at)) == elapsed
    assert HALL.is_open_at(MONDAY, hm(at)) is open_
    assert HALL.minutes_open_since(MONDAY, hm(at)) == since


def test_nothing_is_open_on_a_closed_day() -> None:
    assert HALL.elapsed_minutes(SATURDAY, hm("14:00")) == 0.0
    assert HALL.is_open_at(SATURDAY, hm("10:00")) is False
    assert HALL.minutes_open_since(SATURDAY, hm("10:00")) is None
    assert HALL.total_minutes() == 420


@pytest.mark.parametrize(("weekdays", "days"), [
    ("1,2,3,4,5", {1, 2, 3, 4, 5}), (" 6 , 7 ", {6, 7}), ("1,,3,", {1, 3}), ("7", {7}), ("", set()),
])
def test_weekdays_are_iso_numbers(weekdays: str, days: set[int]) -> None:
    assert OpeningHours.parse("09:00-17:00", weekdays).weekdays == frozenset(days)


def test_weekdays_default_to_monday_to_friday() -> None:
    h = OpeningHours.parse("09:00-17:00")
    assert h.weekdays == frozenset({1, 2, 3, 4, 5})
    assert h.is_open_day(dt.date(2026, 12, 4)) and not h.is_open_day(SATURDAY)


@pytest.mark.parametrize("bad", ["0", "8", "-1", "mon", "1,x"])
def test_a_weekday_outside_1_to_7_is_refused(bad: str) -> None:
    with pytest.raises(InvalidInput) as e:
        OpeningHours.parse("09:00-17:00", bad)
    part = bad.split(",")[-1]
    assert e.value.code == "bad_weekdays"
    assert e.value.message == f"开放日应为 1–7 的数字 (weekdays are 1-7: {part!r})"


def test_local_minute_counts_seconds() -> None:
    assert local_minute(dt.datetime(2026, 11, 30, 10, 30, 30)) == 630.5
    assert local_minute(dt.datetime(2026, 11, 30, 0, 0, 0)) == 0


def test_the_checklist_walks_the_seeds_order() -> None:
    assert [i.code for i in DEFAULT_CHECKLIST] == [
        "on_post", "discipline", "dress_badge", "attitude", "integrity", "queue_order", "waiting_time",
        "elderly_help", "facilities", "hygiene", "signage"]
    assert missing_items(["c", "a", "b"], []) == ["c", "a", "b"]


# -- a finding's life, stated in full ------------------------------------------------------------------

TABLE = """
           open        rectifying  rectified  verified  reopened
start      rectifying  -           -          -         rectifying
rectify    rectified   rectified   -          -         rectified
verify     -           -           verified   -         -
reopen     -           -           reopened   -         -
"""


def _cells() -> list[tuple[F, FindingAction, F | None]]:
    header, *rows = [line.split() for line in TABLE.strip().splitlines()]
    return [(F(state), FindingAction(row[0]), None if cell == "-" else F(cell))
            for row in rows for state, cell in zip(header, row[1:], strict=True)]


CELLS = _cells()


def test_the_finding_table_covers_every_status_and_action() -> None:
    assert {(s, a) for s, a, _ in CELLS} == {(s, a) for s in F for a in FindingAction}


@pytest.mark.parametrize(("status", "action", "after"), CELLS, ids=lambda v: str(v) if v else "refused")
def test_every_finding_status_and_action(status: F, action: FindingAction, after: F | None) -> None:
    if after is not None:
        assert next_finding_status(status, action) is after
        return
    with pytest.raises(Conflict) as e:
        next_finding_status(status, action)
    assert e.value.detail == {"status": status.value, "action": action.value}


def test_a_refused_finding_step_says_why() -> None:
    with pytest.raises(Conflict) as e:
        next_finding_status(F.VERIFIED, FindingAction.REOPEN)
    assert e.value.message == "问题状态为“已验收”，不能退回重改 (cannot reopen a finding that is verified)"


def test_a_verifier_who_is_not_the_rectifier() -> None:
    check_verifier(None, None)
    check_verifier(None, 7)
    check_verifier(7, None)
    with pytest.raises(Forbidden) as e:
        check_verifier(7, 7)
    assert e.value.code == "own_rectification"
    assert e.value.message == "不能验收本人提交的整改 (you cannot verify your own rectification)"


def test_a_device_without_a_person_is_one_verifier() -> None:
    with pytest.raises(Forbidden) as e:
        check_verifier(None, None, 3, 3)  # the tablet (token 3) verifying what it reported fixed
    assert e.value.code == "own_rectification"
    check_verifier(None, None, 3, 4)  # another tablet
    check_verifier(None, 7, 3, None)  # a tablet verifying a person's fix
    check_verifier(None, None, 3, None)  # a person's fix recorded before devices were tracked
    check_verifier(None, None, None, None)  # no token either (the system): not the same actor
    check_verifier(7, None, 3, 3)  # a person signed in: their own id decides, not the token


# Working days on the published 2026 calendar: National Day off 1–7 October (and the Mid-Autumn Friday 25
# September), Saturday 10 October worked (调休). Counted from the day found, that day included.
@pytest.mark.parametrize(("found", "severity", "due"), [
    (dt.date(2026, 9, 30), Severity.SERIOUS, dt.date(2026, 9, 30)),  # the day before the holiday: that day
    (dt.date(2026, 9, 30), Severity.MAJOR, dt.date(2026, 10, 9)),  # 30 Sep, 8 Oct, 9 Oct
    (dt.date(2026, 9, 30), Severity.MINOR, dt.date(2026, 10, 12)),  # … 10 Oct (a make-up Saturday), 12 Oct
    (dt.date(2026, 10, 1), Severity.SERIOUS, dt.date(2026, 10, 8)),  # found on a holiday: counted from 8 Oct
    (dt.date(2026, 10, 10), Severity.MAJOR, dt.date(2026, 10, 13)),  # a make-up Saturday counts: 10, 12, 13 Oct
    (dt.date(2026, 12, 4), Severity.MAJOR, dt.date(2026, 12, 8)),  # Friday, Monday, Tuesday
])
def test_the_graver_the_sooner_in_working_days(found: dt.date, severity: Severity, due: dt.date) -> None:
    d = default_deadline(WorkCalendar(), found, severity)
    assert (d.due, d.provisional) == (due, False)


def test_a_finding_due_into_an_unpublished_year_is_provisional_until_the_hall_enters_it() -> None:
    found = dt.date(2026, 12, 31)  # minor: 5 working days into 2027, which the package does not know
    guessed = default_deadline(WorkCalendar(), found, Severity.MINOR)
    assert (guessed.due, guessed.provisional, guessed.unknown_years) == (dt.date(2027, 1, 6), True, (2027,))
    entered = WorkCalendar({dt.date(2027, 1, 1): False}, frozenset({2027}))  # New Year's Day off, year confirmed
    d = default_deadline(entered, found, Severity.MINOR)
    assert (d.due, d.provisional) == (dt.date(2027, 1, 7), False)


def test_a_hall_sets_its_own_finding_days_and_counting_rule() -> None:
    settings = {"finding_serious_days": 2, "finding_count_from": "next_day"}
    assert default_deadline(WorkCalendar(), dt.date(2026, 9, 30), Severity.SERIOUS, settings).due == \
        dt.date(2026, 10, 9)  # next day rule: 8 Oct is day 1, 9 Oct day 2
    assert default_deadline(WorkCalendar(), dt.date(2026, 9, 30), Severity.MINOR, settings).due == \
        dt.date(2026, 10, 13)  # minor keeps its 5 days, now from the next working day


@pytest.mark.parametrize(("status", "overdue"), [
    (F.OPEN, True), (F.RECTIFYING, True), (F.REOPENED, True), (F.RECTIFIED, False), (F.VERIFIED, False),
])
def test_overdue_while_the_fix_is_awaited(status: F, overdue: bool) -> None:
    assert is_overdue(status, 5000.0, 5001.0) is overdue
    assert is_overdue(status, 5000.0, 5000.0) is False
    assert is_overdue(status, None, 99999.0) is False


# -- escalation: the 3rd finding in 30 days → reminder, the 4th → 约谈 ---------------------------------

@pytest.mark.parametrize(("ages_days", "expected"), [
    ([], (Escalation.NONE, 0)),
    ([0, 1], (Escalation.NONE, 2)),
    ([0, 1, 29.99], (Escalation.REMINDER, 3)),
    ([0, 1, 30], (Escalation.NONE, 2)),          # exactly 30 days ago has left the window
    ([0, 1, 2, 3], (Escalation.INTERVIEW, 4)),
    ([0, 1, 2, 3, 4], (Escalation.INTERVIEW, 5)),
    ([0, 1, -0.01], (Escalation.NONE, 2)),       # a time after now does not count
])
def test_escalation_within_thirty_days(ages_days: list[float], expected: tuple[Escalation, int]) -> None:
    now = 100 * DAY
    assert escalation_for([now - a * DAY for a in ages_days], now) == expected
