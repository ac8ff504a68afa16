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
        "bundles": await uc.bundles.offered(hid),
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
    # 一件事一次办: bundles of the seed's list, each across departments, each with somewhere to start.
    bundles = {b["name"]: b for b in seen["bundles"]}
    assert {"开办企业一件事", "新生儿出生一件事", "不动产登记+水电气过户一件事", "退休一件事"} <= set(bundles)
    assert 3 <= len(bundles) <= 5
    for b in bundles.values():
        assert len(b["steps"]) >= 2 and len({s["department"] for s in b["steps"]}) >= 2 and b["stops"], b
    assert bundles["开办企业一件事"]["stops"] == ["Q", "D", "F", "G", "L"]


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
        newborn = next(b for b in await uc.bundles.offered(hall["id"]) if b["code"] == "yjs-newborn")
        ticket, _ = await uc.bundles.issue(OPERATOR, newborn["id"], channel=Channel.KIOSK, priority=Priority.NONE)
        assert ticket["number"] == "R001" and ticket["bundle"]["stops"] == 3
    finally:
        await db.close()


async def district_shape(uc: UseCases) -> dict[str, Any]:
    halls = await uc.halls.list(OPERATOR)
    by_id = {h["id"]: h for h in halls}
    levels: dict[str, int] = {}
    for h in halls:
        levels[h["level"]] = levels.get(h["level"], 0) + 1
    communities_under = {by_id[h["parent_id"]]["level"] for h in halls if h["level"] == "community"}
    windows = {h["code"]: len((await uc.halls.layout(OPERATOR, h["id"]))["windows"]) for h in halls}
    states = [await uc.halls.state(OPERATOR, h["id"]) for h in halls if h["level"] != "district"]
    return {"levels": levels, "communities_under": communities_under, "windows": windows,
            "open": sum(1 for s in states for w in s["windows"] if w["state"] == "open"),
            "issued": sum(s["today"]["issued"] for s in states),
            "top": [h["code"] for h in halls if h["parent_id"] is None],
            "renhe": [h["code"] for h in halls if h["parent_id"] == next(x["id"] for x in halls
                                                                          if x["code"] == "renhe")]}


async def test_the_demo_is_a_district_of_63_centres(config: Config) -> None:
    await _with_usecases(config, ensure_demo)
    d = await _with_usecases(config, district_shape)
    assert d["levels"] == {"district": 1, "street": 8, "new_town": 3, "community": 51}
    assert d["top"] == ["liangjiang"] and d["communities_under"] == {"street", "new_town"}
    assert d["renhe"] == ["renhe-wanshou", "renhe-xinglong", "renhe-huahuiyuan", "renhe-renhe", "renhe-tianhumeizhen"]
    sizes = [n for code, n in d["windows"].items() if code != "liangjiang"]
    assert min(sizes) == 2 and max(sizes) == 6  # communities 2–3, streets and new towns 4–6
    assert d["open"] > 100 and d["issued"] > 62  # every centre has open windows and citizens
