"""一件事一次办: a bundle's route through the hall. A bundle is an ordered set of items across departments;
its ticket visits the queues of those items in turn, keeping its number. Items served in the same queue one
after another are one visit; items without a queue are served wherever the ticket is."""

from __future__ import annotations

from collections.abc import Iterable


def route(first_queue: int | None, item_queues: Iterable[int | None]) -> list[int]:
    """The queues a bundle ticket visits, in order: the bundle's own queue first (where it is issued, when it
    has one), then each item's, a queue repeated back to back visited once."""
    out: list[int] = []
    for q in (first_queue, *item_queues):
        if q is not None and (not out or out[-1] != q):
            out.append(q)
    return out


def next_stop(stops: list[int], step: int) -> tuple[int, int] | None:
    """(the next step, its queue) after `step`; None when the visit is over."""
    if step + 1 < len(stops):
        return step + 1, stops[step + 1]
    return None
