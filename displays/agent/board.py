"""The hall as the agent keeps it: a snapshot, then events applied in order (the same rules as board.js)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

RECENT = 12
# "Now calling" shows a call only while it is still true (the ticket is called, not yet started, finished,
# missed or moved) and for at most this long: after that the hall has moved on (the same rule as lobby.js).
HOLD_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Call:
    seq: int
    number: str
    window: int
    window_name: str
    area: str | None
    kind: str  # "call" | "recall" | "call_back"
    at: str


def parse_time(iso: str) -> float:
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def recent_calls(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Newest first, one entry per ticket (its latest call)."""
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
        """Take a snapshot; calls seen earlier the same service day stay (the snapshot may leave out a ticket
        that has since been transferred, a call the hall still heard)."""
        windows = {w["id"]: w for w in state["windows"]}
        calls = [{"kind": "call", "area": (windows.get(c.get("window_id")) or {}).get("area"), **c}
                 for c in state["latest_calls"]]
        prev = self.state
        if prev is not None and prev["hall"]["id"] == state["hall"]["id"] \
                and prev.get("service_day") == state.get("service_day"):
            calls += prev["latest_calls"]
        state["latest_calls"] = recent_calls(calls)
        self.state = state

    def _window(self, window_id: int | None) -> dict[str, Any] | None:
        assert self.state is not None
        return next((w for w in self.state["windows"] if w["id"] == window_id), None)

    def _queue(self, prefix: str) -> dict[str, Any]:
        assert self.state is not None
        return next((q for q in self.state["queues"] if q["prefix"] == prefix), {"waiting": 0})

    def apply(self, ev: dict[str, Any]) -> Call | None:
        """Apply one event; return the call it makes, if any (filtered by this screen's area)."""
        if self.state is None:
            return None
        self.state["seq"] = ev["seq"]
        p, kind = ev.get("payload") or {}, ev["type"]
        t = p.get("ticket") or {}
        if kind == "ticket.issued":
            self._queue(t["queue"])["waiting"] += 1
        elif kind in ("ticket.called", "ticket.recalled") and p.get("window"):
            w = self._window(p["window"]["id"])
            if w is not None:
                w["current"] = {"id": t["id"], "number": t["number"], "status": "called"}
            if kind == "ticket.called" and p.get("reason") != "call_back":
                q = self._queue(t["queue"])
                q["waiting"] = max(0, q["waiting"] - 1)
            call_kind = "recall" if kind == "ticket.recalled" else (
                "call_back" if p.get("reason") == "call_back" else "call")
            call = Call(ev["seq"], t["number"], p["window"]["number"], p["window"].get("name") or "",
                        p["window"].get("area"), call_kind, ev["at"])
            entry = {"ticket_id": t["id"], "number": t["number"], "queue": t.get("queue"), "window": call.window,
                     "window_id": p["window"]["id"], "window_name": call.window_name, "area": call.area,
                     "called_at": ev["at"], "recall_count": t.get("recall_count"), "kind": call_kind}
            self.state["latest_calls"] = recent_calls([entry, *self.state["latest_calls"]])
            return call if self.area is None or call.area == self.area else None
        elif kind == "ticket.started":
            w = self._window(t.get("window_id"))
            if w is not None and w.get("current") and w["current"]["id"] == t["id"]:
                w["current"]["status"] = "serving"
        elif kind in ("ticket.parked", "ticket.finished", "ticket.no_show", "ticket.transferred", "ticket.cancelled"):
            w = self._window((p.get("window") or {}).get("id") or t.get("window_id"))
            if w is not None and w.get("current") and w["current"]["id"] == t["id"]:
                w["current"] = None
            if kind == "ticket.transferred":
                self._queue((p.get("to") or {}).get("queue") or t["queue"])["waiting"] += 1
            if kind == "ticket.cancelled" and not p.get("window"):
                q = self._queue(t["queue"])
                q["waiting"] = max(0, q["waiting"] - 1)
        elif kind.startswith("window."):
            w = self._window(p["window"]["id"])
            if w is not None:
                w["state"], w["pause_reason"] = p["window"]["state"], p["window"].get("pause_reason")
        return None

    def _calls(self) -> list[dict[str, Any]]:
        assert self.state is not None
        return [c for c in self.state["latest_calls"] if self.area is None or c.get("area") == self.area]

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
