"""The call-next policy, tried to exhaustion: examples first, then properties over random days."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hallops.domain.model import Priority
from hallops.domain.policy import Candidate, PolicyParams, choose_next, pass_over_bound, window_key

P = PolicyParams(aging_step=300, priority_boost=3600, appointment_boost=1800)


def c(tid: int, queue: int, at: float, prio: Priority = Priority.NONE, appt: bool = False,
      target: int | None = None) -> Candidate:
    return Candidate(tid, queue, at, prio, appt, target)


def test_nothing_waiting_gives_none() -> None:
    assert choose_next(1, [10], [], P) is None


def test_longest_waiting_first_within_a_queue() -> None:
    assert choose_next(1, [10], [c(2, 10, 200), c(1, 10, 100), c(3, 10, 300)], P).ticket_id == 1


def test_elderly_ticket_goes_before_ordinary_ones() -> None:
    waiting = [c(1, 10, 0), c(2, 10, 600), c(3, 10, 1200, Priority.ELDERLY)]
    assert choose_next(1, [10], waiting, P).ticket_id == 3


def test_window_prefers_its_first_queue_among_near_equals() -> None:
    # B's ticket arrived 2 minutes earlier, but the window's first queue is A (one rank = 5 minutes).
    waiting = [c(1, 20, 0), c(2, 10, 120)]
    assert choose_next(1, [10, 20], waiting, P).ticket_id == 2


def test_aging_lets_a_later_queue_through() -> None:
    # B's ticket has waited 6 minutes longer than A's: more than one rank's handicap.
    waiting = [c(1, 20, 0), c(2, 10, 360)]
    assert choose_next(1, [10, 20], waiting, P).ticket_id == 1


def test_queues_the_window_does_not_serve_are_ignored() -> None:
    assert choose_next(1, [10], [c(1, 99, 0)], P) is None


def test_a_ticket_transferred_to_a_window_is_called_only_there() -> None:
    waiting = [c(1, 10, 0, target=7), c(2, 10, 100)]
    assert choose_next(1, [10], waiting, P).ticket_id == 2
    assert choose_next(7, [30], waiting, P).ticket_id == 1


def test_due_appointment_goes_before_walk_ins_who_came_after_its_boost() -> None:
    slot = 3600.0
    waiting = [c(1, 10, slot - 1700), c(2, 10, slot, appt=True)]  # walk-in came 28 min before the slot
    assert choose_next(1, [10], waiting, P).ticket_id == 2


def test_ties_go_to_the_lower_ticket_id() -> None:
    assert choose_next(1, [10, 20], [c(5, 10, 100), c(4, 10, 100)], P).ticket_id == 4


# -- properties over random days ---------------------------------------------------------------------------

@dataclass
class Arrival:
    queue: int
    gap: float
    priority: Priority
    appointment: bool
    target: int | None


@dataclass
class Call:
    window: int


QUEUES = [10, 11, 12, 13, 14]
WINDOWS = {1: [10, 11, 12, 13, 14], 2: [12, 10], 3: [14], 4: [11, 13, 10]}

arrivals = st.builds(
    Arrival,
    queue=st.sampled_from(QUEUES),
    gap=st.floats(min_value=0, max_value=900, allow_nan=False),
    priority=st.sampled_from(list(Priority)),
    appointment=st.booleans(),
    target=st.one_of(st.none(), st.none(), st.none(), st.sampled_from(list(WINDOWS))),
)
calls = st.builds(Call, window=st.sampled_from(list(WINDOWS)))
days = st.lists(st.one_of(arrivals, arrivals, calls), min_size=1, max_size=200)


def _boost(t: Candidate) -> float:
    return P.boost(t.priority, t.is_appointment)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(days)
def test_properties_hold_over_a_random_day(ops: list[Arrival | Call]) -> None:
    now = 0.0
    waiting: dict[int, Candidate] = {}
    called: set[int] = set()
    next_id = 1
    for op in ops:
        if isinstance(op, Arrival):
            now += op.gap
            waiting[next_id] = c(next_id, op.queue, now, op.priority, op.appointment, op.target)
            next_id += 1
            continue
        wid, queues = op.window, WINDOWS[op.window]
        eligible = [t for t in waiting.values() if window_key(t, wid, {q: i for i, q in enumerate(queues)}, P)]
        chosen = choose_next(wid, queues, waiting.values(), P)
        if not eligible:
            assert chosen is None
            continue
        # Something eligible always gets called, and never the same ticket twice.
        assert chosen is not None and chosen.ticket_id not in called
        assert chosen in eligible
        for t in eligible:
            if t is chosen:
                continue
            # First in, first out within a queue and a priority class (same target).
            if (t.queue_id, _boost(t), t.target_window_id) == (chosen.queue_id, _boost(chosen),
                                                                chosen.target_window_id):
                assert (chosen.sort_at, chosen.ticket_id) < (t.sort_at, t.ticket_id)
            # Nobody is passed over by a ticket that arrived more than the bound after them.
            assert chosen.sort_at <= t.sort_at + pass_over_bound(len(queues), P)
        called.add(chosen.ticket_id)
        del waiting[chosen.ticket_id]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(arrivals, min_size=1, max_size=60), st.sampled_from(list(WINDOWS)))
def test_a_window_calling_repeatedly_drains_everything_it_may_serve(ops: list[Arrival], wid: int) -> None:
    """No starvation: calling again and again empties every queue the window serves."""
    now, waiting = 0.0, {}
    for i, a in enumerate(ops, 1):
        now += a.gap
        waiting[i] = c(i, a.queue, now, a.priority, a.appointment, a.target)
    queues = WINDOWS[wid]
    ranks = {q: i for i, q in enumerate(queues)}
    servable = {t.ticket_id for t in waiting.values() if window_key(t, wid, ranks, P)}
    seen = []
    while (chosen := choose_next(wid, queues, waiting.values(), P)) is not None:
        seen.append(chosen.ticket_id)
        del waiting[chosen.ticket_id]
    assert sorted(seen) == sorted(servable)
