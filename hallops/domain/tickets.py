"""The life of a ticket as a state machine: which action moves which status where.

issued → waiting → called (recall keeps it called) → serving ⇄ parked (挂起 / 回呼) → done;
called → no_show; called, serving or parked → waiting again by a transfer (a supervisor may also move a
waiting ticket); waiting or called → cancelled;
at the day's close everything not being served becomes expired. Nothing is ever deleted.
"""

from __future__ import annotations

import enum

from hallops.domain.errors import Conflict, E
from hallops.domain.model import TicketStatus
from hallops.domain.transitions import Transitions

S = TicketStatus


class Action(enum.StrEnum):
    CALL = "call"
    RECALL = "recall"
    START = "start"
    PARK = "park"
    CALL_BACK = "call_back"
    FINISH = "finish"
    NO_SHOW = "no_show"
    TRANSFER = "transfer"
    CANCEL = "cancel"
    EXPIRE = "expire"


TRANSITIONS: dict[Action, tuple[frozenset[TicketStatus], TicketStatus]] = {
    Action.CALL: (frozenset({S.WAITING}), S.CALLED),
    Action.RECALL: (frozenset({S.CALLED}), S.CALLED),
    Action.START: (frozenset({S.CALLED}), S.SERVING),
    Action.PARK: (frozenset({S.SERVING}), S.PARKED),
    Action.CALL_BACK: (frozenset({S.PARKED}), S.CALLED),
    Action.FINISH: (frozenset({S.SERVING}), S.DONE),
    Action.NO_SHOW: (frozenset({S.CALLED}), S.NO_SHOW),
    # From waiting too: a supervisor moves a ticket left in a line that nobody will call (a window closed).
    Action.TRANSFER: (frozenset({S.WAITING, S.CALLED, S.SERVING, S.PARKED}), S.WAITING),
    Action.CANCEL: (frozenset({S.WAITING, S.CALLED}), S.CANCELLED),
    Action.EXPIRE: (frozenset({S.WAITING, S.CALLED, S.PARKED}), S.EXPIRED),
}

STATUS_ZH = {
    S.WAITING: "等候中",
    S.CALLED: "已呼叫",
    S.SERVING: "办理中",
    S.PARKED: "挂起",
    S.DONE: "已办结",
    S.NO_SHOW: "过号",
    S.CANCELLED: "已取消",
    S.EXPIRED: "已过期",
}

ACTION_ZH = {
    Action.CALL: "呼叫",
    Action.RECALL: "重呼",
    Action.START: "开始办理",
    Action.PARK: "挂起",
    Action.CALL_BACK: "回呼",
    Action.FINISH: "办结",
    Action.NO_SHOW: "过号",
    Action.TRANSFER: "转移",
    Action.CANCEL: "取消",
    Action.EXPIRE: "过期",
}


TICKET_MOVES = Transitions("号票", "ticket", TRANSITIONS, STATUS_ZH, ACTION_ZH)


def next_status(current: TicketStatus, action: Action) -> TicketStatus:
    """The status after `action`, or Conflict naming both when the action is illegal now."""
    return TICKET_MOVES.next(current, action)


def check_recall(recall_count: int, limit: int) -> None:
    if limit and recall_count >= limit:
        raise Conflict(E.RECALL_LIMIT_REACHED,
            f"已重呼 {recall_count} 次，达到上限，请标记过号 (recall limit of {limit} reached; mark no-show)",
            limit=limit,
        )
