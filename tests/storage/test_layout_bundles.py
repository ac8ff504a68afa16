"""A layout file's 一件事一次办 bundles (`[[bundles]]`): loaded with the rest of the hall, in one transaction; a
step naming no service item of the file stops the load with the bundle and the step named, nothing kept."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from hallops.cli import demo_layout
from hallops.domain.errors import InvalidInput
from hallops.storage.db import Database, open_database
from hallops.storage.layout import LayoutStore
from tests.conftest import Clock


@pytest.fixture
async def db(database: str, clock: Clock) -> AsyncIterator[Database]:
    d = open_database(database, clock=clock)
    await d.open()
    yield d
    await d.close()


def small_layout(**bundle: Any) -> dict[str, Any]:
    """Two departments, two queues, three items and one window of each queue, and one bundle across them."""
    return {
        "hall": {"code": "small", "name": "小厅"},
        "departments": [{"code": "samr", "name": "市场监督管理局"}, {"code": "tax", "name": "税务局"}],
        "queues": [{"prefix": "D", "name": "商事登记", "kind": "general", "department": "samr"},
                   {"prefix": "F", "name": "涉税事务", "kind": "general", "department": "tax"}],
        "service_items": [{"code": "licence", "name": "营业执照设立登记", "department": "samr", "queue": "D"},
                          {"code": "seal", "name": "公章刻制备案", "department": "samr", "queue": "D"},
                          {"code": "taxpayer", "name": "新办纳税人", "department": "tax", "queue": "F"}],
        "windows": [{"number": 1, "name": "1 号窗", "kind": "general", "queues": ["D"]},
                    {"number": 2, "name": "2 号窗", "kind": "general", "queues": ["F"]}],
        "bundles": [{"code": "start", "name": "开办企业一件事", "name_en": "Starting a business",
                     "items": ["licence", "seal", "taxpayer"]} | bundle],
    }


async def bundles_of(db: Database, hall_id: int) -> list[tuple[str, str, str | None, list[str]]]:
    view = await LayoutStore(db).admin_view(hall_id)
    assert view is not None
    return [(b["code"], b["name"], b["queue"], [i["code"] for i in b["items"]]) for b in view["bundles"]]


async def test_a_layouts_bundles_are_loaded_with_their_steps_in_order(db: Database) -> None:
    hall_id = await LayoutStore(db).load_layout(small_layout(queue="F"))
    assert await bundles_of(db, hall_id) == [("start", "开办企业一件事", "F", ["licence", "seal", "taxpayer"])]
    # Loaded quietly with the hall: one layout event, one audit row, nothing per bundle.
    events = await db.all("SELECT type FROM events WHERE hall_id = ?", (hall_id,))
    assert [e[0] for e in events] == ["layout.changed"]
    audit = await db.all("SELECT action FROM audit_log WHERE hall_id = ?", (hall_id,))
    assert [a[0] for a in audit] == ["hall.load"]


async def test_a_bundle_step_naming_an_unknown_item_stops_the_load_and_keeps_nothing(db: Database) -> None:
    with pytest.raises(InvalidInput) as e:
        await LayoutStore(db).load_layout(small_layout(items=["licence", "stamp", "taxpayer"]))
    assert e.value.code == "item_not_found"
    assert "一件事 start 第 2 步" in e.value.message and "'stamp'" in e.value.message
    assert "bundle 'start', step 2: no service item 'stamp'" in e.value.message
    # The whole file is one transaction: no hall, no department, no item of it was kept.
    for table in ("halls", "departments", "service_items", "windows", "bundles"):
        assert (await db.one(f"SELECT count(*) FROM {table}"))[0] == 0, table


async def test_the_demo_halls_bundles_cross_departments_over_its_own_items(db: Database) -> None:
    layout = demo_layout()
    hall_id = await LayoutStore(db).load_layout(layout)
    loaded = await bundles_of(db, hall_id)
    assert 3 <= len(loaded) <= 5
    codes = {i["code"] for i in layout["service_items"]}
    departments = {i["code"]: i["department"] for i in layout["service_items"]}
    for code, _name, _queue, items in loaded:
        assert set(items) <= codes and len(items) >= 2, code
        assert len({departments[i] for i in items}) >= 2, code  # across departments
    assert ("yjs-business-start", "开办企业一件事", "Q", ["samr-licence-establish", "psb-seal-filing",
            "tax-new-taxpayer", "hrss-employer-enrol", "hpf-employer-account"]) in loaded
