"""What a live subscriber follows: staff and screens the whole hall, a rating pad its own window's few events."""

from __future__ import annotations

import pytest

from hallops.domain.actors import Actor
from hallops.domain.errors import Forbidden
from hallops.domain.live_scope import LiveScope, scope_of
from hallops.domain.model import Role

PAD = LiveScope(7)


def finished(window_id: int | None) -> dict[str, object]:
    return {"ticket": {"id": 1, "number": "A001", "window_id": window_id}, "window": {"id": window_id}}


def test_everyone_but_a_pad_follows_the_whole_hall() -> None:
    for role in (Role.ADMIN, Role.MANAGER, Role.CLERK, Role.DISPLAY, Role.KIOSK):
        scope = scope_of(Actor(role, hall_id=1, window_id=7 if role is Role.CLERK else None))
        assert scope.whole_hall and scope.name == "hall"
        assert scope.follows("patrol.started", {"patrol": {"id": 3}})


def test_a_pad_follows_its_own_window() -> None:
    scope = scope_of(Actor(Role.RATING_PAD, hall_id=1, window_id=7))
    assert scope == PAD and scope.name == "window" and not scope.whole_hall


def test_a_pad_bound_to_no_window_follows_nothing() -> None:
    with pytest.raises(Forbidden) as e:
        scope_of(Actor(Role.RATING_PAD, hall_id=1))
    assert e.value.code == "wrong_pad"


def test_a_pad_hears_a_visit_finished_at_its_window_and_no_other() -> None:
    assert PAD.follows("ticket.finished", finished(7))
    assert not PAD.follows("ticket.finished", finished(8))
    assert not PAD.follows("ticket.finished", finished(None))


def test_a_pad_hears_a_rating_given_at_its_window() -> None:
    assert PAD.follows("rating.given", {"rating": {"id": 1, "window_id": 7}, "bad": False})
    assert not PAD.follows("rating.given", {"rating": {"id": 2, "window_id": 8}, "bad": True})
    assert not PAD.follows("rating.given", {"rating": {"id": 3, "window_number": 7}})  # a number is no id


def test_a_pad_hears_its_window_opened_closed_or_changed() -> None:
    for type_ in ("window.opened", "window.closed"):
        assert PAD.follows(type_, {"window": {"id": 7, "number": 1}})
        assert not PAD.follows(type_, {"window": {"id": 8, "number": 7}})
    assert PAD.follows("layout.changed", {"kind": "window", "id": 7})
    assert not PAD.follows("layout.changed", {"kind": "queue", "id": 7})
    assert not PAD.follows("layout.changed", {"kind": "window", "id": 8})


def test_a_pad_hears_nothing_else_of_its_window() -> None:
    """Calls, starts, pauses and the rest change nothing it offers: they stay with the hall's screens."""
    for type_ in ("ticket.issued", "ticket.called", "ticket.recalled", "ticket.started", "ticket.parked",
                  "ticket.no_show", "ticket.transferred", "ticket.cancelled", "window.paused", "window.resumed"):
        assert not PAD.follows(type_, finished(7)), type_
    for type_, payload in (("finding.opened", {"finding": {"id": 1, "window_id": 7}}),
                           ("alert.raised", {"alert": {"window_id": 7}}), ("deadline.scan", {"day": "2026-12-01"}),
                           ("day.closed", {"windows_closed": [7]}), ("rating.unrated", {"count": 3})):
        assert not PAD.follows(type_, payload), type_


def test_odd_payloads_are_not_followed() -> None:
    assert not PAD.follows("ticket.finished", {})
    assert not PAD.follows("ticket.finished", {"ticket": None})
    assert not PAD.follows("ticket.finished", {"ticket": {"window_id": "7"}})
    assert not PAD.follows("ticket.finished", {"ticket": {"window_id": True}})
    assert not PAD.follows("rating.given", {"rating": []})
