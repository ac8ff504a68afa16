"""A bundle's route (一件事一次办): the queues its ticket visits, in order."""

from __future__ import annotations

from hallops.domain.bundles import next_stop, route


def test_the_route_is_the_bundle_queue_then_each_items_queue_once_back_to_back() -> None:
    assert route(15, [2, 2, 7, None, 2]) == [15, 2, 7, 2]
    assert route(None, [2, 2, 7]) == [2, 7]
    assert route(2, [2, 7]) == [2, 7]
    assert route(None, [None, None]) == []


def test_the_next_stop_until_the_last() -> None:
    stops = [15, 2, 7]
    assert next_stop(stops, 0) == (1, 2)
    assert next_stop(stops, 1) == (2, 7)
    assert next_stop(stops, 2) is None
