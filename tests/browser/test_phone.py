"""一码取号 on a 360-px phone: choose, confirm, follow the ticket live; take back a mis-tap; the end of a ticket;
the per-device limit; the page in English."""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import new_page, screenshot
from tests.browser.test_citizen_a11y import serious
from tests.conftest import Hall

PHONE = (360, 740)
BEIGE = "rgb(246, 239, 230)"


async def phone(browser: Browser, hall: Hall) -> Page:
    page = await new_page(browser, hall, *PHONE, is_mobile=True, has_touch=True)
    await page.goto("/m/liangjiang")
    await page.locator(".p-q").first.wait_for()
    return page


async def take(page: Page, queue: str) -> None:
    await page.goto("/m/liangjiang")
    await page.locator(f'#p-menu [data-queue="{queue}"]').tap()
    await page.locator("#p-confirm-go").tap()


async def beige_to_the_bottom(page: Page) -> bool:
    """No grey band below a short page: the page's own background is the beige, and the body (beige too)
    reaches at least the bottom of the screen."""
    return bool(await page.evaluate("""(beige) => {
        const html = getComputedStyle(document.documentElement).backgroundColor;
        const body = getComputedStyle(document.body).backgroundColor;
        return html === beige && body === beige && document.body.getBoundingClientRect().height >= innerHeight;
    }""", BEIGE))


async def test_choose_confirm_follow_and_take_back_a_mis_tap(browser: Browser, hall: Hall) -> None:
    await hall.issue("D")
    page = await phone(browser, hall)
    await expect(page.locator(".p-prio-note")).to_contain_text("老年人优先")
    await expect(page.locator("#p-elderly")).to_have_count(0)  # no self-declared priority
    await screenshot(page, "phone-take")
    await page.fill("#p-search", "营业执照")
    await page.locator('#p-menu [data-queue="D"]').first.tap()  # one row per matching item
    sheet = page.locator("#p-confirm")
    await expect(sheet).to_be_visible()
    await expect(sheet).to_contain_text("商事登记")
    await expect(page.locator("#p-confirm-waiting")).to_have_text("1")
    await screenshot(page, "phone-confirm")
    await page.locator("#p-confirm-back").tap()  # a mis-tap on the menu costs nothing
    await expect(sheet).to_be_hidden()
    assert (await hall.db.one("SELECT count(*) FROM tickets WHERE channel = 'mobile'"))[0] == 0

    await page.locator('#p-menu [data-queue="D"]').first.tap()
    await page.locator("#p-confirm-go").tap()
    await page.wait_for_url("**/t/**")
    await expect(page.locator("#p-number")).to_have_text("D002")
    await expect(page.locator("#p-ahead")).to_have_text("1")
    assert await beige_to_the_bottom(page)
    await screenshot(page, "phone-ticket-waiting")

    await page.locator("#p-cancel-ask").tap()
    await page.locator("#p-cancel-yes").tap()
    await expect(page.locator('[data-end="cancelled"]')).to_be_visible()
    await expect(page.locator("#p-waiting")).to_be_hidden()
    await expect(page.locator(".p-again")).to_have_attribute("href", "/m/liangjiang")
    row = await hall.db.one("SELECT status FROM tickets WHERE number = 'D002'")
    assert row["status"] == "cancelled"
    await screenshot(page, "phone-cancelled")


async def test_the_end_of_a_ticket_says_what_happened_and_what_next(browser: Browser, hall: Hall) -> None:
    page = await phone(browser, hall)
    await take(page, "B")
    await page.wait_for_url("**/t/**")
    clerk = await hall.clerk_at(5, "clerk1")
    _s, called = await clerk.post(f"/api/v1/windows/{hall.window_id(5)}/call-next")
    await expect(page.locator("#p-called")).to_contain_text("5")
    await expect(page.locator("#p-cancel")).to_be_hidden()  # called: too late to take back
    await screenshot(page, "phone-called")
    await clerk.post(f"/api/v1/tickets/{called['ticket']['id']}/start")
    await clerk.post(f"/api/v1/tickets/{called['ticket']['id']}/finish")
    done = page.locator('[data-end="done"]')
    await expect(done).to_be_visible()
    await expect(done).to_contain_text("已在 5 号窗口办结")
    await expect(page.locator("#p-note")).to_be_hidden()  # no "listen for your number" any more
    await expect(page.locator("#p-live")).to_be_hidden()
    assert await beige_to_the_bottom(page)
    await screenshot(page, "phone-done")

    await take(page, "C")
    await page.wait_for_url("**/t/**")
    clerk6 = await hall.clerk_at(6, "clerk2")
    _s, called = await clerk6.post(f"/api/v1/windows/{hall.window_id(6)}/call-next")
    await clerk6.post(f"/api/v1/tickets/{called['ticket']['id']}/no-show")
    missed = page.locator('[data-end="no_show"]')
    await expect(missed).to_be_visible()
    await expect(missed).to_contain_text("请重新取号")
    await page.locator('[data-action="toggle-lang"]').tap()
    await expect(missed).to_contain_text("You were called to window 6")
    await screenshot(page, "phone-missed-en")


async def test_the_phones_hourly_limit_is_told_plainly(browser: Browser, hall: Hall) -> None:
    page = await phone(browser, hall)
    for queue in ("F", "G"):
        await take(page, queue)
        await page.wait_for_url("**/t/**")
    await take(page, "H")
    await expect(page.locator("#p-msg")).to_contain_text("分钟后再试")
    await expect(page.locator("#p-confirm")).to_be_hidden()
    await page.locator('[data-action="toggle-lang"]').tap()
    await expect(page.locator(".p-q").first).to_contain_text("waiting")
    assert await beige_to_the_bottom(page)
    await screenshot(page, "phone-limited-en")


# -- issue 15: coming back, booking, texts; issue 16: keyboard only, live regions, a modal that holds focus ----

PHONE_390 = (390, 844)


async def phone390(browser: Browser, hall: Hall) -> Page:
    page = await new_page(browser, hall, *PHONE_390, is_mobile=True, has_touch=True)
    await page.goto("/m/liangjiang")
    await page.locator(".p-q").first.wait_for()
    return page


async def test_my_tickets_come_first_when_the_phone_comes_back(browser: Browser, hall: Hall) -> None:
    page = await phone390(browser, hall)
    await take(page, "B")
    await page.wait_for_url("**/t/*")
    await page.goto("/m/liangjiang")  # closed and opened again: the signed device cookie remembers
    first = page.locator("#p-mine .p-mine-t").first
    await expect(first).to_contain_text("B001")
    await expect(first).to_contain_text("等候中")
    await screenshot(page, "phone-390-my-tickets")
    await first.click()
    await expect(page.locator("#p-number")).to_contain_text("B001")


async def test_a_text_before_my_turn_and_the_call_spoken(browser: Browser, hall: Hall) -> None:
    t = await hall.issue("B")
    page = await new_page(browser, hall, *PHONE_390, is_mobile=True, has_touch=True)
    await page.goto(f"/t/{t['token']}")
    await page.fill("#p-sms-mobile", "13800001234")
    await page.select_option("#p-sms-ahead", "2")
    await page.click("#p-sms-form button[type=submit]")
    await expect(page.locator("#p-sms-state")).to_contain_text("138****1234")
    await screenshot(page, "phone-390-sms")
    clerk = await hall.clerk_at(5)
    await clerk.post(f"/api/v1/windows/{hall.window_id(5)}/call-next")
    await expect(page.locator("#p-say")).to_have_text("请 B001 号到 5 号窗口")  # the live region
    assert await page.locator("#p-say").get_attribute("aria-live") == "assertive"
    await screenshot(page, "phone-390-called")


async def test_booking_from_the_phone(browser: Browser, hall: Hall) -> None:
    await hall.manager.post("/api/v1/halls/liangjiang/appointment-slots", {
        "queue": "D", "day": "2026-12-01", "start": "09:00", "end": "11:00", "every_minutes": 60, "capacity": 2})
    page = await phone390(browser, hall)
    await page.click("#p-book-open")
    await page.locator("#p-book-slot option").first.wait_for(state="attached")
    await page.fill("#p-book-name", "张三华")
    await page.fill("#p-book-id", "50010119900101123X")
    await page.fill("#p-book-mobile", "13800001111")
    await screenshot(page, "phone-390-booking-form")
    await page.click("#p-book-form button[type=submit]")
    await expect(page.locator("#p-book-done")).to_contain_text("预约码")
    await expect(page.locator("#p-book-done")).to_be_focused()
    await screenshot(page, "phone-390-booked")
    await page.goto("/m/liangjiang")
    await expect(page.locator("#p-mine .p-mine-b")).to_contain_text("商事登记")


async def test_the_phone_by_keyboard_alone_and_the_sheet_holds_focus(browser: Browser, hall: Hall) -> None:
    page = await new_page(browser, hall, *PHONE_390)
    await page.goto("/m/liangjiang")
    await page.locator(".p-q").first.wait_for()
    for _ in range(30):  # Tab to the first service
        await page.keyboard.press("Tab")
        if await page.evaluate("() => document.activeElement.classList.contains('p-q')"):
            break
    assert await page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") != "none"
    prefix = await page.evaluate("() => document.activeElement.dataset.queue")
    await page.keyboard.press("Enter")
    await expect(page.locator("#p-confirm")).to_be_visible()
    await expect(page.locator("#p-confirm-h")).to_be_focused()
    inside = []
    for _ in range(5):  # Tab cycles within the modal sheet
        await page.keyboard.press("Tab")
        inside.append(await page.evaluate("() => !!document.activeElement.closest('#p-confirm')"))
    assert all(inside), inside
    await page.keyboard.press("Shift+Tab")
    assert await page.evaluate("() => !!document.activeElement.closest('#p-confirm')")
    await page.keyboard.press("Escape")  # closes, focus back on the service chosen
    await expect(page.locator("#p-confirm")).to_be_hidden()
    assert await page.evaluate("() => document.activeElement.dataset.queue") == prefix
    await page.keyboard.press("Enter")
    await expect(page.locator("#p-confirm-h")).to_be_focused()
    await page.keyboard.press("Tab")  # 确认取号
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/t/*")
    await expect(page.locator("#p-number")).to_contain_text(prefix)


async def test_staff_see_each_texts_delivery_state_masked(browser: Browser, hall: Hall) -> None:
    from hallops.http.keys import USECASES
    from tests.browser.conftest import sign_in

    citizens = hall.client.server.app[USECASES].citizens
    t = await hall.issue("B")
    await hall.anon.post(f"/api/v1/mobile/tickets/{t['token']}/sms", {"mobile": "13800001234", "ahead": 3})
    citizens.sms.down = True
    await citizens.scan_step()
    await citizens.send_step()
    page = await new_page(browser, hall, 1366, 768)
    await sign_in(page, "manager", "demo-manager", "/appointments/liangjiang")
    row = page.locator("#a-sms tr").first
    await expect(row).to_contain_text("138****1234")
    await expect(row).to_contain_text("排队中")
    await expect(row).to_contain_text("down")
    assert "13800001234" not in await page.content()
    await screenshot(page, "appointments-sms-state")


async def test_a_bundle_ticket_from_the_phone(browser: Browser, hall: Hall) -> None:
    """一件事一次办 on the phone: the bundles with their steps under their category, or found by name; one ticket."""
    page = await phone(browser, hall)
    retirement = page.locator("#p-menu .p-b", has_text="退休一件事")
    await expect(retirement).to_contain_text("1 职工退休待遇核定（人力资源和社会保障局） → 2 住房公积金提取")
    await expect(page.locator("#p-menu .p-b")).to_have_count(5)
    await retirement.scroll_into_view_if_needed()
    await screenshot(page, "phone-bundles")
    assert await serious(page) == [], "bundles"
    await retirement.tap()
    sheet = page.locator("#p-confirm")
    await expect(sheet).to_be_visible()
    await expect(page.locator("#p-confirm-prefix")).to_have_text("R")  # where the visit starts
    await expect(page.locator("#p-confirm-item")).to_contain_text("职工退休待遇核定 → 2 住房公积金提取")
    await screenshot(page, "phone-bundle-confirm")
    assert await serious(page) == [], "bundle, confirm"
    await page.locator("#p-confirm-go").tap()
    await page.wait_for_url("**/t/**")
    await expect(page.locator("#p-number")).to_have_text("R001")
    await page.goto("/m/liangjiang")
    await page.fill("#p-search", "新生儿")
    found = page.locator("#p-menu .p-b").first
    await expect(found).to_contain_text("新生儿出生一件事")
    await found.tap()
    await page.locator("#p-confirm-go").tap()
    await page.wait_for_url("**/t/**")
    await expect(page.locator("#p-number")).to_have_text("R002")
    rows = await hall.db.all("SELECT t.number, t.channel, b.code FROM bundle_tickets bt JOIN tickets t ON t.id = "
                             "bt.ticket_id JOIN bundles b ON b.id = bt.bundle_id ORDER BY t.id")
    assert [tuple(r) for r in rows] == [("R001", "mobile", "yjs-retirement"), ("R002", "mobile", "yjs-newborn")]
