"""Patrols and findings: the day's quota spread over opening hours, the checklist, and a finding's life.

A hall runs at least 6 full patrols (全面巡查) and 4 key-window spot checks (重点窗口抽查) a day, spread
over its opening hours: by any moment a share of the quota proportional to the opening time gone by should
be done. A patrol walks a checklist; an item either passes or raises a finding. A finding lives
open → rectifying → rectified → verified, or is reopened from rectified (and goes round again). Three
findings of one category at one window within 30 days are flagged for escalation (提醒告知, then 约谈).

Everything here is pure: the day, the hour and "now" are passed in.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from hallops.domain.actors import Actor
from hallops.domain.calendar import CountFrom, Deadline, WorkCalendar
from hallops.domain.errors import Conflict, E, Forbidden, InvalidInput, UnsupportedMediaType
from hallops.domain.model import Role
from hallops.domain.numbering import IssuingHours
from hallops.domain.transitions import Transitions


class PatrolKind(enum.StrEnum):
    FULL = "full"  # 全面巡查
    SPOT = "spot"  # 重点窗口抽查


KIND_ZH = {PatrolKind.FULL: "全面巡查", PatrolKind.SPOT: "重点窗口抽查"}


class PatrolStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class CheckResult(enum.StrEnum):
    PASS = "pass"
    FINDING = "finding"


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    code: str
    name: str
    name_en: str


# The seed's checklist, in walking order. A hall may edit its own; these are what a new hall starts with.
DEFAULT_CHECKLIST: tuple[ChecklistItem, ...] = (
    ChecklistItem("on_post", "人员在岗", "Staff on post"),
    ChecklistItem("discipline", "工作纪律", "Work discipline"),
    ChecklistItem("dress_badge", "着装及挂牌", "Dress and badge"),
    ChecklistItem("attitude", "服务态度与文明用语", "Attitude and language"),
    ChecklistItem("integrity", "吃拿卡要", "Integrity (no bribes, no obstruction)"),
    ChecklistItem("queue_order", "排队秩序", "Queue order"),
    ChecklistItem("waiting_time", "等候时间", "Waiting time"),
    ChecklistItem("elderly_help", "老年人接待区及帮办台", "Elderly area and help desk"),
    ChecklistItem("facilities", "设施设备", "Facilities and equipment"),
    ChecklistItem("hygiene", "环境卫生", "Hygiene"),
    ChecklistItem("signage", "标识标牌与公告", "Signage and notices"),
)
OTHER_CATEGORY = ChecklistItem("other", "其他", "Other")


def missing_items(items: Iterable[str], checked: Iterable[str]) -> list[str]:
    """Checklist codes not yet answered, in checklist order: a patrol is finished only when none are left."""
    done = set(checked)
    return [c for c in items if c not in done]


# -- the day's quota and its schedule -------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class OpeningHours:
    """When the hall is open: clock spans (e.g. "09:00-12:00,13:00-17:00") on some ISO weekdays (1 = Monday)."""

    hours: IssuingHours
    weekdays: frozenset[int]

    @classmethod
    def parse(cls, hours: str, weekdays: str = "1,2,3,4,5") -> OpeningHours:
        days: set[int] = set()
        for part in weekdays.replace(" ", "").split(","):
            if not part:
                continue
            if not part.isdigit() or not 1 <= int(part) <= 7:
                raise InvalidInput(E.BAD_WEEKDAYS, f"开放日应为 1–7 的数字 (weekdays are 1-7: {part!r})")
            days.add(int(part))
        return cls(IssuingHours.parse(hours), frozenset(days))

    def is_open_day(self, day: dt.date) -> bool:
        return day.isoweekday() in self.weekdays

    def total_minutes(self) -> int:
        return sum(s.end - s.start for s in self.hours.spans)

    def elapsed_minutes(self, day: dt.date, minute_of_day: float) -> float:
        """Opening minutes of `day` gone by at `minute_of_day` (local)."""
        if not self.is_open_day(day):
            return 0.0
        return sum(max(0.0, min(minute_of_day, s.end) - s.start) for s in self.hours.spans)

    def is_open_at(self, day: dt.date, minute_of_day: float) -> bool:
        return self.is_open_day(day) and any(s.start <= minute_of_day < s.end for s in self.hours.spans)

    def minute_at(self, opening_minute: float) -> float:
        """The clock minute at which `opening_minute` minutes of opening time have gone by."""
        left = opening_minute
        for s in self.hours.spans:
            length = s.end - s.start
            if left <= length:
                return s.start + left
            left -= length
        return float(self.hours.spans[-1].end)

    def minutes_open_since(self, day: dt.date, minute_of_day: float) -> float | None:
        """How long the current opening span has been open, or None when closed now."""
        if not self.is_open_day(day):
            return None
        for s in self.hours.spans:
            if s.start <= minute_of_day < s.end:
                return minute_of_day - s.start
        return None


@dataclass(frozen=True, slots=True)
class QuotaProgress:
    kind: PatrolKind
    quota: int  # today's quota (0 on a closed day)
    done: int
    expected: int  # how many should be done by now, the quota spread evenly over opening time
    behind: bool  # fewer done than expected, past the grace period
    behind_minutes: float  # how long the earliest missed slot has been missed (0 when on time)
    next_due_minute: float | None  # local clock minute by which the next one is due (None: quota met or closed)

    @property
    def remaining(self) -> int:
        return max(0, self.quota - self.done)


def slot_minutes(opening: OpeningHours, quota: int) -> list[float]:
    """The clock minutes by which the 1st, 2nd … patrol of the day is due: quota spread evenly over opening
    time, the last one due at closing."""
    total = opening.total_minutes()
    if quota <= 0 or total <= 0:
        return []
    return [opening.minute_at(total * (i + 1) / quota) for i in range(quota)]


def quota_progress(kind: PatrolKind, opening: OpeningHours, quota: int, done: int, day: dt.date,
                   minute_of_day: float, grace_minutes: float = 0.0) -> QuotaProgress:
    """Where the day's patrols of one kind stand at `minute_of_day` (local minutes after midnight)."""
    if not opening.is_open_day(day) or quota <= 0 or opening.total_minutes() <= 0:
        return QuotaProgress(kind, 0, done, 0, False, 0.0, None)
    slots = slot_minutes(opening, quota)
    expected = sum(1 for m in slots if m <= minute_of_day)
    # Behind only once the first missed slot is more than `grace` minutes past (a patrol takes time).
    behind_minutes = 0.0
    if done < expected:
        behind_minutes = minute_of_day - slots[done]
    behind = done < expected and behind_minutes > grace_minutes
    next_due = slots[done] if done < quota else None
    return QuotaProgress(kind, quota, done, expected, behind, max(0.0, behind_minutes), next_due)


def local_minute(now: dt.datetime) -> float:
    return now.hour * 60 + now.minute + now.second / 60


# -- findings ---------------------------------------------------------------------------------------------

class Severity(enum.StrEnum):
    MINOR = "minor"  # 一般
    MAJOR = "major"  # 较重
    SERIOUS = "serious"  # 严重


SEVERITY_ZH = {Severity.MINOR: "一般", Severity.MAJOR: "较重", Severity.SERIOUS: "严重"}
# Default time to rectify when the manager gives no due date, in working days on the hall's calendar (the one
# deadline engine of hallops/domain/calendar.py, shared with rating follow-ups and cases), counted by default
# from the day the finding is made: a serious one is due by the end of that working day. The graver, the
# sooner. A hall changes them in its quality settings (`FINDING_DAYS_SETTING`, `finding_count_from`).
DEFAULT_DUE_DAYS = {Severity.MINOR: 5, Severity.MAJOR: 3, Severity.SERIOUS: 1}
FINDING_DAYS_SETTING = {Severity.MINOR: "finding_minor_days", Severity.MAJOR: "finding_major_days",
                        Severity.SERIOUS: "finding_serious_days"}
FINDING_COUNT_FROM = CountFrom.RECEIPT_DAY


class FindingStatus(enum.StrEnum):
    OPEN = "open"
    RECTIFYING = "rectifying"
    RECTIFIED = "rectified"
    VERIFIED = "verified"
    REOPENED = "reopened"


STATUS_ZH = {FindingStatus.OPEN: "待整改", FindingStatus.RECTIFYING: "整改中", FindingStatus.RECTIFIED: "待验收",
             FindingStatus.VERIFIED: "已验收", FindingStatus.REOPENED: "重新整改"}
# Waiting for the person responsible: these may run overdue. A rectified finding waits for the manager.
PENDING_FIX = frozenset({FindingStatus.OPEN, FindingStatus.RECTIFYING, FindingStatus.REOPENED})


class FindingAction(enum.StrEnum):
    START = "start"  # the responsible person answers and begins the fix
    RECTIFY = "rectify"  # reports what was done
    VERIFY = "verify"  # a manager checks the fix and closes the finding
    REOPEN = "reopen"  # a manager finds the fix not good enough


F = FindingStatus
FINDING_TRANSITIONS: dict[FindingAction, tuple[frozenset[FindingStatus], FindingStatus]] = {
    FindingAction.START: (frozenset({F.OPEN, F.REOPENED}), F.RECTIFYING),
    FindingAction.RECTIFY: (frozenset({F.OPEN, F.RECTIFYING, F.REOPENED}), F.RECTIFIED),
    FindingAction.VERIFY: (frozenset({F.RECTIFIED}), F.VERIFIED),
    FindingAction.REOPEN: (frozenset({F.RECTIFIED}), F.REOPENED),
}
ACTION_ZH = {FindingAction.START: "开始整改", FindingAction.RECTIFY: "提交整改", FindingAction.VERIFY: "验收",
             FindingAction.REOPEN: "退回重改"}
SUPERVISOR_ACTIONS = frozenset({FindingAction.VERIFY, FindingAction.REOPEN})


FINDING_MOVES = Transitions("问题", "finding", FINDING_TRANSITIONS, STATUS_ZH, ACTION_ZH)


def next_finding_status(current: FindingStatus, action: FindingAction) -> FindingStatus:
    return FINDING_MOVES.next(current, action)


def check_verifier(verifier_user_id: int | None, rectified_by_user_id: int | None,
                   verifier_token_id: int | None = None, rectified_by_token_id: int | None = None) -> None:
    """Nobody verifies their own rectification: the check must be a second pair of eyes. A device signed in by
    token, with no person behind it, is one actor: it may not verify what it reported fixed either."""
    same_person = verifier_user_id is not None and verifier_user_id == rectified_by_user_id
    same_device = (verifier_user_id is None and verifier_token_id is not None
                   and verifier_token_id == rectified_by_token_id)
    if same_person or same_device:
        raise Forbidden(E.OWN_RECTIFICATION, "不能验收本人提交的整改 (you cannot verify your own rectification)")


def is_overdue(status: FindingStatus, due_at: float | None, now: float) -> bool:
    return status in PENDING_FIX and due_at is not None and now > due_at


def default_deadline(calendar: WorkCalendar, found: dt.date, severity: Severity,
                     settings: Mapping[str, object] | None = None) -> Deadline:
    """The due day of a finding made on `found` when the manager gives no due date: the severity's working
    days on the hall's calendar, by the hall's counting rule for findings (from the day found, unless the
    hall says otherwise). Provisional when counted over a year nobody has published."""
    s = settings or {}
    days = int(s.get(FINDING_DAYS_SETTING[severity], DEFAULT_DUE_DAYS[severity]))  # type: ignore[call-overload]
    count_from = CountFrom(str(s.get("finding_count_from", FINDING_COUNT_FROM.value)))
    return calendar.deadline(found, days, count_from)


# -- escalation -------------------------------------------------------------------------------------------

ESCALATION_WINDOW_DAYS = 30
ESCALATION_COUNT = 3


class Escalation(enum.StrEnum):
    NONE = "none"
    REMINDER = "reminder"  # 提醒告知: a written reminder to the window's department
    INTERVIEW = "interview"  # 约谈: the department head is called in


ESCALATION_ZH = {Escalation.NONE: "", Escalation.REMINDER: "提醒告知", Escalation.INTERVIEW: "约谈"}


def escalation_for(found_at: Sequence[float], now: float) -> tuple[Escalation, int]:
    """From the times of the findings of one category at one window (this one included), the escalation
    due now and how many fell within the last 30 days: the 3rd → reminder, the 4th and later → 约谈."""
    since = now - ESCALATION_WINDOW_DAYS * 86400
    n = sum(1 for t in found_at if since < t <= now)
    if n >= ESCALATION_COUNT + 1:
        return Escalation.INTERVIEW, n
    if n >= ESCALATION_COUNT:
        return Escalation.REMINDER, n
    return Escalation.NONE, n


# -- what the patrol and finding use cases allow (checked in the write job, on the rows it loaded) -------

def check_patrol_window(kind: PatrolKind, window_id: int | None, key_window: bool | None) -> None:
    """A spot check is of one active key window; a full patrol covers the whole hall (no window).
    `key_window` is None when the window is not an active window of the hall."""
    if kind is PatrolKind.SPOT:
        if window_id is None:
            raise InvalidInput(E.WINDOW_REQUIRED, "重点窗口抽查须选择窗口 (a spot check needs a window)",
                               field="window")
        if key_window is None:
            raise InvalidInput(E.WINDOW_NOT_FOUND, f"窗口不存在 (no window {window_id})", field="window")
        if not key_window:
            raise InvalidInput(E.NOT_KEY_WINDOW, "只能抽查重点窗口 (spot checks are for key windows)",
                               field="window")
    elif window_id is not None:
        raise InvalidInput(E.WINDOW_NOT_ALLOWED, "全面巡查不针对单个窗口 (a full patrol covers the whole hall)",
                           field="window")


def check_patrol_open(status: PatrolStatus) -> None:
    """Only an open patrol is checked, finished, cancelled or given findings."""
    if status is not PatrolStatus.OPEN:
        raise Conflict(E.PATROL_CLOSED, f"巡查已{'完成' if status is PatrolStatus.DONE else '取消'} "
                                        f"(the patrol is {status.value})", status=status.value)


def check_item_answer(items: Sequence[str], item: str, result: CheckResult, has_finding: bool) -> None:
    """An item of this patrol's checklist; one that already has a finding cannot pass."""
    if item not in items:
        raise InvalidInput(E.UNKNOWN_ITEM, f"检查项不存在 (no checklist item {item!r})", field="item")
    if result is CheckResult.PASS and has_finding:
        raise Conflict(E.ITEM_HAS_FINDING, "该项已记录问题，不能标为合格 (this item already has a finding)")


def check_finish(items: Sequence[str], checked: Iterable[str]) -> None:
    left = missing_items(items, checked)
    if left:
        raise Conflict(E.ITEMS_UNCHECKED, f"还有 {len(left)} 项未检查 ({len(left)} checklist items not done)",
                       items=left)


def check_cancel(finding_count: int) -> None:
    """A patrol with findings is finished, never cancelled: its findings keep their patrol."""
    if finding_count > 0:
        raise Conflict(E.PATROL_HAS_FINDINGS, "巡查已记录问题，请完成巡查 (the patrol has findings; finish it)")


def check_checklist_codes(codes: Sequence[str]) -> None:
    if len(set(codes)) != len(codes):
        raise InvalidInput(E.DUPLICATE_ITEM, "检查项编码重复 (checklist codes must be unique)")
    if OTHER_CATEGORY.code in codes:
        raise InvalidInput(E.RESERVED_CODE, "“other” 为保留编码 (“other” is reserved)")


def check_finding_subject(window_id: int | None, clerk_id: int | None, area: str) -> None:
    """A finding is about something: a window, a clerk or an area of the hall."""
    if window_id is None and clerk_id is None and not area:
        raise InvalidInput(E.SUBJECT_REQUIRED, "请指明窗口、人员或区域 (name a window, a clerk or an area)",
                           field="window")


def default_responsible(given: int | None, clerk_id: int | None, window_clerk_id: int | None) -> int | None:
    """Who fixes a finding: as given, else the clerk it names, else whoever is signed in at its window."""
    if given is not None:
        return given
    return clerk_id if clerk_id is not None else window_clerk_id


def check_due(due_at: float, now: float) -> None:
    if due_at <= now:
        raise InvalidInput(E.DUE_IN_PAST, "整改期限须晚于现在 (the due date must be in the future)", field="due_at")


def finding_step(current: FindingStatus, action: FindingAction, *, is_supervisor: bool, actor_user_id: int | None,
                 rectified_by_user_id: int | None, note: str, actor_token_id: int | None = None,
                 rectified_by_token_id: int | None = None) -> FindingStatus:
    """The status a finding moves to by `action`, or the refusal: only managers verify or reopen, nobody verifies
    their own rectification, the move must be legal from `current`, a fix or a reopening says why."""
    if action in SUPERVISOR_ACTIONS and not is_supervisor:
        raise Forbidden(E.FORBIDDEN, "只有管理人员可以验收或退回 (only managers verify or reopen)")
    if action is FindingAction.VERIFY:
        check_verifier(actor_user_id, rectified_by_user_id, actor_token_id, rectified_by_token_id)
    new = next_finding_status(current, action)
    if action in (FindingAction.RECTIFY, FindingAction.REOPEN) and not note:
        raise InvalidInput(E.NOTE_REQUIRED, "请填写说明 (say what was done, or why it is reopened)", field="note")
    return new


def check_finding_changeable(status: FindingStatus) -> None:
    if status is FindingStatus.VERIFIED:
        raise Conflict(E.FINDING_CLOSED, "问题已验收，不能修改 (the finding is verified)")


# -- photos -------------------------------------------------------------------------------------------------

MAX_PHOTO_BYTES = 5 * 1024 * 1024


class PhotoStage(enum.StrEnum):
    FOUND = "found"  # taken when the finding was recorded (managers)
    RECTIFIED = "rectified"  # of the fix


def photo_stage(requested: str | None, is_supervisor: bool) -> PhotoStage:
    """The stage of an uploaded photo: as asked, else managers photograph what they found, clerks their fix."""
    if not requested:
        return PhotoStage.FOUND if is_supervisor else PhotoStage.RECTIFIED
    try:
        return PhotoStage(requested)
    except ValueError:
        raise InvalidInput(E.BAD_QUERY, "stage 应为 found 或 rectified (stage must be found or rectified)",
                           field="stage") from None


def check_photo(status: FindingStatus, stage: PhotoStage, is_supervisor: bool) -> None:
    """Photos go to a finding still open; clerks add photos of their fix only."""
    if status is FindingStatus.VERIFIED:
        raise Conflict(E.FINDING_CLOSED, "问题已验收，不能再添加照片 (the finding is verified)")
    if stage is PhotoStage.FOUND and not is_supervisor:
        raise Forbidden(E.FORBIDDEN, "工作人员只能上传整改照片 (clerks add photos of the fix)")


def sniff_image(head: bytes) -> str | None:
    """The image type from its first bytes (never from a file name or a header the client chose)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def image_type(data: bytes) -> str:
    """The type of an uploaded photo, or the refusal: JPEG, PNG and WebP only."""
    mime = sniff_image(data[:16])
    if mime is None:
        raise UnsupportedMediaType(E.UNSUPPORTED_MEDIA_TYPE,
                                   "照片须为 JPEG、PNG 或 WebP 图像 (a photo must be a JPEG, PNG or WebP image)")
    return mime


def actor_name(actor: Actor) -> str:
    """The name a patrol, finding or alert keeps of who acted: the person's name, or the token's label."""
    if actor.display_name:
        return actor.display_name
    return f"{actor.role.value} token {actor.token_id}" if actor.token_id else actor.role.value


def may_see_finding(actor: Actor, *, window_id: int | None, window_clerk_user_id: int | None,
                    clerk_user_id: int | None, responsible_user_id: int | None) -> bool:
    """Who sees a finding of their hall: managers and admins every one; a clerk's token bound to a window those
    about that window; a signed-in clerk those about the window they are signed in to, about them, or given
    them to fix. (storage/findings.py says the same in SQL to filter lists: `_visible_sql`.)"""
    if actor.role is not Role.CLERK:
        return True
    if actor.window_id is not None:
        return window_id == actor.window_id
    return actor.user_id is not None and actor.user_id in (window_clerk_user_id, clerk_user_id, responsible_user_id)
