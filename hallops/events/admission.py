"""Bounded accept work for live subscribers: a reconnect storm costs the hall a few reads, not thousands.

After a restart every screen of a hall reconnects within seconds, and each one's catch-up reads the hall's
state (hallops/events/stream.py `_catch_up`). Two things keep that from starving the counters (kiosks and
clerks share the event loop and the database with the screens):

- **Shared reads** (`Flights`): the screens of one hall that catch up at the same time share one read of its
  state. A read is shared only with a subscriber it is valid for — one that subscribed before the read began
  (the reasoning of hallops/http/phones.py `PhoneWatches`): the hub publishes an event only after its COMMIT,
  so a read begun after the subscription sees every event the subscription missed, and every event after the
  read's sequence number reaches the subscription (the writer drops those the read already holds). Order is
  kept with one counter: `mark()` right after subscribing, another mark when a read begins; a read (running, or
  the last one done) serves every caller whose mark is older than its own. A caller that came too late for the
  running read waits for the next, which begins when the running one ends and serves all who asked meanwhile:
  a storm costs about one read per read's duration. The backlog between two sequence numbers never changes
  once read, so the replayed events a storm's screens share are read and encoded once.
- **A bound on catch-ups running at once** (`slot()`, a semaphore, CATCH_UPS_AT_ONCE): the others wait their
  turn, and the event loop keeps answering the counters between them. The turn covers the reads and the
  encoding, not the sending (stream.py sends after it): a screen slow to read holds up nobody's catch-up.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from typing import Any, Generic, TypeVar

CATCH_UPS_AT_ONCE = 16  # per process: each is a few reads and an encoding; more at once only queue in the database
KEEP = 256  # states remembered once done: the last one of each hall
KEEP_BACKLOGS = 16  # backlog spans remembered once done: up to REPLAY_MAX events each, a storm needs a few

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class Flights(Generic[K, T]):
    """One read per key at a time, shared by every caller it is valid for.

    `get(key, read, since)`: a read of `key` begun after mark `since` (running, or the last one done) is
    shared. Otherwise the caller waits for the next read, which begins when the running one ends and serves
    everyone who asked meanwhile (like group commit: a storm costs one read per read's duration, not one per
    screen). `since=None`: any read of the key will do (what it reads never changes). A caller that leaves
    (cancelled) does not cancel a read others wait for."""

    def __init__(self, mark: Callable[[], int], keep: int = KEEP) -> None:
        self._mark = mark
        self._keep = keep
        self._running: dict[K, tuple[int, asyncio.Task[T]]] = {}  # begun: (its mark, the read)
        self._next: dict[K, asyncio.Task[T]] = {}  # to begin when the running read of the key ends
        self._done: OrderedDict[K, tuple[int, T]] = OrderedDict()
        self.reads = 0   # reads begun: what the database paid
        self.shared = 0  # callers served by a read another caller asked for

    async def get(self, key: K, read: Callable[[], Awaitable[T]], since: int | None = None) -> T:
        floor = -1 if since is None else since
        done = self._done.get(key)
        if done is not None and done[0] > floor:
            self._done.move_to_end(key)
            self.shared += 1
            return done[1]
        running = self._running.get(key)
        if running is not None and running[0] > floor:
            flight = running[1]
            self.shared += 1
        elif key in self._next:
            flight = self._next[key]
            self.shared += 1
        elif running is not None:  # begun too early for this caller: the next one, when it ends
            flight = asyncio.create_task(self._flight(key, read, running[1]), name="live-shared-read")
            flight.add_done_callback(_retrieved)
            self._next[key] = flight
        else:
            flight = asyncio.create_task(self._flight(key, read), name="live-shared-read")
            flight.add_done_callback(_retrieved)
            self._begin(key, flight)
        # Shielded: a screen that hangs up must not cancel the read the others wait for.
        return await asyncio.shield(flight)

    def _begin(self, key: K, task: asyncio.Task[T]) -> int:
        """Registered before the read's first statement: every caller of it asked before this mark."""
        began = self._mark()
        self._running[key] = (began, task)
        self.reads += 1
        return began

    async def _flight(self, key: K, read: Callable[[], Awaitable[T]], after: asyncio.Task[T] | None = None) -> T:
        task: asyncio.Task[T] = asyncio.current_task()  # type: ignore[assignment]
        if after is not None:
            await asyncio.wait({after})  # its outcome is its own callers'
            if self._next.get(key) is task:
                del self._next[key]
            began = self._begin(key, task)
        else:
            began = self._running[key][0]
        try:
            result = await read()
        finally:
            if self._running.get(key, (0, None))[1] is task:
                del self._running[key]
        done = self._done.get(key)
        if done is None or done[0] < began:
            self._done[key] = (began, result)
            self._done.move_to_end(key)
            while len(self._done) > self._keep:
                self._done.popitem(last=False)
        return result

    async def close(self) -> None:
        tasks = [task for _, task in self._running.values()] + list(self._next.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._running.clear()
        self._next.clear()
        self._done.clear()


def _retrieved(task: asyncio.Task[Any]) -> None:
    """A read's failure is raised in every caller still waiting; when none is left, it is not logged again."""
    if not task.cancelled():
        task.exception()


class Admission:
    """One process's live subscribers coming in: marks, shared reads, and the bound on catch-ups at once."""

    def __init__(self, at_once: int = CATCH_UPS_AT_ONCE) -> None:
        self._marks = itertools.count(1)
        self.at_once = at_once
        self._slots = asyncio.Semaphore(at_once)
        # What stream.py reads and shares: a hall's snapshot by hall id; a backlog by (hall, scope, after, upto).
        self.states: Flights[int, Any] = Flights(self.mark)
        self.backlogs: Flights[Hashable, Any] = Flights(self.mark, KEEP_BACKLOGS)
        self.running = 0
        self.peak = 0  # most catch-ups that ever ran at once (for tests and /metrics readers)
        self.admitted = 0

    def mark(self) -> int:
        """A point in this process's order of subscriptions and reads: take one right after subscribing."""
        return next(self._marks)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """One catch-up's turn: at most `at_once` run at a time, the others wait in order."""
        async with self._slots:
            self.running += 1
            self.admitted += 1
            self.peak = max(self.peak, self.running)
            try:
                yield
            finally:
                self.running -= 1

    async def close(self) -> None:
        await self.states.close()
        await self.backlogs.close()
