"""咨询投诉 cases: where they come from, their kinds and deadlines, and the life of one.

received → assigned (a department and a person) → in progress → replied → closed; a manager may send a reply
back (reopen) or reassign; an extension is requested (days and reason) and approved or refused by a manager,
one at a time; a reminder (催办) may be sent at any open step. Every step is audited by storage.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from hallops.domain.errors import Conflict, E, Forbidden, InvalidInput


class Source(enum.StrEnum):
    HOTLINE = "hotline"  # the hall's own hotline
    CITY_12345 = "12345"  # the city's 12345 hotline
    SUPERVISION = "supervision"  # 互联网+督查 and the supervision platform
    COUNTER = "counter"  # at the counter / front desk
    ONLINE = "online"


SOURCE_LABELS = {Source.HOTLINE: "大厅热线", Source.CITY_12345: "12345热线", Source.SUPERVISION: "督查平台",
                 Source.COUNTER: "现场", Source.ONLINE: "网上"}


class Kind(enum.StrEnum):
    CONSULTATION = "consultation"  # 咨询 (default 5 working days)
    COMPLEX = "complex"  # 复杂件 / 投诉 (default 15 working days)


class CaseStatus(enum.StrEnum):
    RECEIVED = "received"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    REPLIED = "replied"
    CLOSED = "closed"


CASE_LABELS = {CaseStatus.RECEIVED: "已受理", CaseStatus.ASSIGNED: "已交办", CaseStatus.IN_PROGRESS: "办理中",
               CaseStatus.REPLIED: "已答复", CaseStatus.CLOSED: "已办结"}
OPEN_CASE = frozenset(CaseStatus) - {CaseStatus.CLOSED}


class CaseAction(enum.StrEnum):
    ASSIGN = "assign"
    START = "start"
    REPLY = "reply"
    CLOSE = "close"
    REOPEN = "reopen"
    REQUEST_EXTENSION = "request_extension"
    APPROVE_EXTENSION = "approve_extension"
    REFUSE_EXTENSION = "refuse_extension"
    REMIND = "remind"


MANAGER_ONLY = frozenset({CaseAction.ASSIGN, CaseAction.CLOSE, CaseAction.REOPEN, CaseAction.APPROVE_EXTENSION,
                          CaseAction.REFUSE_EXTENSION, CaseAction.REMIND})
MAX_EXTENSION_DAYS = 30


@dataclass(frozen=True, slots=True)
class CaseState:
    status: CaseStatus
    extension_pending: bool = False
    extensions: int = 0  # approved so far


def case_step(state: CaseState, action: CaseAction, *, is_manager: bool, is_assignee: bool, note: str,
              days: int = 0) -> CaseState:
    """The case after `action`, or a refusal saying why."""
    if action in MANAGER_ONLY and not is_manager:
        raise Forbidden(E.FORBIDDEN, "需由管理人员办理 (a manager does this)")
    if action not in MANAGER_ONLY and not (is_manager or is_assignee):
        raise Forbidden(E.FORBIDDEN, "不是本件的承办人 (not assigned to you)")
    if action in (CaseAction.REPLY, CaseAction.REOPEN, CaseAction.REQUEST_EXTENSION,
                  CaseAction.REFUSE_EXTENSION) and not note.strip():
        raise InvalidInput(E.NOTE_REQUIRED, "请填写内容 (a note is required)", field="note")
    s = state.status
    if s is CaseStatus.CLOSED:
        raise Conflict(E.CASE_CLOSED, "该件已办结 (the case is closed)")
    if action is CaseAction.ASSIGN:  # also a reassignment, until replied
        if s not in (CaseStatus.RECEIVED, CaseStatus.ASSIGNED, CaseStatus.IN_PROGRESS):
            raise _illegal(state, action)
        return CaseState(CaseStatus.ASSIGNED, state.extension_pending, state.extensions)
    if action is CaseAction.START:
        if s is not CaseStatus.ASSIGNED:
            raise _illegal(state, action)
        return CaseState(CaseStatus.IN_PROGRESS, state.extension_pending, state.extensions)
    if action is CaseAction.REPLY:
        if s not in (CaseStatus.ASSIGNED, CaseStatus.IN_PROGRESS):
            raise _illegal(state, action)
        return CaseState(CaseStatus.REPLIED, False, state.extensions)  # a reply ends a pending request
    if action is CaseAction.CLOSE:
        if s is not CaseStatus.REPLIED:
            raise _illegal(state, action)
        return CaseState(CaseStatus.CLOSED, False, state.extensions)
    if action is CaseAction.REOPEN:
        if s is not CaseStatus.REPLIED:
            raise _illegal(state, action)
        return CaseState(CaseStatus.IN_PROGRESS, False, state.extensions)
    if action is CaseAction.REQUEST_EXTENSION:
        if s not in (CaseStatus.ASSIGNED, CaseStatus.IN_PROGRESS):
            raise _illegal(state, action)
        if state.extension_pending:
            raise Conflict(E.EXTENSION_PENDING, "已有延期申请待审批 (an extension request is pending)")
        if not 1 <= days <= MAX_EXTENSION_DAYS:
            raise InvalidInput(E.BAD_EXTENSION, f"延期天数应为 1–{MAX_EXTENSION_DAYS} 个工作日 "
                                                f"(1–{MAX_EXTENSION_DAYS} working days)", field="days")
        return CaseState(s, True, state.extensions)
    if action in (CaseAction.APPROVE_EXTENSION, CaseAction.REFUSE_EXTENSION):
        if not state.extension_pending:
            raise Conflict(E.NO_EXTENSION_PENDING, "没有待审批的延期申请 (no extension request is pending)")
        return CaseState(s, False, state.extensions + (action is CaseAction.APPROVE_EXTENSION))
    return state  # REMIND: changes nothing but the record


def _illegal(state: CaseState, action: CaseAction) -> Conflict:
    return Conflict(E.ILLEGAL_TRANSITION, f"该件{CASE_LABELS[state.status]}，不能{action.value} "
                                          f"(cannot {action.value} a {state.status.value} case)")
