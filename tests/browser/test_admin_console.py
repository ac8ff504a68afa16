"""The admin console in headless Chromium (issue 13): import a 3,000-row item list with 3 bad rows, add a window
and see it on an open lobby screen without a reload, disable a clerk and see their open console refused; and
the pages of accounts, tokens and the audit log, screenshotted to be looked at."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import new_page, screenshot, sign_in
from tests.conftest import Hall

ROWS = 3000
BAD = {10: "11500112MB1503100010,,公安分局,B\n", 500: "坏 编码,事项,公安分局,B\n",
       2999: "11500112MB1503102999,事项,不存在的部门,B\n"}


def item_list(tmp_path: Path, bad: dict[int, str]) -> Path:
    lines = ["事项编码,事项名称,部门,业务类型\n"]
    for i in range(ROWS):
        lines.append(bad.get(i) or f"11500112MB15031{i:05d},跨区域事项{i},公安分局,B\n")
    path = tmp_path / "centre-items.csv"
    path.write_text("".join(lines), encoding="utf-8-sig")
    return path


SCRIPT_ERRORS: list[str] = []


async def admin_page(browser: Browser, hall: Hall, path: str) -> Page:
    page = await new_page(browser, hall, 1366, 900)
    page.on("pageerror", lambda e: SCRIPT_ERRORS.append(str(e)))
    await sign_in(page, "admin", "demo-admin", path)
    await page.wait_for_selector("#section-body[data-loaded]")
    return page


async def test_import_3000_items_with_3_bad_rows_then_the_fixed_file(browser: Browser, hall: Hall,
                                                                    tmp_path: Path) -> None:
    page = await admin_page(browser, hall, "/admin/liangjiang/items")
    await page.set_input_files("#import-file", str(item_list(tmp_path, BAD)))
    await page.click("#import-dry")
    await expect(page.locator("#import-summary")).to_contain_text("2997")
    await expect(page.locator("tr.import-error")).to_have_count(3)
    await expect(page.locator("tr.import-error").nth(0)).to_contain_text("12")
    await expect(page.locator("tr.import-error").nth(2)).to_contain_text("3001")
    await expect(page.locator("#import-apply")).to_be_disabled()
    await screenshot(page, "admin-import-dry-run-errors")
    assert (await hall.db.one("SELECT count(*) FROM service_items WHERE standard_code <> ''"))[0] == 0

    await page.set_input_files("#import-file", str(item_list(tmp_path, {})))
    await page.click("#import-dry")
    await expect(page.locator("#import-apply")).to_be_enabled()
    await page.click("#import-apply")
    await expect(page.locator("#flash")).to_contain_text("新增 3000")
    await screenshot(page, "admin-import-applied")
    assert (await hall.db.one("SELECT count(*) FROM service_items WHERE standard_code <> ''"))[0] == ROWS
    row = await hall.db.one("SELECT summary FROM audit_log WHERE action = 'service_item.import'")
    assert row[0] == "导入事项清单：3000 行，新增 3000，修改 0，未变 0"


async def test_a_window_added_in_the_console_appears_on_the_open_lobby(browser: Browser, hall: Hall) -> None:
    lobby = await new_page(browser, hall, 1920, 1080)
    await lobby.goto(f"/displays/liangjiang/lobby?token={hall.display.token}&voice=off")
    await lobby.wait_for_function("() => window.hallopsBoard && window.hallopsBoard.state !== null")
    await expect(lobby.locator('[data-window="29"]')).to_have_count(0)
    loads = await lobby.evaluate("() => performance.getEntriesByType('navigation').length")

    page = await admin_page(browser, hall, "/admin/liangjiang/windows")
    await page.click("[data-new]")
    await page.fill(".editor input[name=number]", "29")
    await page.fill(".editor input[name=name]", "29号 综合窗口")
    await page.select_option(".editor .chip-add select", "A")
    await page.click(".editor .chip-add button")
    await page.select_option(".editor .chip-add select", "P")
    await page.click(".editor .chip-add button")
    # Drag P before A: the window calls P first.
    await page.drag_and_drop('.editor .chip[data-code="P"]', '.editor .chip[data-code="A"]')
    await expect(page.locator(".editor .chip").first).to_have_attribute("data-code", "P")
    await screenshot(page, "admin-window-editor")
    await page.click(".editor button[type=submit]")
    await expect(page.locator("#flash")).to_contain_text("已新增")
    await expect(lobby.locator('[data-window="29"]')).to_have_count(1, timeout=3000)
    assert await lobby.evaluate("() => performance.getEntriesByType('navigation').length") == loads  # no reload
    await screenshot(lobby, "admin-lobby-with-window-29")
    await screenshot(page, "admin-windows")
    w = await hall.db.one("SELECT id FROM windows WHERE number = 29")
    served = await hall.db.all("SELECT q.prefix FROM window_queues wq JOIN queues q ON q.id = wq.queue_id "
                               "WHERE wq.window_id = ? ORDER BY wq.position", (w[0],))
    assert [r[0] for r in served] == ["P", "A"]


async def test_deleting_the_last_window_of_a_queue_is_refused_with_the_reason(browser: Browser, hall: Hall) -> None:
    page = await admin_page(browser, hall, "/admin/liangjiang/windows")
    page.on("dialog", lambda d: d.accept())
    await page.click(f'tr[data-id="{hall.window_id(22)}"] [data-archive]')
    await expect(page.locator("#flash.bad")).to_contain_text("最后一个窗口")
    await screenshot(page, "admin-refused-last-window")
    assert (await hall.db.one("SELECT active FROM windows WHERE number = 22"))[0] == 1


async def test_disabling_a_clerk_refuses_their_open_console(browser: Browser, hall: Hall) -> None:
    await hall.issue("A")
    console = await new_page(browser, hall, 1280, 800)
    await sign_in(console, "clerk2", "demo-clerk", "/console/liangjiang")
    await console.locator('[data-number="2"]').click()
    await console.wait_for_url("**window=2")
    await expect(console.locator("#c-state")).to_contain_text("服务中")

    page = await admin_page(browser, hall, "/admin/users")
    page.on("dialog", lambda d: d.accept())
    await page.click('tr[data-user="clerk2"] [data-disable]')
    await expect(page.locator('tr[data-user="clerk2"]')).to_contain_text("已停用")
    await screenshot(page, "admin-users-clerk2-disabled")

    await expect(console.locator("#c-live")).to_contain_text("连接中断", timeout=6000)  # its live socket was closed
    await console.keyboard.press("n")
    await expect(console.locator("#c-msg")).to_contain_text("请先登录")
    await screenshot(console, "admin-console-refused-after-disable")
    row = await hall.db.one("SELECT status FROM tickets WHERE number = 'A001'")
    assert row["status"] == "waiting"
    entry = await hall.db.one("SELECT actor_name, action FROM audit_log WHERE action = 'user.disable'")
    assert tuple(entry) == ("系统管理员", "user.disable")


async def test_reset_a_password_and_set_it_with_the_link(browser: Browser, hall: Hall) -> None:
    page = await admin_page(browser, hall, "/admin/users")
    page.on("dialog", lambda d: d.accept())
    await page.click('tr[data-user="clerk3"] [data-reset]')
    code = (await page.locator("#reset-code").text_content() or "").strip()
    assert len(code) == 19
    await screenshot(page, "admin-users-reset-code")
    clerk = await new_page(browser, hall, 1280, 800)
    await clerk.goto(f"/reset#code={code}")
    await expect(clerk.locator("#reset-who")).to_contain_text("clerk3")
    assert "code=" not in clerk.url  # the code leaves the address bar
    await clerk.fill("input[name=password]", "Night-Shift-2026")
    await clerk.fill("input[name=again]", "Night-Shift-2026")
    await screenshot(clerk, "admin-reset-page")
    await clerk.click("button[type=submit]")
    await expect(clerk.locator(".ok")).to_be_visible()
    await sign_in(clerk, "clerk3", "Night-Shift-2026", "/")
    await expect(clerk.locator("body")).to_contain_text("窗口")


async def test_the_other_pages_render(browser: Browser, hall: Hall) -> None:
    await hall.admin.post("/api/v1/tokens", {"role": "kiosk", "hall": hall.hall_id, "label": "取号机-1"})
    page = await admin_page(browser, hall, "/admin/liangjiang/tokens")
    await page.click("[data-new]")
    await page.fill(".editor input[name=label]", "大厅取号机-2")
    await page.click(".editor button[type=submit]")
    await expect(page.locator("#new-token")).to_contain_text("hop_")
    await expect(page.locator(".once .qr svg")).to_have_count(1)
    await screenshot(page, "admin-tokens-new")
    pages = [(f"/admin/liangjiang/{s}", f"admin-{s}") for s in ("queues", "departments", "bundles", "checklist",
                                                                  "alerts", "notices")]
    for path, name in (*pages, ("/admin/halls", "admin-halls"), ("/admin/audit", "admin-audit")):
        await page.goto(path)
        await page.wait_for_selector("#section-body[data-loaded]")
        await expect(page.locator("#flash.bad")).to_be_hidden()
        await screenshot(page, name)
    await expect(page.locator("tr.audit-row").first).to_be_visible()
    await page.evaluate("() => hallops.setLang('en')")
    await screenshot(page, "admin-audit-en")
    assert SCRIPT_ERRORS == []


async def test_define_a_bundle_across_departments(browser: Browser, hall: Hall) -> None:
    page = await admin_page(browser, hall, "/admin/liangjiang/bundles")
    await page.click("[data-new]")
    await page.fill(".editor input[name=code]", "newborn-visit")
    await page.fill(".editor input[name=name]", "新生儿出生一件事")
    await page.select_option(".editor select[name=queue]", "R")
    for code in ("psb-birth-registration", "medins-employee-enrol", "hrss-card-replace"):
        await page.select_option(".editor .chip-add select", code)
        await page.click(".editor .chip-add button")
    await page.drag_and_drop('.editor .chip[data-code="hrss-card-replace"]',
                             '.editor .chip[data-code="medins-employee-enrol"]')
    await screenshot(page, "admin-bundle-editor")
    await page.click(".editor button[type=submit]")
    await expect(page.locator("#flash")).to_contain_text("已新增")
    await expect(page.locator("table.grid tbody tr")).to_have_count(6)  # the demo hall's five, and this one
    await screenshot(page, "admin-bundles-defined")
    rows = await hall.db.all("SELECT i.code FROM bundle_items bi JOIN service_items i ON i.id = bi.item_id "
                             "JOIN bundles b ON b.id = bi.bundle_id WHERE b.code = 'newborn-visit' "
                             "ORDER BY bi.position")
    assert [r[0] for r in rows] == ["psb-birth-registration", "hrss-card-replace", "medins-employee-enrol"]
    assert SCRIPT_ERRORS == []


async def test_a_new_clerk_changes_the_first_password_before_anything_else(browser: Browser, hall: Hall) -> None:
    status, _ = await hall.admin.post("/api/v1/users", {"username": "lihua", "display_name": "李华", "role": "clerk",
                                                        "password": "First-Day-2026", "hall": hall.hall_id})
    assert status == 201
    page = await new_page(browser, hall, 1280, 800)
    await sign_in(page, "lihua", "First-Day-2026", "/console/liangjiang")
    await page.wait_for_url("**/account/password")
    await page.fill("input[name=current]", "First-Day-2026")
    await page.fill("input[name=password]", "password123")
    await page.fill("input[name=again]", "password123")
    await page.click("button[type=submit]")
    await expect(page.locator(".error")).to_contain_text("过于常见")
    await screenshot(page, "admin-own-password-refused")
    await page.fill("input[name=password]", "Second-Day-2026")
    await page.fill("input[name=again]", "Second-Day-2026")
    await page.click("button[type=submit]")
    await page.wait_for_url(lambda url: url.endswith("/"))
    await page.goto("/console/liangjiang")
    await expect(page.locator("body")).to_contain_text("窗口")
