"""The clerk console by keyboard alone: call, recall to the limit, no-show, transfer, pause with a reason, resume;
at 1366×768 and on a 10-inch tablet."""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import new_page, screenshot, sign_in
from tests.conftest import Hall

TABLET = (1280, 800)  # a 10-inch tablet in landscape (CSS pixels)
TABLET_PORTRAIT = (800, 1280)


async def console(browser: Browser, hall: Hall, size: tuple[int, int], user: str, window: int) -> Page:
    page = await new_page(browser, hall, *size)
    await sign_in(page, user, "demo-clerk", "/console/liangjiang")
    await screenshot(page, f"console-pick-{size[0]}x{size[1]}")
    await page.locator(f'[data-number="{window}"]').click()
    await page.wait_for_url(f"**window={window}")
    await expect(page.locator("#c-state")).to_contain_text("服务中")
    return page


async def test_keyboard_only_shift_on_a_tablet(browser: Browser, hall: Hall) -> None:
    a1 = await hall.issue("A")
    await hall.issue("A")
    page = await console(browser, hall, TABLET, "clerk2", 2)
    await page.keyboard.press("n")
    await expect(page.locator("#c-number")).to_have_text(a1["number"])
    for i in range(3):  # the demo's recall limit is 3
        await page.keyboard.press("r")
        await expect(page.locator("#c-tstatus")).to_contain_text(f"重呼 {i + 1}/3")
    async with page.expect_event("dialog") as asked:  # "limit reached: mark no-show now?"
        await page.keyboard.press("r")
    await (await asked.value).accept()
    await expect(page.locator("#c-number")).to_have_text("—")
    row = await hall.store.db.one("SELECT status FROM tickets WHERE id = ?", (a1["id"],))
    assert row["status"] == "no_show"

    await page.keyboard.press("Space")
    await expect(page.locator("#c-number")).to_have_text("A002")
    await page.keyboard.press("s")
    await page.keyboard.press("t")
    await page.locator("#d-transfer-to").fill("C")
    await page.keyboard.press("Escape")  # changed my mind
    await expect(page.locator("#d-transfer")).not_to_be_visible()
    await page.keyboard.press("t")
    await page.locator("#d-transfer-to").fill("C")
    await page.keyboard.press("Tab")
    await page.keyboard.press("1")  # to the front
    await page.keyboard.press("Enter")
    await expect(page.locator("#c-number")).to_have_text("—")
    row = await hall.store.db.one("SELECT status, queue_id, transfer_count FROM tickets WHERE number = 'A002'")
    assert row["status"] == "waiting" and row["queue_id"] == hall.queue_id("C") and row["transfer_count"] == 1
    await expect(page.locator("#c-figs")).to_contain_text("1")  # transferred out

    await page.keyboard.press("p")
    await page.keyboard.press("4")  # 午间休息
    await expect(page.locator("#c-state")).to_contain_text("午间休息")
    await screenshot(page, "console-tablet-paused")
    await page.keyboard.press("u")
    await expect(page.locator("#c-state")).to_contain_text("服务中")
    await page.keyboard.press("?")
    await expect(page.locator("#d-help")).to_be_visible()
    await screenshot(page, "console-tablet-help")
    await page.keyboard.press("Escape")


async def test_auto_no_show_after_the_recall_limit_when_the_hall_wants_it(browser: Browser, hall: Hall) -> None:
    status, _ = await hall.manager.patch("/api/v1/halls/liangjiang/citizen-settings",
                                         {"no_show_after_recalls_seconds": 1})
    assert status == 200
    t = await hall.issue("B")
    page = await console(browser, hall, (1366, 768), "clerk3", 5)
    await page.keyboard.press("Space")
    await expect(page.locator("#c-number")).to_have_text(t["number"])
    for _ in range(3):
        await page.keyboard.press("r")
        await page.wait_for_timeout(100)
    await expect(page.locator("#c-number")).to_have_text("—", timeout=5000)
    row = await hall.store.db.one("SELECT status FROM tickets WHERE id = ?", (t["id"],))
    assert row["status"] == "no_show"


async def test_portrait_tablet_and_park_call_back(browser: Browser, hall: Hall) -> None:
    await hall.issue("G", priority="elderly")
    page = await console(browser, hall, TABLET_PORTRAIT, "clerk4", 4)
    await page.keyboard.press("Space")
    await page.keyboard.press("s")
    await expect(page.locator("#c-meta")).to_contain_text("老年人优先")
    await page.keyboard.press("h")
    await expect(page.locator("#c-parked")).to_contain_text("G001")
    await screenshot(page, "console-tablet-portrait")
    await page.keyboard.press("b")
    await expect(page.locator("#c-number")).to_have_text("G001")
