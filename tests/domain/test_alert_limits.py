"""Every alert at its limit: silent at exactly the limit, a warning just over it, critical from twice it.

The default limits are stated here as the rule: 30 waiting, the queue's own target wait, 15 minutes paused,
5 minutes idle while people wait, 10 minutes without staff at a key window, 30 minutes behind on patrols.
"""

from __future__ import annotations

import pytest

from hallops.domain.alerts import (
    DEFAULT_RULES,
    AlertKind,
    Condition,
    QueueLoad,
    Rule,
    Rules,
    Snapshot,
    WindowLoad,
    conditions,
    reconcile,
)
from hallops.domain.patrols import PatrolKind, QuotaProgress

NOW = 1_000_000.0
MIN = 60.0
SEC = 1.0


def window(**kw: object) -> WindowLoad:
    base = dict(id=1, number=1, name="1 号窗", key_window=False, state="open", state_since=NOW - 60 * MIN,
                staffed=True, serving=False, idle_since=None, waiting_for_it=0)
    return WindowLoad(**(base | kw))  # type: ignore[arg-type]


def only(snap: Snapshot, rules: Rules | None = None) -> Condition | None:
    found = conditions(snap, rules or Rules())
    assert len(found) <= 1, found
    return found[0] if found else None


def level(snap: Snapshot, rules: Rules | None = None) -> str | None:
    c = only(snap, rules)
    return None if c is None else c.level


def test_the_default_limits() -> None:
    assert {k: (r.enabled, r.limit) for k, r in DEFAULT_RULES.items()} == {
        AlertKind.QUEUE_LENGTH: (True, 30),
        AlertKind.QUEUE_WAIT: (True, None),
        AlertKind.WINDOW_PAUSED: (True, 15),
        AlertKind.WINDOW_IDLE: (True, 5),
        AlertKind.WINDOW_UNSTAFFED: (True, 10),
        AlertKind.PATROL_BEHIND: (True, 30),
    }


def test_rules_fall_back_from_queue_to_hall_to_default() -> None:
    hall = Rule(True, 40)
    mine = Rule(False, 50)
    rules = Rules(hall={AlertKind.QUEUE_LENGTH: hall}, queues={(AlertKind.QUEUE_LENGTH, 7): mine})
    assert rules.for_queue(AlertKind.QUEUE_LENGTH, 7) is mine
    assert rules.for_queue(AlertKind.QUEUE_LENGTH, 8) is hall
    assert rules.for_hall(AlertKind.QUEUE_LENGTH) is hall
    assert rules.for_hall(AlertKind.WINDOW_IDLE) == Rule(True, 5)
    assert Rules().for_queue(AlertKind.QUEUE_WAIT, 7) == Rule(True, None)


# -- queue length: 30 by default ------------------------------------------------------------------------

@pytest.mark.parametrize(("waiting", "expected"), [
    (29, None), (30, None), (31, "warning"), (59, "warning"), (60, "critical"), (61, "critical"),
])
def test_queue_length_at_and_around_the_limit(waiting: int, expected: str | None) -> None:
    assert level(Snapshot(NOW, (QueueLoad(1, "A", "综合", waiting, 0, 20),))) == expected


def test_queue_length_condition_in_full() -> None:
    c = only(Snapshot(NOW, (QueueLoad(4, "A", "综合", 31, 0, 20),)))
    assert c == Condition("queue_length:4", AlertKind.QUEUE_LENGTH, "warning",
                          "A 综合 等候 31 人，超过 30 人 (31 waiting in A, limit 30)", 31, 30, queue_id=4)


def test_queue_length_limit_per_queue_and_off() -> None:
    q = QueueLoad(1, "A", "综合", 41, 0, 20)
    assert level(Snapshot(NOW, (q,)), Rules(queues={(AlertKind.QUEUE_LENGTH, 1): Rule(True, 41)})) is None
    assert level(Snapshot(NOW, (q,)), Rules(queues={(AlertKind.QUEUE_LENGTH, 1): Rule(True, 40)})) == "warning"
    assert level(Snapshot(NOW, (q,)), Rules(queues={(AlertKind.QUEUE_LENGTH, 1): Rule(False, 10)})) is None
    assert level(Snapshot(NOW, (q,)), Rules(queues={(AlertKind.QUEUE_LENGTH, 1): Rule(True, None)})) is None


def test_a_limit_of_zero_is_never_critical() -> None:
    rules = Rules(hall={AlertKind.QUEUE_LENGTH: Rule(True, 0)})
    assert level(Snapshot(NOW, (QueueLoad(1, "A", "综合", 5, 0, 20),)), rules) == "warning"


def test_a_limit_of_one_is_critical_from_two() -> None:
    rules = Rules(hall={AlertKind.QUEUE_LENGTH: Rule(True, 1)})
    assert level(Snapshot(NOW, (QueueLoad(1, "A", "综合", 2, 0, 20),)), rules) == "critical"


def test_window_durations_are_reported_to_a_tenth_of_a_minute() -> None:
    over = 16 * MIN + 5 * SEC  # 16.083 minutes
    for snap in (Snapshot(NOW, windows=(window(state="paused", state_since=NOW - over),)),
                 Snapshot(NOW, windows=(window(idle_since=NOW - over, waiting_for_it=1),)),
                 Snapshot(NOW, windows=(key_closed(NOW - over),), open_minutes=60)):
        c = only(snap)
        assert c is not None and c.value == 16.1


# -- queue wait: the queue's target ---------------------------------------------------------------------

@pytest.mark.parametrize(("wait_seconds", "expected"), [
    (20 * MIN - SEC, None), (20 * MIN, None), (20 * MIN + SEC, "warning"), (40 * MIN - SEC, "warning"),
    (40 * MIN, "critical"),
])
def test_queue_wait_at_and_around_the_target(wait_seconds: float, expected: str | None) -> None:
    assert level(Snapshot(NOW, (QueueLoad(1, "A", "综合", 3, wait_seconds, 20),))) == expected


def test_queue_wait_condition_in_full() -> None:
    c = only(Snapshot(NOW, (QueueLoad(2, "B", "户政", 1, 21 * MIN + 3, 20),)))
    assert c == Condition("queue_wait:2", AlertKind.QUEUE_WAIT, "warning",
                          "B 户政 最长等候 21 分钟，超过 20 分钟 (longest wait in B 21 min, target 20)",
                          21.1, 20, queue_id=2)


def test_queue_wait_needs_someone_waiting_and_follows_its_rule() -> None:
    assert level(Snapshot(NOW, (QueueLoad(1, "A", "综合", 0, 99 * MIN, 20),))) is None
    q = QueueLoad(1, "A", "综合", 2, 25 * MIN, 20)
    assert level(Snapshot(NOW, (q,)), Rules(queues={(AlertKind.QUEUE_WAIT, 1): Rule(True, 25)})) is None
    assert level(Snapshot(NOW, (q,)), Rules(queues={(AlertKind.QUEUE_WAIT, 1): Rule(True, 12)})) == "critical"
    assert level(Snapshot(NOW, (q,)), Rules(hall={AlertKind.QUEUE_WAIT: Rule(False, None)})) is None


# -- a window paused: 15 minutes ------------------------------------------------------------------------

@pytest.mark.parametrize(("paused_for", "expected"), [
    (15 * MIN - SEC, None), (15 * MIN, None), (15 * MIN + SEC, "warning"), (30 * MIN - SEC, "warning"),
    (30 * MIN, "critical"),
])
def test_pause_at_and_around_the_limit(paused_for: float, expected: str | None) -> None:
    w = window(state="paused", state_since=NOW - paused_for)
    assert level(Snapshot(NOW, windows=(w,))) == expected


def test_pause_condition_in_full() -> None:
    c = only(Snapshot(NOW, windows=(window(id=2, number=5, state="paused", state_since=NOW - 16 * MIN),)))
    assert c == Condition("window_paused:2", AlertKind.WINDOW_PAUSED, "warning",
                          "5 号窗口暂停 16 分钟，超过 15 分钟 (window 5 paused 16 min, limit 15)",
                          16.0, 15, window_id=2)


def test_only_a_paused_window_alerts_as_paused() -> None:
    for state in ("open", "closed"):
        assert level(Snapshot(NOW, windows=(window(state=state, state_since=NOW - 99 * MIN),))) is None
    assert level(Snapshot(NOW, windows=(window(state="paused", state_since=None),))) is None
    w = window(state="paused", state_since=NOW - 20 * MIN)
    assert level(Snapshot(NOW, windows=(w,)), Rules(hall={AlertKind.WINDOW_PAUSED: Rule(False, 15)})) is None
    assert level(Snapshot(NOW, windows=(w,)), Rules(hall={AlertKind.WINDOW_PAUSED: Rule(True, None)})) is None
    assert level(Snapshot(NOW, windows=(w,)), Rules(hall={AlertKind.WINDOW_PAUSED: Rule(True, 20)})) is None


# -- a window idle while people wait: 5 minutes ---------------------------------------------------------

@pytest.mark.parametrize(("idle_for", "expected"), [
    (5 * MIN - SEC, None), (5 * MIN, None), (5 * MIN + SEC, "warning"), (10 * MIN - SEC, "warning"),
    (10 * MIN, "critical"),
])
def test_idle_at_and_around_the_limit(idle_for: float, expected: str | None) -> None:
    w = window(idle_since=NOW - idle_for, waiting_for_it=1)
    assert level(Snapshot(NOW, windows=(w,))) == expected


def test_idle_condition_in_full() -> None:
    c = only(Snapshot(NOW, windows=(window(id=3, number=8, idle_since=NOW - 6 * MIN, waiting_for_it=2),)))
    assert c == Condition("window_idle:3", AlertKind.WINDOW_IDLE, "warning",
                          "8 号窗口空闲 6 分钟，仍有 2 人等候 (window 8 idle 6 min while 2 wait)",
                          6.0, 5, window_id=3)


@pytest.mark.parametrize("change", [
    {"state": "paused"}, {"state": "closed"}, {"staffed": False}, {"serving": True}, {"waiting_for_it": 0},
    {"idle_since": None},
])
def test_idle_needs_an_open_staffed_free_window_and_someone_waiting(change: dict[str, object]) -> None:
    base: dict[str, object] = dict(idle_since=NOW - 30 * MIN, waiting_for_it=3, state_since=None)
    keys = {c.key for c in conditions(Snapshot(NOW, windows=(window(**(base | change)),)), Rules())}
    assert not any(k.startswith("window_idle") for k in keys)


def test_idle_rule_off_or_without_limit() -> None:
    w = window(idle_since=NOW - 30 * MIN, waiting_for_it=3)
    assert level(Snapshot(NOW, windows=(w,)), Rules(hall={AlertKind.WINDOW_IDLE: Rule(False, 5)})) is None
    assert level(Snapshot(NOW, windows=(w,)), Rules(hall={AlertKind.WINDOW_IDLE: Rule(True, None)})) is None


# -- a key window without staff in opening hours: 10 minutes -------------------------------------------

def key_closed(since: float | None) -> WindowLoad:
    return window(id=6, number=12, key_window=True, state="closed", staffed=False, state_since=since)


@pytest.mark.parametrize(("open_minutes", "expected"), [
    (9.9, None), (10, None), (10.1, "warning"), (19.9, "warning"), (20, "critical"),
])
def test_unstaffed_since_opening_at_and_around_the_limit(open_minutes: float, expected: str | None) -> None:
    assert level(Snapshot(NOW, windows=(key_closed(None),), open_minutes=open_minutes)) == expected


def test_unstaffed_counts_from_the_later_of_opening_and_closing() -> None:
    # Closed 12 minutes ago in a hall open an hour: 12. Closed since yesterday, hall open 11 minutes: 11.
    c = only(Snapshot(NOW, windows=(key_closed(NOW - 12 * MIN),), open_minutes=60))
    assert c == Condition("window_unstaffed:6", AlertKind.WINDOW_UNSTAFFED, "warning",
                          "12 号窗口（重点窗口）开放时间内无人值守 12 分钟 (key window 12 unstaffed for 12 min)",
                          12.0, 10, window_id=6)
    c = only(Snapshot(NOW, windows=(key_closed(NOW - 900 * MIN),), open_minutes=11))
    assert c is not None and c.value == 11
    assert only(Snapshot(NOW, windows=(key_closed(NOW - 10 * MIN),), open_minutes=60)) is None
    assert only(Snapshot(NOW, windows=(key_closed(NOW - 10 * MIN - SEC),), open_minutes=60)) is not None


def test_unstaffed_only_for_a_closed_key_window_in_opening_hours() -> None:
    assert only(Snapshot(NOW, windows=(key_closed(None),), open_minutes=None)) is None
    other = window(key_window=False, state="closed", staffed=False, state_since=None)
    assert only(Snapshot(NOW, windows=(other,), open_minutes=60)) is None
    paused_key = window(key_window=True, state="paused", staffed=False, state_since=NOW - 5 * MIN)
    assert only(Snapshot(NOW, windows=(paused_key,), open_minutes=60)) is None
    snap = Snapshot(NOW, windows=(key_closed(None),), open_minutes=60)
    assert only(snap, Rules(hall={AlertKind.WINDOW_UNSTAFFED: Rule(False, 10)})) is None
    assert only(snap, Rules(hall={AlertKind.WINDOW_UNSTAFFED: Rule(True, None)})) is None
    assert only(snap, Rules(hall={AlertKind.WINDOW_UNSTAFFED: Rule(True, 60)})) is None


# -- patrols behind: 30 minutes of grace; critical two or more behind --------------------------------

def progress(done: int, expected: int, behind_minutes: float, kind: PatrolKind = PatrolKind.FULL) -> QuotaProgress:
    return QuotaProgress(kind, 6, done, expected, done < expected, behind_minutes, None)


@pytest.mark.parametrize(("done", "expected", "behind_minutes", "level_"), [
    (0, 1, 30, None), (0, 1, 30.5, "warning"), (0, 1, 29.5, None),
    (1, 2, 45, "warning"), (1, 3, 45, "critical"), (0, 2, 31, "critical"),
    (2, 2, 99, None), (3, 2, 99, None),
])
def test_patrols_behind_at_and_around_the_grace(done: int, expected: int, behind_minutes: float,
                                                level_: str | None) -> None:
    assert level(Snapshot(NOW, patrols=(progress(done, expected, behind_minutes),))) == level_


def test_patrol_condition_in_full() -> None:
    c = only(Snapshot(NOW, patrols=(progress(1, 2, 40, PatrolKind.SPOT),)))
    assert c == Condition("patrol_behind:spot", AlertKind.PATROL_BEHIND, "warning",
                          "重点窗口抽查落后：已完成 1 次，此时应完成 2 次 (spot patrols behind: 1 done, 2 due by now)",
                          1, 2)


def test_patrol_rule_off_or_without_limit() -> None:
    snap = Snapshot(NOW, patrols=(progress(0, 3, 120),))
    assert level(snap, Rules(hall={AlertKind.PATROL_BEHIND: Rule(False, 30)})) is None
    assert level(snap, Rules(hall={AlertKind.PATROL_BEHIND: Rule(True, None)})) is None
    assert level(snap, Rules(hall={AlertKind.PATROL_BEHIND: Rule(True, 119)})) == "critical"


# -- raise once, keep, clear ----------------------------------------------------------------------------

def test_reconcile_sorts_what_it_clears_and_splits_new_from_kept() -> None:
    a = Condition("b:1", AlertKind.QUEUE_LENGTH, "warning", "m", 31, 30)
    b = Condition("a:1", AlertKind.QUEUE_LENGTH, "warning", "m", 31, 30)
    plan = reconcile(["z:9", "b:1", "c:3"], [a, b])
    assert plan.raise_ == (b,) and plan.keep == (a,) and plan.clear == ("c:3", "z:9")
