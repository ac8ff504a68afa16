"""Which ticket a window calls next.

Every waiting ticket gets a *virtual arrival time*, its key, and a window calls the ticket with the smallest
key among those it may serve:

    key = sort_at + rank × aging_step − boost

- `sort_at` is the ticket's place in its queue: its issue time, or what a transfer set (front, end, or the
  original issue time); for an appointment, the slot's start.
- `rank` is the queue's place in the window's ordered list (0 for the window's first queue, and for
  tickets transferred to this very window). A window prefers its first queue, but only by `aging_step` of
  waiting per rank: a ticket in a later queue that has waited that much longer is called first. That is
  the aging rule, and why no queue starves at an integrated window.
- `boost` lifts priority tickets (elderly, disabled, green channel) and appointments: they count as if they
  had arrived that much earlier, so in practice they go first, yet a stream of them cannot hold back an
  ordinary ticket forever.

Because everyone ages at the same rate, keys never change order over time, which gives the guarantees the
tests check: FIFO within a queue and priority class, the same ticket never chosen twice, and a bound — a
ticket T is passed over only by tickets that arrived at most `max_rank × aging_step + max boost` after T.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hallops.domain.model import Priority


@dataclass(frozen=True, slots=True)
class PolicyParams:
    aging_step: float = 300.0  # seconds of extra waiting that make up for one rank in a window's list
    priority_boost: float = 3600.0
    appointment_boost: float = 1800.0

    def boost(self, priority: Priority, is_appointment: bool) -> float:
        return self.class_boost(boost_class(priority, is_appointment))

    def class_boost(self, cls: int) -> float:
        b = self.priority_boost if cls & PRIORITY_BIT else 0.0
        if cls & APPOINTMENT_BIT:
            b = max(b, self.appointment_boost)
        return b


# Tickets fall into four boost classes; storage keeps the class beside each ticket so that, within a
# queue and a class, sort_at order is call order and an index answers "who is first" and "how many ahead".
PRIORITY_BIT = 1
APPOINTMENT_BIT = 2
BOOST_CLASSES = (0, PRIORITY_BIT, APPOINTMENT_BIT, PRIORITY_BIT | APPOINTMENT_BIT)


def boost_class(priority: Priority, is_appointment: bool) -> int:
    return (PRIORITY_BIT if priority is not Priority.NONE else 0) | (APPOINTMENT_BIT if is_appointment else 0)


@dataclass(frozen=True, slots=True)
class Candidate:
    """What the policy needs to know of one waiting ticket."""

    ticket_id: int
    queue_id: int
    sort_at: float
    priority: Priority = Priority.NONE
    is_appointment: bool = False
    target_window_id: int | None = None


def queue_key(c: Candidate, params: PolicyParams) -> tuple[float, int]:
    """A ticket's place within its own queue (rank 0): used for positions and people ahead."""
    return (c.sort_at - params.boost(c.priority, c.is_appointment), c.ticket_id)


def window_key(c: Candidate, window_id: int, queue_ranks: dict[int, int],
               params: PolicyParams) -> tuple[float, int] | None:
    """The key of `c` at a window, or None when the window may not call it."""
    if c.target_window_id is not None:
        if c.target_window_id != window_id:
            return None
        rank = 0
    else:
        r = queue_ranks.get(c.queue_id)
        if r is None:
            return None
        rank = r
    return (c.sort_at + rank * params.aging_step - params.boost(c.priority, c.is_appointment), c.ticket_id)


def choose_next(window_id: int, queue_ids: Sequence[int], candidates: Iterable[Candidate],
                params: PolicyParams) -> Candidate | None:
    """The ticket the window calls next, or None when nothing it serves is waiting."""
    ranks = {q: i for i, q in enumerate(dict.fromkeys(queue_ids))}
    best: Candidate | None = None
    best_key: tuple[float, int] | None = None
    for c in candidates:
        k = window_key(c, window_id, ranks, params)
        if k is not None and (best_key is None or k < best_key):
            best, best_key = c, k
    return best


def pass_over_bound(queue_count: int, params: PolicyParams) -> float:
    """How much later than T a ticket may have arrived and still be called before T (seconds)."""
    return max(queue_count - 1, 0) * params.aging_step + max(params.priority_boost, params.appointment_boost)
