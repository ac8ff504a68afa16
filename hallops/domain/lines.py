"""A hall's waiting lines held in memory and moved by its events: how many stand before a ticket, and its
wait estimate, without a database read per phone (issue 11).

`HallLines` starts from one read of the hall (its waiting tickets, the last two hours of finished services
per queue, its windows and the queues each serves) taken at a sequence number, and then applies every later
event of the hall in order. It answers exactly what the database answers (hallops/storage/views.py
`ahead_sql`): in boost class c, a ticket stands before r when its (sort_at, id) is below (lim_c, r's id),
lim_c = r.sort_at + boost(c) − boost(r's class); and the estimate is `estimate_from_stats` on the same inputs
(`service_stats` of the queue's services that ended in the last two hours, at most 200, and its open windows).

It checks itself: an issue carries the people ahead the database counted, and events that take a ticket out
of a line carry each changed queue's new waiting count. A disagreement, a gap in the sequence, a layout
change or the day's close leave it `stale` with the reason; its holder reads the hall again. Pure: events
come in as (seq, type, at, payload), time as a number.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hallops.domain.estimate import ServiceStats, WaitRange, estimate_from_stats, service_stats
from hallops.domain.events import Ev
from hallops.domain.policy import BOOST_CLASSES, PolicyParams

SERVICE_SECONDS = 7200.0  # the estimate learns from the services that ended this long ago at most
SERVICE_SAMPLES = 200  # ... and from this many of them at most (storage/tickets.py _RECENT_SERVICE)
_OUT_OF_LINE = frozenset({Ev.TICKET_CALLED, Ev.TICKET_CANCELLED, Ev.TICKET_EXPIRED})
_WINDOW_EVENTS = frozenset({Ev.WINDOW_OPENED, Ev.WINDOW_PAUSED, Ev.WINDOW_RESUMED, Ev.WINDOW_CLOSED})
_RELOAD: dict[str, str] = {Ev.LAYOUT_CHANGED: "layout changed", Ev.DAY_CLOSED: "the day closed"}


@dataclass(frozen=True, slots=True)
class Waiting:
    """A waiting ticket as its line knows it."""

    id: int
    queue_id: int
    target_window_id: int | None
    boost_class: int
    sort_at: float

    @property
    def line(self) -> tuple[str, int]:
        """The line it stands in: its queue's, or the one window's it was transferred to."""
        return ("window", self.target_window_id) if self.target_window_id is not None else ("queue", self.queue_id)


@dataclass(frozen=True, slots=True)
class QueueFacts:
    """What the estimate of a queue needs besides the line: its typical service time (minutes), and the
    services that ended lately, oldest first, as (ended_at, minutes)."""

    default_minutes: float
    services: Sequence[tuple[float, float]] = ()


class _Services:
    """A queue's recent services, oldest first, with their summary remembered until one more ends or one
    ages out (versions and the cut are enough to know)."""

    __slots__ = ("_memo", "default", "recent", "version")

    def __init__(self, facts: QueueFacts) -> None:
        self.default = float(facts.default_minutes)
        self.recent: deque[tuple[float, float]] = deque(facts.services, maxlen=SERVICE_SAMPLES)
        self.version = 0
        self._memo: tuple[tuple[int, int], ServiceStats] | None = None

    def add(self, ended_at: float, minutes: float) -> None:
        self.recent.append((ended_at, minutes))
        self.version += 1

    def stats(self, now: float) -> ServiceStats:
        # ended_at > now − 2 h, as the query asks
        cut = bisect.bisect_right(self.recent, now - SERVICE_SECONDS, key=lambda r: r[0])
        key = (self.version, cut)
        if self._memo is None or self._memo[0] != key:
            self._memo = (key, service_stats([m for _, m in list(self.recent)[cut:]], self.default))
        return self._memo[1]


class HallLines:
    """One hall's waiting lines and estimate inputs, as of event `seq`."""

    def __init__(self, seq: int, policy: PolicyParams, waiting: Iterable[Waiting], queues: Mapping[int, QueueFacts],
                 windows: Mapping[int, str], serves: Mapping[int, Iterable[int]]) -> None:
        self.seq = seq
        self.policy = policy
        self.stale: str | None = None
        self._tickets: dict[int, Waiting] = {}
        self._lines: dict[tuple[str, int], dict[int, list[tuple[float, int]]]] = {}
        self._per_queue: dict[int, int] = {}  # waiting tickets by queue_id, whatever their line (the events' count)
        self._services = {q: _Services(f) for q, f in queues.items()}
        self._window_state: dict[int, str | None] = dict(windows)
        self._serves = {w: frozenset(qs) for w, qs in serves.items()}  # window → the queues it serves
        for w in waiting:
            self._add(w)

    # -- questions ------------------------------------------------------------------------------------------

    def ahead(self, ticket_id: int) -> int | None:
        """How many stand before this ticket in its line; None when it is not waiting (as far as known)."""
        w = self._tickets.get(ticket_id)
        if w is None:
            return None
        line = self._lines[w.line]
        own = self.policy.class_boost(w.boost_class)
        n = 0
        for c, keys in line.items():
            lim = w.sort_at if c == w.boost_class else w.sort_at + (self.policy.class_boost(c) - own)
            n += bisect.bisect_left(keys, (lim, w.id))
        return n

    def open_windows(self, queue_id: int) -> int:
        return sum(1 for w, qs in self._serves.items() if queue_id in qs and self._window_state.get(w) == "open")

    def service_stats(self, queue_id: int, now: float) -> ServiceStats | None:
        """What the queue's services of the last two hours say (None: a queue this hall does not have)."""
        svc = self._services.get(queue_id)
        return svc.stats(now) if svc is not None else None

    def estimate(self, ticket_id: int, ahead: int, now: float) -> WaitRange | None:
        w = self._tickets.get(ticket_id)
        stats = self.service_stats(w.queue_id, now) if w is not None else None
        if w is None or stats is None:
            return None
        return estimate_from_stats(ahead, stats, self.open_windows(w.queue_id))

    def queue_waiting(self, queue_id: int) -> int:
        return self._per_queue.get(queue_id, 0)

    # -- events ---------------------------------------------------------------------------------------------

    def apply(self, seq: int, type_: str, at: float, payload: Mapping[str, Any]) -> None:
        """Apply the hall's event `seq` (the next one); an older one is already in. Leaves `stale` set when
        it cannot follow."""
        if self.stale is not None or seq <= self.seq:
            return
        if seq != self.seq + 1:
            self.stale = f"events {self.seq + 1}–{seq - 1} missing"
            return
        self.seq = seq
        if type_ in _RELOAD:
            self.stale = _RELOAD[type_]
            return
        t = payload.get("ticket")
        if isinstance(t, Mapping):
            self._ticket_event(type_, at, t, payload)
        elif type_ in _WINDOW_EVENTS:
            w = payload.get("window") or {}
            if w.get("id") in self._window_state:
                self._window_state[w["id"]] = w.get("state")
        for part in payload.get("queues") or ():
            if self._per_queue.get(part["id"], 0) != part["waiting"]:
                self.stale = (f"queue {part['id']}: {self._per_queue.get(part['id'], 0)} waiting here, "
                              f"{part['waiting']} in the database")
                return

    def _ticket_event(self, type_: str, at: float, t: Mapping[str, Any], payload: Mapping[str, Any]) -> None:
        tid = int(t["id"])
        if type_ == Ev.TICKET_ISSUED:
            self._add(_waiting(t))
            said = payload.get("people_ahead")
            if said is not None and self.ahead(tid) != said:
                self.stale = f"ticket {tid}: {self.ahead(tid)} ahead here, {said} in the database"
        elif type_ in _OUT_OF_LINE:
            self._remove(tid)
        elif type_ == Ev.TICKET_TRANSFERRED:  # out of one line, into another (always waiting again)
            self._remove(tid)
            self._add(_waiting(t))
        elif type_ == Ev.TICKET_FINISHED and payload.get("service_seconds") is not None:
            svc = self._services.get(int(t["queue_id"]))
            if svc is not None:
                svc.add(at, float(payload["service_seconds"]) / 60.0)

    def _add(self, w: Waiting) -> None:
        self._tickets[w.id] = w
        bisect.insort(self._lines.setdefault(w.line, {c: [] for c in BOOST_CLASSES})[w.boost_class], (w.sort_at, w.id))
        self._per_queue[w.queue_id] = self._per_queue.get(w.queue_id, 0) + 1

    def _remove(self, ticket_id: int) -> None:
        w = self._tickets.pop(ticket_id, None)
        if w is None:
            return
        keys = self._lines[w.line][w.boost_class]  # kept beside _tickets: the key is there
        del keys[bisect.bisect_left(keys, (w.sort_at, w.id))]
        self._per_queue[w.queue_id] -= 1


def _waiting(t: Mapping[str, Any]) -> Waiting:
    line = t["line"]
    return Waiting(int(t["id"]), int(t["queue_id"]), line.get("target_window_id"), int(line["boost_class"]),
                   float(line["sort_at"]))
