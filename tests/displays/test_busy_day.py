"""The hall's state derived once: a busy day through a real server, and every client's fold against it.

The server's snapshot (`GET …/state`, SQL over the rows) and the reference fold (hallops/domain/hallstate.py,
events applied one by one from the morning's snapshot) are independent derivations: after every event of the
day they must show the same thing. The display agent folds the same way. The day is saved (busy_day.json) so
the browser's fold and the agent are replayed against the server's views without a server.
"""

from __future__ import annotations

import os
from typing import Any

from displays.agent.board import Board
from hallops.domain import hallstate
from tests.conftest import Hall
from tests.displays.busy_day import TARGET_EVENTS, Day, differences, load_recording, save_recording, view


async def test_the_fold_and_the_agent_agree_with_the_server_after_every_event_of_a_busy_day(hall: Hall) -> None:
    ref: dict[str, Any] = {}
    snapshot: dict[str, Any] = {}
    agent = Board()
    events: list[dict[str, Any]] = []
    views: list[dict[str, Any]] = []

    async def seen(new: list[dict[str, Any]], state: dict[str, Any], before: dict[str, Any]) -> None:
        """One action's events, and any a background loop (alerts) committed meanwhile. At most one of them
        changes what screens show; the others change nothing but the sequence number, and all happen at one
        moment: so the server's view is known after each event (`before` was read at that moment too)."""
        nonlocal ref
        changes = [i for i, ev in enumerate(new) if ev["type"] in hallstate.HANDLERS]
        assert len(changes) <= 1, [e["type"] for e in new]
        first = changes[0] if changes else len(new)
        for i, ev in enumerate(new):
            ref = hallstate.fold(ref, ev)
            agent.apply(ev)
            events.append(ev)
            # The server's state read at this event's moment, with nothing screens show changed since.
            seen_at = [state] if i >= first else [s for s in (before, state) if s["now"] == ev["at"]]
            assert seen_at and seen_at[0]["now"] == ev["at"], (ev, state["now"], before["now"])
            expected = {**view(seen_at[0]), "seq": ev["seq"]}
            assert view(ref) == expected, (ev, differences(view(ref), expected))
            assert agent.state is not None and view(agent.state) == expected, f"agent after {ev['seq']}"
            views.append(expected)
        assert view(hallstate.at(ref, hallstate.parse_time(state["now"]))) == view(state)  # and now

    day = Day(hall, seen)
    snapshot.update(await day.start())
    ref = hallstate.adopt(snapshot)
    agent.load(snapshot)
    await day.run_from_start()
    assert day.count == len(events) >= TARGET_EVENTS
    types = {e["type"] for e in events}
    assert types >= {"ticket.issued", "ticket.called", "ticket.recalled", "ticket.started", "ticket.parked",
                     "ticket.finished", "ticket.no_show", "ticket.cancelled", "ticket.transferred", "day.closed",
                     "window.opened", "window.paused", "window.resumed", "window.closed"}, types
    reasons = {e["payload"].get("reason") for e in events if e["type"] == "ticket.called"}
    assert reasons == {"call", "call_back"}
    moves = [e["payload"] for e in events if e["type"] == "ticket.transferred"]
    assert any(m["to"]["window"] for m in moves) and any(not m["to"]["window"] for m in moves)
    assert any(m["was"] == "waiting" for m in moves) and any(m["was"] != "waiting" for m in moves)
    assert any(e["payload"]["ticket"]["priority"] != "none" for e in events if e["type"] == "ticket.issued")
    closed = events[-1]
    assert closed["type"] == "day.closed" and closed["payload"]["expired"] > 0
    assert all(q["waiting"] == 0 for q in ref["queues"])
    if os.environ.get("HALLOPS_RECORD_BUSY_DAY"):
        save_recording(snapshot, events, views)


def test_the_recorded_day_replays_through_the_reference_fold_and_the_agent() -> None:
    rec = load_recording()
    assert len(rec["events"]) >= TARGET_EVENTS
    ref = hallstate.adopt(rec["snapshot"])
    agent = Board()
    agent.load(rec["snapshot"])
    for ev, expected in zip(rec["events"], rec["views"], strict=True):
        ref = hallstate.fold(ref, ev)
        agent.apply(ev)
        assert view(ref) == expected, (ev, differences(view(ref), expected))
        assert agent.state is not None and view(agent.state) == expected


def test_the_fold_leaves_its_input_alone() -> None:
    rec = load_recording()
    state = hallstate.adopt(rec["snapshot"])
    before = view(state)
    for ev in rec["events"][:50]:
        hallstate.fold(state, ev)
    assert view(state) == before
