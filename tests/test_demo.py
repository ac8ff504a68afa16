"""The demo shows every feature at any hour: yesterday's history (statistics, a briefing, patrols, findings in
every state, ratings), appointment slots from now on with bookings, and a patrol schedule that starts now.
It is recorded through the use cases, fast enough that `hallops serve --demo` starts in a few seconds."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest

from hallops.cli import _with_usecases, ensure_demo
from hallops.config import Config
from hallops.demo import DemoClock, demo_opening_hours
from hallops.domain.patrols import FindingStatus
from hallops.domain.stats import Period
from hallops.usecases import UseCases
from hallops.usecases.accounts import OPERATOR
from hallops.usecases.kiosk import service_day_of
from tests.conftest import postgres_url

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


async def look(uc: UseCases) -> dict[str, Any]:
    hall = (await uc.halls.list(OPERATOR))[0]
    hid = hall["id"]
    today = service_day_of(uc.ctx, hall["timezone"])  # before 03:00 still the calendar's yesterday
    yesterday = today - dt.timedelta(days=1)
    return {
        "hall": hall,
        "quota": await uc.patrols.quota(OPERATOR, hid),
        "state": await uc.halls.state(OPERATOR, hid),
        "findings": await uc.findings.list(OPERATOR, hid),
        "patrols": await uc.patrols.list(OPERATOR, hid, yesterday.isoformat()),
        "briefings": await uc.briefings.kept(OPERATOR, hid),
        "stats": await uc.reports.stats.statistics(hid, Period.day(yesterday), ["queue"]),
        "today": await uc.appointments.day(OPERATOR, hall, today.isoformat()),
        "later": [await uc.appointments.day(OPERATOR, hall, (today + dt.timedelta(days=d)).isoformat())
                  for d in range(1, 7)],
    }


async def test_a_fresh_demo_has_yesterday_slots_and_a_schedule_from_now(config: Config) -> None:
    t0 = time.perf_counter()
    loaded, tokens = await _with_usecases(config, ensure_demo)
    took = time.perf_counter() - t0
    # SQLite (the demo's own database): ~1 s of which 0.5 s is yesterday; PostgreSQL pays a round trip a write.
    assert loaded and took < (10 if postgres_url() is None else 60), f"demo loaded in {took:.1f}s"
    seen = await _with_usecases(config, look)
    # Yesterday: tickets served and missed, ten patrols, a finding in every state, a daily briefing.
    totals = seen["stats"]["totals"]
    assert totals["issued"] >= 50 and totals["served"] >= 40 and totals["no_show"] >= 1, totals
    assert len([p for p in seen["patrols"] if p["status"] == "done"]) == 10
    states = {f["status"] for f in seen["findings"]}
    assert states == {s.value for s in FindingStatus}
    assert [b["kind"] for b in seen["briefings"]] == ["daily"]
    # Today: the patrol schedule starts at the demo's start, so nothing is behind; slots from now, bookable.
    assert not any(q.behind for q in seen["quota"]["progress"]), seen["quota"]["progress"]
    assert seen["today"]["slots"] and all(d["slots"] for d in seen["later"])
    booked = [b for s in seen["today"]["slots"] for b in s["bookings"]]
    assert any(b["code"] == tokens["demo-booking"] for b in booked)
    # The key windows are staffed: a trial does not open on "key window unstaffed" alerts.
    key = [w for w in seen["state"]["windows"] if w["number"] in (1, 9, 14, 15, 20, 23, 27)]
    assert key and all(w["state"] == "open" for w in key), key


async def test_a_second_start_keeps_the_history_and_refreshes_today(config: Config) -> None:
    await _with_usecases(config, ensure_demo)
    t0 = time.perf_counter()
    loaded, tokens = await _with_usecases(config, ensure_demo)
    assert not loaded and time.perf_counter() - t0 < 5
    seen = await _with_usecases(config, look)
    assert len(seen["briefings"]) == 1 and tokens["demo-booking"]


@pytest.mark.parametrize(("now", "hours"), [
    ((9, 3), "09:00-17:00"), ((15, 58), "15:55-23:55"), ((20, 0), "20:00-23:59"), ((23, 47), "23:45-23:59"),
    ((0, 10), "00:10-08:10")])
def test_the_demo_opens_at_its_start(now: tuple[int, int], hours: str) -> None:
    assert demo_opening_hours(dt.datetime(2026, 12, 1, *now, tzinfo=SHANGHAI)) == hours


class NightClock(DemoClock):
    """01:30 in Shanghai on 2 December: before the 03:00 rollover, so the service day is still 1 December.
    The demo sets it back to record its yesterday and releases it to this night again."""

    NIGHT = dt.datetime(2026, 12, 2, 1, 30, tzinfo=SHANGHAI).timestamp()

    def __call__(self) -> float:
        return self.NIGHT if self.at is None else self.at


async def test_a_demo_started_after_midnight_records_the_service_day_before(config: Config) -> None:
    """Before the rollover, the calendar's yesterday is today's service day: the history goes a day earlier, and
    today's numbers start at 001 (CI once ran at 01:00 Shanghai and saw B045 where B021 was due)."""
    from hallops.cli import demo_layout
    from hallops.demo import fill_demo
    from hallops.domain.model import Channel, Priority
    from hallops.http.app import rules_from
    from hallops.storage.db import open_database
    from hallops.storage.ports import Ports

    clock = NightClock()
    db = open_database(config.database.path, clock=clock, **(config.database.options() | {"readers": 1}))
    await db.open()
    try:
        uc = UseCases.build(Ports.build(db, rules_from(config)), config, clock)
        await uc.layout.load(demo_layout())
        hall = (await uc.halls.list(OPERATOR))[0]
        await fill_demo(uc, hall["id"])
        history = await uc.reports.stats.statistics(hall["id"], Period.day(dt.date(2026, 11, 30)), ["queue"])
        assert history["totals"]["issued"] >= 50, history["totals"]
        ticket, _ = await uc.tickets.issue(OPERATOR, hall=hall["id"], queue="B", channel=Channel.KIOSK,
                                           priority=Priority.NONE)
        assert ticket["number"] == "B001"
    finally:
        await db.close()
