"""The help desk (咨询导办台) page and the rules around it: signed-in staff only (a kiosk, a screen or nobody is
refused), found from the home page and the console, its tickets counted as the help desk's, and no name or
ID number in the logs."""

from __future__ import annotations

import logging
from urllib.parse import unquote

import pytest

from hallops.http.keys import USECASES
from hallops.identity.fake import FakeIdentity
from tests.conftest import Api, Hall

ZHANG, ZHANG_NAME = "50010119900101123X", "张三华"   # 张三华 of the fake identity provider
HTML = {"Accept": "text/html"}


async def staff(hall: Hall, user: str) -> Api:
    return await hall.login(user, {"admin": "demo-admin", "manager": "demo-manager"}.get(user, "demo-clerk"))


@pytest.mark.parametrize("user", ["clerk8", "manager", "admin"])
async def test_signed_in_staff_open_the_help_desk(hall: Hall, user: str) -> None:
    api = await staff(hall, user)
    status, html = await api.get("/helpdesk/liangjiang", headers=HTML)
    assert status == 200
    assert 'id="hd-idnum"' in html and 'data-hall="liangjiang"' in html
    assert " name=" not in html.split('id="desk"')[1].split('id="hd-slip"')[0]  # no field a form would put in a URL
    status, _ = await api.get(f"/helpdesk/{hall.hall_id}", headers=HTML)
    assert status == 200


async def test_a_kiosk_a_screen_or_nobody_is_refused_the_help_desk(hall: Hall) -> None:
    for device in (hall.kiosk, hall.display):
        status, body = await device.get("/helpdesk/liangjiang")
        assert status == 403 and body["error"] == "forbidden"
        status, html = await device.get("/helpdesk/liangjiang", headers=HTML)
        assert status == 403 and 'id="hd-idnum"' not in html
    async with hall.anon.client.get("/helpdesk/liangjiang", headers=HTML, allow_redirects=False) as resp:
        assert resp.status == 302
        assert unquote(resp.headers["Location"]) == "/login?next=/helpdesk/liangjiang"
    status, _ = await (await staff(hall, "clerk8")).get("/helpdesk/no-such-hall", headers=HTML)
    assert status == 404


async def test_the_home_page_and_the_console_lead_to_the_help_desk(hall: Hall) -> None:
    clerk = await staff(hall, "clerk8")
    _, home = await clerk.get("/", headers=HTML)
    assert f'href="/helpdesk/{hall.hall_id}"' in home and "咨询导办台" in home
    _, console = await clerk.get("/console/liangjiang", headers=HTML)
    assert 'href="/helpdesk/liangjiang"' in console
    _, kiosk_home = await hall.kiosk.get("/", headers=HTML)
    assert "/helpdesk/" not in kiosk_home


async def test_a_real_name_ticket_taken_at_the_help_desk_counts_as_the_help_desks(hall: Hall) -> None:
    clerk = await staff(hall, "clerk8")
    status, who = await clerk.post("/api/v1/kiosk/identify", {"id_number": ZHANG, "name": ZHANG_NAME,
                                                              "hall": "liangjiang"})
    assert status == 200 and who["person"] == {"name": "张*华", "id": "5001**********123X"}
    status, t = await clerk.post("/api/v1/kiosk/real-name-tickets", {"session": who["session"], "queue": "A",
                                                                     "hall": "liangjiang"})
    assert status == 201 and t["channel"] == "help_desk" and t["person"]["name"] == "张*华"
    _, scanned = await hall.kiosk.post("/api/v1/kiosk/identify", {"code": f"YKM1:{ZHANG}"})
    status, k = await hall.kiosk.post("/api/v1/kiosk/real-name-tickets", {"session": scanned["session"], "queue": "A"})
    assert status == 201 and k["channel"] == "kiosk"
    rows = await hall.db.all("SELECT t.number, t.channel FROM tickets t JOIN ticket_people p ON p.ticket_id = t.id "
                             "ORDER BY t.id")
    assert [tuple(r) for r in rows] == [("A001", "help_desk"), ("A002", "kiosk")]
    # A session opened at the desk is the desk's to use: without a sign-in nobody takes a ticket with it.
    status, _ = await hall.anon.post("/api/v1/kiosk/real-name-tickets", {"session": who["session"], "queue": "B"})
    assert status == 401


async def test_the_desk_leaves_no_name_or_id_number_in_the_logs(hall: Hall, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    clerk = await staff(hall, "clerk8")
    provider = hall.client.server.app[USECASES].citizens.identity
    assert isinstance(provider, FakeIdentity)
    for body in ({"id_number": ZHANG, "name": "王五"}, {"id_number": ZHANG[:-1] + "1", "name": ZHANG_NAME}):
        status, _ = await clerk.post("/api/v1/kiosk/identify", body)
        assert status == 422
    provider.down = True
    assert (await clerk.post("/api/v1/kiosk/identify", {"id_number": ZHANG, "name": ZHANG_NAME}))[0] == 503
    provider.down = False
    _, who = await clerk.post("/api/v1/kiosk/identify", {"id_number": ZHANG, "name": ZHANG_NAME})
    _, t = await clerk.post("/api/v1/kiosk/real-name-tickets", {"session": who["session"], "queue": "A"})
    assert (await clerk.post(f"/api/v1/mobile/tickets/{t['token']}/sms", {"mobile": "13800001111"}))[0] == 200
    assert "identity provider unavailable" in caplog.text  # the log is being read
    for secret in (ZHANG, ZHANG_NAME, "13800001111"):
        assert secret not in caplog.text
