"""The rules of supervision visits (巡察): who supervises whom on the hall tree, a visit's steps, the plan's period
and its coverage counted pro rata by days."""

from __future__ import annotations

import datetime as dt

import pytest

from hallops.domain.actors import Actor
from hallops.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from hallops.domain.halltree import scope_of
from hallops.domain.model import Role
from hallops.domain.supervision import (
    Centre,
    Period,
    VisitAction,
    VisitStatus,
    check_cancel,
    check_category,
    check_closes_visit_finding,
    check_district,
    check_sub_centre,
    check_supervises,
    check_visit_visible,
    coverage,
    default_responsible,
    finding_area,
    next_visit_status,
    parse_period,
    period_span,
)

# 1 district; 2, 3 streets; 4 a community of 2; 5 a community of 3.
PARENTS: dict[int, int | None] = {1: None, 2: 1, 3: 1, 4: 2, 5: 3}


def actor(role: Role, hall: int | None) -> Actor:
    return Actor(role, user_id=9, hall_id=hall, scope=scope_of(role, hall, PARENTS))


@pytest.mark.parametrize(("who", "hall", "outcome"), [
    (actor(Role.MANAGER, 1), 2, None), (actor(Role.MANAGER, 1), 5, None),  # the district: every centre below
    (actor(Role.MANAGER, 2), 4, None),  # a street: its own community
    (actor(Role.MANAGER, 2), 5, "not_found"),  # not another street's
    (actor(Role.MANAGER, 2), 3, "not_found"),
    (actor(Role.MANAGER, 2), 2, "own_centre"),  # nobody their own centre
    (actor(Role.MANAGER, 4), 4, "own_centre"),  # a community manager: nobody
    (actor(Role.MANAGER, 4), 2, "not_found"),
    (actor(Role.ADMIN, 2), 4, None),
    (actor(Role.ADMIN, None), 4, None),  # the deployment's administrator acts for the district
    (actor(Role.CLERK, 4), 4, "forbidden"), (actor(Role.KIOSK, 4), 4, "forbidden"),
    (actor(Role.DISPLAY, 1), 2, "forbidden"),
])
def test_who_supervises_which_centre(who: Actor, hall: int, outcome: str | None) -> None:
    if outcome is None:
        check_supervises(who, hall)
        return
    with pytest.raises((Forbidden, NotFound)) as e:
        check_supervises(who, hall)
    assert e.value.code == outcome
    assert isinstance(e.value, NotFound if outcome == "not_found" else Forbidden)


def test_refusals_say_why_in_both_languages() -> None:
    with pytest.raises(Forbidden) as e:
        check_supervises(actor(Role.MANAGER, 2), 2)
    assert e.value.message == ("不能巡察本中心，巡察由上级中心进行 (nobody supervises their own centre: a centre above "
                               "it does)")
    with pytest.raises(InvalidInput) as e2:
        check_sub_centre(None)
    assert (e2.value.code, e2.value.message) == ("not_a_sub_centre",
                                                 "只能巡察下级中心 (only a centre below another is supervised)")
    check_sub_centre(1)
    with pytest.raises(InvalidInput) as e2:
        check_district(1)
    assert e2.value.code == "not_a_district"
    check_district(None)


def test_a_visits_finding_is_closed_from_above() -> None:
    check_closes_visit_finding(actor(Role.MANAGER, 1), 4)
    check_closes_visit_finding(actor(Role.MANAGER, 2), 4)  # the street above the community, too
    with pytest.raises(Forbidden) as e:
        check_closes_visit_finding(actor(Role.MANAGER, 4), 4)
    assert (e.value.code, e.value.message) == ("own_centre", "巡察发现的问题由上级中心验收和调整 (a supervision "
                                                             "visit's finding is verified and changed by a centre "
                                                             "above)")
    with pytest.raises(Forbidden):
        check_closes_visit_finding(actor(Role.CLERK, 4), 4)
    with pytest.raises(NotFound):
        check_closes_visit_finding(actor(Role.MANAGER, 3), 4)


def test_a_visit_is_seen_by_those_who_supervise_its_centre_and_see_where_it_came_from() -> None:
    check_visit_visible(actor(Role.MANAGER, 1), 7, 4, 2)  # the district sees the street's visit
    check_visit_visible(actor(Role.MANAGER, 2), 7, 4, None)  # an unbound administrator's visit: every supervisor
    for who, centre, source in [(actor(Role.MANAGER, 2), 4, 1),  # the street does not see the district's
                                (actor(Role.MANAGER, 4), 4, 2),  # the centre itself does not
                                (actor(Role.MANAGER, 3), 4, 2), (actor(Role.CLERK, 4), 4, 1)]:
        with pytest.raises(NotFound) as e:
            check_visit_visible(who, 7, centre, source)
        assert (e.value.code, e.value.message) == ("visit_not_found",
                                                   "巡察记录不存在或无权查看 (no supervision visit 7)")
    with pytest.raises(NotFound):
        check_visit_visible(actor(Role.ADMIN, None), 7, None, None)


def test_a_visit_runs_once_to_finished_or_cancelled() -> None:
    started = VisitStatus.STARTED
    for action in (VisitAction.CHECK, VisitAction.RAISE, VisitAction.NOTE):
        assert next_visit_status(started, action) is started
    assert next_visit_status(started, VisitAction.FINISH) is VisitStatus.FINISHED
    assert next_visit_status(started, VisitAction.CANCEL) is VisitStatus.CANCELLED
    for done in (VisitStatus.FINISHED, VisitStatus.CANCELLED):
        for action in VisitAction:
            with pytest.raises(Conflict) as e:
                next_visit_status(done, action)
            assert e.value.code == "illegal_transition"
    with pytest.raises(Conflict) as e:
        next_visit_status(VisitStatus.FINISHED, VisitAction.RAISE)
    assert e.value.message == ("巡察状态为“已完成”，不能登记问题 "
                               "(cannot raise_finding a supervision visit that is finished)")
    check_cancel(0)
    with pytest.raises(Conflict) as e:
        check_cancel(1)
    assert e.value.code == "visit_has_findings"


def test_a_visits_finding_is_of_its_items_and_goes_to_the_centres_manager() -> None:
    check_category(["discipline", "integrity"], "integrity")
    check_category(["discipline"], "other")
    with pytest.raises(InvalidInput) as e:
        check_category(["discipline"], "hygiene")
    assert e.value.code == "unknown_category"
    staff = [(11, Role.ADMIN), (12, Role.MANAGER), (13, Role.MANAGER)]
    assert default_responsible(None, "", staff) == 12  # the first manager, before the administrator
    assert default_responsible(None, "", [(11, Role.ADMIN)]) == 11
    assert default_responsible(None, "", []) is None  # left to the findings' own default
    assert default_responsible(20, "", staff) == 20
    assert default_responsible(None, "物业公司", staff) is None  # someone outside the staff
    assert finding_area(None, None, "") == "全中心"
    assert finding_area(None, None, "等候区") == "等候区"
    assert finding_area(5, None, "") == ""


@pytest.mark.parametrize(("day", "period", "span"), [
    (dt.date(2026, 3, 31), Period.YEAR, ("2026-01-01", "2026-12-31")),
    (dt.date(2026, 6, 30), Period.HALF, ("2026-01-01", "2026-06-30")),
    (dt.date(2026, 7, 1), Period.HALF, ("2026-07-01", "2026-12-31")),
    (dt.date(2026, 12, 31), Period.HALF, ("2026-07-01", "2026-12-31")),
    (dt.date(2026, 5, 15), Period.QUARTER, ("2026-04-01", "2026-06-30")),
    (dt.date(2026, 11, 30), Period.QUARTER, ("2026-10-01", "2026-12-31")),
    (dt.date(2028, 2, 10), Period.MONTH, ("2028-02-01", "2028-02-29")),
    (dt.date(2026, 12, 1), Period.MONTH, ("2026-12-01", "2026-12-31")),
])
def test_the_period_is_the_calendars(day: dt.date, period: Period, span: tuple[str, str]) -> None:
    start, end = period_span(day, period)
    assert (start.isoformat(), end.isoformat()) == span


def test_a_period_is_named() -> None:
    assert parse_period("quarter") is Period.QUARTER
    with pytest.raises(InvalidInput) as e:
        parse_period("decade")
    assert e.value.code == "bad_period"


def sixty_two(visited: int, on: dt.date) -> list[Centre]:
    return [Centre(i, on if i < visited else None) for i in range(62)]


@pytest.mark.parametrize(("today", "visited", "expected", "behind"), [
    (dt.date(2026, 1, 1), 0, 0.17, False),  # 62 × 1/365
    (dt.date(2026, 3, 31), 15, 15.29, False),  # 62 × 90/365: 15 is on time
    (dt.date(2026, 3, 31), 14, 15.29, True),
    (dt.date(2026, 6, 30), 30, 30.75, False),  # 62 × 181/365 = 30.745
    (dt.date(2026, 12, 31), 61, 62.0, True),
    (dt.date(2026, 12, 31), 62, 62.0, False),
])
def test_coverage_is_counted_against_the_days_gone(today: dt.date, visited: int, expected: float,
                                                   behind: bool) -> None:
    cov = coverage(sixty_two(visited, dt.date(2026, 1, 1)), today, Period.YEAR)
    assert (cov.total, cov.visited, round(cov.expected, 2), cov.behind) == (62, visited, expected, behind)
    assert len(cov.not_visited) == 62 - visited
    assert round(cov.percent, 1) == round(100 * visited / 62, 1)


def test_the_centres_left_are_the_never_visited_then_the_longest_unvisited() -> None:
    centres = [Centre(1, dt.date(2025, 6, 1)), Centre(2, None), Centre(3, dt.date(2026, 2, 1)),
               Centre(4, dt.date(2025, 3, 1)), Centre(5, None), Centre(6, dt.date(2025, 12, 31))]
    cov = coverage(centres, dt.date(2026, 3, 1), Period.YEAR)
    assert cov.visited == 1 and cov.not_visited == (2, 5, 4, 1, 6)
    # Quarterly, 1 April starts again: the February visit no longer counts.
    cov = coverage(centres, dt.date(2026, 4, 1), Period.QUARTER)
    assert cov.visited == 0 and cov.not_visited == (2, 5, 4, 1, 6, 3)
    assert round(cov.expected, 3) == round(6 / 91, 3)


def test_no_centres_below_is_nothing_to_do() -> None:
    cov = coverage([], dt.date(2026, 5, 5), Period.MONTH)
    assert (cov.total, cov.visited, cov.expected, cov.percent, cov.behind, cov.not_visited) == (
        0, 0, 0.0, 100.0, False, ())
