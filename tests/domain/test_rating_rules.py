"""The rating rules and the follow-up state machine: literal cases at each limit, and hypothesis properties over
any sequence of steps by anyone."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hallops.domain.errors import Conflict, DomainError, Forbidden, InvalidInput
from hallops.domain.ratings import (
    FOLLOWUP_DONE,
    FollowupAction,
    FollowupState,
    FollowupStatus,
    Level,
    RatingRules,
    check_can_rate,
    check_rater,
    check_rating,
    followup_step,
)

RULES = RatingRules(limit_minutes=60)


def test_only_a_finished_visit_within_the_limit_once() -> None:
    check_can_rate(ticket_status="done", ended_at=1000.0, now=1000.0 + 3600, rules=RULES, already=False)
    with pytest.raises(Conflict, match="时限"):
        check_can_rate(ticket_status="done", ended_at=1000.0, now=1000.0 + 3600.001, rules=RULES, already=False)
    with pytest.raises(Conflict, match="已评价"):
        check_can_rate(ticket_status="done", ended_at=1000.0, now=1001.0, rules=RULES, already=True)
    for status in ("waiting", "called", "serving", "parked", "no_show", "cancelled", "expired"):
        with pytest.raises(Conflict, match="办结"):
            check_can_rate(ticket_status=status, ended_at=1000.0, now=1001.0, rules=RULES, already=False)


def test_who_may_rate() -> None:
    check_rater("citizen", None, 7)
    check_rater("rating_pad", 7, 7)
    with pytest.raises(Forbidden, match="another"):
        check_rater("rating_pad", 8, 7)
    with pytest.raises(Forbidden):
        check_rater("rating_pad", None, 7)
    for role in ("clerk", "manager", "admin", "kiosk", "display"):
        with pytest.raises(Forbidden):
            check_rater(role, 7, 7)


def test_what_a_rating_holds() -> None:
    check_rating(Level.SATISFIED, {"efficiency": 1, "attitude": 5}, [], "")
    check_rating(Level.DISSATISFIED, {}, ["long_wait"], "")
    check_rating(Level.VERY_DISSATISFIED, {}, [], "态度差")
    with pytest.raises(InvalidInput):
        check_rating(Level.DISSATISFIED, {}, [], "   ")
    with pytest.raises(InvalidInput):
        check_rating(Level.SATISFIED, {"efficiency": 6}, [], "")
    with pytest.raises(InvalidInput):
        check_rating(Level.SATISFIED, {"speed": 3}, [], "")
    check_rating(Level.BASIC, {}, [], "x" * 500)
    with pytest.raises(InvalidInput):
        check_rating(Level.BASIC, {}, [], "x" * 501)


WORKER = {"is_manager": False, "is_responsible": True, "is_appellant": False}
MANAGER = {"is_manager": True, "is_responsible": False, "is_appellant": False}


def step(s: FollowupState, a: FollowupAction, who: dict[str, bool], **kw: str) -> FollowupState:
    return followup_step(s, a, note=kw.get("note", "说明"), way=kw.get("way", "phone"),
                         result=kw.get("result", "satisfied"), **who)


def test_the_whole_path_and_an_appeal() -> None:
    s = FollowupState(FollowupStatus.OPEN)
    for a, who, want in [(FollowupAction.VERIFY, WORKER, "verified"), (FollowupAction.RECTIFY, WORKER, "rectified"),
                         (FollowupAction.ANSWER, WORKER, "answered"), (FollowupAction.CLOSE, MANAGER, "closed")]:
        s = step(s, a, who)
        assert s.status.value == want
    s = step(FollowupState(FollowupStatus.VERIFIED), FollowupAction.APPEAL, WORKER)
    assert s == FollowupState(FollowupStatus.APPEALED, True, FollowupStatus.VERIFIED)
    assert step(s, FollowupAction.REJECT, MANAGER) == FollowupState(FollowupStatus.VERIFIED, True, None)
    assert step(s, FollowupAction.UPHOLD, MANAGER).status is FollowupStatus.VOIDED
    with pytest.raises(Forbidden):
        step(s, FollowupAction.UPHOLD, {"is_manager": True, "is_responsible": True, "is_appellant": True})
    with pytest.raises(Forbidden):
        step(FollowupState(FollowupStatus.ANSWERED), FollowupAction.CLOSE, WORKER)
    with pytest.raises(InvalidInput):
        step(FollowupState(FollowupStatus.RECTIFIED), FollowupAction.ANSWER, WORKER, way="fax")


WHO = st.sampled_from([WORKER, MANAGER, {"is_manager": False, "is_responsible": False, "is_appellant": False},
                       {"is_manager": True, "is_responsible": False, "is_appellant": True}])


@settings(deadline=None)  # a shared machine: no per-example time limit
@given(st.lists(st.tuples(st.sampled_from(list(FollowupAction)), WHO, st.sampled_from(["", "说明"])), max_size=30))
def test_any_sequence_keeps_the_rules(steps: list[tuple[FollowupAction, dict[str, bool], str]]) -> None:
    s = FollowupState(FollowupStatus.OPEN)
    appeals = 0
    seen = [s.status]
    for action, who, note in steps:
        try:
            new = followup_step(s, action, note=note, way="phone", result="satisfied", **who)
        except DomainError:
            continue
        # every accepted step was allowed to whoever took it, with a note where one is needed
        assert who["is_manager"] or who["is_responsible"]
        if action is FollowupAction.APPEAL:
            appeals += 1
            assert not who["is_manager"] and s.status in (FollowupStatus.OPEN, FollowupStatus.VERIFIED)
        if action in (FollowupAction.UPHOLD, FollowupAction.REJECT):
            assert who["is_manager"] and not who["is_appellant"] and s.status is FollowupStatus.APPEALED
        if new.status is FollowupStatus.CLOSED:
            assert s.status is FollowupStatus.ANSWERED and who["is_manager"]
        if new.status is FollowupStatus.VOIDED:
            assert action is FollowupAction.UPHOLD
        assert s.status not in FOLLOWUP_DONE  # nothing leaves closed or voided
        if action is FollowupAction.REMIND:
            assert new == s and who["is_manager"]
        s = new
        seen.append(s.status)
    assert appeals <= 1
    # answered only ever after rectified, rectified only after verified
    for a, b in itertools.pairwise(seen):
        if b is FollowupStatus.ANSWERED and a is not FollowupStatus.ANSWERED:
            assert a is FollowupStatus.RECTIFIED
        if b is FollowupStatus.RECTIFIED and a is not FollowupStatus.RECTIFIED:
            assert a is FollowupStatus.VERIFIED
