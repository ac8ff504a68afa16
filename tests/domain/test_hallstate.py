"""The reference fold of the hall's state: each event type's rule, with the answers written out by hand."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hallops.domain import hallstate
from hallops.domain.hallstate import adopt, at, fold, needs_snapshot

T0 = dt.datetime(2026, 11, 30, 1, 0, tzinfo=dt.UTC).timestamp()


def t(seconds: float) -> str:
    return hallstate.iso(T0 + seconds)


W5 = {"id": 15, "number": 5, "name": "综合受理 5 号窗", "area": "综合受理区"}


def snapshot() -> dict[str, Any]:
    return {
        "hall": {"id": 1, "code": "h", "name": "测试大厅", "notice": ""}, "seq": 10, "service_day": "2026-11-30",
        "now": t(0),
        "queues": [{"id": 1, "prefix": "A", "name": "综合", "waiting": 2, "longest_wait_seconds": 120},
                   {"id": 2, "prefix": "B", "name": "户政", "waiting": 0, "longest_wait_seconds": 0}],
        "windows": [{"id": 15, "number": 5, "name": W5["name"], "area": W5["area"], "state": "open",
                     "pause_reason": None, "state_since": t(-3600), "clerk": {"id": 7, "display_name": "张丽"},
                     "queues": ["A", "B"], "current": None}],
        "latest_calls": [],
        "today": {"issued": 5, "waiting": 2, "served": 3, "no_show": 0, "by_status": {"waiting": 2, "done": 3}},
    }


def ev(seq: int, type_: str, seconds: float, **payload: Any) -> dict[str, Any]:
    return {"seq": seq, "type": type_, "at": t(seconds), "payload": payload}


def ticket(id_: int = 100, number: str = "A003", queue: str = "A", queue_id: int = 1, **kw: Any) -> dict[str, Any]:
    return {"id": id_, "number": number, "queue": queue, "queue_id": queue_id, "status": "waiting",
            "priority": "none", "channel": "kiosk", "window": None, "window_id": None, "recall_count": 0, **kw}


def test_a_snapshot_is_adopted_with_the_time_its_oldest_ticket_was_issued() -> None:
    s = adopt(snapshot())
    assert [q["oldest_at"] for q in s["queues"]] == [t(-120), None]
    assert at(s, T0 + 60)["queues"][0]["longest_wait_seconds"] == 180
    assert "oldest_at" not in snapshot()["queues"][0]  # a copy


def test_an_issue_adds_one_to_its_line_and_to_todays_tickets() -> None:
    s = fold(adopt(snapshot()), ev(11, "ticket.issued", 30, ticket=ticket(queue="B", queue_id=2, number="B001"),
                                   service_day="2026-11-30"))
    assert [(q["waiting"], q["longest_wait_seconds"]) for q in s["queues"]] == [(2, 150), (1, 0)]
    assert s["queues"][1]["oldest_at"] == t(30)
    assert s["today"] == {"issued": 6, "waiting": 3, "served": 3, "no_show": 0,
                          "by_status": {"waiting": 3, "done": 3}}
    assert (s["seq"], s["now"]) == (11, t(30))


def test_a_ticket_of_a_new_service_day_starts_the_days_counters_and_calls_afresh() -> None:
    s = adopt(snapshot())
    s["latest_calls"] = [{"ticket_id": 1}]
    s = fold(s, ev(11, "ticket.issued", 30, ticket=ticket(), service_day="2026-12-01"))
    assert s["service_day"] == "2026-12-01" and s["latest_calls"] == []
    assert s["today"] == {"issued": 1, "waiting": 1, "served": 0, "no_show": 0, "by_status": {"waiting": 1}}


def test_a_call_takes_the_lines_count_from_the_event_and_puts_the_ticket_at_its_window() -> None:
    s = fold(adopt(snapshot()), ev(11, "ticket.called", 40, ticket=ticket(status="called", window=5, window_id=15),
                                   window=W5, reason="call",
                                   queues=[{"id": 1, "waiting": 1, "oldest_at": t(-60)}]))
    assert (s["queues"][0]["waiting"], s["queues"][0]["longest_wait_seconds"]) == (1, 100)
    assert s["windows"][0]["current"] == {"id": 100, "number": "A003", "status": "called", "called_at": t(40),
                                          "started_at": None, "recall_count": 0}
    assert s["latest_calls"] == [{"ticket_id": 100, "number": "A003", "queue": "A", "window": 5, "window_id": 15,
                                  "window_name": W5["name"], "area": "综合受理区", "called_at": t(40),
                                  "recall_count": 0, "kind": "call"}]
    assert s["today"]["by_status"] == {"waiting": 1, "called": 1, "done": 3}


def called_then(*events: dict[str, Any]) -> dict[str, Any]:
    s = fold(adopt(snapshot()), ev(11, "ticket.called", 40, ticket=ticket(status="called", window_id=15),
                                   window=W5, reason="call", queues=[{"id": 1, "waiting": 1, "oldest_at": t(-60)}]))
    for e in events:
        s = fold(s, e)
    return s


def test_a_recall_moves_the_call_time_and_is_heard_again() -> None:
    s = called_then(ev(12, "ticket.recalled", 70, ticket=ticket(status="called", window_id=15, recall_count=1),
                       window=W5))
    assert s["windows"][0]["current"]["called_at"] == t(70)
    assert s["windows"][0]["current"]["recall_count"] == 1
    assert [(c["kind"], c["called_at"]) for c in s["latest_calls"]] == [("recall", t(70)), ("call", t(40))]
    for n in range(13, 30):
        s = fold(s, ev(n, "ticket.recalled", 70 + n, ticket=ticket(status="called", window_id=15), window=W5))
    assert len(s["latest_calls"]) == 12  # as many as the snapshot lists


def test_start_then_finish_frees_the_window_and_counts_one_served() -> None:
    s = called_then(ev(12, "ticket.started", 50, ticket=ticket(status="serving", window_id=15), window=W5))
    assert s["windows"][0]["current"]["status"] == "serving"
    assert s["windows"][0]["current"]["started_at"] == t(50)
    s = fold(s, ev(13, "ticket.finished", 300, ticket=ticket(status="done", window_id=15), window=W5, items=[],
                   was="serving"))
    assert s["windows"][0]["current"] is None
    assert s["today"] == {"issued": 5, "waiting": 1, "served": 4, "no_show": 0,
                          "by_status": {"waiting": 1, "done": 4}}


def test_park_and_call_back_keep_the_time_service_started() -> None:
    s = called_then(ev(12, "ticket.started", 50, ticket=ticket(status="serving", window_id=15), window=W5),
                    ev(13, "ticket.parked", 90, ticket=ticket(status="parked", window_id=15), window=W5,
                       was="serving"))
    assert s["windows"][0]["current"] is None
    assert s["today"]["by_status"]["parked"] == 1
    s = fold(s, ev(14, "ticket.called", 400, ticket=ticket(status="called", window_id=15), window=W5,
                   reason="call_back", started_at=t(50), queues=[{"id": 1, "waiting": 1, "oldest_at": t(-60)}]))
    assert s["windows"][0]["current"]["started_at"] == t(50)
    assert s["latest_calls"][0]["kind"] == "call_back"
    assert s["today"]["by_status"] == {"waiting": 1, "called": 1, "done": 3}


def test_a_no_show_frees_the_window() -> None:
    s = called_then(ev(12, "ticket.no_show", 200, ticket=ticket(status="no_show", window_id=15), window=W5,
                       was="called"))
    assert s["windows"][0]["current"] is None
    assert (s["today"]["no_show"], s["today"]["by_status"].get("called")) == (1, None)


def test_a_transfer_applies_both_lines_and_counts_the_ticket_waiting_again() -> None:
    s = called_then(ev(12, "ticket.transferred", 60, ticket=ticket(queue="B", queue_id=2), window=W5, was="called",
                       queues=[{"id": 2, "waiting": 1, "oldest_at": t(-900)}, {"id": 1, "waiting": 1,
                                                                                "oldest_at": t(-60)}],
                       **{"from": {"queue": "A", "window": 5, "queue_id": 1}, "to": {"queue": "B", "window": None}}))
    assert s["windows"][0]["current"] is None
    assert [(q["waiting"], q["longest_wait_seconds"]) for q in s["queues"]] == [(1, 120), (1, 960)]
    assert s["today"]["by_status"] == {"waiting": 2, "done": 3}


def test_cancelling_a_waiting_ticket_counts_it_cancelled() -> None:
    s = fold(adopt(snapshot()), ev(11, "ticket.cancelled", 10, ticket=ticket(status="cancelled"), was="waiting",
                                   queues=[{"id": 1, "waiting": 1, "oldest_at": t(-30)}]))
    assert s["queues"][0]["waiting"] == 1
    assert s["today"]["by_status"] == {"waiting": 1, "done": 3, "cancelled": 1}


def test_window_events_set_its_state_reason_and_clerk() -> None:
    s = fold(adopt(snapshot()), ev(11, "window.paused", 20, window={
        "id": 15, "number": 5, "state": "paused", "pause_reason": "系统维护",
        "clerk": {"id": 7, "username": "clerk1", "display_name": "张丽"}, "current_ticket_id": None}))
    w = s["windows"][0]
    assert (w["state"], w["pause_reason"], w["state_since"], w["clerk"]) == (
        "paused", "系统维护", t(20), {"id": 7, "display_name": "张丽"})
    s = fold(s, ev(12, "window.closed", 30, window={"id": 15, "number": 5, "state": "closed", "clerk": None}))
    assert (s["windows"][0]["state"], s["windows"][0]["pause_reason"], s["windows"][0]["clerk"]) == (
        "closed", None, None)


def test_the_days_close_clears_expired_tickets_closes_windows_and_brings_the_counts() -> None:
    s = called_then(ev(12, "day.closed", 600, expired=2, expired_ids=[100, 101], days=["2026-11-30"],
                       windows_closed=[5], through="2026-11-30", service_day="2026-11-30",
                       queues=[{"id": 1, "waiting": 0, "oldest_at": None}, {"id": 2, "waiting": 0,
                                                                            "oldest_at": None}],
                       today={"expired": 2, "done": 3}))
    w = s["windows"][0]
    assert (w["current"], w["state"], w["clerk"], w["state_since"]) == (None, "closed", None, t(600))
    assert [(q["waiting"], q["longest_wait_seconds"]) for q in s["queues"]] == [(0, 0), (0, 0)]
    assert s["today"] == {"issued": 5, "waiting": 0, "served": 3, "no_show": 0,
                          "by_status": {"expired": 2, "done": 3}}
    assert len(s["latest_calls"]) == 1  # the day's calls stay heard


def test_other_events_move_only_the_sequence_and_the_clock() -> None:
    s = adopt(snapshot())
    after = fold(s, ev(11, "alert.raised", 60, alert={"id": 1}))
    assert {k: v for k, v in after.items() if k not in ("seq", "now", "queues")} == \
        {k: v for k, v in s.items() if k not in ("seq", "now", "queues")}
    assert (after["seq"], after["queues"][0]["longest_wait_seconds"]) == (11, 180)


def test_folding_leaves_the_state_it_was_given_alone() -> None:
    s = adopt(snapshot())
    before = repr(s)
    fold(s, ev(11, "ticket.called", 40, ticket=ticket(status="called"), window=W5, reason="call",
               queues=[{"id": 1, "waiting": 1, "oldest_at": t(-60)}]))
    assert repr(s) == before


def test_only_a_changed_layout_asks_for_a_snapshot() -> None:
    assert needs_snapshot({"type": "layout.changed"})
    assert not any(needs_snapshot({"type": k}) for k in hallstate.HANDLERS)
