"""Who may act on a window and what its state allows (the rules added to domain/windows.py), and who may act
on a ticket away from any window (domain/ticket_access.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallops.domain.actors import Actor
from hallops.domain.errors import Conflict, DomainError, Forbidden, InvalidInput
from hallops.domain.model import Role, TicketStatus, WindowState
from hallops.domain.ticket_access import AT_WINDOW, check_off_window, stands_at_window
from hallops.domain.tickets import Action
from hallops.domain.windows import (
    WindowLoad,
    check_window_actor,
    clerk_on_open,
    pause_reason,
    require_clerk_free,
    require_closable,
    require_idle,
    require_may_call_back,
    require_open_for_calls,
)

S = TicketStatus
W = WindowState
CLERK = Actor(Role.CLERK, user_id=7)
BOUND_CLERK = Actor(Role.CLERK, user_id=7, window_id=3)
MANAGER = Actor(Role.MANAGER, user_id=2)
ADMIN = Actor(Role.ADMIN, user_id=1)


def code(fn, *args) -> str | None:  # type: ignore[no-untyped-def]
    try:
        fn(*args)
    except DomainError as e:
        return e.code
    return None


# -- who acts on a window ----------------------------------------------------------------------------------

def test_a_clerk_acts_only_on_the_window_they_are_signed_in_to_or_bound_to() -> None:
    assert code(check_window_actor, CLERK, 3, 7) is None
    assert code(check_window_actor, CLERK, 3, 8) == "not_your_window"
    assert code(check_window_actor, CLERK, 3, None) == "not_your_window"
    assert code(check_window_actor, BOUND_CLERK, 3, None) is None
    assert code(check_window_actor, BOUND_CLERK, 4, None) == "not_your_window"


def test_supervisors_act_on_any_window_and_devices_on_none() -> None:
    assert code(check_window_actor, MANAGER, 3, 8) is None
    assert code(check_window_actor, ADMIN, 3, None) is None
    assert code(check_window_actor, Actor(Role.KIOSK), 3, None) == "forbidden"
    assert code(check_window_actor, Actor(Role.DISPLAY), 3, 7) == "forbidden"


def test_a_clerk_opening_a_window_signs_in_themselves() -> None:
    assert clerk_on_open(CLERK, 3, None) == 7
    assert clerk_on_open(CLERK, 3, 99) == 7  # a clerk cannot name someone else
    assert clerk_on_open(BOUND_CLERK, 3, None) == 7
    with pytest.raises(Forbidden) as e:
        clerk_on_open(BOUND_CLERK, 4, None)
    assert e.value.code == "not_your_window"


def test_a_supervisor_opens_for_the_clerk_named_or_for_nobody() -> None:
    assert clerk_on_open(MANAGER, 3, 11) == 11
    assert clerk_on_open(MANAGER, 3, None) is None
    assert clerk_on_open(ADMIN, 3, 12) == 12


def test_devices_may_not_open_windows() -> None:
    for role in (Role.KIOSK, Role.DISPLAY):
        with pytest.raises(Forbidden) as e:
            clerk_on_open(Actor(role), 3, None)
        assert e.value.code == "forbidden"


def test_a_clerk_signed_in_elsewhere_may_not_open_another_window() -> None:
    require_clerk_free(None)
    with pytest.raises(Conflict) as e:
        require_clerk_free(5)
    assert e.value.code == "clerk_elsewhere" and "5" in e.value.message


# -- what the window's state allows ------------------------------------------------------------------------

def test_only_an_open_window_calls() -> None:
    assert code(require_open_for_calls, W.OPEN) is None
    assert code(require_open_for_calls, W.PAUSED) == "window_not_open"
    assert code(require_open_for_calls, W.CLOSED) == "window_not_open"


def test_a_parked_ticket_is_called_back_unless_the_window_closed() -> None:
    assert code(require_may_call_back, W.OPEN) is None
    assert code(require_may_call_back, W.PAUSED) is None
    assert code(require_may_call_back, W.CLOSED) == "window_not_open"


def test_a_window_with_a_ticket_at_it_is_busy() -> None:
    require_idle(None, None)
    with pytest.raises(Conflict) as e:
        require_idle(42, "A007")
    assert e.value.code == "window_busy" and "A007" in e.value.message and e.value.detail == {"ticket_id": 42}


def test_a_pause_needs_a_reason() -> None:
    assert pause_reason("  午间休息 ") == "午间休息"
    for raw in (None, "", "   ", "\n"):
        with pytest.raises(InvalidInput) as e:
            pause_reason(raw)
        assert e.value.code == "reason_required"


def test_a_window_closes_only_when_empty() -> None:
    require_closable(WindowLoad())
    assert code(require_closable, WindowLoad(current_ticket_id=1, current_number="A001")) == "window_busy"
    assert code(require_closable, WindowLoad(parked_number="A002")) == "tickets_parked"
    assert code(require_closable, WindowLoad(held=1, held_first="B003")) == "tickets_waiting_for_window"
    # The ticket at the window is named first, then parked ones, then those transferred to it.
    assert code(require_closable, WindowLoad(current_ticket_id=1, parked_number="A2", held=3)) == "window_busy"
    assert code(require_closable, WindowLoad(parked_number="A2", held=3, held_first="B1")) == "tickets_parked"


@given(current=st.one_of(st.none(), st.integers(1, 10**6)), parked=st.one_of(st.none(), st.text(min_size=1)),
       held=st.integers(0, 500))
def test_closable_exactly_when_nothing_stands_at_the_window(current: int | None, parked: str | None,
                                                             held: int) -> None:
    load = WindowLoad(current_ticket_id=current, current_number=None, parked_number=parked, held=held,
                      held_first="X001" if held else None)
    empty = current is None and parked is None and held == 0
    assert (code(require_closable, load) is None) is empty


# -- a ticket away from any window -------------------------------------------------------------------------

def test_a_ticket_stands_at_its_window_while_called_served_or_parked() -> None:
    assert AT_WINDOW == frozenset({S.CALLED, S.SERVING, S.PARKED})
    assert stands_at_window(S.CALLED, 3) and stands_at_window(S.PARKED, 3) and stands_at_window(S.SERVING, 3)
    assert not stands_at_window(S.WAITING, 3)
    assert not stands_at_window(S.CALLED, None)
    assert not stands_at_window(S.DONE, 3)


def test_a_clerk_may_not_cancel_or_transfer_a_waiting_ticket() -> None:
    assert code(check_off_window, CLERK, S.WAITING, Action.CANCEL) == "not_your_ticket"
    assert code(check_off_window, CLERK, S.WAITING, Action.TRANSFER) == "not_your_ticket"
    assert code(check_off_window, MANAGER, S.WAITING, Action.CANCEL) is None
    assert code(check_off_window, ADMIN, S.WAITING, Action.TRANSFER) is None


def test_off_a_window_only_cancel_and_transfer_can_be_legal() -> None:
    for action in (Action.RECALL, Action.START, Action.PARK, Action.CALL_BACK, Action.FINISH, Action.NO_SHOW):
        assert code(check_off_window, MANAGER, S.WAITING, action) == "illegal_transition", action
        assert code(check_off_window, CLERK, S.WAITING, action) == "illegal_transition", action
