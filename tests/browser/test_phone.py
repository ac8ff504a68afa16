"""一码取号 on a 360-px phone: choose, confirm, follow the ticket live; take back a mis-tap; the end of a ticket;
the per-device limit; the page in English."""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import new_page, screenshot
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
    await page.locator('#p-menu [data-queue="D"]').tap()
    sheet = page.locator("#p-confirm")
    await expect(sheet).to_be_visible()
    await expect(sheet).to_contain_text("商事登记")
    await expect(page.locator("#p-confirm-waiting")).to_have_text("1")
    await screenshot(page, "phone-confirm")
    await page.locator("#p-confirm-back").tap()  # a mis-tap on the menu costs nothing
    await expect(sheet).to_be_hidden()
    assert (await hall.db.one("SELECT count(*) FROM tickets WHERE channel = 'mobile'"))[0] == 0

    await page.locator('#p-menu [data-queue="D"]').tap()
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
