"""What a clerk reads when a window refuses: each refusal of windows.py with its code, words and detail."""

from __future__ import annotations

import pytest

from hallops.domain.actors import Actor
from hallops.domain.errors import Conflict, Forbidden, InvalidInput
from hallops.domain.model import Role
from hallops.domain.model import WindowState as W
from hallops.domain.windows import (
    WindowLoad,
    clerk_on_open,
    pause_reason,
    require_clerk_free,
    require_closable,
    require_idle,
    require_may_call_back,
)


def test_who_is_signed_in_once_a_window_opens() -> None:
    assert clerk_on_open(Actor(Role.CLERK, user_id=7), 3, named_clerk_id=9) == 7
    assert clerk_on_open(Actor(Role.CLERK, user_id=7, window_id=3), 3, None) == 7
    assert clerk_on_open(Actor(Role.MANAGER, user_id=1), 3, named_clerk_id=9) == 9
    assert clerk_on_open(Actor(Role.ADMIN, user_id=1), 3, named_clerk_id=None) is None
    with pytest.raises(Forbidden) as e:
        clerk_on_open(Actor(Role.CLERK, user_id=7, window_id=4), 3, None)
    assert (e.value.code, e.value.message) == ("not_your_window",
                                               "该令牌绑定其他窗口 (this token is bound to another window)")
    with pytest.raises(Forbidden) as e:
        clerk_on_open(Actor(Role.KIOSK), 3, None)
    assert (e.value.code, e.value.message) == ("forbidden", "无权开启窗口 (this role cannot open windows)")


def test_a_clerk_is_signed_in_at_one_window_at_a_time() -> None:
    require_clerk_free(None)
    with pytest.raises(Conflict) as e:
        require_clerk_free(5)
    assert (e.value.code, e.value.message) == ("clerk_elsewhere",
                                               "该工作人员已登录 5 号窗口，请先关闭 (already signed in at window 5)")


@pytest.mark.parametrize(("raw", "reason"), [(" 午休 ", "午休"), ("取资料", "取资料"), (12, "12")])
def test_a_pause_says_why(raw: object, reason: str) -> None:
    assert pause_reason(raw) == reason


@pytest.mark.parametrize("raw", [None, "", "   ", 0])
def test_a_pause_without_a_reason_is_refused(raw: object) -> None:
    with pytest.raises(InvalidInput) as e:
        pause_reason(raw)
    assert (e.value.code, e.value.message) == ("reason_required", "请填写暂停原因 (a reason is required to pause)")


def test_a_window_calls_only_when_nobody_stands_at_it() -> None:
    require_idle(None, None)
    with pytest.raises(Conflict) as e:
        require_idle(41, "A012")
    assert (e.value.code, e.value.detail) == ("window_busy", {"ticket_id": 41})
    assert e.value.message == "当前号票 A012 尚未办结，请先办结、过号或转移 (window still has ticket A012)"
    with pytest.raises(Conflict) as e:
        require_idle(41, None)
    assert e.value.message == "当前号票 ? 尚未办结，请先办结、过号或转移 (window still has ticket ?)"


@pytest.mark.parametrize("state", [W.OPEN, W.PAUSED])
def test_a_parked_ticket_comes_back_to_an_open_or_paused_window(state: W) -> None:
    require_may_call_back(state)


def test_never_to_a_closed_one() -> None:
    with pytest.raises(Conflict) as e:
        require_may_call_back(W.CLOSED)
    assert (e.value.code, e.value.message) == ("window_not_open", "窗口已关闭，不能回呼 (window is closed)")


def test_a_window_closes_empty() -> None:
    require_closable(WindowLoad())
    with pytest.raises(Conflict) as e:
        require_closable(WindowLoad(current_ticket_id=41, current_number="A012", parked_number="A003", held=2))
    assert e.value.code == "window_busy" and "A012" in e.value.message
    with pytest.raises(Conflict) as e:
        require_closable(WindowLoad(parked_number="A003", held=2))
    assert (e.value.code, e.value.message) == ("tickets_parked", "窗口仍有挂起的号票 A003，请先回呼或转移 "
                                                                 "(ticket A003 is parked here)")
    with pytest.raises(Conflict) as e:
        require_closable(WindowLoad(held=2, held_first="B007"))
    assert (e.value.code, e.value.detail) == ("tickets_waiting_for_window", {"count": 2})
    assert e.value.message == ("有 2 张号票（如 B007）转至本窗口等候，请先叫号或转到其他窗口 "
                               "(2 tickets were transferred to this window and wait for it)")
