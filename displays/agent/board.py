"""The hall as the agent keeps it: a snapshot, then events applied in order (the same rules as board.js)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

RECENT = 12


@dataclass(frozen=True, slots=True)
class Call:
    seq: int
    number: str
    window: int
    window_name: str
    area: str | None
    kind: str  # "call" | "recall"
    at: str


class Board:
    def __init__(self, area: str | None = None) -> None:
        self.area = area or None
        self.state: dict[str, Any] | None = None

    def load(self, state: dict[str, Any]) -> None:
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
            call = Call(ev["seq"], t["number"], p["window"]["number"], p["window"].get("name") or "",
                        p["window"].get("area"), "recall" if kind == "ticket.recalled" else "call", ev["at"])
            latest = [c for c in self.state["latest_calls"] if c.get("ticket_id") != t["id"]]
            self.state["latest_calls"] = [{"ticket_id": t["id"], "number": t["number"], "window": call.window,
                                           "window_id": p["window"]["id"], "called_at": ev["at"]}, *latest][:RECENT]
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

    def render(self, status: str) -> str:
        """The board as text, for a terminal or a character LED controller."""
        if self.state is None:
            return "连接中…"
        s = self.state
        lines = [f"{s['hall']['name']}  seq {s['seq']}" + ("  连接中断，正在重连…" if status == "lost" else "")]
        calls = s["latest_calls"]
        if calls:
            lines.append(f"正在呼叫  {calls[0]['number']}  →  {calls[0]['window']} 号窗口")
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
