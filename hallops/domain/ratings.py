"""好差评: the five levels, the national indicators, who may rate what and when, and the bad-rating follow-up.

The national rules (国办发〔2019〕51号, GB/T 39734-2020): a visit on site is rated once (一次一评), an item
once (一事一评) where one ticket handled several; five levels, the last two bad. A bad rating is followed up:
verified (核实), rectified (整改), answered to the citizen (回访, with the way and the result), closed; or
appealed by whoever served (申诉复核), decided by a manager on the evidence. Whoever served is responsible
(谁办理谁负责). This module decides; storage records.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from hallops.domain.errors import Conflict, E, Forbidden, InvalidInput


class Level(enum.StrEnum):
    # The keys the briefing counts (hallops/reports/briefing.py RATING_LEVELS).
    VERY_SATISFIED = "very_satisfied"
    SATISFIED = "satisfied"
    BASIC = "basic"
    DISSATISFIED = "dissatisfied"
    VERY_DISSATISFIED = "very_dissatisfied"


LEVEL_LABELS = {Level.VERY_SATISFIED: ("非常满意", "Very satisfied"), Level.SATISFIED: ("满意", "Satisfied"),
                Level.BASIC: ("基本满意", "Fairly satisfied"), Level.DISSATISFIED: ("不满意", "Dissatisfied"),
                Level.VERY_DISSATISFIED: ("非常不满意", "Very dissatisfied")}
SCORES = {Level.VERY_SATISFIED: 5, Level.SATISFIED: 4, Level.BASIC: 3, Level.DISSATISFIED: 2,
          Level.VERY_DISSATISFIED: 1}
BAD_LEVELS = frozenset({Level.DISSATISFIED, Level.VERY_DISSATISFIED})
# What a ratings row counts as in reports: its level, or one of these (not counted as a rating at all).
UNRATED = "unrated"  # the time limit ran out
VOIDED = "voided"  # an appeal was upheld: the rating no longer counts

# The national indicators beside the overall level (each optional, 1–5).
INDICATORS = (("efficiency", "服务效率", "Efficiency"), ("attitude", "服务态度", "Attitude"),
              ("competence", "服务水平", "Competence"), ("convenience", "办事便利", "Convenience"))
INDICATOR_KEYS = frozenset(k for k, _, _ in INDICATORS)
# Reasons a citizen may tick on a low rating.
REASONS = (("long_wait", "等候时间过长", "Waited too long"), ("attitude", "服务态度不好", "Unfriendly service"),
           ("unclear", "一次性告知不清楚", "Requirements not explained at once"),
           ("runs", "多次跑动", "Had to come back several times"),
           ("slow", "办理时间过长", "Service took too long"), ("absent", "窗口人员不在岗", "Clerk not at the window"),
           ("system", "系统故障", "System failure"), ("other", "其他", "Other"))
REASON_KEYS = frozenset(k for k, _, _ in REASONS)
MAX_COMMENT = 500


class Channel(enum.StrEnum):
    PAD = "pad"  # the window's rating pad, facing the citizen
    PHONE = "phone"  # the phone ticket page (or the QR code on the slip, which opens it)


@dataclass(frozen=True, slots=True)
class RatingRules:
    """A hall's settings; every one configurable (see storage: rating_settings)."""

    limit_minutes: int = 24 * 60  # rate within this long after the visit ended, else it is recorded unrated
    pad_minutes: int = 5  # the pad offers the last visit for this long, then goes back to its welcome
    followup_days: int = 5  # working days to close a follow-up


def is_bad(level: Level) -> bool:
    return level in BAD_LEVELS


def check_rating(level: Level, indicators: dict[str, int], reasons: list[str], comment: str) -> None:
    """What a rating must hold: indicators by name 1–5, reasons from the list, a reason or a comment on a bad one."""
    for k, v in indicators.items():
        if k not in INDICATOR_KEYS or not 1 <= v <= 5:
            raise InvalidInput(E.BAD_RATING, f"指标无效 (bad indicator {k!r})", field="indicators")
    for r in reasons:
        if r not in REASON_KEYS:
            raise InvalidInput(E.BAD_RATING, f"原因无效 (bad reason {r!r})", field="reasons")
    if len(comment) > MAX_COMMENT:
        raise InvalidInput(E.BAD_RATING, f"留言过长 (comment over {MAX_COMMENT} characters)", field="comment")
    if is_bad(level) and not reasons and not comment.strip():
        raise InvalidInput(E.RATING_NEEDS_REASON, "差评请勾选原因或留言 (a bad rating needs a reason or a comment)",
                           field="reasons")


def check_can_rate(*, ticket_status: str, ended_at: float | None, now: float, rules: RatingRules,
                   already: bool) -> None:
    """A served visit, within the time limit, not yet rated (for that item)."""
    if ticket_status != "done" or ended_at is None:
        raise Conflict(E.NOT_RATEABLE, "该号尚未办结，不能评价 (only a finished visit can be rated)")
    if already:
        raise Conflict(E.ALREADY_RATED, "已评价，每次办事只能评价一次 (this visit is already rated)")
    if now > ended_at + rules.limit_minutes * 60:
        raise Conflict(E.RATING_EXPIRED, "已超过评价时限 (the time to rate this visit has passed)")


def check_rater(role: str, window_id: int | None, ticket_window_id: int | None) -> None:
    """Only the citizen rates: from their phone (holding the ticket's token) or on the pad of the window that
    served them. Staff accounts never rate."""
    if role == "rating_pad":
        if window_id is None or window_id != ticket_window_id:
            raise Forbidden(E.WRONG_PAD, "只能评价本窗口办理的业务 (this pad belongs to another window)")
        return
    if role != "citizen":
        raise Forbidden(E.STAFF_CANNOT_RATE, "工作人员不能代替群众评价 (staff cannot rate)")


# -- the follow-up of a bad rating ---------------------------------------------------------------------------

class FollowupStatus(enum.StrEnum):
    OPEN = "open"  # 待核实
    VERIFIED = "verified"  # 已核实
    RECTIFIED = "rectified"  # 已整改
    ANSWERED = "answered"  # 已回访
    CLOSED = "closed"  # 已办结
    APPEALED = "appealed"  # 申诉中
    VOIDED = "voided"  # 申诉成立，评价作废


class FollowupAction(enum.StrEnum):
    VERIFY = "verify"
    RECTIFY = "rectify"
    ANSWER = "answer"
    CLOSE = "close"
    APPEAL = "appeal"
    UPHOLD = "uphold"  # the appeal is upheld: the rating is voided
    REJECT = "reject"  # the appeal is rejected: back where it was
    REMIND = "remind"  # 催办: a manager nudges whoever works it; nothing else changes


FOLLOWUP_LABELS = {FollowupStatus.OPEN: "待核实", FollowupStatus.VERIFIED: "已核实", FollowupStatus.RECTIFIED: "已整改",
                   FollowupStatus.ANSWERED: "已回访", FollowupStatus.CLOSED: "已办结",
                   FollowupStatus.APPEALED: "申诉中", FollowupStatus.VOIDED: "申诉成立"}
FOLLOWUP_DONE = frozenset({FollowupStatus.CLOSED, FollowupStatus.VOIDED})
ANSWER_WAYS = (("phone", "电话回访"), ("sms", "短信回访"), ("visit", "上门回访"), ("onsite", "现场回访"))
ANSWER_RESULTS = (("satisfied", "满意"), ("basic", "基本满意"), ("dissatisfied", "仍不满意"),
                  ("unreachable", "联系不上"))

_NEXT = {
    (FollowupStatus.OPEN, FollowupAction.VERIFY): FollowupStatus.VERIFIED,
    (FollowupStatus.VERIFIED, FollowupAction.RECTIFY): FollowupStatus.RECTIFIED,
    (FollowupStatus.RECTIFIED, FollowupAction.ANSWER): FollowupStatus.ANSWERED,
    (FollowupStatus.ANSWERED, FollowupAction.CLOSE): FollowupStatus.CLOSED,
    (FollowupStatus.OPEN, FollowupAction.APPEAL): FollowupStatus.APPEALED,
    (FollowupStatus.VERIFIED, FollowupAction.APPEAL): FollowupStatus.APPEALED,
    (FollowupStatus.APPEALED, FollowupAction.UPHOLD): FollowupStatus.VOIDED,
}
# Who acts: the responsible clerk and their department head work it; managers may do everything but appeal
# for someone, and decide appeals (never one they made).
WORKER_ACTIONS = frozenset({FollowupAction.VERIFY, FollowupAction.RECTIFY, FollowupAction.ANSWER,
                            FollowupAction.APPEAL})
MANAGER_ACTIONS = frozenset({FollowupAction.VERIFY, FollowupAction.RECTIFY, FollowupAction.ANSWER,
                             FollowupAction.CLOSE, FollowupAction.UPHOLD, FollowupAction.REJECT,
                             FollowupAction.REMIND})


@dataclass(frozen=True, slots=True)
class FollowupState:
    status: FollowupStatus
    appealed: bool = False  # an appeal was made (one per rating)
    before_appeal: FollowupStatus | None = None


def followup_step(state: FollowupState, action: FollowupAction, *, is_manager: bool, is_responsible: bool,
                  is_appellant: bool, note: str, way: str = "", result: str = "") -> FollowupState:
    """The follow-up after `action`, or a refusal saying why."""
    if is_manager:
        if action not in MANAGER_ACTIONS:
            raise Forbidden(E.FORBIDDEN, "申诉由责任人提出 (the one responsible appeals, not a manager)")
    elif not is_responsible or action not in WORKER_ACTIONS:
        raise Forbidden(E.FORBIDDEN, "无权办理此差评 (not yours to act on)")
    if action in (FollowupAction.UPHOLD, FollowupAction.REJECT) and is_appellant:
        raise Forbidden(E.OWN_APPEAL, "不能复核本人提出的申诉 (you cannot decide your own appeal)")
    if action in (FollowupAction.APPEAL, FollowupAction.UPHOLD, FollowupAction.REJECT, FollowupAction.RECTIFY,
                  FollowupAction.VERIFY) and not note.strip():
        raise InvalidInput(E.NOTE_REQUIRED, "请填写说明 (a note is required)", field="note")
    if action is FollowupAction.ANSWER and (way not in dict(ANSWER_WAYS) or result not in dict(ANSWER_RESULTS)):
        raise InvalidInput(E.NOTE_REQUIRED, "请选择回访方式和结果 (give the way and the result of the call)",
                           field="way")
    if action is FollowupAction.APPEAL and state.appealed:
        raise Conflict(E.ALREADY_APPEALED, "每条差评只能申诉一次 (one appeal per rating)")
    if action is FollowupAction.REMIND:
        if state.status in FOLLOWUP_DONE:
            raise Conflict(E.ILLEGAL_TRANSITION, "已办结，无需催办 (the follow-up is finished)")
        return state
    if action is FollowupAction.REJECT and state.status is FollowupStatus.APPEALED:
        return FollowupState(state.before_appeal or FollowupStatus.OPEN, True, None)
    target = _NEXT.get((state.status, action))
    if target is None:
        raise Conflict(E.ILLEGAL_TRANSITION,
                       f"差评处理状态为{FOLLOWUP_LABELS[state.status]}，不能{action.value} "
                       f"(cannot {action.value} a {state.status.value} follow-up)")
    if action is FollowupAction.APPEAL:
        return FollowupState(target, True, state.status)
    return FollowupState(target, state.appealed, None)
