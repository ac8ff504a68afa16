"""A window's own state: closed → open (a clerk signs in) ⇄ paused (with a reason) → closed."""

from __future__ import annotations

import enum

from hallops.domain.errors import Conflict, E
from hallops.domain.model import WindowState
from hallops.domain.transitions import Transitions

W = WindowState


class WindowAction(enum.StrEnum):
    OPEN = "open"
    PAUSE = "pause"
    RESUME = "resume"
    CLOSE = "close"


WINDOW_TRANSITIONS: dict[WindowAction, tuple[frozenset[WindowState], WindowState]] = {
    WindowAction.OPEN: (frozenset({W.CLOSED}), W.OPEN),
    WindowAction.PAUSE: (frozenset({W.OPEN}), W.PAUSED),
    WindowAction.RESUME: (frozenset({W.PAUSED}), W.OPEN),
    WindowAction.CLOSE: (frozenset({W.OPEN, W.PAUSED}), W.CLOSED),
}

STATE_ZH = {W.CLOSED: "未开放", W.OPEN: "服务中", W.PAUSED: "暂停服务"}
ACTION_ZH = {WindowAction.OPEN: "开启", WindowAction.PAUSE: "暂停", WindowAction.RESUME: "恢复",
             WindowAction.CLOSE: "关闭"}


WINDOW_MOVES = Transitions("窗口", "window", WINDOW_TRANSITIONS, STATE_ZH, ACTION_ZH, detail_key="state")


def next_window_state(current: WindowState, action: WindowAction) -> WindowState:
    return WINDOW_MOVES.next(current, action)


def require_open_for_calls(state: WindowState) -> None:
    if state is not W.OPEN:
        raise Conflict(E.WINDOW_NOT_OPEN,
                       f"窗口{STATE_ZH[state]}，不能叫号 (window is {state.value}; open or resume it first)",
                       state=state.value)
