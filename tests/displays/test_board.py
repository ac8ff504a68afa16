"""The agent's board: "now calling" only while it is still true, recent calls kept from the call events."""

from __future__ import annotations

import datetime as dt
from typing import Any

from displays.agent.board import HOLD_SECONDS, Board, recent_calls

T0 = dt.datetime(2026, 11, 30, 1, 0, tzinfo=dt.UTC)


def at(seconds: float) -> str:
    return (T0 + dt.timedelta(seconds=seconds)).isoformat()


def ts(seconds: float) -> float:
    return (T0 + dt.timedelta(seconds=seconds)).timestamp()


def snapshot(day: str = "2026-11-30", calls: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A snapshot in the shape of GET …/state (Store.hall_state)."""
    windows = [{"id": 10 + n, "number": n, "name": f"{n} 号窗", "area": "综合受理区" if n < 5 else "企业服务区",
                "state": "open", "pause_reason": None, "state_since": at(-600), "clerk": None, "queues": ["A", "B"],
                "current": None} for n in range(1, 7)]
    return {"hall": {"id": 1, "name": "测试大厅"}, "seq": 0, "service_day": day, "now": at(0), "windows": windows,
            "queues": [{"id": 1, "prefix": "A", "waiting": 5, "longest_wait_seconds": 300},
                       {"id": 2, "prefix": "B", "waiting": 5, "longest_wait_seconds": 60}],
            "latest_calls": calls or [],
            "today": {"issued": 10, "waiting": 10, "served": 0, "no_show": 0, "by_status": {"waiting": 10}}}


class Events:
    def __init__(self, board: Board) -> None:
        self.board = board
        self.seq = 0

    def send(self, type_: str, seconds: float, ticket: int, window: int | None = None, **extra: Any) -> Any:
        self.seq += 1
        number = f"A{ticket:03d}"
        payload = {"ticket": {"id": ticket, "number": number, "queue": "A", "queue_id": 1, "status": "x",
                              "recall_count": 0, "window_id": 10 + window if window else None}, **extra}
        if window is not None:
            payload["window"] = {"id": 10 + window, "number": window, "name": f"{window} 号窗",
                                 "area": "综合受理区" if window < 5 else "企业服务区"}
        return self.board.apply({"seq": self.seq, "type": type_, "at": at(seconds), "payload": payload})


def state(board: Board) -> dict[str, Any]:
    assert board.state is not None
    return board.state


def shown(board: Board, seconds: float) -> str | None:
    c = board.now_calling(ts(seconds))
    return c["number"] if c else None


def test_now_calling_falls_back_to_a_call_still_waiting_then_rests() -> None:
    board = Board()
    board.load(snapshot())
    ev = Events(board)
    ev.send("ticket.called", 0, 1, window=2, reason="call")
    ev.send("ticket.called", 5, 2, window=5, reason="call")
    assert shown(board, 6) == "A002"
    ev.send("ticket.no_show", 8, 2, window=5)
    assert shown(board, 9) == "A001"  # still being called at window 2
    ev.send("ticket.started", 10, 1, window=2)
    assert shown(board, 11) is None
    assert "请留意叫号" in board.render("open", ts(11))
    assert [c["number"] for c in state(board)["latest_calls"]] == ["A002", "A001"]


def test_a_call_unanswered_past_the_hold_rests_until_recalled() -> None:
    board = Board()
    board.load(snapshot())
    ev = Events(board)
    ev.send("ticket.called", 0, 1, window=2, reason="call")
    assert shown(board, HOLD_SECONDS - 1) == "A001"
    assert shown(board, HOLD_SECONDS + 1) is None
    call = ev.send("ticket.recalled", HOLD_SECONDS + 5, 1, window=2)
    assert call.kind == "recall" and shown(board, HOLD_SECONDS + 6) == "A001"
    # The state lists every call the hall heard (as the snapshot does); a screen shows one entry per ticket.
    assert len(state(board)["latest_calls"]) == 2
    assert [c["kind"] for c in recent_calls(state(board)["latest_calls"])] == ["recall"]


def test_a_transferred_call_stays_in_recent_calls_and_a_snapshot_replaces_the_list() -> None:
    board = Board()
    board.load(snapshot())
    ev = Events(board)
    ev.send("ticket.called", 0, 1, window=2, reason="call")
    ev.send("ticket.transferred", 3, 1, window=2, to={"queue": "B"}, was="called")
    assert shown(board, 4) is None
    assert [c["number"] for c in state(board)["latest_calls"]] == ["A001"]  # the hall heard it
    assert "A001→2" in board.render("open", ts(5))
    board.load(snapshot(day="2026-12-01"))  # the server's list is the truth: no calls of another day are kept
    assert state(board)["latest_calls"] == []


def test_call_backs_and_the_area_filter() -> None:
    board = Board(area="企业服务区")
    board.load(snapshot())
    ev = Events(board)
    assert ev.send("ticket.called", 0, 1, window=2, reason="call") is None  # another area
    call = ev.send("ticket.called", 1, 2, window=5, reason="call_back")
    assert call.kind == "call_back"
    assert shown(board, 2) == "A002"
    # The lines' counts come with the events that change them: the call carried A's, the call-back none.
    assert state(board)["queues"][0]["waiting"] == 5
