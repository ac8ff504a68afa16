"""The hall's waiting lines in memory (hallops/domain/lines.py): people ahead under priority classes, ties
and window lines; the estimate's inputs; and the self-checks that make the holder read again."""

from __future__ import annotations

from typing import Any

from hallops.domain.estimate import WaitRange
from hallops.domain.lines import HallLines, QueueFacts, Waiting
from hallops.domain.policy import PolicyParams

A, B = 1, 2
W5, W6 = 50, 60
POLICY = PolicyParams(aging_step=300.0, priority_boost=3600.0, appointment_boost=1800.0)
NOW = 100_000.0


def hall(*waiting: Waiting, services: tuple[tuple[float, float], ...] = (), open_windows: tuple[int, ...] = (W5,),
         seq: int = 10) -> HallLines:
    return HallLines(seq, POLICY, waiting, {A: QueueFacts(8.0, services), B: QueueFacts(5.0)},
                     {W5: "open" if W5 in open_windows else "closed", W6: "open" if W6 in open_windows else "closed"},
                     {W5: [A, B], W6: [A]})


def ticket(tid: int, sort_at: float, *, queue: int = A, cls: int = 0, target: int | None = None,
           status: str = "waiting") -> dict[str, Any]:
    return {"id": tid, "queue_id": queue, "status": status,
            "line": {"sort_at": sort_at, "boost_class": cls, "target_window_id": target}}


def test_people_ahead_follow_the_keys_of_each_class() -> None:
    lines = hall(Waiting(1, A, None, 0, NOW), Waiting(2, A, None, 0, NOW + 10),
                 Waiting(3, A, None, 1, NOW + 200),  # elderly: counts as if it came an hour earlier
                 Waiting(4, A, None, 2, NOW + 1900),  # appointment: half an hour earlier, so after ticket 1 and 2
                 Waiting(5, B, None, 0, NOW - 50))
    assert [lines.ahead(t) for t in (3, 1, 2, 4)] == [0, 1, 2, 3]
    assert lines.ahead(5) == 0  # another queue is another line
    assert lines.ahead(99) is None


def test_equal_keys_go_by_ticket_id_as_the_database_orders_them() -> None:
    lines = hall(Waiting(7, A, None, 0, NOW), Waiting(6, A, None, 0, NOW),
                 Waiting(8, A, None, 1, NOW + 3600))  # elderly, exactly level with both
    assert (lines.ahead(6), lines.ahead(7), lines.ahead(8)) == (0, 1, 2)


def test_a_ticket_sent_to_one_window_stands_in_that_window_s_line() -> None:
    lines = hall(Waiting(1, A, None, 0, NOW), Waiting(2, A, None, 0, NOW + 10))
    lines.apply(11, "ticket.transferred", NOW + 60, {"ticket": ticket(2, NOW + 10, target=W6),
                                                     "queues": [{"id": A, "waiting": 2}]})
    assert (lines.ahead(1), lines.ahead(2)) == (0, 0)
    assert lines.queue_waiting(A) == 2  # the events count waiting tickets by queue, whatever their line
    assert lines.stale is None


def test_calls_cancels_and_issues_move_the_line() -> None:
    lines = hall(Waiting(1, A, None, 0, NOW), Waiting(2, A, None, 0, NOW + 10), Waiting(3, A, None, 0, NOW + 20))
    lines.apply(11, "ticket.called", NOW + 30, {"ticket": ticket(1, NOW, status="called"),
                                                "queues": [{"id": A, "waiting": 2}]})
    lines.apply(12, "ticket.issued", NOW + 40, {"ticket": ticket(4, NOW + 40, cls=1), "people_ahead": 0})
    lines.apply(13, "ticket.cancelled", NOW + 50, {"ticket": ticket(2, NOW + 10, status="cancelled"),
                                                   "queues": [{"id": A, "waiting": 2}]})
    assert (lines.ahead(4), lines.ahead(3), lines.ahead(1), lines.ahead(2)) == (0, 1, None, None)
    assert (lines.seq, lines.stale) == (13, None)


def test_what_it_cannot_follow_leaves_it_stale() -> None:
    gap = hall(Waiting(1, A, None, 0, NOW))
    gap.apply(12, "ticket.called", NOW, {"ticket": ticket(1, NOW, status="called")})
    assert gap.stale is not None and "11" in gap.stale

    old = hall(Waiting(1, A, None, 0, NOW))
    old.apply(10, "ticket.called", NOW, {"ticket": ticket(1, NOW, status="called")})  # already in the read
    assert (old.stale, old.ahead(1)) == (None, 0)

    for type_ in ("layout.changed", "day.closed"):
        lines = hall()
        lines.apply(11, type_, NOW, {})
        assert lines.stale is not None

    counted = hall(Waiting(1, A, None, 0, NOW))
    counted.apply(11, "ticket.called", NOW, {"ticket": ticket(2, NOW, status="called"),  # never seen waiting
                                             "queues": [{"id": A, "waiting": 0}]})
    assert counted.stale is not None and "1 waiting here, 0 in the database" in counted.stale

    said = hall(Waiting(1, A, None, 0, NOW))
    said.apply(11, "ticket.issued", NOW, {"ticket": ticket(2, NOW + 5), "people_ahead": 0})
    assert said.stale is not None and "1 ahead here, 0 in the database" in said.stale


def test_the_estimate_learns_from_the_last_two_hours_and_the_open_windows() -> None:
    # Three services of 10 min against a typical 8: mean (30 + 3 × 8) / 6 = 9 min, spread at its floor (0.2).
    # Two ahead, two windows: middle (2 + ½) × 9 / 2 = 11.25 min; relative spread 0.2/√3 + 0.2 = 0.315;
    # low 11.25 × 0.685 = 7.7 → 7; high 11.25 × 1.505 = 16.9 → 20 (5-minute steps past 10).
    services = ((NOW - 7300, 1.0), (NOW - 3000, 10.0), (NOW - 2000, 10.0))
    lines = hall(Waiting(1, A, None, 0, NOW), Waiting(2, A, None, 0, NOW + 1), Waiting(3, A, None, 0, NOW + 2),
                 services=services, open_windows=(W5, W6))
    lines.apply(11, "ticket.finished", NOW - 1000, {"ticket": ticket(9, NOW, status="done"), "service_seconds": 600})
    assert lines.estimate(3, 2, NOW) == WaitRange(7, 20)
    # Window 6 pauses: one window left, the same inputs: middle 22.5 → low 15, high 35.
    lines.apply(12, "window.paused", NOW, {"window": {"id": W6, "state": "paused"}})
    assert lines.open_windows(A) == 1
    assert lines.estimate(3, 2, NOW) == WaitRange(15, 35)
    # 90 minutes on, one service is under two hours old: too few, so the typical 8 minutes, spread 0.6:
    # middle 2.5 × 8 = 20; relative spread 0.6/√3 + 0.2 = 0.546; low 9.07 → 9, high 37.5 → 40.
    assert lines.estimate(3, 2, NOW + 5400) == WaitRange(9, 40)


def test_only_the_last_200_services_count() -> None:
    # 50 long services (60 min) then 200 short ones (6 min), all within two hours: the long ones fell out.
    services = tuple((NOW - 7000 + i, 60.0) for i in range(50)) + tuple((NOW - 6000 + i, 6.0) for i in range(200))
    lines = hall(services=services)
    stats = lines.service_stats(A, NOW)
    assert stats is not None and stats.samples == 200
    assert stats.mean_minutes == (200 * 6.0 + 3 * 8.0) / 203  # shrunk towards the typical 8 as if worth 3
    assert lines.service_stats(99, NOW) is None  # no such queue here
    # One more ends: still 200, the oldest short one out.
    lines.apply(11, "ticket.finished", NOW, {"ticket": ticket(9, NOW, status="done"), "service_seconds": 720})
    stats = lines.service_stats(A, NOW)
    assert stats is not None and stats.samples == 200
    assert stats.mean_minutes == (199 * 6.0 + 12.0 + 3 * 8.0) / 203


def test_every_finished_service_counts_at_once_in_minutes() -> None:
    lines = hall()
    assert lines.service_stats(A, NOW) == lines.service_stats(A, NOW + 1)  # nothing yet: the typical 8 minutes
    for seq, seconds in ((11, 300), (12, 600), (13, 900)):
        done = {"ticket": ticket(seq, NOW, status="done"), "service_seconds": seconds}
        lines.apply(seq, "ticket.finished", NOW, done)
        stats = lines.service_stats(A, NOW)
        assert stats is not None and stats.samples == seq - 10
    # 5, 10 and 15 minutes: (30 + 3 × 8) / 6 = 9; a finish without its service time teaches nothing.
    lines.apply(14, "ticket.finished", NOW, {"ticket": ticket(14, NOW, status="done")})
    assert lines.service_stats(A, NOW) is not None and lines.service_stats(A, NOW).mean_minutes == 9.0


def test_a_window_back_from_a_pause_serves_again() -> None:
    lines = hall(open_windows=(W5, W6))
    lines.apply(11, "window.paused", NOW, {"window": {"id": W6, "state": "paused"}})
    lines.apply(12, "window.resumed", NOW, {"window": {"id": W6, "state": "open"}})
    lines.apply(13, "window.opened", NOW, {"window": {"id": 999, "state": "open"}})  # not this hall's layout
    assert (lines.open_windows(A), lines.open_windows(B)) == (2, 1)


def test_counts_of_queues_without_anyone_waiting() -> None:
    lines = hall(Waiting(1, A, None, 0, NOW))
    assert lines.queue_waiting(B) == 0
    lines.apply(11, "ticket.cancelled", NOW, {"ticket": ticket(1, NOW, status="cancelled"),
                                              "queues": [{"id": A, "waiting": 0}, {"id": B, "waiting": 0}]})
    assert lines.stale is None
    lines.apply(12, "ticket.called", NOW, {"ticket": ticket(5, NOW, queue=B, status="called"),
                                           "queues": [{"id": B, "waiting": 3}]})
    assert lines.stale == "queue 2: 0 waiting here, 3 in the database"


def test_a_gap_names_the_missing_events_and_an_unknown_queue_has_no_estimate() -> None:
    lines = hall(Waiting(1, 77, None, 0, NOW))  # a queue the read knew nothing of
    assert lines.ahead(1) == 0 and lines.estimate(1, 0, NOW) is None and lines.estimate(2, 0, NOW) is None
    lines.apply(14, "ticket.called", NOW, {})
    assert lines.stale == "events 11–13 missing"
