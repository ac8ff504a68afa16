"""Counters first: the read connections are shared by two lanes, and the counters' lane never queues behind
the followers'.

The *counter* lane carries what people at the counters wait for: kiosk, clerk, manager and admin requests
(every HTTP request that is not a websocket). The *follower* lane carries what follows along: lobby screens
and phones catching up on their sockets, district views, background loops. Each backend lets followers hold
all its read connections but one, which only a counter request may take, and hands a connection that comes
free to a waiting counter request before any waiting follower. So a burst of a thousand screens
reconnecting, or phones reading their tickets, costs the kiosk at most the one read it waits for.

The lane is a context variable: the HTTP layer sets it per request (hallops/http/app.py), and tasks started
from a follower's code inherit it. Work started from a hub listener runs in the publisher's context (a
clerk's request): it names its lane itself with `as_follower`.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections import deque
from collections.abc import Coroutine
from typing import Any, Literal, TypeVar

T = TypeVar("T")
Lane = Literal["counter", "follower"]
LANE: contextvars.ContextVar[Lane] = contextvars.ContextVar("hallops_read_lane", default="follower")


def follower_task(coro: Coroutine[Any, Any, T], *, name: str | None = None) -> asyncio.Task[T]:
    """A task whose reads go in the followers' lane, whoever starts it."""
    ctx = contextvars.copy_context()
    ctx.run(LANE.set, "follower")
    return asyncio.get_running_loop().create_task(coro, name=name, context=ctx)


class LaneGate:
    """At most `size` readers at once; followers at most `size - 1` (at least one); counters served first."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self.follower_cap = max(1, self.size - 1)
        self._in_use = 0
        self._followers = 0
        self._waiting: dict[Lane, deque[asyncio.Future[None]]] = {"counter": deque(), "follower": deque()}
        self.waited: dict[Lane, int] = {"counter": 0, "follower": 0}  # checkouts that had to queue

    def _may(self, lane: Lane) -> bool:
        if self._in_use >= self.size:
            return False
        return lane == "counter" or self._followers < self.follower_cap

    async def acquire(self, lane: Lane | None = None) -> Lane:
        lane = lane or LANE.get()
        # Queue behind those already waiting in the same lane (and followers behind every counter).
        if self._may(lane) and not self._waiting[lane] and (lane == "counter" or not self._waiting["counter"]):
            self._take(lane)
            return lane
        self.waited[lane] += 1
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting[lane].append(fut)
        try:
            await fut
        except BaseException:
            if fut.done() and not fut.cancelled():
                self.release(lane)  # handed a place just as it gave up: pass it on
            else:
                self._waiting[lane].remove(fut)
            raise
        return lane

    def _take(self, lane: Lane) -> None:
        self._in_use += 1
        if lane == "follower":
            self._followers += 1

    def release(self, lane: Lane) -> None:
        self._in_use -= 1
        if lane == "follower":
            self._followers -= 1
        for next_lane in ("counter", "follower"):
            q = self._waiting[next_lane]
            while q and self._may(next_lane):
                fut = q.popleft()
                if fut.done():
                    continue
                self._take(next_lane)
                fut.set_result(None)
                return
