"""The event hub: committed events to live subscribers, without ever waiting for one of them.

`Database` calls `publish` after each COMMIT with the events of that transaction. Each event is encoded
once, to UTF-8 JSON bytes; every subscriber of its hall gets the same bytes object in its own bounded
queue. Publishing never awaits: a subscriber whose queue is full, or whose oldest waiting message is older
than `max_lag` seconds (or whose writer has been stuck that long in one send: a screen that stopped reading),
is cut off through its `on_overflow` callback (the owner closes the connection; the
screen reconnects and resumes from the last sequence number it saw), so one stalled screen never holds up
the hall.

The owner of a subscription (the websocket session, hallops/events/stream.py) runs one writer task that
takes `batch()` — everything waiting — and writes it out as one frame.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from hallops.storage.db import Event
from hallops.storage.views import iso

log = logging.getLogger(__name__)

DEFAULT_MAX_QUEUE = 2000
# A screen more than this many seconds behind shows stale calls: better cut it off and let it resume.
DEFAULT_MAX_LAG = 15.0

# (seq, encoded JSON): seq is None for messages outside the event sequence (ticks).
Item = tuple[int | None, bytes]


def encode_event(ev: Event) -> bytes:
    return json.dumps({"seq": ev.seq, "type": ev.type, "at": iso(ev.at), "payload": ev.payload},
                      ensure_ascii=False, separators=(",", ":")).encode()


def encode_message(msg: dict[str, object]) -> bytes:
    return json.dumps(msg, ensure_ascii=False, separators=(",", ":")).encode()


class Subscription:
    """One subscriber's queue of encoded messages, in commit order."""

    __slots__ = (
        "_items",
        "_sending_since",
        "_since",
        "_waiter",
        "accept",
        "hall_id",
        "id",
        "max_lag",
        "maxsize",
        "on_overflow",
        "overflowed",
        "ticks",
    )

    def __init__(self, sub_id: int, hall_id: int, accept: Callable[[Event], bool] | None, maxsize: int,
                 max_lag: float, on_overflow: Callable[[Subscription], None] | None, ticks: bool = True) -> None:
        self.id = sub_id
        self.ticks = ticks  # takes messages outside the sequence (ticks); a phone's socket does not
        self.hall_id = hall_id
        self.accept = accept
        self.maxsize = maxsize
        self.max_lag = max_lag
        self.on_overflow = on_overflow
        self.overflowed = False
        self._items: list[Item] = []
        self._since = 0.0  # monotonic time the oldest waiting item was queued
        self._sending_since = 0.0  # monotonic time the writer began a send that has not returned (0: none)
        self._waiter: asyncio.Future[None] | None = None

    def offer(self, seq: int | None, data: bytes, now: float) -> None:
        if self.overflowed:
            return
        items = self._items
        if self.stale(now):
            self._overflow(len(items), self.lag(now))
            return
        if items:
            if len(items) >= self.maxsize:
                self._overflow(len(items), now - self._since)
                return
        else:
            self._since = now
        items.append((seq, data))
        w = self._waiter
        if w is not None and not w.done():
            w.set_result(None)

    def lag(self, now: float) -> float:
        """How far behind: the oldest waiting message's age, or how long the writer has been stuck in a send."""
        waiting = now - self._since if self._items else 0.0
        stuck = now - self._sending_since if self._sending_since else 0.0
        return max(waiting, stuck)

    def stale(self, now: float) -> bool:
        return self.lag(now) > self.max_lag

    def sending(self, now: float) -> None:
        """The writer starts a send (a screen that stops reading leaves it hanging: that counts as lag)."""
        self._sending_since = now

    def sent(self) -> None:
        self._sending_since = 0.0

    def _overflow(self, pending: int, lag: float) -> None:
        self.overflowed = True
        self._items = []
        log.warning("subscriber %d of hall %d cut off: %d messages waiting, %.1f s behind",
                    self.id, self.hall_id, pending, lag)
        w = self._waiter
        if w is not None and not w.done():
            w.set_result(None)
        if self.on_overflow is not None:
            try:
                self.on_overflow(self)
            except Exception:
                log.exception("overflow callback of subscriber %d failed", self.id)

    async def batch(self) -> list[Item]:
        """Wait for at least one message; take all that wait (empty once overflowed)."""
        while not self._items and not self.overflowed:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        items, self._items = self._items, []
        return items

    @property
    def pending(self) -> int:
        return len(self._items)


class EventHub:
    def __init__(self, max_queue: int = DEFAULT_MAX_QUEUE, max_lag: float = DEFAULT_MAX_LAG) -> None:
        self.max_queue = max_queue
        self.max_lag = max_lag
        self._subs: dict[int, dict[int, Subscription]] = {}
        self._ids = itertools.count(1)
        self.published = 0
        self.cut_off = 0
        # Called with every event of every hall, before its subscribers get it (the district board).
        self.listeners: list[Callable[[Event], None]] = []

    def publish(self, events: list[Event]) -> None:
        """Called on the event loop right after a COMMIT; never awaits."""
        now = time.monotonic()
        for ev in events:
            self.published += 1
            for listen in self.listeners:
                try:
                    listen(ev)
                except Exception:
                    log.exception("event listener failed on %s", ev.type)
            subs = self._subs.get(ev.hall_id)
            if not subs:
                continue
            data = encode_event(ev)
            for sub in list(subs.values()):
                if sub.accept is None or sub.accept(ev):
                    sub.offer(ev.seq, data, now)

    def broadcast(self, message: dict[str, object], hall_id: int | None = None) -> None:
        """A message outside the event sequence (a tick) to every subscriber, or to one hall's."""
        now = time.monotonic()
        data = encode_message(message)
        halls = [self._subs.get(hall_id, {})] if hall_id is not None else list(self._subs.values())
        for subs in halls:
            for sub in list(subs.values()):
                if sub.ticks:
                    sub.offer(None, data, now)

    @contextmanager
    def subscribe(self, hall_id: int, accept: Callable[[Event], bool] | None = None,
                  maxsize: int | None = None, on_overflow: Callable[[Subscription], None] | None = None,
                  ticks: bool = True) -> Iterator[Subscription]:
        """`ticks=False`: a subscriber that has no use for the ticks `broadcast` sends (a phone's socket)."""
        sub = Subscription(next(self._ids), hall_id, accept, maxsize or self.max_queue, self.max_lag,
                           on_overflow, ticks)
        self._subs.setdefault(hall_id, {})[sub.id] = sub
        try:
            yield sub
        finally:
            if sub.overflowed:
                self.cut_off += 1
            hall_subs = self._subs.get(hall_id, {})
            hall_subs.pop(sub.id, None)
            if not hall_subs:
                self._subs.pop(hall_id, None)

    def sweep(self, now: float | None = None) -> int:
        """Cut off every subscriber past the lag rule even when no new message would find it (a quiet hall):
        run every second by a background loop (http/live.py). Returns how many were cut off."""
        now = time.monotonic() if now is None else now
        cut = 0
        for subs in list(self._subs.values()):
            for sub in list(subs.values()):
                if not sub.overflowed and sub.stale(now):
                    sub._overflow(sub.pending, sub.lag(now))
                    cut += 1
        return cut

    def halls(self) -> list[int]:
        """The halls with live subscribers."""
        return list(self._subs)

    def counts(self) -> dict[int, int]:
        """Live subscribers per hall."""
        return {hall_id: len(subs) for hall_id, subs in self._subs.items()}

    def count(self, hall_id: int | None = None) -> int:
        if hall_id is not None:
            return len(self._subs.get(hall_id, {}))
        return sum(len(s) for s in self._subs.values())
