"""Counters first (hallops/storage/lanes.py): followers never hold the last read connection, and a
connection that comes free goes to a waiting counter request before any waiting follower; on the real
database, a counter's read goes through while followers hold every other reader."""

from __future__ import annotations

import asyncio

from hallops.storage.db import Database, open_database
from hallops.storage.lanes import LANE, LaneGate, follower_task


async def test_followers_leave_one_place_for_the_counters() -> None:
    gate = LaneGate(3)
    assert await gate.acquire("follower") == "follower"
    assert await gate.acquire("follower") == "follower"
    third = asyncio.create_task(gate.acquire("follower"))
    await asyncio.sleep(0.01)
    assert not third.done()  # two of three is the followers' share
    assert await asyncio.wait_for(gate.acquire("counter"), 1) == "counter"
    counter_waits = asyncio.create_task(gate.acquire("counter"))
    await asyncio.sleep(0.01)
    assert not counter_waits.done()  # all three taken
    gate.release("follower")  # the freed place goes to the counter, though the follower waited longer
    await asyncio.wait_for(counter_waits, 1)
    assert not third.done()
    gate.release("counter")
    gate.release("counter")
    await asyncio.wait_for(third, 1)
    assert gate.waited == {"counter": 1, "follower": 1}


async def test_a_follower_that_gives_up_leaves_no_place_taken() -> None:
    gate = LaneGate(2)
    await gate.acquire("follower")
    waiting = asyncio.create_task(gate.acquire("follower"))
    await asyncio.sleep(0.01)
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    gate.release("follower")
    # Both places free again: a follower and a counter take them at once.
    await asyncio.wait_for(gate.acquire("follower"), 1)
    await asyncio.wait_for(gate.acquire("counter"), 1)


async def test_the_lane_is_the_context_s_and_a_follower_task_names_its_own() -> None:
    gate = LaneGate(2)
    LANE.set("counter")

    async def take() -> str:
        return await gate.acquire()

    assert await asyncio.create_task(take()) == "counter"  # inherited
    assert await follower_task(take()) == "follower"
    assert LANE.get() == "counter"  # the caller's own context is left as it was


async def test_a_counter_read_passes_followers_holding_the_other_readers(database: str) -> None:
    """Followers hold every reader they may (they wait on purpose inside their snapshots); the counter's
    read still goes through at once."""
    db = open_database(database)
    await db.open()
    try:
        await _counter_passes(db)
    finally:
        await db.close()


async def _counter_passes(db: Database) -> None:
    size = db.lanes.size  # type: ignore[attr-defined]
    release = asyncio.Event()
    inside = 0

    async def follower() -> None:
        nonlocal inside
        async with db.snapshot() as r:
            await r.one("SELECT 1")
            inside += 1
            await release.wait()

    followers = [follower_task(follower()) for _ in range(size + 3)]
    for _ in range(200):
        if inside == size - 1:
            break
        await asyncio.sleep(0.01)
    assert inside == size - 1  # the rest of the followers wait

    async def counter() -> int:
        LANE.set("counter")
        row = await db.one("SELECT 41 + 1")
        return int(row[0])

    assert await asyncio.wait_for(asyncio.create_task(counter()), 2) == 42
    release.set()
    await asyncio.wait_for(asyncio.gather(*followers), 5)
    assert inside == size + 3
