"""Committed events, in order and exactly once per hall, whichever process committed them.

Two sources feed the relay: this process's commits (`committed(events)`, called by the database after each
COMMIT) and word from other processes (`heard(hall_id, seq, event)`, from PostgreSQL's NOTIFY, with the event
itself when it fit in the notification). Each hall's events
are handed on strictly by sequence number: an event that comes before its predecessors (another process
committed those, or two local writer threads returned out of order) makes the relay read the missing ones
from the database first; an event already handed on is dropped. Local events are handed on at once, without
a round trip, when nothing is missing.

On SQLite (one process, one writer) every commit arrives in order and the relay only passes it through.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from hallops.storage.db import Event

# Reads a hall's committed events with after < seq <= upto, in order.
ReadEvents = Callable[[int, int, int], Awaitable[list[Event]]]

log = logging.getLogger(__name__)


class Relay:
    def __init__(self, read: ReadEvents, publish: Callable[[list[Event]], None]) -> None:
        self.read = read
        self.publish = publish
        self._last: dict[int, int] = {}  # hall → the last sequence number handed on
        self._wanted: dict[int, int] = {}  # hall → the highest sequence number known to be committed
        self._held: dict[int, dict[int, Event]] = {}  # hall → local events waiting for their predecessors
        self._fetching: dict[int, asyncio.Task[None]] = {}
        self.fetched = 0  # events read back from the database (for tests and benchmarks)

    def last(self, hall_id: int) -> int | None:
        return self._last.get(hall_id)

    def committed(self, events: list[Event]) -> None:
        by_hall: dict[int, list[Event]] = {}
        for ev in events:
            by_hall.setdefault(ev.hall_id, []).append(ev)
        for hall_id, evs in by_hall.items():
            last = self._last.get(hall_id)
            if last is None:
                # The first news of this hall since start: nothing before it is owed to anyone here
                # (subscribers catch up from the database by themselves).
                last = self._last[hall_id] = evs[0].seq - 1
            ready = [ev for ev in evs if ev.seq > last]
            if not ready:
                continue  # already read back from the database
            if ready and ready[0].seq == last + 1 and hall_id not in self._fetching \
                    and not self._held.get(hall_id):
                self._hand_on(hall_id, ready)
            else:
                held = self._held.setdefault(hall_id, {})
                for ev in ready:
                    held[ev.seq] = ev
                self._want(hall_id, max(ev.seq for ev in evs))

    def heard(self, hall_id: int, seq: int, event: Event | None = None) -> None:
        """Word from another process: the event itself (handed on like a local commit, read only if some
        before it are missing), or only its sequence number (read)."""
        if event is not None and self._last.get(hall_id) is not None:
            self.committed([event])
            return
        last = self._last.get(hall_id)
        if last is None:
            self._last[hall_id] = seq  # at start: the present is the starting point
            return
        if seq > last:
            self._want(hall_id, seq)

    def _hand_on(self, hall_id: int, evs: list[Event]) -> None:
        self._last[hall_id] = evs[-1].seq
        try:
            self.publish(evs)
        except Exception:
            log.exception("publishing events failed")

    def _want(self, hall_id: int, seq: int) -> None:
        self._wanted[hall_id] = max(seq, self._wanted.get(hall_id, 0))
        if hall_id not in self._fetching:
            self._fetching[hall_id] = asyncio.get_running_loop().create_task(self._fill(hall_id))

    async def _fill(self, hall_id: int) -> None:
        """Hand on everything up to the wanted sequence number, in order, reading what is not held."""
        delay = 0.05
        try:
            while self._wanted.get(hall_id, 0) > self._last[hall_id]:
                last, upto = self._last[hall_id], self._wanted[hall_id]
                held = self._held.get(hall_id, {})
                evs: list[Event] = []
                seq = last + 1
                while seq in held:
                    evs.append(held.pop(seq))
                    seq += 1
                if not evs:
                    try:
                        evs = await self.read(hall_id, last, upto)
                    except Exception as e:
                        log.warning("reading events of hall %s after %s failed (%s); again", hall_id, last, e)
                        await asyncio.sleep(delay)
                        delay = min(delay * 2, 2.0)
                        continue
                    self.fetched += len(evs)
                    evs = [ev for ev in evs if ev.seq > self._last[hall_id]]
                    for ev in evs:
                        held.pop(ev.seq, None)
                    if not evs or evs[0].seq != self._last[hall_id] + 1:
                        # Not visible yet (a NOTIFY can outrun a snapshot taken a moment before): again.
                        await asyncio.sleep(0.005)
                        continue
                self._hand_on(hall_id, evs)
        finally:
            del self._fetching[hall_id]
