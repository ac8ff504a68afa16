import pytest

from hallops.domain.errors import Conflict
from hallops.domain.model import TicketStatus as S
from hallops.domain.tickets import TRANSITIONS, Action, check_recall, next_status


@pytest.mark.parametrize(("start", "actions", "end"), [
    (S.WAITING, [Action.CALL, Action.START, Action.FINISH], S.DONE),
    (S.WAITING, [Action.CALL, Action.RECALL, Action.RECALL, Action.NO_SHOW], S.NO_SHOW),
    (S.WAITING, [Action.CALL, Action.START, Action.PARK, Action.CALL_BACK, Action.START, Action.FINISH], S.DONE),
    (S.WAITING, [Action.CALL, Action.START, Action.TRANSFER, Action.CALL], S.CALLED),
    (S.WAITING, [Action.CANCEL], S.CANCELLED),
    (S.PARKED, [Action.EXPIRE], S.EXPIRED),
])
def test_the_life_of_a_ticket(start: S, actions: list[Action], end: S) -> None:
    s = start
    for a in actions:
        s = next_status(s, a)
    assert s is end


def test_every_illegal_move_is_refused_with_both_names() -> None:
    for action, (allowed, _) in TRANSITIONS.items():
        for status in set(S) - allowed:
            with pytest.raises(Conflict) as e:
                next_status(status, action)
            assert e.value.code == "illegal_transition"
            assert e.value.detail == {"status": status.value, "action": action.value}


def test_final_states_allow_nothing() -> None:
    for status in (S.DONE, S.NO_SHOW, S.CANCELLED, S.EXPIRED):
        for action in Action:
            with pytest.raises(Conflict):
                next_status(status, action)


def test_recall_limit() -> None:
    check_recall(2, 3)
    check_recall(50, 0)  # 0: no limit
    with pytest.raises(Conflict) as e:
        check_recall(3, 3)
    assert e.value.code == "recall_limit_reached"
