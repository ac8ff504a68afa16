"""The help desk (咨询导办台) in a browser, by keyboard: a clerk types a citizen's ID number and name, sees them
masked with their booking of today, checks it in, then takes a real-name ticket for the next citizen with a
text before their turn; a wrong check digit is caught before any request; the identity provider down is said
in plain words (and an ordinary ticket still given); the per-person daily limit's refusal is shown. Nothing
personal reaches a URL, and the typed number and name leave the screen once checked."""

from __future__ import annotations

from aiohttp.test_utils import TestClient
from playwright.async_api import Browser, Page, Request, expect

from hallops.http.keys import USECASES
from hallops.identity.fake import FakeIdentity
from tests.browser.conftest import new_page, screenshot, sign_in
from tests.browser.test_a11y import FAILING, axe, summary
from tests.conftest import Api, Hall

ZHANG, ZHANG_NAME = "50010119900101123X", "张三华"   # demo citizens of the fake identity provider
LI, LI_NAME = "500112195505053215", "李秀英"
MOBILE = "13800001111"
PERSONAL = (ZHANG, ZHANG_NAME, LI, LI_NAME, MOBILE)


def fake_identity(hall: Hall) -> FakeIdentity:
    p = hall.client.server.app[USECASES].citizens.identity
    assert isinstance(p, FakeIdentity)
    return p


async def book_today(hall: Hall, id_number: str, name: str) -> str:
    """A real-name booking at 09:30 today (the test clock says 09:00), made from a citizen's phone."""
    status, _ = await hall.manager.post("/api/v1/halls/liangjiang/appointment-slots", {
        "queue": "D", "day": "2026-11-30", "start": "09:30", "end": "10:30", "every_minutes": 60, "capacity": 2})
    assert status == 200
    c = TestClient(hall.client.server)  # the phone: its own device cookie
    await c.start_server()
    hall._extra_clients.append(c)
    phone = Api(c)
    assert (await phone.get("/m/liangjiang"))[0] == 200
    _, body = await phone.get("/api/v1/mobile/liangjiang/slots")
    slot = next(s for s in body["slots"] if s["queue"] == "D")
    status, b = await phone.post("/api/v1/mobile/liangjiang/bookings", {"slot": slot["id"], "id_number": id_number,
                                                                        "name": name})
    assert status == 201, b
    hall.clock.advance(5 * 60)  # 09:05: the booking's check-in is open
    return str(b["code"])


async def desk(browser: Browser, hall: Hall) -> tuple[Page, list[str]]:
    """The help desk's page as clerk8 opens it, with every URL the page asks for."""
    page = await new_page(browser, hall, 1280, 800)
    urls: list[str] = []

    def seen(r: Request) -> None:
        urls.append(r.url)
    page.on("request", seen)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await sign_in(page, "clerk8", "demo-clerk", "/helpdesk/liangjiang")
    await expect(page.locator("#hd-idnum")).to_be_focused()
    await page.wait_for_load_state("networkidle")
    assert errors == []
    return page, urls


async def identify(page: Page, id_number: str, name: str) -> None:
    await page.locator("#hd-idnum").focus()
    await page.keyboard.type(id_number)
    await page.keyboard.press("Tab")
    await page.keyboard.insert_text(name)
    await page.keyboard.press("Enter")


async def on_screen(page: Page) -> str:
    """What the page shows, and what its inputs hold."""
    return str(await page.evaluate("() => document.body.innerText + ' ' + "
                                   "[...document.querySelectorAll('input')].map(i => i.value).join(' ')"))


async def no_serious_axe_violation(page: Page) -> None:
    serious = summary([v for v in await axe(page, wall=False) if v["impact"] in FAILING])
    assert serious == []


def identify_calls(urls: list[str]) -> int:
    return sum(u.endswith("/api/v1/kiosk/identify") for u in urls)


async def test_a_clerk_checks_in_a_booking_then_takes_a_real_name_ticket_with_a_text(browser: Browser,
                                                                                      hall: Hall) -> None:
    code = await book_today(hall, ZHANG, ZHANG_NAME)
    page, urls = await desk(browser, hall)
    await identify(page, ZHANG, ZHANG_NAME)
    await expect(page.locator("#hd-p-name")).to_have_text("张*华")
    await expect(page.locator("#hd-p-id")).to_have_text("5001**********123X")
    await expect(page.locator("#hd-booking")).to_contain_text("09:30")
    await expect(page.locator("#hd-booking")).to_contain_text(code)
    await expect(page.locator("#hd-item")).to_be_focused()
    await expect(page.locator("#hd-hits [aria-selected=true]")).to_contain_text("预约签到")
    shown = await on_screen(page)
    assert ZHANG not in shown and ZHANG_NAME not in shown  # cleared once checked: only the masked person stays
    await screenshot(page, "helpdesk-identified")
    await no_serious_axe_violation(page)  # the person, the list to choose from (test_a11y checks the empty page)

    await page.keyboard.press("Enter")  # the booking, first in the list: checked in
    await expect(page.locator("#hd-t-number")).to_have_text("D001")
    await expect(page.locator("#hd-t-meta")).to_contain_text(code)
    await expect(page.locator("#hd-t-meta")).to_contain_text("张*华 · 5001**********123X")
    await expect(page.locator("#hd-next")).to_be_focused()
    row = await hall.db.one("SELECT channel FROM tickets WHERE number = 'D001'")
    assert row[0] == "appointment"

    await page.keyboard.press("Enter")  # the next citizen
    await expect(page.locator("#hd-idnum")).to_be_focused()
    await expect(page.locator("#hd-person")).to_be_hidden()
    await identify(page, LI, LI_NAME)
    await expect(page.locator("#hd-p-name")).to_have_text("李*英")
    await expect(page.locator("#hd-booking")).to_contain_text("今天没有预约")
    await page.keyboard.type("B")
    await expect(page.locator("#hd-hits [aria-selected=true]")).to_contain_text("户政业务")
    await page.keyboard.press("Tab")
    await page.keyboard.type(MOBILE)
    await page.keyboard.press("Enter")
    await expect(page.locator("#hd-t-number")).to_have_text("B001")
    await expect(page.locator("#hd-t-sms")).to_contain_text("138****1111")
    await expect(page.locator("#hd-p-tickets")).to_contain_text("B001")
    await expect(page.locator("#hd-t-qr")).to_have_attribute("src", "/t/" + (await hall.db.one(
        "SELECT token FROM tickets WHERE number = 'B001'"))[0] + "/qr.svg")
    await screenshot(page, "helpdesk-ticket")
    await no_serious_axe_violation(page)
    row = await hall.db.one("SELECT t.channel, p.name_masked FROM tickets t JOIN ticket_people p ON p.ticket_id = t.id "
                            "WHERE t.number = 'B001'")
    assert tuple(row) == ("help_desk", "李*英")
    assert (await hall.db.one("SELECT phone_masked FROM sms_subscriptions"))[0] == "138****1111"
    assert not [u for u in urls if any(p in u for p in PERSONAL)]

    await page.keyboard.press("Escape")
    await expect(page.locator("#hd-ticket")).to_be_hidden()
    shown = await on_screen(page)
    assert "李*英" not in shown and "B001" not in shown


async def test_a_wrong_check_digit_is_refused_on_the_page_without_a_request(browser: Browser, hall: Hall) -> None:
    page, urls = await desk(browser, hall)
    await identify(page, LI[:-1] + "4", LI_NAME)
    error = page.locator("#hd-id-error")
    await expect(error).to_be_visible()
    await expect(error).to_contain_text("校验位不符")
    await expect(page.locator("#hd-idnum")).to_be_focused()
    await expect(page.locator("#hd-idnum")).to_have_attribute("aria-invalid", "true")
    await screenshot(page, "helpdesk-check-digit")
    await page.locator("#hd-idnum").fill(LI[:-2])
    await page.keyboard.press("Enter")
    await expect(error).to_contain_text("已输入 16 位")
    await page.locator("#hd-idnum").fill(LI)
    await page.locator("#hd-name").fill("")
    await page.locator("#hd-idnum").press("Enter")
    await expect(error).to_contain_text("请输入市民姓名")
    await expect(page.locator("#hd-name")).to_be_focused()
    assert identify_calls(urls) == 0 and fake_identity(hall).calls == 0


async def test_the_provider_down_is_said_plainly_and_an_ordinary_ticket_still_issues(browser: Browser,
                                                                                      hall: Hall) -> None:
    fake_identity(hall).down = True
    page, urls = await desk(browser, hall)
    await identify(page, ZHANG, ZHANG_NAME)
    await expect(page.locator("#hd-id-error")).to_contain_text("身份核验服务暂不可用")
    await expect(page.locator("#hd-down")).to_be_visible()
    assert identify_calls(urls) == 1
    await screenshot(page, "helpdesk-provider-down")
    await page.locator("#hd-ordinary").click()
    await expect(page.locator("#hd-item")).to_be_focused()
    assert await page.locator("#hd-idnum").input_value() == ""
    await page.keyboard.type("A")
    await page.keyboard.press("Enter")
    await expect(page.locator("#hd-t-number")).to_have_text("A001")
    await expect(page.locator("#hd-t-meta")).to_contain_text("普通号")
    row = await hall.db.one("SELECT channel FROM tickets WHERE number = 'A001'")
    assert row[0] == "help_desk"
    assert int((await hall.db.one("SELECT count(*) FROM ticket_people"))[0]) == 0


async def test_the_daily_limit_per_person_is_refused_in_plain_words(browser: Browser, hall: Hall) -> None:
    status, _ = await hall.manager.patch("/api/v1/halls/liangjiang/citizen-settings", {"person_daily_limit": 1})
    assert status == 200
    page, _ = await desk(browser, hall)
    await identify(page, ZHANG, ZHANG_NAME)
    await expect(page.locator("#hd-p-count")).to_contain_text("每人每日上限 1 个")
    await page.keyboard.type("A")
    await page.keyboard.press("Enter")
    await expect(page.locator("#hd-t-number")).to_have_text("A001")
    await page.keyboard.press("Enter")
    await identify(page, ZHANG, ZHANG_NAME)
    await expect(page.locator("#hd-p-tickets")).to_contain_text("A001")
    await page.keyboard.type("B")
    await page.keyboard.press("Enter")
    refusal = page.locator("#hd-take-error")
    await expect(refusal).to_contain_text("已达每人每日上限")
    await expect(refusal).to_contain_text("每人每天最多取 1 个号")
    await expect(page.locator("#hd-ticket")).to_be_hidden()
    assert int((await hall.db.one("SELECT count(*) FROM tickets"))[0]) == 1
    await screenshot(page, "helpdesk-daily-limit")
    await no_serious_axe_violation(page)
