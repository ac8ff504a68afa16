"""The call-next keys worked out by hand: boosts per class, the rank of a transferred ticket, the bound."""

from __future__ import annotations

import pytest

from hallops.domain.model import Priority
from hallops.domain.policy import (
    BOOST_CLASSES,
    Candidate,
    PolicyParams,
    boost_class,
    choose_next,
    pass_over_bound,
    queue_key,
    window_key,
)

P = PolicyParams(aging_step=300, priority_boost=3600, appointment_boost=1800)


def test_the_default_parameters() -> None:
    assert PolicyParams() == PolicyParams(aging_step=300.0, priority_boost=3600.0, appointment_boost=1800.0)


@pytest.mark.parametrize(("priority", "appointment", "cls", "boost"), [
    (Priority.NONE, False, 0, 0.0),
    (Priority.ELDERLY, False, 1, 3600.0),
    (Priority.DISABLED, False, 1, 3600.0),
    (Priority.GREEN_CHANNEL, False, 1, 3600.0),
    (Priority.NONE, True, 2, 1800.0),
    (Priority.ELDERLY, True, 3, 3600.0),  # both: the larger boost, not the sum
])
def test_boost_by_class(priority: Priority, appointment: bool, cls: int, boost: float) -> None:
    assert boost_class(priority, appointment) == cls
    assert P.boost(priority, appointment) == boost


def test_an_appointment_boost_larger_than_the_priority_boost_wins_for_both() -> None:
    p = PolicyParams(aging_step=300, priority_boost=600, appointment_boost=1800)
    assert p.class_boost(3) == 1800 and p.class_boost(1) == 600 and p.class_boost(0) == 0
    assert BOOST_CLASSES == (0, 1, 2, 3)


def test_queue_key_is_arrival_minus_boost_then_id() -> None:
    assert queue_key(Candidate(7, 10, 5000.0), P) == (5000.0, 7)
    assert queue_key(Candidate(7, 10, 5000.0, Priority.ELDERLY), P) == (1400.0, 7)
    assert queue_key(Candidate(7, 10, 5000.0, Priority.NONE, True), P) == (3200.0, 7)


def test_window_key_adds_one_aging_step_per_rank() -> None:
    ranks = {10: 0, 20: 1, 30: 2}
    assert window_key(Candidate(1, 30, 1000.0), 5, ranks, P) == (1600.0, 1)
    assert window_key(Candidate(1, 20, 1000.0, Priority.ELDERLY), 5, ranks, P) == (1000.0 + 300 - 3600, 1)
    assert window_key(Candidate(1, 99, 1000.0), 5, ranks, P) is None


def test_a_ticket_sent_to_a_window_has_rank_0_there_whatever_its_queue() -> None:
    ranks = {10: 0, 20: 1}
    assert window_key(Candidate(1, 20, 1000.0, target_window_id=5), 5, ranks, P) == (1000.0, 1)
    assert window_key(Candidate(1, 99, 1000.0, target_window_id=5), 5, ranks, P) == (1000.0, 1)
    assert window_key(Candidate(1, 10, 1000.0, target_window_id=6), 5, ranks, P) is None


def test_a_transferred_ticket_does_not_lose_an_aging_step_against_the_windows_first_queue() -> None:
    # Sent to window 5 from queue 20 (the window's second queue) at 100; queue 10's ticket came at 200.
    sent = Candidate(1, 20, 100.0, target_window_id=5)
    first_queue = Candidate(2, 10, 200.0)
    assert choose_next(5, [10, 20], [first_queue, sent], P) is sent


def test_a_repeated_queue_keeps_its_first_rank() -> None:
    # [10, 20, 10]: 10 is rank 0 and 20 rank 1, not 20 rank 1 and 10 rank 2.
    a, b = Candidate(1, 10, 400.0), Candidate(2, 20, 0.0)
    assert choose_next(5, [10, 20, 10], [a, b], P) is b  # 0 + 300 < 400
    assert choose_next(5, [10, 20, 10], [Candidate(1, 10, 301.0), b], P) is b
    chosen = choose_next(5, [10, 20, 10], [Candidate(1, 10, 299.0), b], P)
    assert chosen is not None and chosen.ticket_id == 1


@pytest.mark.parametrize(("queues", "bound"), [(0, 3600.0), (1, 3600.0), (2, 3900.0), (3, 4200.0)])
def test_the_pass_over_bound(queues: int, bound: float) -> None:
    assert pass_over_bound(queues, P) == bound
    assert pass_over_bound(queues, PolicyParams(60, 600, 1800)) == max(queues - 1, 0) * 60 + 1800
