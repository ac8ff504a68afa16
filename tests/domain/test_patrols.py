import datetime as dt

import pytest

from hallops.domain.errors import Conflict, Forbidden, InvalidInput
from hallops.domain.patrols import (
    FINDING_TRANSITIONS,
    Escalation,
    FindingAction,
    FindingStatus,
    OpeningHours,
    PatrolKind,
    check_verifier,
    escalation_for,
    is_overdue,
    missing_items,
    next_finding_status,
    quota_progress,
    slot_minutes,
)

F = FindingStatus
A = FindingAction
MONDAY = dt.date(2026, 11, 30)
SATURDAY = dt.date(2026, 12, 5)
HALL = OpeningHours.parse("09:00-12:00,13:00-17:00")  # 7 h open, lunch closed


def hm(text: str) -> float:
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def test_the_quota_is_spread_evenly_over_opening_time_skipping_lunch() -> None:
    assert [f"{int(m) // 60:02d}:{int(m) % 60:02d}" for m in slot_minutes(HALL, 6)] == [
        "10:10", "11:20", "13:30", "14:40", "15:50", "17:00"]
    assert [f"{int(m) // 60:02d}:{int(m) % 60:02d}" for m in slot_minutes(HALL, 4)] == [
        "10:45", "13:30", "15:15", "17:00"]
    assert slot_minutes(HALL, 0) == []


@pytest.mark.parametrize(("at", "done", "expected", "behind", "next_due"), [
    ("08:00", 0, 0, False, "10:10"),   # before opening
    ("10:10", 0, 1, False, "10:10"),   # just due: within the grace
    ("10:41", 0, 1, True, "10:10"),    # 31 minutes late
    ("10:41", 1, 1, False, "11:20"),
    ("12:30", 1, 2, True, "11:20"),    # lunch: still behind for the morning's second
    ("17:30", 6, 6, False, None),      # the day's quota met
    ("17:30", 7, 6, False, None),      # more than the quota is fine
])
def test_progress_at_any_hour(at: str, done: int, expected: int, behind: bool, next_due: str | None) -> None:
    p = quota_progress(PatrolKind.FULL, HALL, 6, done, MONDAY, hm(at), grace_minutes=30)
    assert (p.expected, p.behind) == (expected, behind)
    due = p.next_due_minute
    assert (None if due is None else f"{int(due) // 60:02d}:{int(due) % 60:02d}") == next_due
    assert p.remaining == max(0, 6 - done)


def test_a_closed_day_has_no_quota() -> None:
    p = quota_progress(PatrolKind.SPOT, HALL, 4, 0, SATURDAY, hm("15:00"))
    assert (p.quota, p.expected, p.behind) == (0, 0, False)
    weekend = OpeningHours.parse("09:00-12:00", "6,7")
    assert quota_progress(PatrolKind.SPOT, weekend, 4, 0, SATURDAY, hm("12:00")).expected == 4


def test_opening_hours_parse_and_refuse() -> None:
    assert HALL.total_minutes() == 420
    assert HALL.elapsed_minutes(MONDAY, hm("14:00")) == 240
    assert HALL.minutes_open_since(MONDAY, hm("12:30")) is None
    assert HALL.minutes_open_since(MONDAY, hm("13:20")) == 20
    assert HALL.is_open_at(MONDAY, hm("09:00")) and not HALL.is_open_at(SATURDAY, hm("09:00"))
    for bad in [("9-17", "1"), ("09:00-17:00", "8"), ("09:00-17:00", "mon")]:
        with pytest.raises(InvalidInput):
            OpeningHours.parse(*bad)


@pytest.mark.parametrize("path", [
    [A.START, A.RECTIFY, A.VERIFY],
    [A.RECTIFY, A.VERIFY],
    [A.START, A.RECTIFY, A.REOPEN, A.START, A.RECTIFY, A.VERIFY],
    [A.RECTIFY, A.REOPEN, A.RECTIFY, A.VERIFY],
])
def test_the_life_of_a_finding(path: list[FindingAction]) -> None:
    s = F.OPEN
    for a in path:
        s = next_finding_status(s, a)
    assert s is F.VERIFIED


def test_every_illegal_step_is_refused() -> None:
    for action, (allowed, _) in FINDING_TRANSITIONS.items():
        for status in set(F) - allowed:
            with pytest.raises(Conflict) as e:
                next_finding_status(status, action)
            assert e.value.detail == {"status": status.value, "action": action.value}
    assert not any(F.VERIFIED in allowed for allowed, _ in FINDING_TRANSITIONS.values())  # verified is final


def test_nobody_verifies_their_own_fix() -> None:
    with pytest.raises(Forbidden):
        check_verifier(7, 7)
    check_verifier(7, 8)
    check_verifier(7, None)


def test_overdue_only_while_the_fix_is_awaited() -> None:
    due = 1000.0
    assert is_overdue(F.OPEN, due, due + 1) and is_overdue(F.REOPENED, due, due + 1)
    assert not is_overdue(F.OPEN, due, due)
    assert not is_overdue(F.RECTIFIED, due, due + 1) and not is_overdue(F.VERIFIED, due, due + 1)


def test_escalation_counts_thirty_days_back() -> None:
    day = 86400.0
    now = 100 * day
    assert escalation_for([now], now) == (Escalation.NONE, 1)
    assert escalation_for([now - 29 * day, now - 1, now], now) == (Escalation.REMINDER, 3)
    assert escalation_for([now - 31 * day, now - 1, now], now) == (Escalation.NONE, 2)
    assert escalation_for([now - 3, now - 2, now - 1, now], now) == (Escalation.INTERVIEW, 4)


def test_a_patrol_is_complete_when_every_item_is_answered() -> None:
    assert missing_items(["a", "b", "c"], ["c", "a"]) == ["b"]
    assert missing_items(["a"], ["a", "zzz"]) == []
