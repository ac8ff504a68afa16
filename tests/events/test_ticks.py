"""The hub's ticks: every screen of every hall gets one, hall by hall; a phone's socket, which has no use for
them, gets none (10,000 phones woken every 10 s for nothing held every request up)."""

from __future__ import annotations

from hallops.events import stream
from hallops.events.hub import EventHub


async def test_a_tick_reaches_every_screen_of_every_hall_and_no_phone() -> None:
    hub = EventHub()
    with hub.subscribe(1) as screen1, hub.subscribe(2) as screen2, hub.subscribe(1, ticks=False) as phone:
        await stream.tick(hub, 1764640800.0)
        assert (screen1.pending, screen2.pending, phone.pending) == (1, 1, 0)
        (seq, data), = await screen2.batch()
        assert seq is None and data == b'{"type":"tick","now":"2025-12-02T02:00:00.000Z"}'
