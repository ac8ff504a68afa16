"""Background work, in one place and one idiom: every loop of the server is a `Loop` registered here.

Features register their loops with `register(app, Loop(...))` in their `setup(app)`; `create_app` runs them
all in one cleanup context entered right after the database opened, so a loop never runs before the database
opens or after it closes. Each loop runs `step()` every `interval` seconds (the first time at once, unless
`delay_first`); a failing step is logged and tried again at the next interval; at shutdown every loop is
cancelled and awaited before the database closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

from hallops.storage.db import Busy

log = logging.getLogger(__name__)


@dataclass
class Loop:
    name: str
    interval: float
    step: Callable[[], Awaitable[object]]
    delay_first: bool = False
    runs: int = field(default=0, init=False)
    _woken: asyncio.Event = field(default_factory=asyncio.Event, init=False, repr=False)

    def wake(self) -> None:
        """Run the next step now rather than at the end of the interval (work was just queued)."""
        self._woken.set()

    async def run(self) -> None:
        if self.delay_first:
            await asyncio.sleep(self.interval)
        busy = False  # the database is out of reach: said once, not at every step (some run every second)
        while True:
            self._woken.clear()
            try:
                await self.step()
                self.runs += 1
                if busy:
                    log.info("background %s: the database answers again", self.name)
                busy = False
            except asyncio.CancelledError:
                raise
            except Busy as e:
                if not busy:
                    log.warning("background %s: database unavailable (%s); retrying every %.0f s quietly",
                                self.name, e, self.interval)
                busy = True
            except Exception:
                log.exception("background %s failed; again in %.0f s", self.name, self.interval)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._woken.wait(), self.interval)


LOOPS = web.AppKey("background_loops", list[Loop])


def register(app: web.Application, loop: Loop) -> Loop:
    app.setdefault(LOOPS, []).append(loop)
    return loop


async def background_ctx(app: web.Application) -> AsyncIterator[None]:
    """Start every registered loop; at shutdown cancel and await them all."""
    tasks = [asyncio.create_task(lp.run(), name=f"hallops-{lp.name}") for lp in app.get(LOOPS, [])]
    yield
    for t in tasks:
        t.cancel()
    for t in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await t
