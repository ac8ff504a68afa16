"""A district's tree of centres for tests (issue 10): the fixture's district hall with two streets, a new town
and a community under each, built through the API by the unbound admin."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from hallops.domain.model import Role
from tests.conftest import Api, Hall


@dataclass
class Centre:
    id: int
    code: str
    window: int
    queue: str = "A"


async def centre(hall: Hall, code: str, name: str, level: str, parent: str) -> Centre:
    status, h = await hall.admin.post("/api/v1/halls", {"code": code, "name": name, "level": level,
                                                         "parent": parent})
    assert status == 201, h
    hid = h["hall"]["id"] if "hall" in h else h["id"]
    status, _ = await hall.admin.post(f"/api/v1/halls/{hid}/queues", {"prefix": "A", "name": "综合受理"})
    assert status == 201
    status, w = await hall.admin.post(f"/api/v1/halls/{hid}/windows", {"number": 1, "name": "综合窗口",
                                                                       "queues": ["A"]})
    assert status == 201, w
    return Centre(hid, code, w["id"])


async def token(hall: Hall, role: Role, hall_id: int, window_id: int | None = None) -> Api:
    t, _ = await hall.ports.accounts.create_token(role=role, hall_id=hall_id, window_id=window_id,
                                                  label=f"{role.value}-{hall_id}-{window_id}")
    return Api(hall.client, token=t)


@pytest.fixture
async def tree(hall: Hall) -> dict[str, Centre]:
    """The district hall (the fixture's, code liangjiang) with two streets, a new town, and a community each."""
    out = {"district": Centre(hall.hall_id, "liangjiang", hall.window_id(1))}
    out["renhe"] = await centre(hall, "renhe", "人和街道便民服务中心", "street", "liangjiang")
    out["lijia"] = await centre(hall, "lijia", "礼嘉街道便民服务中心", "street", "liangjiang")
    out["longxing"] = await centre(hall, "longxing", "龙兴新城便民服务中心", "new_town", "liangjiang")
    out["renhe-wanshou"] = await centre(hall, "renhe-wanshou", "万寿社区便民服务站", "community", "renhe")
    out["lijia-bailin"] = await centre(hall, "lijia-bailin", "白林社区便民服务站", "community", "lijia")
    out["longxing-longsheng"] = await centre(hall, "longxing-longsheng", "龙盛社区便民服务站", "community",
                                             "longxing")
    return out
