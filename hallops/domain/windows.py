"""A window's own state: closed → open (a clerk signs in) ⇄ paused (with a reason) → closed."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from hallops.domain.actors import Actor
from hallops.domain.errors import Conflict, E, Forbidden, InvalidInput
from hallops.domain.model import Role, WindowState
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


# -- who may act on a window, and what its state allows -------------------------------------------------

def check_window_actor(actor: Actor, window_id: int, signed_in_user_id: int | None) -> None:
    """Pause, resume, close, call and act on its tickets: a supervisor anywhere in their hall; a clerk only at
    the window they are signed in to (or their token is bound to)."""
    actor.check_window(window_id, signed_in_user_id)


def clerk_on_open(actor: Actor, window_id: int, named_clerk_id: int | None) -> int | None:
    """Who is signed in to a window once it opens: a clerk takes it themselves (a token bound to another
    window may not); a supervisor opens it for the clerk they name, or for nobody."""
    if actor.role is Role.CLERK:
        if actor.window_id is not None and actor.window_id != window_id:
            raise Forbidden(E.NOT_YOUR_WINDOW, "该令牌绑定其他窗口 (this token is bound to another window)")
        return actor.user_id
    if actor.is_supervisor:
        return named_clerk_id
    raise Forbidden(E.FORBIDDEN, "无权开启窗口 (this role cannot open windows)")


def require_clerk_free(elsewhere_number: int | None) -> None:
    """A clerk is signed in to one window at a time."""
    if elsewhere_number is not None:
        raise Conflict(E.CLERK_ELSEWHERE, f"该工作人员已登录 {elsewhere_number} 号窗口，请先关闭 "
                                          f"(already signed in at window {elsewhere_number})")


def pause_reason(raw: object) -> str:
    reason = str(raw or "").strip()
    if not reason:
        raise InvalidInput(E.REASON_REQUIRED, "请填写暂停原因 (a reason is required to pause)")
    return reason


def require_idle(current_ticket_id: int | None, current_number: str | None) -> None:
    """A window calls (or calls back) only when no ticket stands at it."""
    if current_ticket_id is not None:
        number = current_number or "?"
        raise Conflict(E.WINDOW_BUSY,
                       f"当前号票 {number} 尚未办结，请先办结、过号或转移 (window still has ticket {number})",
                       ticket_id=current_ticket_id)


def require_may_call_back(state: WindowState) -> None:
    """A parked ticket comes back to its window while the window is open or paused, never once closed."""
    if state is W.CLOSED:
        raise Conflict(E.WINDOW_NOT_OPEN, "窗口已关闭，不能回呼 (window is closed)")


@dataclass(frozen=True, slots=True)
class WindowLoad:
    """What still stands at a window, as far as closing it is concerned."""

    current_ticket_id: int | None = None
    current_number: str | None = None
    parked_number: str | None = None  # one of the tickets parked here, if any
    held: int = 0  # tickets transferred to this window that wait for it
    held_first: str | None = None


def require_closable(load: WindowLoad) -> None:
    """A window closes empty: nobody at it, nobody parked at it, nobody transferred to it still waiting."""
    require_idle(load.current_ticket_id, load.current_number)
    if load.parked_number is not None:
        raise Conflict(E.TICKETS_PARKED, f"窗口仍有挂起的号票 {load.parked_number}，请先回呼或转移 "
                                         f"(ticket {load.parked_number} is parked here)")
    if load.held:
        raise Conflict(E.TICKETS_WAITING_FOR_WINDOW,
                       f"有 {load.held} 张号票（如 {load.held_first}）转至本窗口等候，请先叫号或转到其他窗口 "
                       f"({load.held} tickets were transferred to this window and wait for it)", count=load.held)
