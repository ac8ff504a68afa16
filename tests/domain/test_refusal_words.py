"""The words of the phone, ticket-access and transfer refusals, and where a transfer to an empty line goes."""

from __future__ import annotations

import pytest

from hallops.domain.actors import Actor
from hallops.domain.errors import Conflict, Forbidden, InvalidInput
from hallops.domain.model import Role, TransferPlacement
from hallops.domain.model import TicketStatus as S
from hallops.domain.phones import UnknownDevice, check_cancel, check_device, check_no_priority
from hallops.domain.ticket_access import check_off_window
from hallops.domain.tickets import Action
from hallops.domain.transfers import place, transfer_request


def test_a_phone_the_server_did_not_name() -> None:
    assert check_device("dev-1") == "dev-1"
    with pytest.raises(UnknownDevice) as e:
        check_device(None)
    assert (e.value.code, e.value.message) == ("device_unknown",
                                               "请扫码打开取号页面后再取号 (open the hall's ticket page first)")


def test_no_priority_from_a_phone() -> None:
    check_no_priority("none")
    with pytest.raises(InvalidInput) as e:
        check_no_priority("elderly")
    assert (e.value.code, e.value.detail) == ("priority_not_on_phone", {"field": "priority"})
    assert e.value.message == ("手机取号不能选择优先；老年人、残疾人优先请到自助取号机或服务台 "
                               "(priority is given at a kiosk or the help desk, not on the phone)")


def test_only_the_phone_that_took_a_waiting_ticket_cancels_it() -> None:
    check_cancel("dev-1", "dev-1", "waiting", [], 1000.0)
    with pytest.raises(Forbidden) as e:
        check_cancel("dev-1", "dev-2", "waiting", [], 1000.0)
    assert (e.value.code, e.value.message) == ("not_your_ticket", "只能在取号的手机上取消；如需帮助请到服务台 "
                                               "(only the phone that took this ticket can cancel it)")
    with pytest.raises(Conflict) as e:
        check_cancel("dev-1", "dev-1", "called", [], 1000.0)
    assert (e.value.code, e.value.detail) == ("ticket_not_waiting", {"status": "called"})
    assert e.value.message == "号票已叫号或已结束，不能取消 (the ticket is no longer waiting)"


def test_a_clerk_does_not_reach_into_a_line() -> None:
    check_off_window(Actor(Role.MANAGER, user_id=1), S.WAITING, Action.CANCEL)
    with pytest.raises(Forbidden) as e:
        check_off_window(Actor(Role.CLERK, user_id=7), S.WAITING, Action.TRANSFER)
    assert (e.value.code, e.value.message) == ("not_your_ticket",
                                               "只能操作本窗口的号票 (this ticket is not at your window)")


def test_a_transfer_names_a_target() -> None:
    with pytest.raises(InvalidInput) as e:
        transfer_request({"placement": "front"})
    assert (e.value.code, e.value.message) == ("transfer_target_missing",
                                               "请指定转移到的业务或窗口 (give a queue or a window)")


@pytest.mark.parametrize("boost", [0.0, 3600.0])
def test_a_transfer_to_the_end_of_an_empty_line_is_placed_now(boost: float) -> None:
    # Nobody waits there: the ticket's key (sort_at − boost) is now − boost + a step, so sort_at ≈ now.
    assert place(TransferPlacement.END, now=1000.0, issued_at=0.0, boost=boost, first=None, last=None) == (
        pytest.approx(1000.001))
