"""The event hub: committed events to live subscribers, without ever waiting for one of them.

`Database` calls `publish` after each COMMIT with the events of that transaction. Each event is encoded
once; every subscriber of its hall gets the same text in its own bounded queue. Publishing never awaits:
a subscriber whose queue is full is marked overflowed and its connection is cut off by its owner (it
reconnects and resumes from the last sequence number it saw), so one stalled screen never holds up the hall.

The owner of a subscription (a websocket handler) runs one writer task that takes `batch()` — everything
waiting, sent as one frame — and writes it out.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from hallops.storage.db import Event
from hallops.storage.views import iso

log = logging.getLogger(__name__)

DEFAULT_MAX_QUEUE = 2000


def encode_event(ev: Event) -> str:
    return json.dumps({"seq": ev.seq, "type": ev.type, "at": iso(ev.at), "payload": ev.payload},
                      ensure_ascii=False, separators=(",", ":"))


class Subscription:
    """One subscriber's queue of encoded events, in commit order."""

    def __init__(self, sub_id: int, hall_id: int, accept: Callable[[Event], bool] | None, maxsize: int) -> None:
        self.id = sub_id
        self.hall_id = hall_id
        self.accept = accept
        self.maxsize = maxsize
        self._items: list[tuple[int, str]] = []
        self._ready = asyncio.Event()
        self.overflowed = asyncio.Event()

    def offer(self, seq: int, text: str) -> None:
        if self.overflowed.is_set():
            return
        if len(self._items) >= self.maxsize:
            self.overflowed.set()
            self._ready.set()
            return
        self._items.append((seq, text))
        self._ready.set()

    async def batch(self) -> list[tuple[int, str]]:
        """Wait for at least one event; take all that wait (empty once overflowed)."""
        while not self._items and not self.overflowed.is_set():
            self._ready.clear()
            await self._ready.wait()
        if self.overflowed.is_set():
            return []
        items, self._items = self._items, []
        return items

    @property
    def pending(self) -> int:
        return len(self._items)


class EventHub:
    def __init__(self, max_queue: int = DEFAULT_MAX_QUEUE) -> None:
        self.max_queue = max_queue
        self._subs: dict[int, dict[int, Subscription]] = {}
        self._ids = itertools.count(1)
        self.published = 0

    def publish(self, events: list[Event]) -> None:
        """Called on the event loop right after a COMMIT; never awaits."""
        for ev in events:
            self.published += 1
            subs = self._subs.get(ev.hall_id)
            if not subs:
                continue
            text = encode_event(ev)
            for sub in list(subs.values()):
                if sub.accept is None or sub.accept(ev):
                    sub.offer(ev.seq, text)

    @contextmanager
    def subscribe(self, hall_id: int, accept: Callable[[Event], bool] | None = None,
                  maxsize: int | None = None) -> Iterator[Subscription]:
        sub = Subscription(next(self._ids), hall_id, accept, maxsize or self.max_queue)
        self._subs.setdefault(hall_id, {})[sub.id] = sub
        try:
            yield sub
        finally:
            hall_subs = self._subs.get(hall_id, {})
            hall_subs.pop(sub.id, None)
            if not hall_subs:
                self._subs.pop(hall_id, None)

    def count(self, hall_id: int | None = None) -> int:
        if hall_id is not None:
            return len(self._subs.get(hall_id, {}))
        return sum(len(s) for s in self._subs.values())
