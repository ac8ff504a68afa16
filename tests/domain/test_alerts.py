from hallops.domain.alerts import (
    AlertKind,
    QueueLoad,
    Rule,
    Rules,
    Snapshot,
    WindowLoad,
    conditions,
    reconcile,
)
from hallops.domain.patrols import OpeningHours, PatrolKind, quota_progress

NOW = 1_000_000.0
MIN = 60.0


def window(**kw: object) -> WindowLoad:
    base = dict(id=1, number=1, name="1 号窗", key_window=False, state="open", state_since=NOW - 60 * MIN,
                staffed=True, serving=False, idle_since=NOW - 2 * MIN, waiting_for_it=0)
    return WindowLoad(**(base | kw))  # type: ignore[arg-type]


def keys(snap: Snapshot, rules: Rules | None = None) -> set[str]:
    return {c.key for c in conditions(snap, rules or Rules())}


def test_queue_limits_per_hall_and_per_queue() -> None:
    a = QueueLoad(1, "A", "综合", 31, 10 * MIN, 20)
    b = QueueLoad(2, "B", "户政", 5, 25 * MIN, 20)
    assert keys(Snapshot(NOW, (a, b))) == {"queue_length:1", "queue_wait:2"}
    rules = Rules(queues={(AlertKind.QUEUE_LENGTH, 1): Rule(True, 40), (AlertKind.QUEUE_WAIT, 2): Rule(True, 30)})
    assert keys(Snapshot(NOW, (a, b)), rules) == set()
    off = Rules(hall={AlertKind.QUEUE_LENGTH: Rule(False, 30)})
    assert keys(Snapshot(NOW, (a,)), off) == set()
    (c,) = conditions(Snapshot(NOW, (QueueLoad(1, "A", "综合", 60, 0, 20),)), Rules())
    assert c.level == "critical" and "60" in c.message


def test_windows_paused_idle_and_unstaffed() -> None:
    paused = window(id=2, state="paused", state_since=NOW - 16 * MIN)
    idle = window(id=3, idle_since=NOW - 6 * MIN, waiting_for_it=2)
    idle_but_nobody_waits = window(id=4, idle_since=NOW - 60 * MIN, waiting_for_it=0)
    serving = window(id=5, serving=True, idle_since=None, waiting_for_it=9)
    key_closed = window(id=6, key_window=True, state="closed", staffed=False, state_since=None)
    other_closed = window(id=7, state="closed", staffed=False, state_since=None)
    snap = Snapshot(NOW, windows=(paused, idle, idle_but_nobody_waits, serving, key_closed, other_closed),
                    open_minutes=11)
    assert keys(snap) == {"window_paused:2", "window_idle:3", "window_unstaffed:6"}
    # Closed hall (lunch, night): nobody need be at a key window.
    assert keys(Snapshot(NOW, windows=(key_closed,), open_minutes=None)) == set()
    # A key window closed 5 minutes ago, in a hall open for an hour: within the 10 allowed.
    assert keys(Snapshot(NOW, windows=(window(id=6, key_window=True, state="closed", staffed=False,
                                              state_since=NOW - 5 * MIN),), open_minutes=60)) == set()


def test_patrols_behind_schedule() -> None:
    hall = OpeningHours.parse("09:00-12:00,13:00-17:00")
    import datetime as dt
    monday = dt.date(2026, 11, 30)
    late = quota_progress(PatrolKind.FULL, hall, 6, 0, monday, 11 * 60, grace_minutes=30)
    on_time = quota_progress(PatrolKind.SPOT, hall, 4, 0, monday, 11 * 60, grace_minutes=30)
    assert keys(Snapshot(NOW, patrols=(late, on_time))) == {"patrol_behind:full"}
    relaxed = Rules(hall={AlertKind.PATROL_BEHIND: Rule(True, 60)})
    assert keys(Snapshot(NOW, patrols=(late,)), relaxed) == set()  # 50 minutes late: within an hour's grace


def test_raised_once_kept_while_it_holds_cleared_when_it_ends() -> None:
    snap = Snapshot(NOW, (QueueLoad(1, "A", "综合", 31, 0, 20),))
    plan = reconcile([], conditions(snap, Rules()))
    assert [c.key for c in plan.raise_] == ["queue_length:1"] and plan.clear == () and plan.keep == ()
    plan = reconcile(["queue_length:1"], conditions(snap, Rules()))
    assert plan.raise_ == () and [c.key for c in plan.keep] == ["queue_length:1"]
    plan = reconcile(["queue_length:1", "window_idle:3"], [])
    assert plan.clear == ("queue_length:1", "window_idle:3") and plan.raise_ == ()
