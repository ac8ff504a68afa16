"""Transfers (转移): where a ticket may go, and where it stands in its new line.

A transfer sends a called, served or parked ticket (or, by a supervisor, a waiting one left in a line nobody
will call) back to waiting: in another queue, for one window, or both. It keeps its number — a bundle visit
(一件事一次办) goes from window to window as one ticket — and takes a place at the front of its new line, at
its end, or by its original issue time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hallops.domain.errors import E, InvalidInput
from hallops.domain.model import TicketStatus, TransferPlacement
from hallops.domain.tickets import TRANSITIONS, Action

# The statuses a ticket may be transferred from (the state table's row, named for readers of this module).
TRANSFERABLE: frozenset[TicketStatus] = TRANSITIONS[Action.TRANSFER][0]
# How far before the first (after the last) key of the line a ticket placed at its front (end) stands.
STEP = 0.001


@dataclass(frozen=True, slots=True)
class TransferRequest:
    queue: str | int | None  # a queue of the same hall, by prefix or id; None keeps the ticket's queue
    window: int | None  # a window of the same hall it waits for alone; None: any window of the queue
    placement: TransferPlacement


def transfer_request(body: dict[str, Any]) -> TransferRequest:
    """The target of a transfer: a queue, a window or both — never neither."""
    queue, window = body.get("queue"), body.get("window")
    if queue is None and window is None:
        raise InvalidInput(E.TRANSFER_TARGET_MISSING, "请指定转移到的业务或窗口 (give a queue or a window)")
    return TransferRequest(queue, window, TransferPlacement(body.get("placement") or TransferPlacement.END))


def place(placement: TransferPlacement, *, now: float, issued_at: float, boost: float,
          first: float | None, last: float | None) -> float:
    """The ticket's new sort_at. `first` and `last` are the smallest and largest keys (sort_at − boost) of
    the line it joins, None when nobody waits there; `boost` is the ticket's own.

    Front: just before the first key, and never later than now; end: just after the last key, and never
    earlier than now; issue time: where its original issue time puts it."""
    if placement is TransferPlacement.ISSUE_TIME:
        return issued_at
    if placement is TransferPlacement.FRONT:
        return min((first if first is not None else now - boost) - STEP + boost, now)
    return max((last if last is not None else now - boost) + STEP + boost, now)
