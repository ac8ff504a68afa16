"""Auto-no-show after the recall limit (domain/no_show.py): when a called ticket becomes no-show by itself."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hallops.domain.model import TicketStatus
from hallops.domain.no_show import AutoNoShow

S = TicketStatus
CALLED_AT = 1_700_000_000.0


def test_due_the_set_seconds_after_the_last_recall_and_not_a_moment_before() -> None:
    rule = AutoNoShow(recall_limit=3, seconds=30)
    assert rule.due_at(S.CALLED, 3, CALLED_AT) == 1_700_000_030.0
    assert rule.is_due(S.CALLED, 3, CALLED_AT, CALLED_AT + 29.999) is False
    assert rule.is_due(S.CALLED, 3, CALLED_AT, CALLED_AT + 30) is True
    assert rule.is_due(S.CALLED, 3, CALLED_AT, CALLED_AT + 31) is True


def test_not_before_the_last_allowed_recall() -> None:
    rule = AutoNoShow(recall_limit=3, seconds=30)
    assert rule.due_at(S.CALLED, 2, CALLED_AT) is None
    assert rule.is_due(S.CALLED, 2, CALLED_AT, CALLED_AT + 10_000) is False
    assert rule.is_due(S.CALLED, 4, CALLED_AT, CALLED_AT + 30) is True  # over the limit (limit lowered since)


def test_a_limit_of_one_is_due_after_the_first_recall() -> None:
    rule = AutoNoShow(recall_limit=1, seconds=1)
    assert rule.is_due(S.CALLED, 0, CALLED_AT, CALLED_AT + 100) is False
    assert rule.is_due(S.CALLED, 1, CALLED_AT, CALLED_AT + 1) is True


def test_off_when_the_hall_set_no_seconds_or_there_is_no_recall_limit() -> None:
    assert AutoNoShow(recall_limit=3, seconds=0).enabled is False
    assert AutoNoShow(recall_limit=0, seconds=30).enabled is False
    assert AutoNoShow(recall_limit=3, seconds=1).enabled is True
    assert AutoNoShow(recall_limit=3, seconds=0).is_due(S.CALLED, 3, CALLED_AT, CALLED_AT + 10_000) is False
    assert AutoNoShow(recall_limit=0, seconds=30).is_due(S.CALLED, 9, CALLED_AT, CALLED_AT + 10_000) is False


def test_only_a_called_ticket() -> None:
    rule = AutoNoShow(recall_limit=3, seconds=30)
    for status in (S.WAITING, S.SERVING, S.PARKED, S.DONE, S.NO_SHOW, S.CANCELLED, S.EXPIRED):
        assert rule.is_due(status, 3, CALLED_AT, CALLED_AT + 10_000) is False, status
    assert rule.is_due(S.CALLED, 3, None, CALLED_AT + 10_000) is False


@given(limit=st.integers(0, 20), seconds=st.integers(0, 1800), recalls=st.integers(0, 25),
       status=st.sampled_from(list(S)), waited=st.floats(-100_000, 100_000, allow_nan=False))
def test_due_exactly_when_called_enabled_at_the_limit_and_the_time_ran_out(
        limit: int, seconds: int, recalls: int, status: TicketStatus, waited: float) -> None:
    rule = AutoNoShow(limit, seconds)
    expected = (limit > 0 and seconds > 0 and status is S.CALLED and recalls >= limit and waited >= seconds)
    assert rule.is_due(status, recalls, CALLED_AT, CALLED_AT + waited) is expected


@given(limit=st.integers(1, 20), seconds=st.integers(1, 1800), recalls=st.integers(0, 25),
       t1=st.floats(0, 10_000, allow_nan=False), t2=st.floats(0, 10_000, allow_nan=False))
def test_once_due_it_stays_due_as_time_goes_on(limit: int, seconds: int, recalls: int, t1: float, t2: float) -> None:
    rule = AutoNoShow(limit, seconds)
    early, late = sorted((t1, t2))
    if rule.is_due(S.CALLED, recalls, CALLED_AT, CALLED_AT + early):
        assert rule.is_due(S.CALLED, recalls, CALLED_AT, CALLED_AT + late)
