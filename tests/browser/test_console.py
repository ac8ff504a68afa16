"""The clerk console by keyboard alone: call, recall to the limit, no-show, transfer, pause with a reason, resume;
at 1366×768 and on a 10-inch tablet."""

from __future__ import annotations

import re

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
    row = await hall.db.one("SELECT status FROM tickets WHERE id = ?", (a1["id"],))
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
    row = await hall.db.one("SELECT status, queue_id, transfer_count FROM tickets WHERE number = 'A002'")
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
    await expect(page.locator("#c-auto")).to_contain_text("自动过号")
    hall.clock.advance(1)  # the server marks it (its auto-no-show loop), on the server's clock
    await expect(page.locator("#c-number")).to_have_text("—", timeout=5000)
    row = await hall.db.one("SELECT status FROM tickets WHERE id = ?", (t["id"],))
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


CJK = r"[\u4e00-\u9fff]"


async def test_finish_dialog_shows_item_names_and_english_mode_is_english(browser: Browser, hall: Hall) -> None:
    await hall.issue("B")
    page = await console(browser, hall, (1366, 768), "clerk1", 5)
    await page.keyboard.press("Space")
    await page.keyboard.press("s")
    await page.keyboard.press("f")
    items = page.locator("#d-finish-list li")
    await expect(items.first).to_be_visible()
    texts = await items.all_inner_texts()
    assert texts and not any("psb-" in t or "-" in t.split()[0] for t in texts)  # names, not internal codes
    await page.locator("#d-finish-q").fill("psb-hukou-move")  # a code still finds its item
    await expect(items).to_have_count(1)
    await expect(items.first).to_contain_text("户口迁移")
    await page.keyboard.press("Enter")
    await page.locator("#d-finish-q").fill("Household registration cert")  # and so does the English name
    await expect(items.first).to_contain_text("户籍证明开具")
    await page.keyboard.press("Enter")
    await expect(page.locator("#d-finish-picked")).to_contain_text("已选 2 项")
    await screenshot(page, "console-finish-dialog")
    await page.locator("#d-finish-q").fill("")
    await page.keyboard.press("Enter")
    await expect(page.locator("#c-number")).to_have_text("—")
    rows = await hall.db.all("SELECT i.code FROM ticket_items ti JOIN service_items i ON i.id = ti.item_id")
    assert sorted(r[0] for r in rows) == ["psb-hukou-certificate", "psb-hukou-move"]

    await page.locator('[data-action="toggle-lang"]').click()
    clerk_name = await page.locator("#c-title .c-clerk").inner_text()  # a person's name may well be Chinese
    for box in ("#c-title", "#c-state", "#c-tstatus", "#c-queues", "#c-figs", "#c-actions"):
        text = (await page.locator(box).inner_text()).replace(clerk_name, "")
        assert not re.search(CJK, text), (box, text)
    await expect(page.locator("#c-title")).to_contain_text("Window 5")
    await expect(page.locator("#c-queues")).to_contain_text("Household registration and ID")
    await expect(page.locator("#c-tstatus")).to_have_text("Idle: press Space to call", use_inner_text=True)
    await screenshot(page, "console-en")
    await page.locator('[data-action="toggle-lang"]').click()
    await expect(page.locator("#c-queues")).to_contain_text("人 · 最久")
    await screenshot(page, "console-zh")
