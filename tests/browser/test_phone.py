"""一码取号 on a 360-px phone: the hall page, a ticket in one tap, its live page; the per-device limit."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.browser.conftest import new_page, screenshot
from tests.conftest import Hall


async def test_take_a_ticket_on_the_phone_and_follow_it(browser: Browser, hall: Hall) -> None:
    page = await new_page(browser, hall, 360, 740, is_mobile=True, has_touch=True)
    await page.goto("/m/liangjiang")
    await page.locator(".p-q").first.wait_for()
    await screenshot(page, "phone-take")
    await page.fill("#p-search", "营业执照")
    await page.locator('#p-menu [data-queue="D"]').tap()
    await page.wait_for_url("**/t/**")
    await expect(page.locator("#p-number")).to_have_text("D001")
    row = await hall.store.db.one("SELECT channel FROM tickets WHERE number = 'D001'")
    assert row["channel"] == "mobile"
    await page.goto("/m/liangjiang")
    await page.locator('#p-menu [data-queue="F"]').tap()
    await page.wait_for_url("**/t/**")
    await page.goto("/m/liangjiang")
    await page.locator('#p-menu [data-queue="G"]').tap()
    await expect(page.locator("#p-msg")).to_contain_text("分钟后再试")
    await screenshot(page, "phone-limited")
