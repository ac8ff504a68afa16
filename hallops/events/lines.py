"""The waiting lines of the halls whose tickets phones follow, in this process, moved by every event the hub
publishes (hallops/domain/lines.py): a phone's place and estimate come from here, not from a read per phone.

A hall's lines are read once when its first phone joins (`hold`) and forgotten when its last one leaves.
The hub calls `listen` with every event before any subscriber gets it, so a phone woken by an event finds
the lines already past it. Events that arrive while the lines are being read are held and applied after.
Lines that cannot follow (a gap, a layout change, the day's close, a count that disagrees with the
database's) are read again; callers of `lines` wait for that read instead of getting a wrong answer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from hallops.domain.lines import HallLines
from hallops.storage.db import Event
from hallops.storage.lanes import follower_task

log = logging.getLogger(__name__)

ReadLines = Callable[[int], Awaitable[HallLines]]
RETRY_SECONDS = (0.05, 0.2, 1.0, 2.0)  # a failed read is tried again after these pauses (the last repeats)


@dataclass(slots=True)
class _Book:
    users: int = 0
    lines: HallLines | None = None
    loading: asyncio.Task[None] | None = None
    held: list[Event] = field(default_factory=list)
    ready: asyncio.Event = field(default_factory=asyncio.Event)


class LineBooks:
    def __init__(self, read: ReadLines) -> None:
        self._read = read
        self._books: dict[int, _Book] = {}
        self.reads = 0  # hall reads made (first loads and reloads): what the database pays for all the phones
        self._last_warning = 0.0

    # -- who needs which hall ----------------------------------------------------------------------------

    def hold(self, hall_id: int) -> None:
        book = self._books.setdefault(hall_id, _Book())
        book.users += 1
        if book.lines is None and book.loading is None:
            self._load(hall_id, book)

    def release(self, hall_id: int) -> None:
        book = self._books.get(hall_id)
        if book is None:
            return
        book.users -= 1
        if book.users <= 0:
            del self._books[hall_id]
            if book.loading is not None:
                book.loading.cancel()

    async def lines(self, hall_id: int) -> HallLines:
        """The hall's lines, past every event published so far (the hall must be held)."""
        book = self._books[hall_id]
        while book.lines is None or book.lines.stale is not None:
            if book.loading is None:
                self._load(hall_id, book)
            await book.ready.wait()
        return book.lines

    # -- events ------------------------------------------------------------------------------------------

    def listen(self, ev: Event) -> None:
        """A hub listener: every committed event, in order per hall."""
        book = self._books.get(ev.hall_id)
        if book is None:
            return
        if book.loading is not None:
            book.held.append(ev)
            return
        if book.lines is None:
            return
        book.lines.apply(ev.seq, ev.type, ev.at, ev.payload)
        if book.lines.stale is not None:
            self._stale(ev.hall_id, book)

    # -- reading -----------------------------------------------------------------------------------------

    def _stale(self, hall_id: int, book: _Book) -> None:
        assert book.lines is not None
        now = time.monotonic()
        if now - self._last_warning > 10:  # a drift is a bug worth a line in the log, not one per event
            self._last_warning = now
            log.info("waiting lines of hall %d read again: %s", hall_id, book.lines.stale)
        self._load(hall_id, book)

    def _load(self, hall_id: int, book: _Book) -> None:
        book.ready.clear()
        book.held = []
        book.loading = follower_task(self._fill(hall_id, book), name=f"lines-{hall_id}")

    async def _fill(self, hall_id: int, book: _Book) -> None:
        attempt = 0
        try:
            while True:
                try:
                    self.reads += 1
                    lines = await self._read(hall_id)
                except asyncio.CancelledError:
                    raise
                except Exception as e:
                    log.warning("reading the waiting lines of hall %d failed (%s); again", hall_id, e)
                    await asyncio.sleep(RETRY_SECONDS[min(attempt, len(RETRY_SECONDS) - 1)])
                    attempt += 1
                    continue
                held, book.held = book.held, []
                for ev in held:
                    lines.apply(ev.seq, ev.type, ev.at, ev.payload)
                if lines.stale is None:
                    book.lines = lines
                    break
                # Events held during the read did not follow on (a relay that caught up, a change of layout
                # in the middle): read once more, after a breath.
                await asyncio.sleep(RETRY_SECONDS[min(attempt, len(RETRY_SECONDS) - 1)])
                attempt += 1
        finally:
            book.loading = None
            book.ready.set()
