"""The district's live view over one websocket (issue 10), against the real server: every centre of the subtree,
changes within a second, only one's own part of the tree, and resuming by revision without missing a change."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
import pytest
from aiohttp import WSMsgType

from hallops.domain.model import Role
from hallops.http.district import BOARD
from tests.conftest import Hall
from tests.district import Centre, centre


class Viewer:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.rows: dict[int, dict[str, Any]] = {}
        self.hello: dict[str, Any] = {}
        self.rev = 0
        self.updates: list[dict[str, Any]] = []

    async def read(self, within: float = 3.0) -> dict[str, Any]:
        msg = await self.ws.receive(timeout=within)
        if msg.type is not WSMsgType.TEXT:
            raise ConnectionError(f"socket ended: {msg.type} {msg.data}")
        m = json.loads(msg.data)
        if m["type"] == "hello":
            self.hello = m
            if m["full"]:
                self.rows = {}
        for r in m.get("rows", []):
            self.rows[r["hall_id"]] = r
        if m["type"] == "centres":
            self.updates.append(m)
        self.rev = max(self.rev, m.get("rev", 0))
        return m

    async def until(self, pred: Any, within: float = 3.0) -> float:
        """Read until `pred(self)` holds; how long it took."""
        t0 = time.monotonic()
        while not pred(self):
            await self.read(max(0.05, within - (time.monotonic() - t0)))
        return time.monotonic() - t0


async def view(hall: Hall, token: str, root: str, **params: str) -> Viewer:
    ws = await hall.client.ws_connect(f"/api/v1/district/{root}/live", params={"token": token, **params})
    v = Viewer(ws)
    await v.read()
    return v


async def manager_token(hall: Hall, hall_id: int) -> str:
    t, _ = await hall.ports.accounts.create_token(role=Role.MANAGER, hall_id=hall_id, label=f"m-{hall_id}")
    return t


async def test_the_district_follows_every_centre_over_one_socket(hall: Hall, tree: dict[str, Centre]) -> None:
    v = await view(hall, await manager_token(hall, hall.hall_id), "liangjiang")
    assert v.hello["full"] and v.hello["halls"] == [hall.hall_id, tree["renhe"].id, tree["renhe-wanshou"].id,
                                                    tree["lijia"].id, tree["lijia-bailin"].id, tree["longxing"].id,
                                                    tree["longxing-longsheng"].id]  # tree order
    wanshou = tree["renhe-wanshou"].id
    assert (v.rows[wanshou]["waiting"], v.rows[wanshou]["windows_total"], v.rows[wanshou]["level"]) == (0, 1,
                                                                                                         "community")
    t0 = time.monotonic()
    for _ in range(3):
        assert (await hall.admin.post("/api/v1/tickets", {"queue": "A", "hall": wanshou}))[0] == 201
    await v.until(lambda x: x.rows[wanshou]["waiting"] == 3)
    assert time.monotonic() - t0 < 1.0  # the district view is updated within a second
    row = v.rows[wanshou]
    assert (row["issued"], row["served"], [q["waiting"] for q in row["queues"]]) == (3, 0, [3])
    assert row["queues"][0]["oldest_at"] is not None
    # Only the centres that changed are sent.
    assert {r["hall_id"] for u in v.updates for r in u["rows"]} == {wanshou}
    # A finding at a street centre reaches its floor figures too.
    status, _ = await hall.admin.post(f"/api/v1/halls/{tree['lijia'].id}/findings",
                                      {"category": "signage", "description": "指引牌缺失", "area": "门厅"})
    assert status == 201
    await v.until(lambda x: x.rows[tree["lijia"].id]["findings_open"] == 1)
    # The JSON view says the same.
    status, snap = await hall.manager.get(f"/api/v1/district/{hall.hall_id}")
    assert status == 200 and {r["hall_id"]: r["waiting"] for r in snap["rows"]}[wanshou] == 3
    await v.ws.close()


async def test_a_street_manager_follows_their_street_only(hall: Hall, tree: dict[str, Centre]) -> None:
    renhe = await manager_token(hall, tree["renhe"].id)
    v = await view(hall, renhe, "renhe")
    assert set(v.rows) == {tree["renhe"].id, tree["renhe-wanshou"].id}
    assert (await hall.admin.post("/api/v1/tickets", {"queue": "A", "hall": tree["lijia-bailin"].id}))[0] == 201
    assert (await hall.admin.post("/api/v1/tickets", {"queue": "A", "hall": tree["renhe-wanshou"].id}))[0] == 201
    await v.until(lambda x: x.rows[tree["renhe-wanshou"].id]["waiting"] == 1)
    assert set(v.rows) == {tree["renhe"].id, tree["renhe-wanshou"].id}  # nothing of another street
    await v.ws.close()
    for root in ("liangjiang", "lijia", "lijia-bailin"):
        with pytest.raises(aiohttp.WSServerHandshakeError) as e:
            await hall.client.ws_connect(f"/api/v1/district/{root}/live", params={"token": renhe})
        assert e.value.status == 404
    clerk, _ = await hall.ports.accounts.create_token(role=Role.CLERK, hall_id=tree["renhe-wanshou"].id,
                                                      window_id=tree["renhe-wanshou"].window, label="c")
    with pytest.raises(aiohttp.WSServerHandshakeError) as e:
        await hall.client.ws_connect("/api/v1/district/renhe-wanshou/live", params={"token": clerk})
    assert e.value.status == 403
    with pytest.raises(aiohttp.WSServerHandshakeError) as e:
        await hall.client.ws_connect("/api/v1/district/renhe/live")
    assert e.value.status == 401
    assert (await hall.kiosk.get(f"/api/v1/district/{hall.hall_id}"))[0] in (403, 404)


async def test_a_viewer_resumes_by_revision_and_misses_nothing(hall: Hall, tree: dict[str, Centre]) -> None:
    token = await manager_token(hall, hall.hall_id)
    v = await view(hall, token, "liangjiang")
    epoch, seen = v.hello["epoch"], v.hello["rev"]
    await v.ws.close()  # the tablet's network drops
    bailin, longsheng = tree["lijia-bailin"].id, tree["longxing-longsheng"].id
    for hid in (bailin, bailin, longsheng):
        assert (await hall.admin.post("/api/v1/tickets", {"queue": "A", "hall": hid}))[0] == 201
    board = hall.client.server.app[BOARD]
    for _ in range(100):  # the board has folded them (it runs on with nobody watching)
        if board.rows[bailin]["waiting"] == 2 and board.rows[longsheng]["waiting"] == 1:
            break
        await asyncio.sleep(0.02)
    back = await view(hall, token, "liangjiang", epoch=epoch, rev=str(seen))
    assert not back.hello["full"]
    assert {r["hall_id"] for r in back.hello["rows"]} == {bailin, longsheng}  # exactly what changed
    merged = v.rows | back.rows
    _, snap = await hall.manager.get(f"/api/v1/district/{hall.hall_id}")
    assert {h: (r["waiting"], r["issued"]) for h, r in merged.items()} == \
        {r["hall_id"]: (r["waiting"], r["issued"]) for r in snap["rows"]}
    await back.ws.close()
    # Another board (a restart, another process): everything afresh.
    other = await view(hall, token, "liangjiang", epoch="not-this-board", rev=str(seen))
    assert other.hello["full"] and len(other.hello["rows"]) == 7
    await other.ws.close()


async def test_a_centre_added_while_watching_joins_the_view(hall: Hall, tree: dict[str, Centre]) -> None:
    v = await view(hall, await manager_token(hall, hall.hall_id), "liangjiang")
    new = await centre(hall, "renhe-xinglong", "星隆社区便民服务站", "community", "renhe")
    await v.until(lambda x: new.id in x.rows and any(new.id in (u.get("halls") or []) for u in x.updates))
    assert v.rows[new.id]["name"] == "星隆社区便民服务站" and v.rows[new.id]["windows_total"] == 1
    await v.ws.close()
