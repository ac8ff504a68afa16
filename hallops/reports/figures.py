"""Figures from rows: a day's tickets folded into counters per dimension, and many days merged.

A day folds into one accumulator per (dimension, key). Its waits and service times are kept as whole
seconds, sorted, packed as uint16 (at most 18 h), so a month or a year merges exactly: the medians and
p90s of a year are those of its 1.5 million tickets, not an average of daily medians.

Which key a ticket counts under: the queue it was issued in (its origin: a transferred ticket stays one
visit of that business), the window and clerk where it ended, the departments of the items it handled
(else its queue's department), its channel, and the local hour it was issued in.

A window's and a clerk's work is counted from the day's events instead, where it happened: every call
(叫号), call-back of a parked ticket (回呼), recall (重呼) and transfer away (转出) counts for the window that
made it and the clerk signed in there, whether or not the ticket ended at that window. These counts exist
for the hall, window and clerk dimensions only (WORK_DIMS); the others show None.
"""

from __future__ import annotations

import datetime as dt
import sys
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hallops.domain.events import Ev
from hallops.domain.stats import Spread, percentile_by_rank, rate
from hallops.storage.reports import COUNTERS, DayRows, HallMeta, WorkEvent

DIMS = ("hall", "queue", "window", "clerk", "department", "channel", "hour")
WORK_DIMS = frozenset({"hall", "window", "clerk"})
WORK_COUNTERS = ("calls", "call_backs", "recalls", "transfers_out")
MAX_SECONDS = 65535
ACTIVE = frozenset({"waiting", "called", "serving", "parked"})
STATUS_COUNTER = {"done": "served", "no_show": "no_show", "cancelled": "cancelled", "expired": "expired"}
CHANNEL_ZH = {"kiosk": "现场取号", "mobile": "手机取号", "appointment": "预约签到", "help_desk": "帮办代办"}


def _pack(values: list[int]) -> bytes:
    a = array("H", sorted(min(MAX_SECONDS, max(0, v)) for v in values))
    if sys.byteorder == "big":
        a.byteswap()
    return a.tobytes()


@dataclass(slots=True)
class Acc:
    """Counters, sums and the durations of one key over one or more days."""

    c: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    wait_sum: float = 0.0
    wait_max: float | None = None
    service_sum: float = 0.0
    service_max: float | None = None
    waits: list[int] = field(default_factory=list)
    services: list[int] = field(default_factory=list)
    packed_waits: list[bytes] = field(default_factory=list)
    packed_services: list[bytes] = field(default_factory=list)

    def add_wait(self, seconds: float) -> None:
        self.wait_sum += seconds
        self.wait_max = seconds if self.wait_max is None else max(self.wait_max, seconds)
        self.waits.append(round(seconds))

    def add_service(self, seconds: float) -> None:
        self.service_sum += seconds
        self.service_max = seconds if self.service_max is None else max(self.service_max, seconds)
        self.services.append(round(seconds))

    def row(self) -> dict[str, Any]:
        """As a report_rollup row's values."""
        return {**self.c, "wait_sum": self.wait_sum, "wait_max": self.wait_max, "service_sum": self.service_sum,
                "service_max": self.service_max, "waits": _pack(self.waits), "services": _pack(self.services)}

    def merge_row(self, r: Any) -> None:
        for k in COUNTERS:
            self.c[k] += r[k]
        self.wait_sum += r["wait_sum"]
        self.service_sum += r["service_sum"]
        if r["wait_max"] is not None:
            self.wait_max = r["wait_max"] if self.wait_max is None else max(self.wait_max, r["wait_max"])
        if r["service_max"] is not None:
            self.service_max = (r["service_max"] if self.service_max is None
                                else max(self.service_max, r["service_max"]))
        self.packed_waits.append(r["waits"])
        self.packed_services.append(r["services"])

    def merge(self, other: Acc) -> None:
        self.merge_row(other.row())

    def _spread(self, raw: list[int], packed: list[bytes], total: float, maximum: float | None) -> Spread:
        """Median and p90 from a histogram of whole seconds (uint16): counting beats sorting a year."""
        parts = [np.frombuffer(b, dtype="<u2") for b in packed if b]
        if raw:
            parts.append(np.asarray([min(MAX_SECONDS, max(0, v)) for v in raw], dtype=np.uint16))
        if not parts:
            return Spread.of([])
        values = parts[0] if len(parts) == 1 else np.concatenate(parts)
        n = len(values)
        if n == 0:
            return Spread.of([])
        cum = np.cumsum(np.bincount(values))

        def value_at(rank: int) -> float:
            return float(np.searchsorted(cum, rank, side="right"))

        return Spread(n, total / n, percentile_by_rank(n, 50, value_at), percentile_by_rank(n, 90, value_at),
                      maximum)

    def wait_count(self) -> int:
        """How many waits, without unpacking them."""
        return len(self.waits) + sum(len(b) for b in self.packed_waits) // 2

    def wait(self) -> Spread:
        return self._spread(self.waits, self.packed_waits, self.wait_sum, self.wait_max)

    def service(self) -> Spread:
        return self._spread(self.services, self.packed_services, self.service_sum, self.service_max)


Accs = dict[tuple[str, str], Acc]


def fold_day(rows: DayRows, meta: HallMeta, dims: Iterable[str] = DIMS) -> Accs:
    """One service day's tickets as accumulators per (dimension, key), for the dimensions asked (the hall's
    always; a roll-up asks for all of them, a live read only for those it shows)."""
    tz = meta.tz
    want = frozenset(dims)
    out: Accs = {}

    def acc(dim: str, key: str) -> Acc:
        a = out.get((dim, key))
        if a is None:
            a = out[(dim, key)] = Acc()
        return a

    for t in rows.tickets:
        q = meta.queues.get(t["origin_queue_id"], {})
        targets = [acc("hall", "all")]
        if "queue" in want:
            targets.append(acc("queue", str(t["origin_queue_id"])))
        if "channel" in want:
            targets.append(acc("channel", t["channel"]))
        if "hour" in want:
            targets.append(acc("hour", f"{dt.datetime.fromtimestamp(t['issued_at'], tz).hour:02d}"))
        if "department" in want:
            found = rows.departments.get(t["id"])
            depts: set[int | None] = set(found) if found else {q.get("department_id") or None}
            targets += [acc("department", str(d) if d is not None else "none") for d in depts]
        if "window" in want and t["window_id"] is not None:
            targets.append(acc("window", str(t["window_id"])))
        if "clerk" in want and t["clerk_user_id"] is not None:
            targets.append(acc("clerk", str(t["clerk_user_id"])))
        status = t["status"]
        wait = t["first_called_at"] - t["issued_at"] if t["first_called_at"] is not None else None
        service = (t["ended_at"] - t["started_at"] if status == "done" and t["started_at"] is not None
                   and t["ended_at"] is not None else None)
        target = q.get("target_wait_minutes", 20) * 60
        appt = t["appointment_at"] is not None or t["channel"] == "appointment"
        for a in targets:
            c = a.c
            c["issued"] += 1
            if status in STATUS_COUNTER:
                c[STATUS_COUNTER[status]] += 1
            elif status in ACTIVE:
                c["waiting"] += 1
            if t["transfer_count"]:
                c["transferred"] += 1
                c["transfers"] += t["transfer_count"]
            if q.get("kind") == "bundle":
                c["bundle"] += 1
            else:
                c["single"] += 1
            if t["priority"] != "none":
                c["priority"] += 1
            if appt:
                c["appointments"] += 1
                if status == "done":
                    c["appointments_kept"] += 1
                elif status in ("no_show", "expired"):
                    c["appointments_missed"] += 1
            if wait is not None:
                a.add_wait(wait)
                if wait <= target:
                    c["within_target"] += 1
            if service is not None:
                a.add_service(service)
    for window_id, clerk_id, counter in work_done(rows.events, rows.tickets):
        acc("hall", "all").c[counter] += 1
        if "window" in want:
            acc("window", str(window_id)).c[counter] += 1
        if "clerk" in want and clerk_id is not None:
            acc("clerk", str(clerk_id)).c[counter] += 1
    return out


def work_done(events: Iterable[WorkEvent], tickets: Iterable[Any]) -> list[tuple[int, int | None, str]]:
    """(window, clerk, counter) of each call, call-back, recall and transfer away in the day's events.

    The clerk is whoever the window's last sign-in event of the day named; a window with none that day (left
    open overnight, or opened without a clerk) falls back on the ticket's clerk when the ticket ended at
    that window, else the call counts for the window alone."""
    ended: dict[int, tuple[int | None, int | None]] = {t["id"]: (t["window_id"], t["clerk_user_id"])
                                                       for t in tickets}
    signed_in: dict[int, int | None] = {}
    out: list[tuple[int, int | None, str]] = []
    for e in events:
        if e.window_id is None:
            continue  # a waiting ticket transferred by a manager: no window's work
        if e.type == Ev.WINDOW_OPENED:
            signed_in[e.window_id] = e.clerk_id
            continue
        if e.type == Ev.WINDOW_CLOSED:
            signed_in[e.window_id] = None
            continue
        if e.type == Ev.TICKET_CALLED:
            counter = "call_backs" if e.reason == "call_back" else "calls"
        elif e.type == Ev.TICKET_RECALLED:
            counter = "recalls"
        elif e.type == Ev.TICKET_TRANSFERRED:
            counter = "transfers_out"
        else:
            continue
        clerk = signed_in.get(e.window_id)
        if clerk is None and e.ticket_id is not None:
            window, ticket_clerk = ended.get(e.ticket_id, (None, None))
            clerk = ticket_clerk if window == e.window_id else None
        out.append((e.window_id, clerk, counter))
    return out


def merge_into(total: Accs, part: Accs) -> None:
    for k, a in part.items():
        t = total.get(k)
        if t is None:
            total[k] = t = Acc()
        t.merge(a)


def merge_rows(total: Accs, rows: Iterable[Any]) -> None:
    for r in rows:
        k = (r["dim"], r["key"])
        t = total.get(k)
        if t is None:
            total[k] = t = Acc()
        t.merge_row(r)


def label(meta: HallMeta, dim: str, key: str) -> str:
    if key == "none":
        return "未分部门" if dim == "department" else "—"
    if dim == "hall":
        return str(meta.hall["name"])
    if dim == "queue":
        q = meta.queues.get(int(key))
        return f"{q['prefix']} {q['name']}" if q else f"#{key}"
    if dim == "window":
        w = meta.windows.get(int(key))
        return f"{w['number']}号 {w['name']}" if w else f"#{key}"
    if dim == "clerk":
        u = meta.users.get(int(key))
        return str(u["display_name"]) if u else f"#{key}"
    if dim == "department":
        d = meta.departments.get(int(key))
        return str(d["name"]) if d else f"#{key}"
    if dim == "channel":
        return CHANNEL_ZH.get(key, key)
    if dim == "hour":
        return f"{key}:00"
    return key


def sort_key(meta: HallMeta, dim: str, key: str) -> tuple[Any, ...]:
    if key == "none":
        return (1, 0, "")
    if dim == "queue" and int(key) in meta.queues:
        return (0, 0, meta.queues[int(key)]["prefix"])
    if dim == "window" and int(key) in meta.windows:
        return (0, meta.windows[int(key)]["number"], "")
    if dim in ("clerk", "department"):
        return (0, int(key), "")
    return (0, 0, key)


def figure(a: Acc) -> dict[str, Any]:
    """One key's figures as JSON: counts, rates (fractions) and spreads (minutes)."""
    c = a.c
    wait, service = a.wait(), a.service()
    return {
        **c,
        "served_rate": _r(rate(c["served"], c["issued"])),
        "no_show_rate": _r(rate(c["no_show"], c["issued"])),
        "within_target_rate": _r(rate(c["within_target"], wait.n)),
        "appointment_kept_rate": _r(rate(c["appointments_kept"], c["appointments"])),
        "wait_minutes": wait.minutes(),
        "service_minutes": service.minutes(),
    }


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 4)


def dim_row(meta: HallMeta, dim: str, key: str, a: Acc) -> dict[str, Any]:
    """One key's row of a dimension: its label, figures, a queue's prefix and target; the work counters show
    None where they are not counted."""
    row = {"key": key, "label": label(meta, dim, key), **figure(a)}
    if dim == "queue" and key != "none" and int(key) in meta.queues:
        q = meta.queues[int(key)]
        row |= {"prefix": q["prefix"], "kind": q["kind"], "target_wait_minutes": q["target_wait_minutes"]}
    if dim not in WORK_DIMS:
        row.update(dict.fromkeys(WORK_COUNTERS))
    return row


def figures(accs: Accs, meta: HallMeta, dims: Iterable[str]) -> dict[str, Any]:
    """Every requested dimension's rows, sorted, with labels; 'hall' gives the totals."""
    out: dict[str, Any] = {}
    for dim in dims:
        keys = sorted((k for d, k in accs if d == dim), key=lambda k: sort_key(meta, dim, k))
        rows = [dim_row(meta, dim, k, accs[(dim, k)]) for k in keys]
        if dim == "hall":
            out["totals"] = rows[0] if rows else {"key": "all", "label": meta.hall["name"], **figure(Acc())}
        else:
            out[dim] = rows
    return out
