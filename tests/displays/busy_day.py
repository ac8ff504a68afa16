"""A busy day in the demo hall, driven through the HTTP API, and the views every screen must agree on.

`run_day(hall, seen)` plays a fixed day (seeded choices): issues in many queues (some priority), calls from ten
windows, recalls, starts, finishes, parks and call-backs, no-shows, transfers to queues and to windows (front,
end, by issue time), cancels, pauses, resumes, closes and reopens, then the day's close. After every action it
reads the new events and `GET …/state` and hands them to `seen(events, state, state_before)`.

`view(state)` is what the screens show of a state, and what the agreement tests compare: per queue the waiting
count and longest wait, per window its state, clerk and current ticket, the latest calls, today's counters.
The recorded day (busy_day.json) keeps the starting snapshot, every event, and the server's view after each
event as a difference from the one before (`diff` / `patch`).
"""

from __future__ import annotations

import json
import random
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from tests.conftest import Hall

RECORDING = Path(__file__).with_name("busy_day.json")
TARGET_EVENTS = 420
# Windows opened in the morning, and by whom (None: a manager opens it for nobody in particular).
STAFFED = {1: "clerk1", 2: "clerk2", 3: None, 5: "clerk3", 9: "clerk4", 10: None, 12: "clerk5", 15: "clerk6",
           20: "clerk7", 23: "clerk8"}
PRIORITIES = ["elderly", "disabled", "green_channel"]
PLACEMENTS = ["front", "end", "issue_time"]

Seen = Callable[[list[dict[str, Any]], dict[str, Any], dict[str, Any]], Awaitable[None]]


def view(state: dict[str, Any]) -> dict[str, Any]:
    """What screens show of a state: the fields the agreement tests compare."""
    def current(c: dict[str, Any] | None) -> list[Any] | None:
        return None if c is None else [c["id"], c["number"], c["status"], c["called_at"], c["started_at"],
                                       c["recall_count"]]
    return {
        "seq": state["seq"],
        "service_day": state["service_day"],
        "queues": {q["prefix"]: [q["waiting"], q["longest_wait_seconds"]] for q in state["queues"]},
        "windows": {str(w["number"]): [w["state"], w["pause_reason"], w["state_since"],
                                       (w["clerk"] or {}).get("display_name"), current(w["current"])]
                    for w in state["windows"]},
        "latest_calls": [[c["ticket_id"], c["number"], c["queue"], c["window"], c["window_id"], c["window_name"],
                          c["area"], c["called_at"], c["recall_count"], c["kind"]] for c in state["latest_calls"]],
        "today": {k: state["today"][k] for k in ("issued", "waiting", "served", "no_show", "by_status")},
    }


def diff(prev: dict[str, Any], cur: dict[str, Any]) -> dict[str, Any]:
    """`cur` as changes to `prev` (two levels deep: the queues and windows maps change an entry at a time)."""
    out: dict[str, Any] = {}
    for k, v in cur.items():
        if prev.get(k) == v:
            continue
        if isinstance(v, dict) and isinstance(prev.get(k), dict) and k in ("queues", "windows"):
            out[k] = {kk: vv for kk, vv in v.items() if prev[k].get(kk) != vv}
        else:
            out[k] = v
    return out


def differences(got: dict[str, Any], want: dict[str, Any]) -> dict[str, Any]:
    """Where two views differ, entry by entry (for assertion messages)."""
    out = diff(want, got)
    return {k: {kk: (vv, want[k].get(kk)) for kk, vv in v.items()} if k in ("queues", "windows") else (v, want[k])
            for k, v in out.items()}


def patch(prev: dict[str, Any], delta: dict[str, Any]) -> dict[str, Any]:
    out = dict(prev)
    for k, v in delta.items():
        out[k] = {**prev[k], **v} if k in ("queues", "windows") else v
    return out


def load_recording() -> dict[str, Any]:
    """The recorded day: snapshot, events, and the server's view after each event (expanded)."""
    rec = json.loads(RECORDING.read_text(encoding="utf-8"))
    views, cur = [], view(rec["snapshot"])
    for delta in rec["views"]:
        cur = patch(cur, delta)
        views.append(cur)
    rec["views"] = views
    return rec


def save_recording(snapshot: dict[str, Any], events: list[dict[str, Any]], views: list[dict[str, Any]]) -> None:
    deltas, prev = [], view(snapshot)
    for v in views:
        deltas.append(diff(prev, v))
        prev = v
    text = json.dumps({"about": "A busy day in the demo hall (tests/displays/busy_day.py); re-record with "
                                "HALLOPS_RECORD_BUSY_DAY=1 pytest tests/displays/test_busy_day.py",
                       "snapshot": snapshot, "events": events, "views": deltas},
                      ensure_ascii=False, separators=(",", ":"))
    RECORDING.write_text(text.replace('},{"seq"', '},\n{"seq"').replace("},{", "},\n{") + "\n", encoding="utf-8")


class Day:
    def __init__(self, hall: Hall, seen: Seen) -> None:
        self.hall = hall
        self.api = hall.manager
        self.seen = seen
        self.rng = random.Random(20261130)
        self.code = str(hall.layout["hall"]["code"])
        self.seq = 0
        self.count = 0
        self.state: dict[str, Any] = {}
        self.issued: list[int] = []  # ticket ids, in issue order
        self.parked: dict[int, int] = {}  # ticket id → window id
        self.clerk_of: dict[int, str | None] = dict(STAFFED)

    async def start(self) -> dict[str, Any]:
        status, state = await self.api.get(f"/api/v1/halls/{self.code}/state")
        assert status == 200, state
        self.seq, self.state = state["seq"], state
        return state

    async def after(self) -> None:
        """Read what the last action committed, and the state it left; hand both on, with the state before."""
        before = self.state
        status, state = await self.api.get(f"/api/v1/halls/{self.code}/state")
        assert status == 200, state
        # The events up to the snapshot's sequence number (a background loop may have committed more since).
        status, body = await self.api.get(f"/api/v1/halls/{self.code}/events?after={self.seq}")
        assert status == 200, body
        events = [ev for ev in body["events"] if ev["seq"] <= state["seq"]]
        self.state = state
        if events:
            assert state["seq"] == events[-1]["seq"]
            self.seq = state["seq"]
            self.count += len(events)
            await self.seen(events, state, before)

    async def act(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        await self.after()  # what background loops (alerts) committed since the last action, on its own
        status, out = await self.api.call(method, f"/api/v1{path}", body)
        assert status < 500, (path, out)
        await self.after()
        self.hall.clock.advance(self.rng.randint(3, 45))
        return status, out

    # -- choices ---------------------------------------------------------------------------------------------

    def windows(self, *states: str) -> list[dict[str, Any]]:
        return [w for w in self.state["windows"] if w["state"] in states and w["number"] in self.clerk_of]

    def served_queues(self) -> list[str]:
        return sorted({q for w in self.windows("open", "paused") for q in w["queues"]} or {"A"})

    async def issue(self) -> None:
        r = self.rng.random()
        body: dict[str, Any] = {"queue": self.rng.choice(self.served_queues())}
        if r < 0.12:
            body["priority"] = self.rng.choice(PRIORITIES)
        status, t = await self.act("POST", "/tickets", body)
        assert status == 201, t
        self.issued.append(t["id"])

    async def open(self, number: int) -> None:
        clerk = self.clerk_of.get(number)
        await self.act("POST", f"/windows/{self.hall.window_id(number)}/open", {"clerk": clerk} if clerk else {})

    async def at_window(self, w: dict[str, Any]) -> None:
        wid, cur, rng = w["id"], w["current"], self.rng
        if w["state"] == "paused":
            if rng.random() < 0.6:
                await self.act("POST", f"/windows/{wid}/resume")
            return
        if cur is None:
            parked = [t for t, pw in self.parked.items() if pw == wid]
            r = rng.random()
            if parked and r < 0.5:
                status, _ = await self.act("POST", f"/tickets/{parked[0]}/call-back")
                if status == 200:
                    del self.parked[parked[0]]
            elif (r := rng.random()) < 0.06:
                reason = rng.choice(["系统维护", "临时离岗", "设备故障"])
                await self.act("POST", f"/windows/{wid}/pause", {"reason": reason})
            elif r < 0.09 and not parked:
                await self.act("POST", f"/windows/{wid}/close")
            else:
                await self.act("POST", f"/windows/{wid}/call-next")
            return
        tid, r = cur["id"], rng.random()
        if cur["status"] == "called":
            if r < 0.15 and cur["recall_count"] < 2:
                await self.act("POST", f"/tickets/{tid}/recall")
            elif r < 0.70:
                await self.act("POST", f"/tickets/{tid}/start")
            elif r < 0.83:
                await self.act("POST", f"/tickets/{tid}/no-show")
            elif r < 0.89:
                await self.act("POST", f"/tickets/{tid}/cancel")
            else:
                await self.transfer(tid)
        else:  # serving
            if r < 0.55:
                await self.act("POST", f"/tickets/{tid}/finish", {"items": []})
            elif r < 0.80:
                status, _ = await self.act("POST", f"/tickets/{tid}/park")
                if status == 200:
                    self.parked[tid] = wid
            else:
                await self.transfer(tid)

    async def transfer(self, tid: int) -> None:
        rng = self.rng
        body: dict[str, Any] = {"placement": rng.choice(PLACEMENTS)}
        if rng.random() < 0.35:
            body["window"] = rng.choice(self.windows("open", "paused"))["id"]
        if "window" not in body or rng.random() < 0.3:
            body["queue"] = rng.choice(self.served_queues())
        status, _ = await self.act("POST", f"/tickets/{tid}/transfer", body)
        if status == 200:
            self.parked.pop(tid, None)

    async def step(self) -> None:
        r = self.rng.random()
        if r < 0.27:
            await self.issue()
        elif r < 0.34 and self.issued:  # the floor manager cancels or moves a waiting ticket
            tid = self.rng.choice(self.issued[-15:])
            if self.rng.random() < 0.5:
                await self.act("POST", f"/tickets/{tid}/cancel")
            else:
                await self.transfer(tid)
        elif r < 0.36 and self.windows("closed"):
            await self.open(self.rng.choice(self.windows("closed"))["number"])
        elif self.windows("open", "paused"):
            await self.at_window(self.rng.choice(self.windows("open", "paused")))

    async def run(self) -> None:
        await self.start()
        await self.run_from_start()

    async def run_from_start(self) -> None:
        for number in STAFFED:
            await self.open(number)
        for _ in range(25):  # the doors open: a crowd takes numbers
            await self.issue()
        while self.count < TARGET_EVENTS:
            await self.step()
        status, body = await self.act("POST", f"/halls/{self.code}/close-day", {"through_today": True})
        assert status == 200, body


async def run_day(hall: Hall, seen: Seen) -> Day:
    day = Day(hall, seen)
    await day.run()
    return day
