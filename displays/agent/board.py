"""The hall as the agent keeps it: a snapshot, then each event folded in by the hall's reference fold
(hallops/domain/hallstate.py, which the browser screens mirror in displays/static/hallstate.js)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hallops.domain import hallstate
from hallops.domain.hallstate import parse_time

RECENT = 12
# "Now calling" shows a call only while it is still true (the ticket is called, not yet started, finished,
# missed or moved) and for at most this long: after that the hall has moved on (the same rule as lobby.js).
HOLD_SECONDS = 60.0

__all__ = ["HOLD_SECONDS", "Board", "Call", "parse_time", "recent_calls"]


@dataclass(frozen=True, slots=True)
class Call:
    seq: int
    number: str
    window: int
    window_name: str
    area: str | None
    kind: str  # "call" | "recall" | "call_back"
    at: str


def recent_calls(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Newest first, one entry per ticket (its latest call): what a screen lists of the hall's latest calls."""
    seen: set[int] = set()
    out = []
    for c in sorted(calls, key=lambda c: parse_time(c["called_at"]), reverse=True):
        if c["ticket_id"] not in seen:
            seen.add(c["ticket_id"])
            out.append(c)
    return out[:RECENT]


class Board:
    def __init__(self, area: str | None = None) -> None:
        self.area = area or None
        self.state: dict[str, Any] | None = None

    def load(self, state: dict[str, Any]) -> None:
        """Take a snapshot (GET …/state, or the live socket's): the fold starts from it."""
        self.state = hallstate.adopt(state)

    def needs_snapshot(self, ev: dict[str, Any]) -> bool:
        """An event no fold can apply (the layout changed): the caller takes a fresh snapshot."""
        return hallstate.needs_snapshot(ev)

    def _window(self, window_id: int | None) -> dict[str, Any] | None:
        assert self.state is not None
        return next((w for w in self.state["windows"] if w["id"] == window_id), None)

    def apply(self, ev: dict[str, Any]) -> Call | None:
        """Apply one event; return the call it makes, if any (filtered by this screen's area)."""
        if self.state is None:
            return None
        self.state = hallstate.fold(self.state, ev)
        entry = hallstate.call_of(ev)
        if entry is None or entry["window"] is None:
            return None
        call = Call(ev["seq"], entry["number"], entry["window"], entry["window_name"] or "", entry["area"],
                    entry["kind"], ev["at"])
        return call if self.area is None or call.area == self.area else None

    def _calls(self) -> list[dict[str, Any]]:
        assert self.state is not None
        return [c for c in recent_calls(self.state["latest_calls"]) if self.area is None or c.get("area") == self.area]

    def still_called(self, call: dict[str, Any]) -> bool:
        w = self._window(call.get("window_id"))
        cur = (w or {}).get("current")
        return bool(cur and cur["id"] == call["ticket_id"] and cur.get("status") == "called")

    def now_calling(self, now: float) -> dict[str, Any] | None:
        """The newest call still waiting to be met at its window, called within HOLD_SECONDS; else None."""
        if self.state is None:
            return None
        return next((c for c in self._calls()
                     if self.still_called(c) and now - parse_time(c["called_at"]) < HOLD_SECONDS), None)

    def render(self, status: str, now: float) -> str:
        """The board as text, for a terminal or a character LED controller."""
        if self.state is None:
            return "连接中…"
        s = self.state
        lines = [f"{s['hall']['name']}  seq {s['seq']}" + ("  连接中断，正在重连…" if status == "lost" else "")]
        current = self.now_calling(now)
        if current is not None:
            lines.append(f"正在呼叫  {current['number']}  →  {current['window']} 号窗口")
        else:
            lines.append("请留意叫号  Please listen for your number")
        recent = [c for c in self._calls() if current is None or c["ticket_id"] != current["ticket_id"]][:8]
        if recent:
            lines.append("最近呼叫  " + "  ".join(f"{c['number']}→{c['window']}" for c in recent))
        row = []
        for w in s["windows"]:
            if self.area and w.get("area") != self.area:
                continue
            cur = w.get("current")
            if w["state"] in ("paused", "closed"):
                text = "暂停" if w["state"] == "paused" else "—"
            else:
                text = cur["number"] if cur else "空闲"
            row.append(f"{w['number']:>2}:{text:<5}")
            if len(row) == 7:
                lines.append("  ".join(row))
                row = []
        if row:
            lines.append("  ".join(row))
        lines.append("等候 " + "  ".join(f"{q['prefix']}:{q['waiting']}" for q in s["queues"] if q["waiting"]))
        return "\n".join(lines)
