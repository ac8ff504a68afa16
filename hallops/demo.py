"""The demo hall's data, recorded through the use cases (the real rules, the real events), so that every
screen has something to show whatever the hour `hallops serve --demo` is started:

- yesterday's service day: six windows opened for their clerks, ~75 tickets issued, called, served or missed,
  rated; the day's patrols (6 full, 4 spot checks) with findings left in every state; the daily briefing;
- appointment slots today (from the start of the demo on) and the coming six days, some of them booked;
- today's patrol schedule starting at the demo's start, so a trial never opens "behind", and the key windows
  staffed, so it never opens on "key window unstaffed" alerts either.

Yesterday is recorded by moving the clock the use cases and storage share (`DemoClock`, or the tests' clock)
back to yesterday's hours; the clock is then given back to real time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from hallops.domain.actors import Actor
from hallops.domain.errors import DomainError
from hallops.domain.model import Channel, Priority, Role
from hallops.domain.patrols import CheckResult, FindingAction, PatrolKind, Severity
from hallops.domain.stats import PeriodKind
from hallops.usecases import UseCases
from hallops.usecases.accounts import OPERATOR
from hallops.usecases.kiosk import service_day_of

# (clerk, window number): who served where yesterday. Windows 1–4 are integrated, 5 household registration,
# 8 and 9 social insurance and medical insurance (see demo_hall.toml).
DEMO_STAFF = (("clerk1", 1), ("clerk2", 2), ("clerk3", 3), ("clerk4", 4), ("clerk5", 5), ("clerk6", 8))
DEMO_PEOPLE = (("张伟", "13800001234"), ("李秀英", "13900005678"), ("王芳", "13700009012"))
APPOINTMENT_QUEUE = "A"
# Yesterday's findings: (checklist item, severity, what was seen, where it ends up).
FINDINGS = (  # the n-th is about the window of DEMO_STAFF[n], its clerk responsible
    ("discipline", Severity.MINOR, "1 号窗工作人员离岗 10 分钟未放置暂停牌", "open"),
    ("signage", Severity.MINOR, "2 号窗旁取号指引牌被遮挡", "rectifying"),
    ("hygiene", Severity.MINOR, "3 号窗台面杂乱，宣传资料未归位", "rectified"),
    ("dress_badge", Severity.MINOR, "4 号窗工作人员未佩戴工牌", "verified"),
    ("facilities", Severity.MAJOR, "5 号窗高拍仪故障，群众材料无法扫描", "reopened"),
)
LEVELS = ("very_satisfied", "very_satisfied", "satisfied", "very_satisfied", "basic", "satisfied",
          "very_satisfied", "dissatisfied", "very_satisfied", "satisfied")


class SettableClock(Protocol):
    def __call__(self) -> float: ...

    def set(self, when: dt.datetime) -> None: ...


class DemoClock:
    """Real time, unless set to a moment by hand (to record the demo's yesterday); `release` gives real time back."""

    def __init__(self) -> None:
        self.at: float | None = None

    def __call__(self) -> float:
        return time.time() if self.at is None else self.at

    def set(self, when: dt.datetime) -> None:
        self.at = when.timestamp()

    def release(self) -> None:
        self.at = None


async def refresh_demo(uc: UseCases, hall_id: int) -> str:
    """At every demo start: patrols scheduled from now, appointment slots from today on with a few bookings.
    Returns the code of a booking that can check in now."""
    await uc.patrols.configure_demo(hall_id)
    hall = await _hall(uc, hall_id)
    tz = ZoneInfo(hall["timezone"])
    now = dt.datetime.fromtimestamp(uc.ctx.clock(), tz)
    await uc.patrols.change_settings(OPERATOR, hall_id, {"opening_hours": demo_opening_hours(now)})
    await _staff_key_windows(uc, hall_id)
    return await _appointments(uc, hall, now)


async def _staff_key_windows(uc: UseCases, hall_id: int) -> None:
    """The key windows open with a clerk each, as a centre opens its day: a key window left closed in opening
    hours is an alert after 10 minutes, and a trial should not open on seven of them. Already open: fine."""
    windows = (await uc.halls.layout(OPERATOR, hall_id))["windows"]
    clerks = [u["username"] for u in await uc.accounts.users(OPERATOR)
              if u["role"] == "clerk" and u["hall_id"] == hall_id]
    for window, clerk in zip([w for w in windows if w.get("key_window")], clerks, strict=False):
        await _quietly(uc.windows.open(OPERATOR, window["id"], clerk=clerk))


def demo_opening_hours(now: dt.datetime) -> str:
    """Eight hours from the demo's start (to the five minutes), or to midnight: the day's patrols are spread
    over them, so the first one falls due about 80 minutes after start (and a patrol is late only 30 minutes
    after its time, so a start late at night is not behind before the day ends)."""
    start = now.replace(minute=now.minute - now.minute % 5, second=0, microsecond=0)
    end = min(start + dt.timedelta(hours=8), now.replace(hour=23, minute=59, second=0, microsecond=0))
    return f"{start:%H:%M}-{end:%H:%M}"


async def _appointments(uc: UseCases, hall: dict[str, Any], now: dt.datetime) -> str:
    """Half-hour slots for seven days: today from the current half hour (so 预约签到 can be tried now), later
    days 09:00–17:00; three bookings: the next half hour (its code, returned, can check in now), an hour later,
    tomorrow at 10:00. A booking's code is its slot's month, day, hour and minute."""
    ap = uc.appointments
    first = now.replace(minute=0 if now.minute < 30 else 30, second=0, microsecond=0)
    for d in range(7):
        day = now.date() + dt.timedelta(days=d)
        start = first.time() if d == 0 else dt.time(9, 0)
        end = dt.time(23, 30) if d == 0 else dt.time(17, 0)
        if start >= end:
            continue
        await _quietly(ap.add_slots(OPERATOR, hall, queue=APPOINTMENT_QUEUE, day=day, start=start, end=end,
                                    every_minutes=30, capacity=3))
    nxt = first + dt.timedelta(minutes=30)  # check-in opens 30 minutes before a slot and closes 15 after
    starts = [nxt, nxt + dt.timedelta(hours=1), (first + dt.timedelta(days=1)).replace(hour=10, minute=0)]
    codes = []
    for (name, phone), at in zip(DEMO_PEOPLE, starts, strict=True):
        if at.date() == now.date() and at.time() > dt.time(23, 0):
            at = at.replace(hour=23, minute=0)
        code = f"{at:%m%d%H%M}"  # digits: the kiosk's keypad and a physical one type them
        codes.append(code)
        await _quietly(ap.book(OPERATOR, hall, queue=APPOINTMENT_QUEUE, start=at, name=name, phone=phone,
                               code=code))
    return codes[0]


T = TypeVar("T")


async def _quietly(step: Awaitable[T]) -> T | None:
    """A slot or booking made at an earlier start of the demo is refused this time: that is fine (None)."""
    try:
        return await step
    except DomainError:
        return None


async def fill_demo(uc: UseCases, hall_id: int) -> str:
    """A freshly loaded demo hall: yesterday's history (when the clock can be set), then `refresh_demo`."""
    clock: Any = uc.ctx.clock
    if hasattr(clock, "set"):
        now = clock()
        try:
            await record_yesterday(uc, hall_id, clock)
        finally:
            if hasattr(clock, "release"):
                clock.release()
            else:
                clock.set(dt.datetime.fromtimestamp(now, dt.UTC))
    return await refresh_demo(uc, hall_id)


async def record_yesterday(uc: UseCases, hall_id: int, clock: SettableClock) -> None:
    hall = await _hall(uc, hall_id)
    tz = ZoneInfo(hall["timezone"])
    # The service day before today's, not the calendar's: between midnight and the rollover (03:00) the
    # calendar's yesterday is still today's service day, and its numbers would run on from yesterday's.
    day = service_day_of(uc.ctx, hall["timezone"]) - dt.timedelta(days=1)

    def at(h: int, m: int) -> None:
        clock.set(dt.datetime.combine(day, dt.time(h, m), tzinfo=tz))

    users = {u["username"]: u for u in await uc.accounts.users(OPERATOR)}
    manager = _actor(users["manager"], hall_id)
    windows = {w["number"]: w for w in (await uc.halls.layout(OPERATOR, hall_id))["windows"]}
    at(8, 50)
    for username, number in DEMO_STAFF:
        await uc.windows.open(manager, windows[number]["id"], clerk=username)
    queues = [q for _, n in DEMO_STAFF for q in windows[n]["queues"][:2]]
    kiosk = Actor(Role.KIOSK, hall_id=hall_id, display_name="demo kiosk")
    served: list[dict[str, Any]] = []
    # Every 20 minutes from 09:00 to 16:40 two to four people take tickets; each window calls, starts and
    # finishes one at its own pace. The steps run in time order, so every event's time follows the one before.
    plan: list[tuple[int, int, str, int]] = []  # (minute, order, what, index)
    for step in range(24):
        minute = 9 * 60 + 20 * step
        plan += [(minute, 0, "issue", step * 4 + k) for k in range(2 + (step * 7) % 3 + (step < 8))]
        for i in range(len(DEMO_STAFF)):  # half the windows call early in the step, half later
            call = minute + 2 + (step * 5 + (i % 2) * 3) % 9
            plan += [(call, 1, "call", i), (call + 1, 2, "start", i), (call + 4 + (step + i) % 5, 3, "finish", i)]
    current: dict[int, dict[str, Any]] = {}

    async def do(minute: int, what: str, n: int) -> None:
        if what == "issue":
            priority = Priority.ELDERLY if n % 7 == 3 else Priority.NONE
            channel = Channel.MOBILE if n % 4 == 1 else Channel.KIOSK
            await uc.tickets.issue(kiosk, hall=hall_id, queue=queues[(n * 5) % len(queues)], channel=channel,
                                   priority=priority)
        elif what == "call":
            ticket = await uc.windows.call_next(manager, windows[DEMO_STAFF[n][1]]["id"])
            if ticket is not None:
                current[n] = ticket
        elif n in current and what == "start":
            if (minute + n) % 13 == 5:  # now and then nobody comes
                await uc.tickets.no_show(manager, current.pop(n)["id"])
            else:
                await uc.tickets.start(manager, current[n]["id"])
        elif n in current:
            ticket = current.pop(n)
            await uc.tickets.finish(manager, ticket["id"])
            served.append(ticket)

    # What happens in the same minute runs together (one commit on SQLite; fewer round trips on PostgreSQL).
    for (minute, _), group in itertools.groupby(sorted(plan), key=lambda p: p[:2]):
        at(*divmod(minute, 60))
        await asyncio.gather(*(do(minute, what, n) for _, _, what, n in group))
    await asyncio.gather(*(_quietly(uc.ratings.rate_by_token(None, t["token"], {"level": LEVELS[i % len(LEVELS)]}))
                           for i, t in enumerate(served[::2])))
    await _patrols(uc, hall_id, manager, users, windows, at)
    at(17, 30)
    await uc.halls.close_day(manager, hall_id, through_today=True)
    at(17, 40)
    await uc.briefings.generate(manager, hall_id, PeriodKind.DAILY, day)


async def _patrols(uc: UseCases, hall_id: int, manager: Actor, users: dict[str, dict[str, Any]],
                   windows: dict[int, dict[str, Any]], at: Callable[[int, int], None]) -> None:
    """Six full patrols and four spot checks; the first five full ones find one thing each."""
    items = [i["code"] for i in await uc.patrols.checklist(manager, hall_id)]
    key = [w for w in windows.values() if w.get("key_window")] or list(windows.values())
    findings: list[tuple[dict[str, Any], str, str]] = []
    slots = [(PatrolKind.FULL, h * 60 + 20) for h in (9, 10, 11, 13, 14, 16)] + \
            [(PatrolKind.SPOT, m) for m in (10 * 60 + 40, 11 * 60 + 40, 14 * 60 + 40, 15 * 60 + 40)]
    for n, (kind, minute) in enumerate(sorted(slots, key=lambda s: s[1])):
        at(*divmod(minute, 60))
        window = key[n % len(key)]["id"] if kind is PatrolKind.SPOT else None
        p = await uc.patrols.start(manager, hall_id, kind, window, "")
        found = FINDINGS[len(findings)] if kind is PatrolKind.FULL and len(findings) < len(FINDINGS) else None
        if found is not None:
            category, severity, text, end = found
            clerk = users[DEMO_STAFF[len(findings)][0]]
            f = await uc.findings.open(manager, hall_id, {
                "patrol": p["id"], "category": category, "severity": severity.value, "description": text,
                "window": windows[DEMO_STAFF[len(findings)][1]]["id"], "responsible": clerk["id"]})
            findings.append((f, end, clerk["username"]))
        await asyncio.gather(*(uc.patrols.check(manager, p["id"], item,
                                                CheckResult.FINDING if found and item == found[0] else CheckResult.PASS,
                                                "") for item in items if item in p["items"]))
        at(*divmod(minute + 15, 60))
        await uc.patrols.finish(manager, p["id"], None)
    at(16, 50)
    for f, end, username in findings:
        fixer = _actor(users[username], hall_id)
        fixed = [(fixer, FindingAction.START), (fixer, FindingAction.RECTIFY)]
        steps: dict[str, list[tuple[Actor, FindingAction]]] = {
            "open": [], "rectifying": fixed[:1], "rectified": fixed,
            "verified": [*fixed, (manager, FindingAction.VERIFY)],
            "reopened": [*fixed, (manager, FindingAction.REOPEN)]}
        for actor, action in steps[end]:
            await uc.findings.act(actor, f["id"], action, NOTES[action])


NOTES = {FindingAction.START: "已收到，马上整改", FindingAction.RECTIFY: "已整改完毕，见照片",
         FindingAction.VERIFY: "复查合格", FindingAction.REOPEN: "复查仍有问题，请重新整改"}


def _actor(user: dict[str, Any], hall_id: int) -> Actor:
    return Actor(Role(user["role"]), user_id=user["id"], display_name=user["display_name"], hall_id=hall_id)


async def _hall(uc: UseCases, hall_id: int) -> dict[str, Any]:
    return next(h for h in await uc.halls.list(OPERATOR) if h["id"] == hall_id)
