"""Who may act on a ticket: at a window, the window's clerk (or a supervisor); away from any window, only a
supervisor may cancel or transfer it."""

from __future__ import annotations

from hallops.domain.actors import Actor
from hallops.domain.errors import E, Forbidden
from hallops.domain.model import Role, TicketStatus
from hallops.domain.tickets import Action, next_status

S = TicketStatus
# A ticket in one of these statuses stands at the window it was called to.
AT_WINDOW = frozenset({S.CALLED, S.SERVING, S.PARKED})


def stands_at_window(status: TicketStatus, window_id: int | None) -> bool:
    return window_id is not None and status in AT_WINDOW


def check_off_window(actor: Actor, status: TicketStatus, action: Action) -> None:
    """For a ticket at no window (waiting): the action must be legal from its status, and a clerk may not
    reach into a line (cancel or transfer someone else's waiting ticket)."""
    if action not in (Action.CANCEL, Action.TRANSFER):
        next_status(status, action)  # a waiting ticket cannot be started, parked …: say so
    elif actor.role is Role.CLERK:
        raise Forbidden(E.NOT_YOUR_TICKET, "只能操作本窗口的号票 (this ticket is not at your window)")
