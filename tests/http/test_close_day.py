"""The day's close: unserved tickets expire (never deleted); numbering restarts the next service day."""

from __future__ import annotations

import datetime as dt

from hallops.domain.actors import Actor
from hallops.domain.model import Role
from tests.conftest import SHANGHAI, Hall


async def test_manager_closes_the_day(hall: Hall) -> None:
    clerk = await hall.clerk_at(1)
    waiting = await hall.issue("A")
    called = await hall.issue("A")
    await hall.db.write(lambda tx: tx.run("UPDATE tickets SET sort_at = sort_at - 1000 WHERE id = ?",
                                                (called["id"],)))
    await clerk.post(f"/api/v1/windows/{hall.window_id(1)}/call-next")
    status, body = await hall.manager.post(f"/api/v1/halls/{hall.hall_id}/close-day", {"through_today": True})
    assert status == 200 and body["expired"] == 2 and sorted(body["expired_ids"]) == sorted(
        [waiting["id"], called["id"]])
    rows = await hall.db.all("SELECT status, ended_at IS NOT NULL FROM tickets ORDER BY id")
    assert [tuple(r) for r in rows] == [("expired", 1), ("expired", 1)]
    state = (await hall.manager.get(f"/api/v1/halls/{hall.hall_id}/state"))[1]
    assert all(w["current"] is None and w["state"] == "closed" for w in state["windows"])


async def test_numbers_restart_after_the_rollover_and_yesterday_expires(hall: Hall) -> None:
    await hall.issue("A")
    await hall.issue("A")
    # 02:59 the next morning is still the same service day (rollover 03:00) …
    hall.clock.set(dt.datetime(2026, 12, 1, 2, 59, tzinfo=SHANGHAI))
    assert (await hall.issue("A"))["number"] == "A003"
    # … 03:00 is a new day.
    hall.clock.set(dt.datetime(2026, 12, 1, 3, 0, tzinfo=SHANGHAI))
    fresh = await hall.issue("A")
    assert fresh["number"] == "A001" and fresh["service_day"] == "2026-12-01"
    admin = Actor(Role.ADMIN)
    closed = await hall.ports.tickets.close_day(hall.hall_id, through_today=False, actor=admin)
    assert closed["expired"] == 3 and closed["days"] == ["2026-11-30"]
    statuses = [r[0] for r in await hall.db.all("SELECT status FROM tickets ORDER BY id")]
    assert statuses == ["expired", "expired", "expired", "waiting"]
    again = await hall.ports.tickets.close_day(hall.hall_id, through_today=False, actor=admin)
    assert again["expired"] == 0 and again["windows_closed"] == []  # idempotent


async def test_the_day_close_loop_closes_each_hall_once_per_new_service_day(hall: Hall) -> None:
    from hallops.http.keys import USECASES

    async def status(ticket_id: int) -> str:
        return str((await hall.db.one("SELECT status FROM tickets WHERE id = ?", (ticket_id,)))[0])

    rollover = hall.client.server.app[USECASES].halls.rollover()
    await rollover.step()  # at start: the days before today, once
    assert rollover.last_day == {hall.hall_id: "2026-11-30"}
    t = await hall.issue("A")
    hall.clock.set(dt.datetime(2026, 12, 1, 2, 59, 59, tzinfo=SHANGHAI))  # a second before the rollover
    await rollover.step()
    assert rollover.last_day == {hall.hall_id: "2026-11-30"} and await status(t["id"]) == "waiting"
    hall.clock.set(dt.datetime(2026, 12, 1, 3, 0, tzinfo=SHANGHAI))
    await rollover.step()
    assert rollover.last_day == {hall.hall_id: "2026-12-01"} and await status(t["id"]) == "expired"
    _, page = await hall.manager.get("/api/v1/halls/liangjiang/events")
    assert [e["payload"]["expired_ids"] for e in page["events"] if e["type"] == "day.closed"] == [[t["id"]]]
