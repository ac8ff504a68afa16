"""Supervision visits of sub-centres (巡察, issue 10): district staff inspect the centres below them, and plan to
visit every one of them within a period.

The seed's district centre visited all 62 of its street, new-town and community centres in a year, on work
discipline, window service quality and 吃拿卡要, joining on-site inspection (现场巡查) with remote inspection
from the centre's live figures (网络监查). Here:

- A visit is made by an administrator or manager bound to a centre ABOVE the one visited (a district manager
  visits every centre, a street manager its communities too); nobody supervises their own centre, and a centre
  at the top of a tree (a district centre) is supervised by nobody here. An account bound to no hall (the
  deployment's own administrator) acts for the district.
- A visit is on site or remote, walks its own checklist (each item passes or raises a finding), and lives
  started → finished (every item answered) or cancelled (only without findings).
- Its findings are the visited centre's findings (hallops/domain/patrols.py: the same life, the same working-day
  due dates), given by default to the centre's own manager; they are verified or sent back only from above.
- The plan: every centre below the district visited within a period (a calendar year unless the district
  chooses a half, a quarter or a month), with the share that should be done by now, pro rata by days.

Pure: the actor, the rows and the day are passed in.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hallops.domain.actors import Actor
from hallops.domain.errors import Conflict, E, Forbidden, InvalidInput, NotFound
from hallops.domain.model import Role
from hallops.domain.patrols import ChecklistItem
from hallops.domain.transitions import Transitions


class VisitMode(enum.StrEnum):
    ON_SITE = "on_site"  # 现场巡察: the inspector walks the centre
    REMOTE = "remote"  # 网络监查: the inspector judges from the centre's live state and recent events


MODE_ZH = {VisitMode.ON_SITE: "现场巡察", VisitMode.REMOTE: "网络监查"}


class VisitStatus(enum.StrEnum):
    STARTED = "started"
    FINISHED = "finished"
    CANCELLED = "cancelled"


class VisitAction(enum.StrEnum):
    CHECK = "check"  # answer an item
    RAISE = "raise_finding"
    NOTE = "note"  # change the visit's note
    FINISH = "finish"
    CANCEL = "cancel"


V = VisitStatus
VISIT_MOVES = Transitions(
    "巡察", "supervision visit",
    {VisitAction.CHECK: (frozenset({V.STARTED}), V.STARTED), VisitAction.RAISE: (frozenset({V.STARTED}), V.STARTED),
     VisitAction.NOTE: (frozenset({V.STARTED}), V.STARTED), VisitAction.FINISH: (frozenset({V.STARTED}), V.FINISHED),
     VisitAction.CANCEL: (frozenset({V.STARTED}), V.CANCELLED)},
    {V.STARTED: "进行中", V.FINISHED: "已完成", V.CANCELLED: "已取消"},
    {VisitAction.CHECK: "检查", VisitAction.RAISE: "登记问题", VisitAction.NOTE: "修改备注", VisitAction.FINISH: "完成",
     VisitAction.CANCEL: "取消"})


def next_visit_status(current: VisitStatus, action: VisitAction) -> VisitStatus:
    return VISIT_MOVES.next(current, action)


# What the seed's supervision group looked at, in walking order. Codes shared with the patrol checklist
# (hallops/domain/patrols.py) mean the same thing there, so a centre's findings of one kind count together.
SUPERVISION_CHECKLIST: tuple[ChecklistItem, ...] = (
    ChecklistItem("discipline", "工作纪律", "Work discipline"),
    ChecklistItem("service_quality", "窗口服务质量", "Window service quality"),
    ChecklistItem("integrity", "吃拿卡要", "Integrity (no bribes, no obstruction)"),
    ChecklistItem("signage", "标识导引", "Signage and guidance"),
    ChecklistItem("elderly_help", "适老化服务", "Elderly area and help"),
    ChecklistItem("queue_order", "排队秩序", "Queue order"),
    ChecklistItem("facilities", "设施设备", "Facilities and equipment"),
)
# What a visit's finding is about when it names no window, clerk or area: the centre as a whole.
WHOLE_CENTRE = "全中心"


# -- who supervises whom ----------------------------------------------------------------------------------

def check_supervises(actor: Actor, hall_id: int) -> None:
    """An administrator or manager whose part of the tree holds the centre, bound to a centre above it (or to
    none). The centre is out of sight of anyone else: it does not exist for them."""
    if actor.role not in (Role.ADMIN, Role.MANAGER):
        raise Forbidden(E.FORBIDDEN, f"角色 {actor.role.value} 不能巡察 (role {actor.role.value} may not supervise)")
    actor.check_hall(hall_id)
    if actor.hall_id == hall_id:
        raise Forbidden(E.OWN_CENTRE, "不能巡察本中心，巡察由上级中心进行 (nobody supervises their own centre: "
                                       "a centre above it does)")


def check_closes_visit_finding(actor: Actor, hall_id: int) -> None:
    """A supervision visit's finding is verified, sent back or changed (due date, severity, who fixes it) from
    above: by the inspector or other staff who supervise the centre, never by the centre's own staff (who fix it)."""
    if actor.hall_id == hall_id and actor.role in (Role.ADMIN, Role.MANAGER):
        raise Forbidden(E.OWN_CENTRE, "巡察发现的问题由上级中心验收和调整 (a supervision visit's finding is verified "
                                      "and changed by a centre above)")
    check_supervises(actor, hall_id)


def check_sub_centre(parent_id: int | None) -> None:
    """Only a centre below another is supervised (a district centre is at the top of its tree)."""
    if parent_id is None:
        raise InvalidInput(E.NOT_A_SUB_CENTRE, "只能巡察下级中心 (only a centre below another is supervised)",
                           field="hall")


def may_see_visit(actor: Actor, centre_id: int, from_hall_id: int | None) -> bool:
    """Who sees a visit: staff who may supervise its centre and who see the centre it was made from (a street
    manager sees their own visits of a community, not the district's)."""
    return (actor.role in (Role.ADMIN, Role.MANAGER) and actor.sees(centre_id) and actor.hall_id != centre_id
            and (from_hall_id is None or actor.sees(from_hall_id)))


def check_visit_visible(actor: Actor, visit_id: int, centre_id: int | None, from_hall_id: int | None) -> None:
    """A visit this actor may not see does not exist for them (`centre_id` None: no such visit)."""
    if centre_id is None or not may_see_visit(actor, centre_id, from_hall_id):
        raise NotFound(E.VISIT_NOT_FOUND, f"巡察记录不存在或无权查看 (no supervision visit {visit_id})")


def check_no_visit_in_progress(visit_id: int | None) -> None:
    """One visit at a time at a centre: a second start (a double tap, a colleague) is told of the first."""
    if visit_id is not None:
        raise Conflict(E.VISIT_IN_PROGRESS, f"该中心已有进行中的巡察 #{visit_id} (a visit of this centre is "
                                             f"already in progress)", visit=visit_id)


def check_cancel(finding_count: int) -> None:
    """A visit that raised findings is finished, never cancelled: its findings keep their visit."""
    if finding_count > 0:
        raise Conflict(E.VISIT_HAS_FINDINGS, "巡察已记录问题，请完成巡察 (the visit has findings; finish it)")


def check_category(items: Iterable[str], category: str) -> None:
    """A visit's finding is of one of its items, or "other"."""
    if category != "other" and category not in set(items):
        raise InvalidInput(E.UNKNOWN_CATEGORY, f"问题类别不存在 (no category {category!r} on this visit)",
                           field="category")


def default_responsible(given: int | None, given_name: str, staff: Sequence[tuple[int, Role]]) -> int | None:
    """Who fixes a visit's finding: the staff member given, else nobody of the staff when a name is given (the
    property firm), else the centre's own manager (the first), else its administrator; None leaves it to the
    findings' own default (the clerk named, or whoever is at the window)."""
    if given is not None or given_name:
        return given
    for role in (Role.MANAGER, Role.ADMIN):
        for user_id, r in staff:
            if r is role:
                return user_id
    return None


def finding_area(window_id: int | None, clerk_id: int | None, area: str) -> str:
    """A visit's finding names no window, clerk or area: it is about the centre as a whole."""
    if area or window_id is not None or clerk_id is not None:
        return area
    return WHOLE_CENTRE


# -- the plan: every centre within a period ---------------------------------------------------------------

class Period(enum.StrEnum):
    YEAR = "year"
    HALF = "half"
    QUARTER = "quarter"
    MONTH = "month"


DEFAULT_PERIOD = Period.YEAR
_MONTHS = {Period.YEAR: 12, Period.HALF: 6, Period.QUARTER: 3, Period.MONTH: 1}


def parse_period(value: str) -> Period:
    try:
        return Period(value)
    except ValueError:
        raise InvalidInput(E.BAD_PERIOD, "周期应为 year、half、quarter 或 month (period must be year, half, quarter "
                                         "or month)", field="period") from None


def check_district(parent_id: int | None) -> None:
    """The plan is the district centre's, set there; the centres below follow it."""
    if parent_id is not None:
        raise InvalidInput(E.NOT_A_DISTRICT, "巡察周期由区级中心设置 (the plan is set at the district centre)",
                           field="hall")


def period_span(day: dt.date, period: Period) -> tuple[dt.date, dt.date]:
    """The first and last day of the calendar period holding `day`."""
    months = _MONTHS[period]
    first_month = (day.month - 1) // months * months + 1
    start = dt.date(day.year, first_month, 1)
    after = first_month + months
    end = dt.date(day.year + (after > 12), (after - 1) % 12 + 1, 1) - dt.timedelta(days=1)
    return start, end


@dataclass(frozen=True, slots=True)
class Centre:
    """A centre of the plan: its id and the day of its last finished visit (None: never visited)."""

    id: int
    last_visit: dt.date | None


@dataclass(frozen=True, slots=True)
class Coverage:
    period: Period
    start: dt.date
    end: dt.date
    total: int  # centres below the root
    visited: int  # of them, visited in this period
    expected: float  # how many should be by the end of today, the period's days spread evenly
    not_visited: tuple[int, ...]  # centre ids, the longest unvisited first

    @property
    def percent(self) -> float:
        return 100.0 * self.visited / self.total if self.total else 100.0

    @property
    def behind(self) -> bool:
        """Fewer visited than the whole centres expected by now (15 of 62 on 31 March, expected 15.3: on time)."""
        return self.visited < int(self.expected)


def coverage(centres: Sequence[Centre], today: dt.date, period: Period) -> Coverage:
    """Where the plan stands on `today`: the centres (in tree order) visited in the current period, how many
    should be by the end of today, and the rest, never visited first, then the oldest last visit first."""
    start, end = period_span(today, period)
    done = {c.id for c in centres if c.last_visit is not None and start <= c.last_visit <= end}
    share = ((today - start).days + 1) / ((end - start).days + 1)
    order = {c.id: i for i, c in enumerate(centres)}
    left = sorted((c for c in centres if c.id not in done),
                  key=lambda c: (c.last_visit is not None, c.last_visit or dt.date.min, order[c.id]))
    return Coverage(period, start, end, len(centres), len(done), len(centres) * share, tuple(c.id for c in left))
