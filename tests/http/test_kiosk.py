"""Kiosk, phone ticket and 一码取号 over HTTP and websockets, against the real server and SQLite file."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import AsyncIterator

import pytest

from tests.conftest import Hall


async def test_menu_lists_queues_by_category_with_items_and_waiting(hall: Hall) -> None:
    await hall.issue("B")
    status, body = await hall.anon.get("/api/v1/halls/liangjiang/menu")
    assert status == 200
    b = next(q for q in body["queues"] if q["prefix"] == "B")
    assert b["waiting"] == 1 and b["category"] == "个人事务" and b["items"]
    assert any(c["zh"] == "企业服务" and "D" in c["queues"] for c in body["categories"])


async def test_kiosk_pages_never_carry_the_token(hall: Hall) -> None:
    status, html = await hall.anon.get("/kiosk/liangjiang")
    assert status == 200 and hall.kiosk.token not in html and "kiosk.js" in html


async def test_kiosk_knows_its_hall_and_printer(hall: Hall) -> None:
    status, body = await hall.kiosk.get("/api/v1/kiosk/me")
    assert status == 200 and body["hall"]["code"] == "liangjiang" and body["printer"]["mode"] == "browser"
    status, _ = await hall.display.get("/api/v1/kiosk/me")
    assert status == 403


async def test_cap_and_hours_refuse_plainly(hall: Hall) -> None:
    status, _ = await hall.admin.patch(f"/api/v1/queues/{hall.queue_id('E')}", {"daily_cap": 1, "hours": "08:00-12:00"})
    assert status == 200
    await hall.issue("E")
    status, body = await hall.kiosk.post("/api/v1/tickets", {"queue": "E"})
    assert status == 409 and body["error"] == "queue_full" and body["message"].startswith("今日该业务号源已满")
    status, _ = await hall.admin.patch(f"/api/v1/queues/{hall.queue_id('E')}", {"daily_cap": 0})
    hall.clock.advance(4 * 3600)  # 13:00
    status, body = await hall.kiosk.post("/api/v1/tickets", {"queue": "E"})
    assert status == 409 and body["error"] == "outside_hours" and "当前不在取号时间" in body["message"]


# -- the phone page and its websocket ------------------------------------------------------------------

async def test_phone_page_shows_the_ticket_and_its_wait(hall: Hall) -> None:
    await hall.issue("A")
    t = await hall.issue("A")
    status, html = await hall.anon.get(f"/t/{t['token']}")
    assert status == 200 and t["number"] in html and "前面还有" in html and "分钟" in html
    status, svg = await hall.anon.get(f"/t/{t['token']}/qr.svg")
    assert status == 200 and "<svg" in svg
    status, _ = await hall.anon.get("/t/not-a-real-token-at-all")
    assert status == 404


async def test_phone_websocket_carries_only_this_tickets_news(hall: Hall) -> None:
    first = await hall.issue("A")
    mine = await hall.issue("A")
    await hall.issue("D")  # another queue: nothing to tell my phone
    clerk = await hall.clerk_at(5, "clerk1")
    async with hall.client.ws_connect(f"/api/v1/ticket-status/{mine['token']}/live") as ws:
        hello = await ws.receive_json(timeout=5)
        assert hello["status"]["people_ahead"] == 1 and hello["status"]["number"] == mine["number"]
        other = await hall.issue("D")
        _status, body = await clerk.post(f"/api/v1/windows/{hall.window_id(5)}/call-next")
        assert body["ticket"]["number"] == first["number"]
        msg = await ws.receive_json(timeout=5)
        assert msg["status"]["people_ahead"] == 0 and msg["status"]["status"] == "waiting"
        assert other["number"] not in json.dumps(msg)
        await clerk.post(f"/api/v1/tickets/{first['id']}/start")
        await clerk.post(f"/api/v1/tickets/{first['id']}/finish")
        await clerk.post(f"/api/v1/windows/{hall.window_id(5)}/call-next")
        msg = await ws.receive_json(timeout=5)
        while msg["status"]["status"] != "called":
            msg = await ws.receive_json(timeout=5)
        assert msg["status"]["window"] == 5 and msg["event"] == "ticket.called"
        await clerk.post(f"/api/v1/tickets/{mine['id']}/recall")
        msg = await ws.receive_json(timeout=5)
        assert msg["event"] == "ticket.recalled"
        await clerk.post(f"/api/v1/tickets/{mine['id']}/no-show")
        msg = await ws.receive_json(timeout=5)
        assert msg["status"]["status"] == "no_show"
        closing = await ws.receive(timeout=5)
        assert closing.type.name in ("CLOSE", "CLOSED")


# -- 一码取号 ------------------------------------------------------------------------------------------

async def _phone(hall: Hall):  # a fresh cookie jar: one phone
    from aiohttp.test_utils import TestClient

    from tests.conftest import Api

    c = TestClient(hall.client.server)
    await c.start_server()
    hall._extra_clients.append(c)
    api = Api(c)
    status, _ = await api.get("/m/liangjiang")
    assert status == 200
    return api


async def test_phone_ticket_needs_the_hall_page_first(hall: Hall) -> None:
    status, body = await hall.anon.post("/api/v1/mobile/liangjiang/tickets", {"queue": "A"})
    assert status == 422 and body["error"] == "device_unknown"


async def test_phone_tickets_are_limited_per_device_and_hour(hall: Hall) -> None:
    phone = await _phone(hall)
    s1, t1 = await phone.post("/api/v1/mobile/liangjiang/tickets", {"queue": "A"}, headers={"Idempotency-Key": "k1"})
    s1b, t1b = await phone.post("/api/v1/mobile/liangjiang/tickets", {"queue": "A"},
                                headers={"Idempotency-Key": "k1"})
    assert (s1, s1b) == (201, 200) and t1["number"] == t1b["number"]  # a retry is not a second ticket
    s2, _ = await phone.post("/api/v1/mobile/liangjiang/tickets", {"queue": "G"})
    s3, body = await phone.post("/api/v1/mobile/liangjiang/tickets", {"queue": "H"})
    assert s2 == 201 and s3 == 429 and body["error"] == "rate_limited" and "分钟后再试" in body["message"]
    other = await _phone(hall)  # another phone is not held back
    s4, _ = await other.post("/api/v1/mobile/liangjiang/tickets", {"queue": "H"})
    assert s4 == 201
    hall.clock.advance(3601)
    s5, t5 = await phone.post("/api/v1/mobile/liangjiang/tickets", {"queue": "H"})
    assert s5 == 201 and t5["url"].startswith("/t/")
    rows = await hall.db.all("SELECT channel FROM tickets WHERE channel = 'mobile'")
    assert len(rows) == 4


async def test_one_address_cannot_drain_a_queue_by_clearing_cookies(hall: Hall) -> None:
    status, _ = await hall.manager.patch("/api/v1/halls/liangjiang/citizen-settings", {"mobile_per_address_hour": 3})
    assert status == 200
    results = []
    for _ in range(5):
        phone = await _phone(hall)
        s, _ = await phone.post("/api/v1/mobile/liangjiang/tickets", {"queue": "A"})
        results.append(s)
    assert results == [201, 201, 201, 429, 429]


async def test_phone_tickets_can_be_switched_off(hall: Hall) -> None:
    await hall.manager.patch("/api/v1/halls/liangjiang/citizen-settings", {"mobile_enabled": False})
    phone = await _phone(hall)
    s, body = await phone.post("/api/v1/mobile/liangjiang/tickets", {"queue": "A"})
    assert s == 429 and body["error"] == "mobile_disabled"


# -- ESC/POS printing ----------------------------------------------------------------------------------

@pytest.fixture
async def printer() -> AsyncIterator[tuple[int, list[bytes]]]:
    """A network thermal printer: a TCP listener on port 9100's role that keeps what it is sent."""
    received: list[bytes] = []

    async def on_conn(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await reader.read())
        writer.close()

    server = await asyncio.start_server(on_conn, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield port, received


async def _kiosk_token_id(hall: Hall) -> int:
    _status, body = await hall.admin.get("/api/v1/tokens")
    return next(t["id"] for t in body["tokens"] if t["label"] == "test-kiosk") if isinstance(body, dict) else \
        next(t["id"] for t in body if t["label"] == "test-kiosk")


async def test_escpos_printing_sends_the_ticket_to_the_kiosks_printer(hall: Hall, printer) -> None:
    port, received = printer
    tid = await _kiosk_token_id(hall)
    status, body = await hall.manager.call("PUT", f"/api/v1/kiosk-printers/{tid}",
                                           {"mode": "escpos", "host": "127.0.0.1", "port": port})
    assert status == 200, body
    t = await hall.issue("A", priority="elderly")
    status, body = await hall.kiosk.post("/api/v1/kiosk/print", {"ticket_id": t["id"]})
    assert status == 200 and body["printed"] is True
    for _ in range(50):
        if received:
            break
        await asyncio.sleep(0.02)
    data = received[0]
    assert t["number"].encode() in data and "老年人优先".encode("gb18030") in data
    assert t["token"].encode() in data  # the QR code of the phone page


async def test_a_printer_fault_is_told_and_logged_and_the_ticket_stays(hall: Hall, caplog) -> None:
    with socket.socket() as s:  # a port where nothing listens
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    tid = await _kiosk_token_id(hall)
    await hall.manager.call("PUT", f"/api/v1/kiosk-printers/{tid}", {"mode": "escpos", "host": "127.0.0.1",
                                                                      "port": dead})
    t = await hall.issue("A")
    with caplog.at_level(logging.WARNING, logger="hallops.usecases.kiosk"):
        status, body = await hall.kiosk.post("/api/v1/kiosk/print", {"ticket_id": t["id"]})
    assert status == 200 and body["printed"] is False and "打印机" in body["message"]
    assert any(t["number"] in r.getMessage() for r in caplog.records)
    status, kiosks = await hall.manager.get("/api/v1/halls/liangjiang/kiosk-printers")
    assert kiosks["kiosks"][0]["last_fault_at"] is not None
    status, st = await hall.anon.get(f"/api/v1/ticket-status/{t['token']}")
    assert status == 200 and st["status"] == "waiting"
