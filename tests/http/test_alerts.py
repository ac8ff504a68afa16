"""Alerts through the API: raised once, acknowledged by a named manager, cleared when the condition ends,
kept in the log; thresholds per hall and queue; the roles; the evaluator on the store's clock."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from hallops.background import LOOPS
from hallops.config import AlertsConfig, Config
from hallops.domain.alerts import AlertKind
from hallops.domain.patrols import DEFAULT_CHECKLIST
from hallops.http.app import create_app
from hallops.http.keys import USECASES
from tests.conftest import SHANGHAI, Api, Hall


async def only(hall: Hall, *kinds: AlertKind, extra: list[dict[str, Any]] | None = None) -> None:
    """Switch every rule off but `kinds`, so a test sees only the alerts it is about."""
    rules = [{"kind": k.value, "enabled": k in kinds} for k in AlertKind] + (extra or [])
    status, body = await hall.manager.call("PUT", f"/api/v1/halls/{hall.hall_id}/alert-rules", {"rules": rules})
    assert status == 200, body


async def evaluate(hall: Hall) -> dict[str, int]:
    status, body = await hall.manager.post(f"/api/v1/halls/{hall.hall_id}/alerts/evaluate")
    assert status == 200, body
    return body


async def active(hall: Hall) -> dict[str, dict[str, Any]]:
    _, body = await hall.manager.get(f"/api/v1/halls/{hall.hall_id}/alerts?active=1")
    return {a["key"]: a for a in body["alerts"]}


async def serve_one(api: Api, window_id: int) -> None:
    status, body = await api.post(f"/api/v1/windows/{window_id}/call-next")
    assert status == 200, body
    tid = body["ticket"]["id"]
    for step in ("start", "finish"):
        status, body = await api.post(f"/api/v1/tickets/{tid}/{step}")
        assert status == 200, body


async def test_an_alert_is_raised_once_acknowledged_by_name_and_cleared(hall: Hall) -> None:
    await only(hall, AlertKind.QUEUE_LENGTH, extra=[{"kind": "queue_length", "queue": "A", "threshold": 2}])
    for _ in range(3):
        await hall.issue("A")
    await hall.issue("B")  # B's limit is the hall's (30): no alert
    assert (await evaluate(hall))["raised"] == 1
    assert await evaluate(hall) == {"raised": 0, "cleared": 0, "active": 1}
    key = f"queue_length:{hall.queue_id('A')}"
    a = (await active(hall))[key]
    assert (a["value"], a["threshold"], a["level"], a["acknowledged_at"]) == (3, 2, "warning", None)
    await hall.issue("A")
    await hall.issue("A")
    await evaluate(hall)
    a = (await active(hall))[key]
    assert (a["id"], a["peak_value"], a["level"]) == (a["id"], 5, "critical")

    manager = await hall.login("manager", "demo-manager")
    hall.clock.advance(60)
    status, acked = await manager.post(f"/api/v1/alerts/{a['id']}/acknowledge", {"note": "已增开窗口"})
    assert status == 200 and acked["acknowledged_by"] == "王建华" and acked["ack_note"] == "已增开窗口"
    manager2 = await hall.login("manager2", "demo-manager")
    status, body = await manager2.post(f"/api/v1/alerts/{a['id']}/acknowledge")
    assert status == 409 and body["error"] == "already_acknowledged"

    w = hall.window_id(1)
    await hall.manager.post(f"/api/v1/windows/{w}/open")
    for _ in range(3):
        await serve_one(hall.manager, w)
    hall.clock.advance(120)
    assert (await evaluate(hall))["cleared"] == 1
    assert key not in await active(hall)
    _, log = await hall.manager.get(f"/api/v1/halls/{hall.hall_id}/alerts")
    (entry,) = log["alerts"]
    assert entry["active"] is False and entry["cleared_at"] and entry["acknowledged_by"] == "王建华"
    assert entry["duration_seconds"] == 180
    _, events = await hall.manager.get(f"/api/v1/halls/{hall.hall_id}/events?after=0")
    assert [e["type"] for e in events["events"] if e["type"] in ("alert.raised", "alert.acknowledged",
                                                                  "alert.cleared")] == [
        "alert.raised", "alert.acknowledged", "alert.cleared"]
    await hall.issue("A")
    await hall.issue("A")
    assert (await evaluate(hall))["raised"] == 1  # the condition is back: a new alert


async def test_evaluations_at_the_same_time_raise_one_alert(hall: Hall) -> None:
    await only(hall, AlertKind.QUEUE_LENGTH, extra=[{"kind": "queue_length", "queue": "C", "threshold": 0}])
    await hall.issue("C")
    evaluator = hall.client.server.app[USECASES].alerts
    await asyncio.gather(*(evaluator.evaluate_all() for _ in range(5)))
    _, log = await hall.manager.get(f"/api/v1/halls/{hall.hall_id}/alerts")
    assert len(log["alerts"]) == 1
    # The background loop ran at start-up on its own.
    for _ in range(100):
        if evaluator.runs >= 6:
            break
        await asyncio.sleep(0.02)
    assert evaluator.runs >= 6


async def test_waits_pauses_and_idle_windows_raise_and_clear_with_the_clock(hall: Hall) -> None:
    await only(hall, AlertKind.QUEUE_WAIT, AlertKind.WINDOW_PAUSED, AlertKind.WINDOW_IDLE)
    clerk1 = await hall.clerk_at(1, "clerk1")
    clerk2 = await hall.clerk_at(5, "clerk2")
    await clerk2.post(f"/api/v1/windows/{hall.window_id(5)}/pause", {"reason": "系统故障"})
    await hall.issue("A")
    hall.clock.advance(4 * 60)
    assert (await evaluate(hall))["raised"] == 0
    hall.clock.advance(2 * 60)
    await evaluate(hall)
    assert set(await active(hall)) == {f"window_idle:{hall.window_id(1)}"}
    hall.clock.advance(15 * 60)
    await evaluate(hall)
    now = await active(hall)
    assert set(now) == {f"window_idle:{hall.window_id(1)}", f"window_paused:{hall.window_id(5)}",
                        f"queue_wait:{hall.queue_id('A')}"}
    assert now[f"queue_wait:{hall.queue_id('A')}"]["threshold"] == 20  # the queue's own target
    status, _ = await clerk1.post(f"/api/v1/windows/{hall.window_id(1)}/call-next")
    assert status == 200
    await clerk2.post(f"/api/v1/windows/{hall.window_id(5)}/resume")
    assert (await evaluate(hall))["cleared"] == 3
    assert await active(hall) == {}


async def test_unstaffed_key_windows_and_late_patrols_raise_alerts(hall: Hall) -> None:
    await only(hall, AlertKind.WINDOW_UNSTAFFED, AlertKind.PATROL_BEHIND)
    keys = sorted(w["number"] for w in hall.layout["windows"] if w.get("key_window"))
    hall.clock.set(dt.datetime(2026, 11, 30, 9, 5, tzinfo=SHANGHAI))
    assert (await evaluate(hall))["raised"] == 0  # 5 minutes after opening: within the 10 allowed
    await hall.clerk_at(keys[0], "clerk1")
    hall.clock.set(dt.datetime(2026, 11, 30, 9, 15, tzinfo=SHANGHAI))
    await evaluate(hall)
    assert set(await active(hall)) == {f"window_unstaffed:{hall.window_id(n)}" for n in keys[1:]}
    hall.clock.set(dt.datetime(2026, 11, 30, 12, 30, tzinfo=SHANGHAI))  # lunch: closed, nobody need be there
    await evaluate(hall)
    now = await active(hall)
    assert set(now) == {"patrol_behind:full", "patrol_behind:spot"}
    assert "已完成 0 次，此时应完成 2 次" in now["patrol_behind:full"]["message"]
    for _ in range(2):
        _, p = await hall.manager.post(f"/api/v1/halls/{hall.hall_id}/patrols", {"kind": "full"})
        for item in DEFAULT_CHECKLIST:
            await hall.manager.post(f"/api/v1/patrols/{p['id']}/checks", {"item": item.code, "result": "pass"})
        status, _ = await hall.manager.post(f"/api/v1/patrols/{p['id']}/finish")
        assert status == 200
    await evaluate(hall)
    assert set(await active(hall)) == {"patrol_behind:spot"}


async def test_alert_rules_and_roles(hall: Hall) -> None:
    url = f"/api/v1/halls/{hall.hall_id}/alert-rules"
    status, body = await hall.manager.call("PUT", url, {"rules": [
        {"kind": "window_paused", "threshold": 30}, {"kind": "queue_wait", "queue": "B", "threshold": 45}]})
    assert status == 200
    rules = {r["kind"]: r for r in body["rules"]}
    assert rules["window_paused"]["threshold"] == 30 and rules["window_paused"]["default_threshold"] == 15
    assert rules["queue_wait"]["queues"] == [{"queue": "B", "enabled": True, "threshold": 45}]
    status, body = await hall.manager.call("PUT", url, {"rules": [{"kind": "queue_wait", "queue": "B",
                                                                   "inherit": True}]})
    assert {r["kind"]: r for r in body["rules"]}["queue_wait"]["queues"] == []
    status, body = await hall.manager.call("PUT", url, {"rules": [{"kind": "window_idle", "queue": "A"}]})
    assert status == 422 and body["error"] == "not_per_queue"
    status, body = await hall.manager.call("PUT", url, {"rules": [{"kind": "no_such_rule"}]})
    assert status == 422
    clerk = await hall.clerk_at(2)
    for api in (clerk, hall.kiosk, hall.display):
        for method, path, payload in [("GET", f"/api/v1/halls/{hall.hall_id}/alerts", None),
                                      ("POST", f"/api/v1/halls/{hall.hall_id}/alerts/evaluate", {}),
                                      ("PUT", url, {"rules": [{"kind": "window_idle", "threshold": 1}]}),
                                      ("POST", "/api/v1/alerts/1/acknowledge", {})]:
            status, _ = await api.call(method, path, payload)
            assert status == 403, (api, path)


async def test_the_evaluation_loop_takes_its_interval_from_the_configuration(config: Config) -> None:
    for seconds in (2.5, 3600.0):
        changed = config.model_copy(update={"alerts": AlertsConfig(interval_seconds=seconds)})
        app = create_app(changed)
        assert [(lp.name, lp.interval) for lp in app[LOOPS] if lp.name == "alerts"] == [("alerts", seconds)]
