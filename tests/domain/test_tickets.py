"""The ticket's state machine, stated here in full: every status × every action, and what comes of it.

The table is written out by hand on purpose; it is the rule. A change to `tickets.TRANSITIONS` that is not
also made here is a change of behaviour that someone must decide on.
"""

import pytest

from hallops.domain.errors import Conflict, DomainError
from hallops.domain.model import TicketStatus as S
from hallops.domain.tickets import Action, check_recall, next_status

# Rows: the action; columns: the status it is tried on; a cell: the status after it, "-" when refused.
TABLE = """
              waiting    called     serving    parked     done  no_show  cancelled  expired
call          called     -          -          -          -     -        -          -
recall        -          called     -          -          -     -        -          -
start         -          serving    -          -          -     -        -          -
park          -          -          parked     -          -     -        -          -
call_back     -          -          -          called     -     -        -          -
finish        -          -          done       -          -     -        -          -
no_show       -          no_show    -          -          -     -        -          -
transfer      waiting    waiting    waiting    waiting    -     -        -          -
cancel        cancelled  cancelled  -          -          -     -        -          -
expire        expired    expired    -          expired    -     -        -          -
"""


def _cells() -> list[tuple[S, Action, S | None]]:
    header, *rows = [line.split() for line in TABLE.strip().splitlines()]
    return [(S(status), Action(row[0]), None if cell == "-" else S(cell))
            for row in rows for status, cell in zip(header, row[1:], strict=True)]


CELLS = _cells()


def test_the_table_covers_every_status_and_every_action() -> None:
    assert {(s, a) for s, a, _ in CELLS} == {(s, a) for s in S for a in Action}
    assert len(CELLS) == 8 * 10


@pytest.mark.parametrize(("status", "action", "after"), CELLS, ids=lambda v: str(v) if v else "refused")
def test_every_status_and_action(status: S, action: Action, after: S | None) -> None:
    if after is not None:
        assert next_status(status, action) is after
        return
    with pytest.raises(Conflict) as e:
        next_status(status, action)
    assert e.value.code == "illegal_transition"
    assert e.value.detail == {"status": status.value, "action": action.value}


@pytest.mark.parametrize(("status", "action", "message"), [
    (S.DONE, Action.CALL, "号票状态为“已办结”，不能呼叫 (cannot call a ticket that is done)"),
    (S.WAITING, Action.RECALL, "号票状态为“等候中”，不能重呼 (cannot recall a ticket that is waiting)"),
    (S.PARKED, Action.START, "号票状态为“挂起”，不能开始办理 (cannot start a ticket that is parked)"),
    (S.CALLED, Action.PARK, "号票状态为“已呼叫”，不能挂起 (cannot park a ticket that is called)"),
    (S.SERVING, Action.CALL_BACK, "号票状态为“办理中”，不能回呼 (cannot call_back a ticket that is serving)"),
    (S.NO_SHOW, Action.FINISH, "号票状态为“过号”，不能办结 (cannot finish a ticket that is no_show)"),
    (S.WAITING, Action.NO_SHOW, "号票状态为“等候中”，不能过号 (cannot no_show a ticket that is waiting)"),
    (S.CANCELLED, Action.TRANSFER, "号票状态为“已取消”，不能转移 (cannot transfer a ticket that is cancelled)"),
    (S.SERVING, Action.CANCEL, "号票状态为“办理中”，不能取消 (cannot cancel a ticket that is serving)"),
    (S.EXPIRED, Action.EXPIRE, "号票状态为“已过期”，不能过期 (cannot expire a ticket that is expired)"),
])
def test_a_refusal_names_the_status_and_the_action_in_both_languages(status: S, action: Action,
                                                                    message: str) -> None:
    with pytest.raises(Conflict) as e:
        next_status(status, action)
    assert e.value.message == message and str(e.value) == message


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


def test_final_states_allow_nothing() -> None:
    for status in (S.DONE, S.NO_SHOW, S.CANCELLED, S.EXPIRED):
        for action in Action:
            with pytest.raises(Conflict):
                next_status(status, action)


@pytest.mark.parametrize(("count", "limit", "refused"), [
    (0, 3, False), (2, 3, False), (3, 3, True), (4, 3, True),
    (0, 1, False), (1, 1, True),
    (0, 0, False), (50, 0, False),  # 0: no limit
])
def test_recall_limit_at_and_around_it(count: int, limit: int, refused: bool) -> None:
    if not refused:
        check_recall(count, limit)
        return
    with pytest.raises(Conflict) as e:
        check_recall(count, limit)
    assert e.value.code == "recall_limit_reached" and e.value.detail == {"limit": limit}


def test_recall_limit_message() -> None:
    with pytest.raises(Conflict) as e:
        check_recall(3, 3)
    assert e.value.message == "已重呼 3 次，达到上限，请标记过号 (recall limit of 3 reached; mark no-show)"


def test_a_domain_error_carries_its_code_message_and_detail() -> None:
    e = DomainError("some_code", "中文 (English)", field="x")
    assert (e.code, e.message, e.detail, str(e)) == ("some_code", "中文 (English)", {"field": "x"}, "中文 (English)")
