"""一码取号 against abuse: signed device cookies, no self-declared priority, expired Idempotency-Keys, and a
mis-tap taken back from the phone that made it."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient

from hallops.domain import ratelimit
from tests.conftest import Api, Hall

TAKE = "/api/v1/mobile/liangjiang/tickets"


async def _client(hall: Hall) -> Api:
    c = TestClient(hall.client.server)  # its own cookie jar: one phone
    await c.start_server()
    hall._extra_clients.append(c)
    return Api(c)


async def _phone(hall: Hall) -> Api:
    api = await _client(hall)
    status, _ = await api.get("/m/liangjiang")
    assert status == 200
    return api


def _set_cookie(api: Api, value: str) -> None:
    """What a script would send: a cookie of its own making, for the server's address."""
    api.client.session.cookie_jar.update_cookies({"hallops_device": value}, response_url=api.client.make_url("/"))


def _cookie(api: Api) -> str:
    return next(c.value for c in api.client.session.cookie_jar if c.key == "hallops_device")


async def _key(hall: Hall) -> bytes:
    return await hall.ports.keys.key("device-cookie")


async def test_a_made_up_device_cookie_names_no_device(hall: Hall) -> None:
    phone = await _client(hall)
    forged = "made-up-device-id-0123456789"
    _set_cookie(phone, forged)
    status, body = await phone.post(TAKE, {"queue": "A"})
    assert status == 422 and body["error"] == "device_unknown"
    signed = _cookie(phone)  # the refusal named a device: the page's retry is counted as that one
    assert signed != forged and ratelimit.device_from_cookie(await _key(hall), signed) is not None
    status, _ = await phone.post(TAKE, {"queue": "A"})
    assert status == 201
    # A signature copied onto another id is no good either.
    device_id, _, mac = signed.partition(".")
    other = "y" if device_id.endswith("x") else "x"  # another id (one id in 64 ends in "x" already)
    _set_cookie(phone, f"{device_id[:-1]}{other}.{mac}")
    status, body = await phone.post(TAKE, {"queue": "A"})
    assert status == 422 and body["error"] == "device_unknown"
    rows = await hall.db.all("SELECT device FROM mobile_issues")
    assert [r[0] for r in rows] == [device_id]


async def test_the_hall_page_replaces_an_unsigned_cookie(hall: Hall) -> None:
    phone = await _client(hall)
    _set_cookie(phone, "A" * 32)
    status, _ = await phone.get("/m/liangjiang")
    assert status == 200 and ratelimit.device_from_cookie(await _key(hall), _cookie(phone)) is not None
    kept = _cookie(phone)
    await phone.get("/m/liangjiang")
    assert _cookie(phone) == kept  # a signed cookie stays: the phone keeps its count


async def test_no_priority_on_the_phone(hall: Hall) -> None:
    phone = await _phone(hall)
    status, body = await phone.post(TAKE, {"queue": "A", "priority": "elderly"})
    assert status == 422 and body["error"] == "priority_not_on_phone" and "服务台" in body["message"]
    status, t = await phone.post(TAKE, {"queue": "A"})
    assert status == 201
    row = await hall.db.one("SELECT priority, channel FROM tickets WHERE token = ?", (t["token"],))
    assert tuple(row) == ("none", "mobile")
    status, html = await phone.get("/m/liangjiang")
    assert 'id="p-elderly"' not in html and "老年人优先" in html  # told where to ask instead


async def test_an_expired_idempotency_key_passes_the_limits_again(hall: Hall) -> None:
    phone = await _phone(hall)
    status, _ = await phone.post(TAKE, {"queue": "A"}, headers={"Idempotency-Key": "k1"})
    assert status == 201
    await hall.manager.patch("/api/v1/halls/liangjiang/citizen-settings", {"mobile_enabled": False})
    status, _ = await phone.post(TAKE, {"queue": "A"}, headers={"Idempotency-Key": "k1"})
    assert status == 200  # a retry within the day: the same ticket
    hall.clock.advance(25 * 3600)
    status, body = await phone.post(TAKE, {"queue": "A"}, headers={"Idempotency-Key": "k1"})
    assert status == 429 and body["error"] == "mobile_disabled"
    assert (await hall.db.one("SELECT count(*) FROM tickets"))[0] == 1


async def test_a_mis_tap_is_taken_back_only_from_its_phone(hall: Hall) -> None:
    phone, other = await _phone(hall), await _phone(hall)
    _s, t = await phone.post(TAKE, {"queue": "A"})
    cancel = f"/api/v1/mobile/tickets/{t['token']}/cancel"
    _s, html = await phone.get(t["url"])
    assert 'id="p-cancel"' in html
    _s, html = await other.get(t["url"])
    assert 'id="p-cancel"' not in html
    status, body = await other.post(cancel)
    assert status == 403 and body["error"] == "not_your_ticket"
    status, _ = await hall.anon.post(cancel)
    assert status == 403
    kiosk_ticket = await hall.issue("A")  # a printed slip's link cannot cancel it
    status, _ = await phone.post(f"/api/v1/mobile/tickets/{kiosk_ticket['token']}/cancel")
    assert status == 403
    status, body = await phone.post(cancel)
    assert status == 200 and body["status"] == "cancelled"
    status, body = await phone.post(cancel)
    assert status == 409 and body["error"] == "ticket_not_waiting"
    _s, st = await hall.anon.get(f"/api/v1/ticket-status/{t['token']}")
    assert st["status"] == "cancelled"


async def test_a_cancelled_mis_tap_is_given_back_but_cancels_are_limited(hall: Hall) -> None:
    phone = await _phone(hall)  # 2 tickets an hour per phone (the demo's setting)
    taken = []
    for _ in range(2):
        s, t = await phone.post(TAKE, {"queue": "A"})
        assert s == 201
        taken.append(t)
    status, _ = await phone.post(TAKE, {"queue": "A"})
    assert status == 429
    for t in taken:
        status, _ = await phone.post(f"/api/v1/mobile/tickets/{t['token']}/cancel")
        assert status == 200
    s1, t1 = await phone.post(TAKE, {"queue": "B"})  # both mis-taps given back
    s2, _ = await phone.post(TAKE, {"queue": "B"})
    assert (s1, s2) == (201, 201)
    status, body = await phone.post(f"/api/v1/mobile/tickets/{t1['token']}/cancel")
    assert status == 429 and body["error"] == "cancel_limited"
    hall.clock.advance(3601)
    _s, t3 = await phone.post(TAKE, {"queue": "C"})
    hall.clock.advance(11 * 60)  # a cancel long after the issue is no mis-tap: the ticket still counts
    status, _ = await phone.post(f"/api/v1/mobile/tickets/{t3['token']}/cancel")
    assert status == 200
    s1, _ = await phone.post(TAKE, {"queue": "C"})
    s2, _ = await phone.post(TAKE, {"queue": "C"})
    assert (s1, s2) == (201, 429)


async def test_a_called_ticket_cannot_be_taken_back(hall: Hall) -> None:
    phone = await _phone(hall)
    _s, t = await phone.post(TAKE, {"queue": "B"})
    clerk = await hall.clerk_at(5, "clerk1")
    await clerk.post(f"/api/v1/windows/{hall.window_id(5)}/call-next")
    status, body = await phone.post(f"/api/v1/mobile/tickets/{t['token']}/cancel")
    assert status == 409 and body["error"] == "ticket_not_waiting"


async def test_racing_taps_cannot_both_slip_under_the_limit(hall: Hall) -> None:
    phone = await _phone(hall)  # 2 tickets an hour per phone (the demo's setting)
    answers = await asyncio.gather(*(phone.post(TAKE, {"queue": "A"}) for _ in range(6)))
    assert sorted(status for status, _ in answers) == [201, 201, 429, 429, 429, 429]
    assert {body["error"] for status, body in answers if status == 429} == {"rate_limited"}
    rows = await hall.db.all("SELECT count(*) FROM mobile_issues")
    assert rows[0][0] == 2
