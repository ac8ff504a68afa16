"""Reads the live displays need beyond `Store`: the hall's current sequence number and a bounded backlog."""

from __future__ import annotations

from typing import Any

from hallops.domain.errors import E, NotFound
from hallops.storage.store import Store

PAGE = 500


async def event_seq(store: Store, hall_id: int) -> int:
    row = await store.db.one("SELECT event_seq FROM halls WHERE id = ?", (hall_id,))
    if row is None:
        raise NotFound(E.HALL_NOT_FOUND, f"大厅不存在 (no hall {hall_id})")
    return int(row[0])


async def events_between(store: Store, hall_id: int, after: int, upto: int) -> list[dict[str, Any]]:
    """Events with after < seq <= upto, in order (the caller bounds the span)."""
    out: list[dict[str, Any]] = []
    while after < upto:
        page = await store.events_after(hall_id, after, PAGE)
        if not page:
            break
        for ev in page:
            if ev["seq"] > upto:
                return out
            out.append(ev)
        after = page[-1]["seq"]
    return out
