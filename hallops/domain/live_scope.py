"""What a live subscriber may follow of its hall's events (the websocket of hallops/http/live.py).

Staff, wall screens and scripts follow the whole hall. A window's rating pad (好差评器) faces the citizen and
needs one thing: what changes the visit it offers — a visit finished at its own window, a rating given for a
visit there (on the pad or on the citizen's phone), its window opened, closed, renamed. It follows those
events of its own window and nothing else; the event log over HTTP is closed to it altogether, and its
snapshot is its own view (usecases/ratings.py `pad`), not the hall's state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hallops.domain.actors import Actor
from hallops.domain.errors import E, Forbidden
from hallops.domain.events import Ev
from hallops.domain.model import Role

# The events that can change what a pad offers, each found by the window it names (see `window_of`).
PAD_EVENTS = frozenset({Ev.TICKET_FINISHED, Ev.RATING_GIVEN, Ev.WINDOW_OPENED, Ev.WINDOW_CLOSED,
                        Ev.LAYOUT_CHANGED})


@dataclass(frozen=True, slots=True)
class LiveScope:
    window_id: int | None = None  # None: the whole hall

    @property
    def whole_hall(self) -> bool:
        return self.window_id is None

    @property
    def name(self) -> str:
        """As the stream's hello says it: "window" tells the client its sequence numbers have gaps."""
        return "hall" if self.window_id is None else "window"

    def follows(self, type_: str, payload: Mapping[str, Any]) -> bool:
        if self.window_id is None:
            return True
        return type_ in PAD_EVENTS and window_of(type_, payload) == self.window_id


WHOLE_HALL = LiveScope()


def window_of(type_: str, payload: Mapping[str, Any]) -> int | None:
    """The window an event of PAD_EVENTS is about (payload shapes: hallops/domain/events.py), else None."""
    if type_ == Ev.TICKET_FINISHED:
        return _id(payload.get("ticket"), "window_id")
    if type_ == Ev.RATING_GIVEN:
        return _id(payload.get("rating"), "window_id")
    if type_ == Ev.LAYOUT_CHANGED:
        return _id(payload, "id") if payload.get("kind") == "window" else None
    if type_ in (Ev.WINDOW_OPENED, Ev.WINDOW_CLOSED):
        return _id(payload.get("window"), "id")
    return None


def _id(obj: object, key: str) -> int | None:
    value = obj.get(key) if isinstance(obj, Mapping) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def scope_of(actor: Actor) -> LiveScope:
    """A rating pad follows its own window (a pad token bound to none follows nothing); everyone else, the hall
    (which hall: `Actor.check_hall`)."""
    if actor.role is not Role.RATING_PAD:
        return WHOLE_HALL
    if actor.window_id is None:
        raise Forbidden(E.WRONG_PAD, "评价器令牌须绑定窗口 (a rating pad token must be bound to a window)")
    return LiveScope(actor.window_id)
