"""The rules of phone ticketing as decisions: no priority from a phone, a device's and an address's hour with
mis-taps given back, who may take a ticket back, the socket limits, and which news a followed ticket hears."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallops.domain import phones
from hallops.domain.errors import Conflict, Forbidden, InvalidInput, TooManyRequests
from hallops.domain.phones import Followed, PhoneIssue, PhoneLimits

NOW = 1_000_000.0
LIMITS = PhoneLimits(per_device_hour=2, per_address_hour=3)


# -- priority and the device -----------------------------------------------------------------------------

def test_a_phone_takes_only_a_plain_ticket() -> None:
    phones.check_no_priority("none")
    for claimed in ("elderly", "disabled", "green_channel", "", "None"):
        with pytest.raises(InvalidInput) as e:
            phones.check_no_priority(claimed)
        assert e.value.code == "priority_not_on_phone" and e.value.detail == {"field": "priority"}


def test_only_a_device_the_server_named_counts() -> None:
    assert phones.check_device("abc") == "abc"
    with pytest.raises(phones.UnknownDevice) as e:
        phones.check_device(None)
    assert e.value.code == "device_unknown" and isinstance(e.value, InvalidInput)


# -- the device's and the address's hour -----------------------------------------------------------------

def test_a_cancel_within_ten_minutes_is_a_mis_tap_given_back() -> None:
    assert phones.refunded(PhoneIssue(NOW, "cancelled", NOW + 599))
    assert phones.refunded(PhoneIssue(NOW, "cancelled", NOW + 600))  # the edge is still a mis-tap
    assert not phones.refunded(PhoneIssue(NOW, "cancelled", NOW + 601))
    assert not phones.refunded(PhoneIssue(NOW, "done", NOW + 1))
    assert not phones.refunded(PhoneIssue(NOW, "no_show", NOW + 1))
    assert not phones.refunded(PhoneIssue(NOW, "waiting"))
    assert phones.counted_times([PhoneIssue(NOW - 100, "cancelled", NOW - 50), PhoneIssue(NOW - 90, "waiting"),
                                 PhoneIssue(NOW - 3000, "cancelled", NOW - 100)]) == [NOW - 90, NOW - 3000]


def test_the_device_limit_counts_the_last_hour_only() -> None:
    one = [PhoneIssue(NOW - 100, "waiting")]
    phones.check_issue(one, [], NOW, LIMITS)  # 1 of 2: one more fits
    two = [PhoneIssue(NOW - 100, "waiting"), PhoneIssue(NOW - 3599, "done", NOW - 3000)]
    with pytest.raises(TooManyRequests) as e:
        phones.check_issue(two, [], NOW, LIMITS)
    assert e.value.code == "rate_limited" and e.value.detail["scope"] == "device"
    assert e.value.detail["retry_after"] == 1 and e.value.detail["limit"] == 2
    # A second later the older one has left the hour.
    phones.check_issue(two, [], NOW + 1, LIMITS)


def test_a_mis_tap_does_not_use_up_the_phone() -> None:
    issues = [PhoneIssue(NOW - 100, "waiting"), PhoneIssue(NOW - 200, "cancelled", NOW - 150)]
    phones.check_issue(issues, [], NOW, LIMITS)
    kept = [PhoneIssue(NOW - 100, "waiting"), PhoneIssue(NOW - 2000, "cancelled", NOW - 1000)]
    with pytest.raises(TooManyRequests):
        phones.check_issue(kept, [], NOW, LIMITS)


def test_the_address_limit_counts_every_phone_behind_it() -> None:
    phones.check_issue([], [NOW - 1, NOW - 2], NOW, LIMITS)  # 2 of 3
    with pytest.raises(TooManyRequests) as e:
        phones.check_issue([], [NOW - 1, NOW - 2, NOW - 3], NOW, LIMITS)
    assert e.value.detail["scope"] == "address" and e.value.detail["limit"] == 3


def test_the_device_is_named_first_when_both_limits_bite() -> None:
    full = [PhoneIssue(NOW - 1, "waiting"), PhoneIssue(NOW - 2, "waiting")]
    with pytest.raises(TooManyRequests) as e:
        phones.check_issue(full, [NOW - 1, NOW - 2, NOW - 3], NOW, LIMITS)
    assert e.value.detail["scope"] == "device"


def test_phone_tickets_switched_off_allow_none() -> None:
    off = PhoneLimits(per_device_hour=2, per_address_hour=3, enabled=False)
    with pytest.raises(TooManyRequests) as e:
        phones.check_issue([], [], NOW, off)
    assert e.value.code == "mobile_disabled"
    with pytest.raises(TooManyRequests) as e:
        phones.check_issue([], [], NOW, PhoneLimits(per_device_hour=0, per_address_hour=3))
    assert e.value.code == "mobile_disabled"


@given(st.lists(st.tuples(st.floats(0, 3599), st.sampled_from(["waiting", "cancelled", "done"]),
                          st.floats(0, 1200)), max_size=6),
       st.integers(1, 5))
def test_a_phone_gets_a_ticket_exactly_while_its_counted_hour_is_under_the_limit(
        rows: list[tuple[float, str, float]], per_hour: int) -> None:
    issues = [PhoneIssue(NOW - ago, status, NOW - ago + later if status != "waiting" else None)
              for ago, status, later in rows]
    counted = sum(1 for i in issues if not (i.status == "cancelled" and i.ended_at is not None
                                            and i.ended_at - i.at <= 600))
    limits = PhoneLimits(per_device_hour=per_hour, per_address_hour=10_000)
    if counted < per_hour:
        phones.check_issue(issues, [], NOW, limits)
    else:
        with pytest.raises(TooManyRequests):
            phones.check_issue(issues, [], NOW, limits)


# -- taking a ticket back ----------------------------------------------------------------------------------

def test_only_the_phone_that_took_it_may_take_it_back() -> None:
    assert phones.may_cancel("dev1", "dev1")
    assert not phones.may_cancel("dev1", "dev2")
    assert not phones.may_cancel("dev1", None)
    assert not phones.may_cancel(None, "dev1")  # a kiosk ticket: no phone took it
    assert not phones.may_cancel(None, None)
    with pytest.raises(Forbidden) as e:
        phones.check_cancel(None, None, "waiting", [], NOW)
    assert e.value.code == "not_your_ticket"


def test_a_ticket_no_longer_waiting_is_not_taken_back() -> None:
    for status in ("called", "serving", "parked", "done", "cancelled"):
        with pytest.raises(Conflict) as e:
            phones.check_cancel("d", "d", status, [], NOW)
        assert e.value.code == "ticket_not_waiting" and e.value.detail == {"status": status}


def test_two_cancels_an_hour_then_the_phone_waits() -> None:
    phones.check_cancel("d", "d", "waiting", [NOW - 10], NOW)  # the second cancel of the hour
    with pytest.raises(TooManyRequests) as e:
        phones.check_cancel("d", "d", "waiting", [NOW - 10, NOW - 1000], NOW)
    assert e.value.code == "cancel_limited" and e.value.detail["retry_after"] == 2600
    phones.check_cancel("d", "d", "waiting", [NOW - 10, NOW - 3600], NOW)  # the older one has left the hour


# -- live sockets ------------------------------------------------------------------------------------------

def test_a_ticket_holds_three_sockets_and_an_address_thirty() -> None:
    assert phones.SOCKETS_PER_TICKET == 3 and phones.SOCKETS_PER_ADDRESS == 30
    assert phones.socket_refusal(2, 29) is None
    assert phones.socket_refusal(3, 0) == "too many connections for this ticket"
    assert phones.socket_refusal(0, 30) == "too many connections from this address"
    assert phones.socket_refusal(3, 30) == "too many connections for this ticket"
    assert phones.socket_refusal(1, 1, per_ticket=1, per_address=5) == "too many connections for this ticket"
    assert phones.socket_refusal(0, 4, per_ticket=1, per_address=5) is None


# -- which news a followed ticket hears --------------------------------------------------------------------

def _mine() -> Followed:
    return Followed(id=7, queue_id=2, queue="A", windows=frozenset({11, 12}))


def test_its_own_events_always_count() -> None:
    for t in ("ticket.called", "ticket.recalled", "ticket.started", "ticket.parked", "ticket.no_show"):
        assert phones.concerns(_mine(), t, {"ticket": {"id": 7, "queue_id": 2}})


def test_others_of_its_queue_count_only_when_they_move_the_line_or_end_a_service() -> None:
    other = {"ticket": {"id": 8, "queue_id": 2}}
    for t in ("ticket.issued", "ticket.called", "ticket.transferred", "ticket.cancelled", "ticket.finished",
              "ticket.expired"):
        assert phones.concerns(_mine(), t, other), t
    for t in ("ticket.started", "ticket.recalled", "ticket.parked", "ticket.no_show"):
        assert not phones.concerns(_mine(), t, other), t
    assert not phones.concerns(_mine(), "ticket.issued", {"ticket": {"id": 9, "queue_id": 3}})


def test_a_ticket_that_left_its_queue_counts() -> None:
    left = {"ticket": {"id": 8, "queue_id": 3}, "from": {"queue": "A"}}
    assert phones.concerns(_mine(), "ticket.transferred", left)
    assert not phones.concerns(_mine(), "ticket.transferred", left | {"from": {"queue": "B"}})


def test_only_the_windows_serving_its_queue_count_and_the_days_close() -> None:
    assert phones.concerns(_mine(), "window.paused", {"window": {"id": 11}})
    assert not phones.concerns(_mine(), "window.paused", {"window": {"id": 13}})
    assert not phones.concerns(_mine(), "window.paused", {})
    assert phones.concerns(_mine(), "day.closed", {"expired": 3})
    assert not phones.concerns(_mine(), "hall.citizen_settings", {"settings": {}})


def test_after_a_transfer_every_ticket_and_window_of_the_hall_counts() -> None:
    mine = _mine()
    mine.transferred({"id": 7, "queue_id": 5, "queue": "C"})
    assert (mine.queue_id, mine.queue, mine.wide) == (5, "C", True)
    assert phones.concerns(mine, "ticket.issued", {"ticket": {"id": 9, "queue_id": 1}})
    assert phones.concerns(mine, "window.opened", {"window": {"id": 99}})
    assert not phones.concerns(mine, "ticket.started", {"ticket": {"id": 9, "queue_id": 1}})


# -- what a phone is told with a status --------------------------------------------------------------------

def test_a_phone_is_told_of_each_own_event_once() -> None:
    called = {"seq": 41, "type": "ticket.called"}
    assert phones.untold(called, 40) == "ticket.called"
    assert phones.untold(called, 41) is None  # told already: a later read of the same call says nothing
    assert phones.untold(called, 42) is None
    assert phones.untold({"seq": 45, "type": "ticket.recalled"}, 41) == "ticket.recalled"
    assert phones.untold(None, -1) is None  # no event names the ticket yet


WAITING_OWN = {"number": "A012", "status": "waiting", "queue": "A", "queue_name": "综合", "queue_name_en": "General",
               "issued_at": "2026-12-02T01:00:00.000Z", "people_ahead": 0, "position": 0, "estimated_wait": None,
               "window": None, "window_name": None, "called_at": None, "hall_id": 1, "wait_zh": "", "wait_en": "",
               "own_event": {"seq": 3, "type": "ticket.issued"}}
CALL = {"ticket": {"id": 7, "status": "called", "window": 5},
        "window": {"id": 50, "number": 5, "name": "五号窗口", "name_en": "Window 5", "area": "一楼"}}


def test_a_call_gives_the_called_status_without_a_read() -> None:
    called = phones.status_after(WAITING_OWN, 9, "ticket.called", "2026-12-02T02:00:00.000Z", CALL)
    assert called == WAITING_OWN | {
        "status": "called", "window": 5, "window_name": "五号窗口", "window_name_en": "Window 5",
        "called_at": "2026-12-02T02:00:00.000Z", "own_event": {"seq": 9, "type": "ticket.called"}}
    recalled = phones.status_after(called, 11, "ticket.recalled", "2026-12-02T02:01:00.000Z", CALL)
    assert recalled is not None and recalled["called_at"] == "2026-12-02T02:01:00.000Z"
    assert recalled["own_event"] == {"seq": 11, "type": "ticket.recalled"}


def test_a_start_a_finish_a_park_a_no_show_and_a_cancel_change_only_the_status() -> None:
    at = "2026-12-02T02:05:00.000Z"
    called = phones.status_after(WAITING_OWN, 9, "ticket.called", "2026-12-02T02:00:00.000Z", CALL)
    assert called is not None
    ticket = {"id": 7, "window": 5}
    serving = phones.status_after(called, 10, "ticket.started", at,
                                  {"ticket": ticket | {"status": "serving"}, "was": "called"})
    assert serving == called | {"status": "serving", "own_event": {"seq": 10, "type": "ticket.started"}}
    parked = phones.status_after(serving, 11, "ticket.parked", at, {"ticket": ticket | {"status": "parked"},
                                                                    "was": "serving"})
    assert parked is not None and (parked["status"], parked["window"]) == ("parked", 5)
    done = phones.status_after(serving, 12, "ticket.finished", at, {"ticket": ticket | {"status": "done"},
                                                                    "was": "serving", "items": []})
    assert done is not None and (done["status"], done["window_name_en"], done["called_at"]) == (
        "done", "Window 5", "2026-12-02T02:00:00.000Z")
    missed = phones.status_after(called, 13, "ticket.no_show", at, {"ticket": ticket | {"status": "no_show"},
                                                                    "was": "called"})
    assert missed is not None and missed["status"] == "no_show"
    placed = WAITING_OWN | {"people_ahead": 4, "position": 5, "estimated_wait": {"low_minutes": 5, "high_minutes": 15},
                            "wait_zh": "约 5–15 分钟", "wait_en": "about 5–15 min"}
    cancelled = phones.status_after(placed, 14, "ticket.cancelled", at, {
        "ticket": {"id": 7, "window": None, "status": "cancelled"}, "was": "waiting"})
    assert cancelled == WAITING_OWN | {"status": "cancelled", "own_event": {"seq": 14, "type": "ticket.cancelled"}}


def test_what_the_event_cannot_say_needs_a_read() -> None:
    at = "2026-12-02T02:00:00.000Z"
    assert phones.status_after(None, 9, "ticket.called", at, CALL) is None  # nothing read yet
    assert phones.status_after(WAITING_OWN, 9, "ticket.started", at, CALL) is None
    no_name_en = {**CALL, "window": {k: v for k, v in CALL["window"].items() if k != "name_en"}}
    assert phones.status_after(WAITING_OWN, 9, "ticket.called", at, no_name_en) is None  # an older event's shape
    assert phones.status_after(WAITING_OWN, 9, "ticket.called", at, {**CALL, "window": None}) is None
    assert phones.status_after(WAITING_OWN, 9, "ticket.called", at,
                                {**CALL, "ticket": {"id": 7, "status": "serving"}}) is None
    serving = {"ticket": {"id": 7, "window": None, "status": "serving"}, "was": "called"}
    assert phones.status_after(WAITING_OWN, 9, "ticket.started", at, serving) is None  # it was not called
    assert phones.status_after(WAITING_OWN | {"status": "called"}, 9, "ticket.started", at,
                               {**serving, "was": None}) is None  # no "was": the auto no-show's shape
    moved = {"ticket": {"id": 7, "window": None, "status": "waiting", "queue": "B"}, "was": "waiting"}
    assert phones.status_after(WAITING_OWN, 9, "ticket.transferred", at, moved) is None  # a new queue: read
    elsewhere = {"ticket": {"id": 7, "window": 6, "status": "serving"}, "was": "called"}
    assert phones.status_after(WAITING_OWN | {"status": "called", "window": 5}, 9, "ticket.started", at,
                               elsewhere) is None
