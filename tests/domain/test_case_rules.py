"""The case state machine: the path, who does what, extensions one at a time; hypothesis over any sequence."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hallops.domain.cases import MAX_EXTENSION_DAYS, CaseAction, CaseState, CaseStatus, case_step
from hallops.domain.errors import Conflict, DomainError, Forbidden, InvalidInput

M = {"is_manager": True, "is_assignee": False}
A = {"is_manager": False, "is_assignee": True}
X = {"is_manager": False, "is_assignee": False}


def test_the_path() -> None:
    s = CaseState(CaseStatus.RECEIVED)
    s = case_step(s, CaseAction.ASSIGN, note="", **M)
    s = case_step(s, CaseAction.START, note="", **A)
    s = case_step(s, CaseAction.REQUEST_EXTENSION, note="需调取档案", days=5, **A)
    assert s.extension_pending
    with pytest.raises(Conflict):
        case_step(s, CaseAction.REQUEST_EXTENSION, note="again", days=5, **A)
    with pytest.raises(Forbidden):
        case_step(s, CaseAction.APPROVE_EXTENSION, note="", **A)
    s = case_step(s, CaseAction.APPROVE_EXTENSION, note="", **M)
    assert (s.extension_pending, s.extensions) == (False, 1)
    s = case_step(s, CaseAction.REMIND, note="", **M)
    s = case_step(s, CaseAction.REPLY, note="已电话答复", **A)
    s = case_step(s, CaseAction.REOPEN, note="群众不满意", **M)
    assert s.status is CaseStatus.IN_PROGRESS
    s = case_step(s, CaseAction.REPLY, note="再次答复", **A)
    s = case_step(s, CaseAction.CLOSE, note="", **M)
    assert s.status is CaseStatus.CLOSED
    with pytest.raises(Conflict):
        case_step(s, CaseAction.REMIND, note="", **M)


def test_extension_days_just_inside_and_outside() -> None:
    s = CaseState(CaseStatus.IN_PROGRESS)
    case_step(s, CaseAction.REQUEST_EXTENSION, note="r", days=1, **A)
    case_step(s, CaseAction.REQUEST_EXTENSION, note="r", days=MAX_EXTENSION_DAYS, **A)
    for bad in (0, MAX_EXTENSION_DAYS + 1):
        with pytest.raises(InvalidInput):
            case_step(s, CaseAction.REQUEST_EXTENSION, note="r", days=bad, **A)
    with pytest.raises(InvalidInput):
        case_step(s, CaseAction.REPLY, note="  ", **A)
    with pytest.raises(Forbidden):
        case_step(s, CaseAction.REPLY, note="answer", **X)


@settings(deadline=None)  # a shared machine: no per-example time limit
@given(st.lists(st.tuples(st.sampled_from(list(CaseAction)), st.sampled_from([M, A, X]), st.sampled_from(["", "n"]),
                          st.integers(0, 40)), max_size=40))
def test_any_sequence_keeps_the_rules(steps: list[tuple[CaseAction, dict[str, bool], str, int]]) -> None:
    s = CaseState(CaseStatus.RECEIVED)
    for action, who, note, days in steps:
        try:
            new = case_step(s, action, note=note, days=days, **who)
        except DomainError:
            continue
        assert s.status is not CaseStatus.CLOSED
        assert who is not X
        if new.status is CaseStatus.CLOSED:
            assert s.status is CaseStatus.REPLIED and who is M
        if new.status is CaseStatus.REPLIED and s.status is not CaseStatus.REPLIED:
            assert s.status in (CaseStatus.ASSIGNED, CaseStatus.IN_PROGRESS) and note
        assert new.extensions - s.extensions in (0, 1)
        if new.extensions > s.extensions:
            assert s.extension_pending and who is M
        if new.extension_pending and not s.extension_pending:
            assert 1 <= days <= MAX_EXTENSION_DAYS
        s = new
