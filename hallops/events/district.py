"""The district board: every centre's live figures in memory, one per process, followed by the district view.

The board listens to the event hub (every event of every hall, as each transaction commits, including those
relayed from other processes) and keeps each centre's hall state by folding its events
(hallops/domain/hallstate.py `fold_into`) from one snapshot read when the board starts or the centre's layout
changes. Floor figures (patrols, findings, follow-ups, cases: hallops/storage/district.py) are re-read, for
the centres whose patrol, finding, rating or case events came in, and for all every minute, because time alone
makes a finding or case overdue. Nothing scans the event log.

Every `FLUSH_SECONDS` the centres that changed get a new row (hallops/domain/district.py) stamped with the
board's next revision, and each viewer whose subtree holds them is sent them in one frame.

Resuming: a viewer remembers the board's `epoch` (drawn when the board starts) and the last revision it saw;
reconnecting with both, it is sent exactly the rows changed since, so it never misses a change, the same
guarantee as a lobby screen resuming by sequence number. Another epoch (a restart, another process) gets
every row afresh.

Continuity: a centre's state takes only the event after its own sequence number; a gap (an event that went
missing between processes) or a layout change reads the centre's snapshot again, and events arriving while it
is read are held and applied after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from hallops.domain.district import centre_row
from hallops.domain.hallstate import adopt, fold_into, needs_snapshot
from hallops.domain.halltree import depth_first, subtree
from hallops.storage.db import Event
from hallops.storage.lanes import follower_task
from hallops.storage.views import iso

log = logging.getLogger(__name__)

FLUSH_SECONDS = 0.25  # a change reaches the district's tablets within this, plus the send
FLOOR_REFRESH_SECONDS = 60.0
FLOOR_PREFIXES = ("patrol.", "finding.", "rating.", "followup.", "case.", "deadline.")

Row = dict[str, Any]
State = dict[str, Any]


class BoardFeed(Protocol):
    """The reads the board is built from (hallops/usecases/district.py)."""

    async def centres(self) -> list[dict[str, Any]]: ...

    async def state(self, hall_id: int) -> dict[str, Any] | None: ...

    async def floor(self, halls: list[dict[str, Any]]) -> dict[int, dict[str, int]]: ...

    def now(self) -> float: ...


@dataclass(eq=False)
class Watcher:
    """One viewer: the root of its subtree, the halls in it, and the rows waiting to be sent to it."""

    root: int
    halls: frozenset[int]
    order: list[int]
    rows: dict[int, Row] = field(default_factory=dict)
    tree_changed: bool = False
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def offer(self, row: Row) -> None:
        if row["hall_id"] in self.halls:
            self.rows[row["hall_id"]] = row
            self.wake.set()

    def take(self) -> tuple[list[Row], bool]:
        rows, self.rows = list(self.rows.values()), {}
        changed, self.tree_changed = self.tree_changed, False
        self.wake.clear()
        return rows, changed


class DistrictBoard:
    def __init__(self, feed: BoardFeed, *, flush_seconds: float = FLUSH_SECONDS,
                 floor_refresh_seconds: float = FLOOR_REFRESH_SECONDS) -> None:
        self.feed = feed
        self.flush_seconds = flush_seconds
        self.floor_refresh_seconds = floor_refresh_seconds
        self.epoch = secrets.token_hex(6)
        self.rev = 0
        self.meta: dict[int, dict[str, Any]] = {}
        self.parents: dict[int, int | None] = {}
        self.states: dict[int, State | None] = {}
        self.floors: dict[int, dict[str, int]] = {}
        self.rows: dict[int, Row] = {}
        self.watchers: set[Watcher] = set()
        self.folded = 0  # events folded (for tests and benchmarks)
        self._held: dict[int, list[dict[str, Any]]] = {}  # centres being read: their events meanwhile
        self._reload: set[int] = set()
        self._floor_due: set[int] = set()
        self._dirty: set[int] = set()
        self._meta_stale = False
        self._started: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._last_floor = 0.0

    # -- events in ---------------------------------------------------------------------------------------

    def listen(self, ev: Event) -> None:
        """The hub's listener: called for every committed event, never awaits."""
        if self._started is None:
            return  # nobody has asked for the board yet
        hall = ev.hall_id
        wire = {"seq": ev.seq, "type": ev.type, "at": iso(ev.at), "payload": ev.payload}
        if ev.type.startswith(FLOOR_PREFIXES):
            self._floor_due.add(hall)
        if hall in self._held:
            self._held[hall].append(wire)
            return
        if hall not in self.meta or needs_snapshot(wire):
            self._meta_stale = True
            self._reload.add(hall)
            return
        self._fold(hall, wire)

    def _fold(self, hall: int, wire: dict[str, Any]) -> None:
        state = self.states.get(hall)
        if state is None or hall in self._reload:
            return
        if wire["seq"] <= state["seq"]:
            return  # in the snapshot already
        if wire["seq"] != state["seq"] + 1:
            self._reload.add(hall)  # a gap: read the centre again
            return
        fold_into(state, wire)
        self.folded += 1
        self._dirty.add(hall)

    # -- the loop ----------------------------------------------------------------------------------------

    async def ready(self) -> None:
        """Start the board on first use and wait until every centre is loaded."""
        if self._started is None:
            self._started = follower_task(self._run(), name="district-board")
        await self._ready.wait()

    async def close(self) -> None:
        if self._started is not None:
            self._started.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._started

    async def _run(self) -> None:
        await self._load_meta()
        await self._read_states(list(self.meta))
        await self._read_floors(list(self.meta))
        self._dirty = set()
        self._make_rows(set(self.meta))
        self._ready.set()
        while True:
            await asyncio.sleep(self.flush_seconds)
            try:
                await self.flush()
            except Exception:
                log.exception("district board: flush failed")

    async def flush(self) -> None:
        """Read what must be read again, then send the changed rows."""
        if self._meta_stale:
            await self._load_meta()
        if self._reload:
            halls, self._reload = [h for h in self._reload if h in self.meta], set()
            await self._read_states(halls)
        now = time.monotonic()
        if now - self._last_floor >= self.floor_refresh_seconds:
            self._floor_due |= set(self.meta)
        if self._floor_due:
            halls_f, self._floor_due = [h for h in self._floor_due if h in self.meta], set()
            await self._read_floors(halls_f)
        if self._dirty:
            dirty, self._dirty = self._dirty, set()
            self._make_rows(dirty)

    async def _load_meta(self) -> None:
        self._meta_stale = False
        centres = await self.feed.centres()
        old_parents = self.parents
        self.meta = {int(c["id"]): c for c in centres}
        self.parents = {int(c["id"]): c["parent_id"] for c in centres}
        for hall in self.meta:
            if hall not in self.states:
                self._reload.add(hall)
                self._floor_due.add(hall)
        if old_parents and old_parents != self.parents:
            for w in self.watchers:
                halls = subtree(self.parents, w.root)
                if halls != w.halls:
                    w.halls, w.order = halls, depth_first(self.parents, [w.root])
                    w.tree_changed = True
                    w.wake.set()
        self._dirty |= set(self.meta)  # names and levels may have changed

    async def _read_states(self, halls: list[int]) -> None:
        for hall in halls:
            self._held[hall] = []
        try:
            for hall in halls:
                snap = await self.feed.state(hall)
                self.states[hall] = adopt(snap) if snap is not None else None
                self._reload.discard(hall)
                held = self._held.pop(hall, [])
                for wire in held:
                    self._fold(hall, wire)
                self._dirty.add(hall)
        finally:
            for hall in halls:
                self._held.pop(hall, None)

    async def _read_floors(self, halls: list[int]) -> None:
        if len(halls) == len(self.meta):
            self._last_floor = time.monotonic()
        got = await self.feed.floor([self.meta[h] for h in halls])
        for hall, fl in got.items():
            if self.floors.get(hall) != fl:
                self.floors[hall] = fl
                self._dirty.add(hall)

    def _make_rows(self, halls: set[int]) -> None:
        halls = {h for h in halls if h in self.meta}
        if not halls:
            return
        self.rev += 1
        for hall in halls:
            row = centre_row(self.meta[hall], self.states.get(hall), self.floors.get(hall), self.rev)
            self.rows[hall] = row
            for w in self.watchers:
                w.offer(row)

    # -- viewers -----------------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def watch(self, root: int, since: tuple[str, int] | None) -> AsyncIterator[tuple[dict[str, Any],
                                                                                            Watcher]]:
        """Follow `root`'s subtree: (hello, watcher); the hello holds the rows owed since `since`
        ((epoch, revision) last seen), or all of them."""
        await self.ready()
        halls = subtree(self.parents, root)
        w = Watcher(root, halls, depth_first(self.parents, [root]))
        after = since[1] if since is not None and since[0] == self.epoch and since[1] <= self.rev else None
        resume = after is not None
        owed = [r for h, r in self.rows.items() if h in halls and (after is None or r["rev"] > after)]
        hello = {"type": "hello", "root": root, "epoch": self.epoch, "rev": self.rev, "full": not resume,
                 "halls": w.order, "now": iso(self.feed.now()), "rows": sorted(owed, key=lambda r: r["hall_id"])}
        self.watchers.add(w)
        try:
            yield hello, w
        finally:
            self.watchers.discard(w)

    def snapshot(self, root: int) -> dict[str, Any]:
        """Every row of `root`'s subtree now, in tree order (the JSON view)."""
        order = depth_first(self.parents, [root])
        return {"root": root, "epoch": self.epoch, "rev": self.rev, "now": iso(self.feed.now()),
                "rows": [self.rows[h] for h in order if h in self.rows]}


def rows_message(rev: int, rows: list[Row], now: float, halls: list[int] | None = None) -> dict[str, Any]:
    msg: dict[str, Any] = {"type": "centres", "rev": rev, "now": iso(now), "rows": rows}
    if halls is not None:
        msg["halls"] = halls
    return msg


def parse_since(epoch: str | None, rev: str | None) -> tuple[str, int] | None:
    if not epoch or not rev or not rev.isdigit() or len(epoch) > 32:
        return None
    return epoch, int(rev)


__all__ = ["DistrictBoard", "Watcher", "parse_since", "rows_message"]
