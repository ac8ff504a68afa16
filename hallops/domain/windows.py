"""A window's own state: closed → open (a clerk signs in) ⇄ paused (with a reason) → closed."""

from __future__ import annotations

import enum

from hallops.domain.errors import Conflict
from hallops.domain.model import WindowState

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


def next_window_state(current: WindowState, action: WindowAction) -> WindowState:
    allowed, target = WINDOW_TRANSITIONS[action]
    if current not in allowed:
        raise Conflict("illegal_transition",
                       f"窗口状态为“{STATE_ZH[current]}”，不能{ACTION_ZH[action]} "
                       f"(cannot {action.value} a window that is {current.value})",
                       state=current.value, action=action.value)
    return target


def require_open_for_calls(state: WindowState) -> None:
    if state is not W.OPEN:
        raise Conflict("window_not_open",
                       f"窗口{STATE_ZH[state]}，不能叫号 (window is {state.value}; open or resume it first)",
                       state=state.value)
