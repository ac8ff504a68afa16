"""一件事一次办 for citizens (issue 13): the menu lists the hall's bundles with their steps, search finds them by
name, the kiosk takes a bundle's ticket retry-safe, the phone under its own limits."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from tests.conftest import Api, Hall

BUNDLE_TAKE = "/api/v1/mobile/liangjiang/bundle-tickets"


async def _phone(hall: Hall) -> Api:
    c = TestClient(hall.client.server)  # its own cookie jar: one phone
    await c.start_server()
    hall._extra_clients.append(c)
    api = Api(c)
    assert (await api.get("/m/liangjiang"))[0] == 200  # the page names the phone
    return api


async def _bundle(hall: Hall, code: str) -> dict[str, Any]:
    _, menu = await hall.anon.get("/api/v1/halls/liangjiang/menu")
    return next(b for b in menu["bundles"] if b["code"] == code)


async def test_the_menu_lists_the_bundles_under_the_bundle_windows_category(hall: Hall) -> None:
    await hall.issue("R")
    status, menu = await hall.anon.get("/api/v1/halls/liangjiang/menu")
    assert status == 200
    [home] = [c for c in menu["categories"] if c.get("bundles")]
    assert home["zh"] == "一件事一次办" and home["queues"] == ["Q", "R"]  # the bundle windows' own queues stay
    assert [b["code"] for b in menu["bundles"]] == ["yjs-business-start", "yjs-restaurant", "yjs-newborn",
                                                    "yjs-home-transfer", "yjs-retirement"]
    newborn = next(b for b in menu["bundles"] if b["code"] == "yjs-newborn")
    assert newborn["stops"] == ["R", "B", "A"] and newborn["waiting"] == 1
    assert [(s["item"], s["department"], s["queue"]) for s in newborn["steps"]] == [
        ("出生登记（新生儿入户）", "公安分局", "B"), ("生育登记", "卫生健康委员会", "A"),
        ("城乡居民医保参保登记", "医疗保障局", "A"), ("社保卡申领", "人力资源和社会保障局", "A")]


async def test_an_archived_bundle_leaves_the_menu_and_a_hall_without_bundles_has_no_entry(hall: Hall) -> None:
    for b in (await hall.anon.get("/api/v1/halls/liangjiang/menu"))[1]["bundles"]:
        assert (await hall.admin.delete(f"/api/v1/bundles/{b['id']}"))[0] == 200
    _, menu = await hall.anon.get("/api/v1/halls/liangjiang/menu")
    assert menu["bundles"] == [] and not any(c.get("bundles") for c in menu["categories"])


async def test_search_finds_a_bundle_by_its_name(hall: Hall) -> None:
    business = await _bundle(hall, "yjs-business-start")
    status, body = await hall.anon.get("/api/v1/halls/liangjiang/search?q=开办企业")
    assert status == 200 and body["bundles"] == [business["id"]]
    _, body = await hall.anon.get("/api/v1/halls/liangjiang/search?q=txyjs")  # 退休一件事 by its initials
    assert body["bundles"] == [(await _bundle(hall, "yjs-retirement"))["id"]]
    _, body = await hall.anon.get("/api/v1/halls/liangjiang/search?q=营业执照")  # an item: the item, no bundle
    assert body["bundles"] == [] and body["hits"][0]["item"] == "营业执照设立登记"


async def test_a_kiosks_bundle_ticket_retried_with_its_key_is_one_ticket(hall: Hall) -> None:
    b = await _bundle(hall, "yjs-restaurant")
    path = f"/api/v1/bundles/{b['id']}/tickets"
    status, first = await hall.kiosk.post(path, {"channel": "kiosk"}, headers={"Idempotency-Key": "tap-1"})
    assert status == 201 and first["number"] == "Q001" and first["bundle"]["stops"] == 4
    status, again = await hall.kiosk.post(path, {"channel": "kiosk"}, headers={"Idempotency-Key": "tap-1"})
    assert status == 200 and again["id"] == first["id"]
    status, body = await hall.kiosk.post(path, {"channel": "kiosk", "priority": "elderly"},
                                         headers={"Idempotency-Key": "tap-1"})  # the same key, another request
    assert status == 422 and body["error"] == "idempotency_key_reused"
    status, other = await hall.kiosk.post(path, {"channel": "kiosk"}, headers={"Idempotency-Key": "tap-2"})
    assert status == 201 and other["number"] == "Q002"
    assert (await hall.db.one("SELECT count(*) FROM bundle_tickets"))[0] == 2


async def test_a_phone_takes_a_bundles_ticket_under_the_phones_limits(hall: Hall) -> None:
    phone = await _phone(hall)
    b = await _bundle(hall, "yjs-retirement")
    status, t = await phone.post(BUNDLE_TAKE, {"bundle": b["id"]}, headers={"Idempotency-Key": "k1"})
    assert status == 201 and t["number"] == "R001" and t["url"] == f"/t/{t['token']}"
    status, again = await phone.post(BUNDLE_TAKE, {"bundle": b["id"]}, headers={"Idempotency-Key": "k1"})
    assert status == 200 and again["token"] == t["token"]
    row = await hall.db.one("SELECT t.channel, bt.step, m.device IS NOT NULL FROM tickets t JOIN bundle_tickets bt "
                            "ON bt.ticket_id = t.id LEFT JOIN mobile_issues m ON m.ticket_id = t.id "
                            "WHERE t.token = ?", (t["token"],))
    assert tuple(row) == ("mobile", 0, True)  # counted against the phone's hourly limit
    await hall.manager.patch("/api/v1/halls/liangjiang/citizen-settings", {"mobile_per_device_hour": 1})
    status, body = await phone.post(BUNDLE_TAKE, {"bundle": b["id"]})
    assert status == 429, body


async def test_a_phone_cannot_take_another_halls_or_an_archived_bundle(hall: Hall) -> None:
    phone = await _phone(hall)
    status, other = await hall.admin.post("/api/v1/halls", {"code": "beibei", "name": "北碚"})
    assert status == 201
    b = await _bundle(hall, "yjs-retirement")
    status, body = await phone.post(f"/api/v1/mobile/{other['code']}/bundle-tickets", {"bundle": b["id"]})
    assert status == 404 and body["error"] == "bundle_not_found"
    assert (await hall.admin.delete(f"/api/v1/bundles/{b['id']}"))[0] == 200
    status, body = await phone.post(BUNDLE_TAKE, {"bundle": b["id"]})
    assert status == 404 and body["error"] == "bundle_not_found"
    assert (await hall.db.one("SELECT count(*) FROM tickets"))[0] == 0
