"""The rules of phone ticketing (一码取号), as decisions on values the caller passes in.

A phone cannot declare itself a priority case; a phone and an address take only so many tickets an hour
(a quick cancel of a mis-tap is given back); only the phone that took a ticket may take it back while it
still waits; a ticket and an address hold only a few live sockets; and a followed ticket hears only the
news that can change its status. Pure: the caller reads the rows, passes the time in and acts on the answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hallops.domain import ratelimit
from hallops.domain.errors import Conflict, E, Forbidden, InvalidInput
from hallops.domain.events import Ev

NO_PRIORITY = "none"
SOCKETS_PER_TICKET = 3  # a citizen's phone, a second tab, a relative's phone
SOCKETS_PER_ADDRESS = 30  # a family or a small office behind one address; the hall's Wi-Fi needs a proxy setup
# What another ticket of the same queue can do that changes mine: join or leave the waiting line (people
# ahead), or end a service (the recent service times behind the estimate). Starting, recalling, parking or a
# no-show at a window change neither.
NEWS_FROM_OTHERS = frozenset({Ev.TICKET_ISSUED, Ev.TICKET_CALLED, Ev.TICKET_TRANSFERRED, Ev.TICKET_CANCELLED,
                              Ev.TICKET_FINISHED, Ev.TICKET_EXPIRED})


@dataclass(frozen=True, slots=True)
class PhoneLimits:
    """A hall's phone-ticket settings: tickets per device and per address in any hour, and the switch."""

    per_device_hour: int
    per_address_hour: int
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class PhoneIssue:
    """A ticket a phone took lately: when, and what became of it."""

    at: float
    status: str
    ended_at: float | None = None


class UnknownDevice(InvalidInput):
    """The request names no device the server signed: only a device the server named counts, so the answer
    names one and the page tries again with it."""

    def __init__(self) -> None:
        super().__init__(E.DEVICE_UNKNOWN, "请扫码打开取号页面后再取号 (open the hall's ticket page first)")


def check_device(device: str | None) -> str:
    if device is None:
        raise UnknownDevice()
    return device


def check_no_priority(priority: str) -> None:
    """Priority (elderly, disabled, green channel) moves a ticket about an hour ahead: a kiosk or the help
    desk grants it on sight, a phone cannot claim it."""
    if priority != NO_PRIORITY:
        raise InvalidInput(E.PRIORITY_NOT_ON_PHONE, "手机取号不能选择优先；老年人、残疾人优先请到自助取号机或服务台 "
                           "(priority is given at a kiosk or the help desk, not on the phone)", field="priority")


def refunded(issue: PhoneIssue) -> bool:
    """A ticket cancelled within `ratelimit.REFUND_SECONDS` of being taken was a mis-tap."""
    return (issue.status == "cancelled" and issue.ended_at is not None
            and issue.ended_at <= issue.at + ratelimit.REFUND_SECONDS)


def counted_times(issues: Sequence[PhoneIssue]) -> list[float]:
    """The issue times that count against a phone: all but the refunded mis-taps."""
    return [i.at for i in issues if not refunded(i)]


def check_issue(device_issues: Sequence[PhoneIssue], address_times: Sequence[float], now: float,
                limits: PhoneLimits) -> None:
    """May this phone, from this address, take one more ticket now? Raises TooManyRequests if not (the
    device's limit is checked first; a hall with phone tickets off allows none)."""
    ratelimit.check(counted_times(device_issues), now,
                    ratelimit.Limit("device", limits.per_device_hour if limits.enabled else 0))
    ratelimit.check(address_times, now, ratelimit.Limit("address", limits.per_address_hour))


def may_cancel(taken_by: str | None, device: str | None) -> bool:
    """Only the phone that took a ticket: the status link alone is printed, shared and screenshotted."""
    return device is not None and taken_by is not None and taken_by == device


def check_cancel(taken_by: str | None, device: str | None, status: str, cancel_times: Sequence[float],
                 now: float) -> None:
    """May this phone take back this ticket now? `cancel_times`: when the phone cancelled lately."""
    if not may_cancel(taken_by, device):
        raise Forbidden(E.NOT_YOUR_TICKET, "只能在取号的手机上取消；如需帮助请到服务台 "
                                           "(only the phone that took this ticket can cancel it)")
    if status != "waiting":
        raise Conflict(E.TICKET_NOT_WAITING, "号票已叫号或已结束，不能取消 (the ticket is no longer waiting)",
                       status=status)
    ratelimit.check_cancel(cancel_times, now)


def socket_refusal(ticket_sockets: int, address_sockets: int, *, per_ticket: int = SOCKETS_PER_TICKET,
                   per_address: int = SOCKETS_PER_ADDRESS) -> str | None:
    """Why one more live socket is refused (None: welcome), given the sockets already open."""
    if ticket_sockets >= per_ticket:
        return "too many connections for this ticket"
    if address_sockets >= per_address:
        return "too many connections from this address"
    return None


def untold(own_event: Mapping[str, Any] | None, told_seq: int) -> str | None:
    """The type of the ticket's newest event if the phone has not been told of it yet (the phone buzzes on
    "ticket.called" and "ticket.recalled"). Taken from the status read, not from the stream, so a read that
    already shows a call is sent with its call even before the call's event reached this socket."""
    if own_event is None or int(own_event["seq"]) <= told_seq:
        return None
    return str(own_event["type"])


@dataclass(slots=True)
class Followed:
    """The ticket a phone follows, as far as its news goes: after a transfer it may stand in a window's own
    line, and then every ticket's and window's news of the hall is taken (`wide`)."""

    id: int
    queue_id: int
    queue: str
    windows: frozenset[int]
    wide: bool = False

    def transferred(self, ticket: Mapping[str, Any]) -> None:
        """The ticket moved (its own `ticket.transferred`): follow its new queue, and the whole hall."""
        self.queue_id = ticket.get("queue_id", self.queue_id)
        self.queue = ticket.get("queue", self.queue)
        self.wide = True


def concerns(f: Followed, ev_type: str, payload: Mapping[str, Any]) -> bool:
    """Can this event change the followed ticket's public status? Its own events, those of its queue that
    move the line or end a service (and of tickets that left it), changes of the windows serving it, and
    the day's close."""
    t = payload.get("ticket")
    if isinstance(t, Mapping):
        if t.get("id") == f.id:
            return True
        if ev_type not in NEWS_FROM_OTHERS:
            return False
        if f.wide or t.get("queue_id") == f.queue_id:
            return True
        was = payload.get("from")
        return isinstance(was, Mapping) and was.get("queue") == f.queue
    if ev_type.startswith("window."):
        w = payload.get("window")
        return f.wide or (isinstance(w, Mapping) and w.get("id") in f.windows)
    return ev_type == Ev.DAY_CLOSED


CALLS = frozenset({Ev.TICKET_CALLED, Ev.TICKET_RECALLED})
# A clerk's action on the ticket that changes only its status (the window stays, or there was none): the
# event names the status it left ("was") and the one it is in.
STATUS_ONLY = frozenset({Ev.TICKET_STARTED, Ev.TICKET_PARKED, Ev.TICKET_FINISHED, Ev.TICKET_NO_SHOW,
                         Ev.TICKET_CANCELLED})
NOT_WAITING = {"people_ahead": 0, "position": 0, "estimated_wait": None, "wait_zh": "", "wait_en": ""}


def status_after(own: Mapping[str, Any] | None, seq: int, ev_type: str, at: str,
                 payload: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ticket's own status after an event of its own, from the status before it and the event alone:
    what a read would give, without waiting for one. None when the event cannot say (a transfer changes the
    queue; an event of another shape, or one that does not follow on from `own`): the caller reads. `at` is
    the event's time as the status shows times."""
    if own is None:
        return None
    t, w = payload.get("ticket") or {}, payload.get("window") or {}
    told = {"own_event": {"seq": seq, "type": ev_type}}
    if ev_type in CALLS:
        if t.get("status") != "called" or w.get("number") is None or "name_en" not in w:
            return None
        return {**own, **NOT_WAITING, "status": "called", "window": w["number"], "window_name": w.get("name"),
                "window_name_en": w["name_en"] or "", "called_at": at, **told}
    if ev_type not in STATUS_ONLY:
        return None
    was, now = payload.get("was"), t.get("status")
    if was is None or now is None or was != own.get("status") or t.get("window") != own.get("window"):
        return None
    return {**own, **(NOT_WAITING if was == "waiting" else {}), "status": now, **told}
