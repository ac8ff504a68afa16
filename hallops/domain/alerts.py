"""Alert rules: which conditions of the hall call a manager, and the raise-once / clear logic.

The evaluator takes a snapshot of the hall (queues, windows, the day's patrols) and the hall's rules, and
finds the conditions that hold now, each under a stable key ("queue_wait:12", "window_paused:7"). An alert
is raised when its key first appears, stays (one alert, however long) while the key keeps appearing, and is
cleared when the key is gone. Acknowledging is a person's act and changes nothing here.

Pure: the snapshot carries the times, "now" is passed in.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from hallops.domain.patrols import KIND_ZH, QuotaProgress


class AlertKind(enum.StrEnum):
    QUEUE_LENGTH = "queue_length"  # waiting count over a limit
    QUEUE_WAIT = "queue_wait"  # longest wait over the target (minutes)
    WINDOW_PAUSED = "window_paused"  # paused longer than allowed (minutes)
    WINDOW_IDLE = "window_idle"  # staffed and open, nobody at the counter while its queues wait (minutes)
    WINDOW_UNSTAFFED = "window_unstaffed"  # a key window closed during opening hours (minutes)
    PATROL_BEHIND = "patrol_behind"  # the day's patrols behind schedule (minutes of grace)


KIND_LABELS: dict[AlertKind, tuple[str, str]] = {
    AlertKind.QUEUE_LENGTH: ("排队人数超限", "Too many waiting"),
    AlertKind.QUEUE_WAIT: ("等候时间超时", "Wait over target"),
    AlertKind.WINDOW_PAUSED: ("窗口暂停超时", "Window paused too long"),
    AlertKind.WINDOW_IDLE: ("窗口空闲而有人等候", "Window idle while people wait"),
    AlertKind.WINDOW_UNSTAFFED: ("重点窗口无人值守", "Key window unstaffed"),
    AlertKind.PATROL_BEHIND: ("巡查进度落后", "Patrols behind schedule"),
}
# Kinds whose limit may be set per queue (the others are per hall).
PER_QUEUE = frozenset({AlertKind.QUEUE_LENGTH, AlertKind.QUEUE_WAIT})


@dataclass(frozen=True, slots=True)
class Rule:
    enabled: bool = True
    limit: float | None = None  # None for queue_wait: the queue's own target wait


DEFAULT_RULES: dict[AlertKind, Rule] = {
    AlertKind.QUEUE_LENGTH: Rule(True, 30),
    AlertKind.QUEUE_WAIT: Rule(True, None),
    AlertKind.WINDOW_PAUSED: Rule(True, 15),
    AlertKind.WINDOW_IDLE: Rule(True, 5),
    AlertKind.WINDOW_UNSTAFFED: Rule(True, 10),
    AlertKind.PATROL_BEHIND: Rule(True, 30),
}


@dataclass(frozen=True, slots=True)
class Rules:
    """A hall's rules: its own settings over the defaults, and per-queue settings over those."""

    hall: Mapping[AlertKind, Rule] = field(default_factory=dict)
    queues: Mapping[tuple[AlertKind, int], Rule] = field(default_factory=dict)

    def for_hall(self, kind: AlertKind) -> Rule:
        return self.hall.get(kind, DEFAULT_RULES[kind])

    def for_queue(self, kind: AlertKind, queue_id: int) -> Rule:
        return self.queues.get((kind, queue_id), self.for_hall(kind))


@dataclass(frozen=True, slots=True)
class QueueLoad:
    id: int
    prefix: str
    name: str
    waiting: int
    longest_wait_seconds: float
    target_wait_minutes: float


@dataclass(frozen=True, slots=True)
class WindowLoad:
    id: int
    number: int
    name: str
    key_window: bool
    state: str  # closed | open | paused
    state_since: float | None
    staffed: bool
    serving: bool  # a ticket is called or served at it
    idle_since: float | None  # since when nobody was at the counter (open and not serving)
    waiting_for_it: int  # tickets waiting in its queues or sent to it


@dataclass(frozen=True, slots=True)
class Snapshot:
    now: float
    queues: tuple[QueueLoad, ...] = ()
    windows: tuple[WindowLoad, ...] = ()
    open_minutes: float | None = None  # minutes the hall has been open in the current span; None: closed now
    patrols: tuple[QuotaProgress, ...] = ()


@dataclass(frozen=True, slots=True)
class Condition:
    key: str
    kind: AlertKind
    level: str  # warning | critical (twice the limit or more)
    message: str  # 中文 (English)
    value: float
    limit: float
    queue_id: int | None = None
    window_id: int | None = None


def _level(value: float, limit: float) -> str:
    return "critical" if limit > 0 and value >= 2 * limit else "warning"


def conditions(snap: Snapshot, rules: Rules) -> list[Condition]:
    """Every alert condition holding in `snap`."""
    out: list[Condition] = []
    for q in snap.queues:
        r = rules.for_queue(AlertKind.QUEUE_LENGTH, q.id)
        if r.enabled and r.limit is not None and q.waiting > r.limit:
            out.append(Condition(f"queue_length:{q.id}", AlertKind.QUEUE_LENGTH, _level(q.waiting, r.limit),
                                 f"{q.prefix} {q.name} 等候 {q.waiting} 人，超过 {r.limit:g} 人 "
                                 f"({q.waiting} waiting in {q.prefix}, limit {r.limit:g})",
                                 q.waiting, r.limit, queue_id=q.id))
        r = rules.for_queue(AlertKind.QUEUE_WAIT, q.id)
        limit = r.limit if r.limit is not None else q.target_wait_minutes
        wait = q.longest_wait_seconds / 60
        if r.enabled and q.waiting and wait > limit:
            out.append(Condition(f"queue_wait:{q.id}", AlertKind.QUEUE_WAIT, _level(wait, limit),
                                 f"{q.prefix} {q.name} 最长等候 {wait:.0f} 分钟，超过 {limit:g} 分钟 "
                                 f"(longest wait in {q.prefix} {wait:.0f} min, target {limit:g})",
                                 round(wait, 1), limit, queue_id=q.id))
    paused, idle, unstaffed = (rules.for_hall(k) for k in (AlertKind.WINDOW_PAUSED, AlertKind.WINDOW_IDLE,
                                                             AlertKind.WINDOW_UNSTAFFED))
    for w in snap.windows:
        label = f"{w.number} 号窗口"
        if w.state == "paused" and paused.enabled and paused.limit is not None and w.state_since is not None:
            mins = (snap.now - w.state_since) / 60
            if mins > paused.limit:
                out.append(Condition(f"window_paused:{w.id}", AlertKind.WINDOW_PAUSED, _level(mins, paused.limit),
                                     f"{label}暂停 {mins:.0f} 分钟，超过 {paused.limit:g} 分钟 "
                                     f"(window {w.number} paused {mins:.0f} min, limit {paused.limit:g})",
                                     round(mins, 1), paused.limit, window_id=w.id))
        if (w.state == "open" and w.staffed and not w.serving and w.waiting_for_it > 0 and idle.enabled
                and idle.limit is not None and w.idle_since is not None):
            mins = (snap.now - w.idle_since) / 60
            if mins > idle.limit:
                out.append(Condition(f"window_idle:{w.id}", AlertKind.WINDOW_IDLE, _level(mins, idle.limit),
                                     f"{label}空闲 {mins:.0f} 分钟，仍有 {w.waiting_for_it} 人等候 "
                                     f"(window {w.number} idle {mins:.0f} min while {w.waiting_for_it} wait)",
                                     round(mins, 1), idle.limit, window_id=w.id))
        if (w.key_window and w.state == "closed" and unstaffed.enabled and unstaffed.limit is not None
                and snap.open_minutes is not None):
            closed_for = snap.open_minutes if w.state_since is None else min(
                snap.open_minutes, (snap.now - w.state_since) / 60)
            if closed_for > unstaffed.limit:
                out.append(Condition(f"window_unstaffed:{w.id}", AlertKind.WINDOW_UNSTAFFED,
                                     _level(closed_for, unstaffed.limit),
                                     f"{label}（重点窗口）开放时间内无人值守 {closed_for:.0f} 分钟 "
                                     f"(key window {w.number} unstaffed for {closed_for:.0f} min)",
                                     round(closed_for, 1), unstaffed.limit, window_id=w.id))
    behind = rules.for_hall(AlertKind.PATROL_BEHIND)
    for p in snap.patrols:
        if behind.enabled and behind.limit is not None and p.done < p.expected and p.behind_minutes > behind.limit:
            out.append(Condition(f"patrol_behind:{p.kind.value}", AlertKind.PATROL_BEHIND,
                                 "critical" if p.expected - p.done >= 2 else "warning",
                                 f"{KIND_ZH[p.kind]}落后：已完成 {p.done} 次，此时应完成 {p.expected} 次 "
                                 f"({p.kind.value} patrols behind: {p.done} done, {p.expected} due by now)",
                                 p.done, p.expected))
    return out


@dataclass(frozen=True, slots=True)
class Plan:
    raise_: tuple[Condition, ...]  # new keys: raise one alert each
    clear: tuple[str, ...]  # keys of active alerts whose condition ended
    keep: tuple[Condition, ...]  # still holding: update the value, raise nothing


def reconcile(active_keys: Iterable[str], found: Iterable[Condition]) -> Plan:
    """What to do with the alerts now active, given the conditions holding now."""
    active = set(active_keys)
    by_key = {c.key: c for c in found}
    return Plan(tuple(c for k, c in by_key.items() if k not in active),
                tuple(sorted(active - by_key.keys())),
                tuple(c for k, c in by_key.items() if k in active))
