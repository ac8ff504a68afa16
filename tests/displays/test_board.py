"""The agent's board: "now calling" only while it is still true, recent calls kept from the call events."""

from __future__ import annotations

import datetime as dt
from typing import Any

from displays.agent.board import HOLD_SECONDS, Board

T0 = dt.datetime(2026, 11, 30, 1, 0, tzinfo=dt.UTC)


def at(seconds: float) -> str:
    return (T0 + dt.timedelta(seconds=seconds)).isoformat()


def ts(seconds: float) -> float:
    return (T0 + dt.timedelta(seconds=seconds)).timestamp()


def snapshot(day: str = "2026-11-30", calls: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    windows = [{"id": 10 + n, "number": n, "name": f"{n} 号窗", "area": "综合受理区" if n < 5 else "企业服务区",
                "state": "open", "pause_reason": None, "current": None} for n in range(1, 7)]
    return {"hall": {"id": 1, "name": "测试大厅"}, "seq": 0, "service_day": day, "windows": windows,
            "queues": [{"prefix": "A", "waiting": 5}, {"prefix": "B", "waiting": 5}], "latest_calls": calls or []}


class Events:
    def __init__(self, board: Board) -> None:
        self.board = board
        self.seq = 0

    def send(self, type_: str, seconds: float, ticket: int, window: int | None = None, **extra: Any) -> Any:
        self.seq += 1
        number = f"A{ticket:03d}"
        payload = {"ticket": {"id": ticket, "number": number, "queue": "A", "status": "x", "recall_count": 0,
                              "window_id": 10 + window if window else None}, **extra}
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
    assert len(state(board)["latest_calls"]) == 1  # one entry per ticket


def test_a_transferred_call_stays_in_recent_calls_across_a_snapshot_of_the_same_day() -> None:
    board = Board()
    board.load(snapshot())
    ev = Events(board)
    ev.send("ticket.called", 0, 1, window=2, reason="call")
    ev.send("ticket.transferred", 3, 1, window=2, to={"queue": "B"})
    assert shown(board, 4) is None
    board.load(snapshot())  # a server that leaves moved tickets out of its list
    assert [c["number"] for c in state(board)["latest_calls"]] == ["A001"]
    assert "A001→2" in board.render("open", ts(5))
    board.load(snapshot(day="2026-12-01"))
    assert state(board)["latest_calls"] == []


def test_call_backs_and_the_area_filter() -> None:
    board = Board(area="企业服务区")
    board.load(snapshot())
    ev = Events(board)
    assert ev.send("ticket.called", 0, 1, window=2, reason="call") is None  # another area
    call = ev.send("ticket.called", 1, 2, window=5, reason="call_back")
    assert call.kind == "call_back"
    assert shown(board, 2) == "A002"
    assert state(board)["queues"][0]["waiting"] == 4  # a call-back takes nobody from the line
