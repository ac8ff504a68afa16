"""Who may act where: a hall-bound actor sees only its hall; a clerk acts only on their own window."""

from __future__ import annotations

import pytest

from hallops.domain.actors import Actor
from hallops.domain.errors import Forbidden, NotFound
from hallops.domain.model import Role


@pytest.mark.parametrize(("role", "supervisor"), [
    (Role.ADMIN, True), (Role.MANAGER, True), (Role.CLERK, False), (Role.KIOSK, False), (Role.DISPLAY, False),
])
def test_admins_and_managers_supervise(role: Role, supervisor: bool) -> None:
    assert Actor(role).is_supervisor is supervisor


def test_an_actor_bound_to_a_hall_finds_nothing_in_another() -> None:
    Actor(Role.MANAGER, hall_id=None).check_hall(3)
    Actor(Role.MANAGER, hall_id=3).check_hall(3)
    with pytest.raises(NotFound) as e:
        Actor(Role.MANAGER, hall_id=3).check_hall(4)
    assert (e.value.code, e.value.message) == ("not_found", "不存在或无权访问 (not found)")


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER])
def test_a_supervisor_acts_on_any_window(role: Role) -> None:
    Actor(role, user_id=1).check_window(9, signed_in_user_id=None)
    Actor(role, user_id=1).check_window(9, signed_in_user_id=2)


@pytest.mark.parametrize(("actor", "window", "signed_in", "allowed"), [
    (Actor(Role.CLERK, user_id=7), 9, 7, True),                   # signed in to it
    (Actor(Role.CLERK, user_id=7), 9, 8, False),                  # someone else is
    (Actor(Role.CLERK, user_id=7), 9, None, False),               # nobody is
    (Actor(Role.CLERK, window_id=9), 9, None, True),              # a token bound to this window
    (Actor(Role.CLERK, window_id=9), 8, None, False),             # ... not to that one
    (Actor(Role.CLERK, user_id=7, window_id=8), 9, 7, True),
    (Actor(Role.CLERK, user_id=None), 9, None, False),            # no user: "nobody signed in" is not a match
])
def test_a_clerk_acts_only_on_their_own_window(actor: Actor, window: int, signed_in: int | None,
                                               allowed: bool) -> None:
    if allowed:
        actor.check_window(window, signed_in)
        return
    with pytest.raises(Forbidden) as e:
        actor.check_window(window, signed_in)
    assert e.value.code == "not_your_window"
    assert e.value.message == "只能操作本人登录的窗口 (you are not signed in to this window)"


@pytest.mark.parametrize("role", [Role.KIOSK, Role.DISPLAY])
def test_devices_do_not_act_on_windows(role: Role) -> None:
    with pytest.raises(Forbidden) as e:
        Actor(role, window_id=9).check_window(9, None)
    assert (e.value.code, e.value.message) == ("forbidden", "无权操作窗口 (this role cannot act on windows)")
