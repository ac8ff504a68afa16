"""English mode is complete on the staff pages: with the language set to English, no visible text holds
Chinese, except names (people, places, departments, queues and service items, as the hall named them) and
what staff typed (findings, notes). The screens are the demo's, with an alert raised and a patrol open, and
for the ratings-and-cases page a bad rating to follow up, a case and the day's deadline scan."""

from __future__ import annotations

import re
from typing import Any

from playwright.async_api import Browser, Page, expect

from hallops.demo import FINDINGS, NOTES, fill_demo
from hallops.http.keys import USECASES
from tests.browser.conftest import new_page, screenshot, sign_in
from tests.conftest import Hall
from tests.http.test_ratings import BAD, served

CJK = re.compile(r"[\u3400-\u9fff]")  # Chinese characters (a full-width colon beside a name is no sentence)
# Every visible text node holding Chinese, with where it is (for the failure message).
VISIBLE_CHINESE = """() => {
  const out = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const text = walk.currentNode.textContent.trim();
    const el = walk.currentNode.parentElement;
    if (!text || !el || !/[\\u3400-\\u9fff]/.test(text)) continue;
    // The language switch names the other language in that language ("中文"), as every bilingual site does.
    if (el.closest("script, style, template, option, [data-action=toggle-lang]")) continue;
    if (!el.getClientRects().length) continue;
    if (getComputedStyle(el).visibility === "hidden") continue;
    out.push([text, el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className ? "." + el.className : "")]);
  }
  return out;
}"""


def names(layout: dict[str, Any]) -> list[str]:
    """What the hall named: these stay as they are in English (a person's name, a place, a service item)."""
    found = [layout["hall"]["name"], layout["hall"]["notice"]]  # the notice is the hall's own text
    for key, fields in (("departments", ("name",)), ("queues", ("name", "category")), ("service_items", ("name",)),
                        ("windows", ("area",)), ("users", ("display_name",))):
        for row in layout.get(key, []):
            found += [str(row[f]) for f in fields if row.get(f)]
    found += [text for _, _, text, _ in FINDINGS] + list(NOTES.values())
    return sorted(set(found), key=len, reverse=True)  # longest first: a name inside a longer one goes with it


def untranslated(texts: list[list[str]], allowed: list[str]) -> list[list[str]]:
    out = []
    for text, where in texts:
        rest = text
        for name in allowed:
            rest = rest.replace(name, "")
        if CJK.search(rest):
            out.append([text, where])
    return out


async def english(browser: Browser, hall: Hall, size: tuple[int, int]) -> Page:
    page = await new_page(browser, hall, *size)
    await page.context.add_init_script("try { localStorage.setItem('hallops.lang', 'en'); } catch (e) {}")
    return page


async def busy_demo(hall: Hall) -> None:
    """The demo with a window paused past its limit (an alert), people waiting and a call on the screens."""
    await fill_demo(hall.client.server.app[USECASES], hall.hall_id)
    for q in "AABBC":
        await hall.issue(q)
    for n in (1, 5):
        await hall.manager.post(f"/api/v1/windows/{hall.window_id(n)}/open")
        await hall.manager.post(f"/api/v1/windows/{hall.window_id(n)}/call-next")
    await hall.manager.post(f"/api/v1/windows/{hall.window_id(2)}/open")
    await hall.manager.post(f"/api/v1/windows/{hall.window_id(2)}/pause", {"reason": "系统故障"})
    hall.clock.advance(40 * 60)
    status, body = await hall.manager.post(f"/api/v1/halls/{hall.hall_id}/alerts/evaluate", {})
    assert status == 200, body


async def check(page: Page, hall: Hall, what: str) -> None:
    found = untranslated(await page.evaluate(VISIBLE_CHINESE), [*names(hall.layout), "系统故障"])
    assert not found, f"{what}: Chinese left in English mode: {found[:12]}"


async def test_the_manager_tablet_reads_english_on_every_tab(browser: Browser, hall: Hall) -> None:
    await busy_demo(hall)
    page = await english(browser, hall, (1024, 768))
    await sign_in(page, "manager", "demo-manager", f"/manager/{hall.hall_id}")
    await page.locator("#kpis .kpi").first.wait_for()
    await page.locator("#alert-banner .alert-row").first.wait_for()
    assert await page.evaluate("document.documentElement.classList.contains('en')")
    await check(page, hall, "tablet: live")
    for tab in ("patrols", "findings", "alerts"):
        await page.click(f"[data-tab={tab}]")
        await page.wait_for_load_state("networkidle")
        await check(page, hall, f"tablet: {tab}")
    await screenshot(page, "english-tablet-alerts")


STAFF_PAGES = (("manager", "demo-manager", ("/", "/reports/{hall}")),
               ("clerk1", "demo-clerk", ("/console/{hall}", "/findings/mine")))
WALL_SCREENS = ("/displays/liangjiang/window/5?lang=en", "/displays/liangjiang/window/2?lang=en",
                "/displays/liangjiang/lobby?lang=en&voice=off")


async def test_staff_pages_read_english(browser: Browser, hall: Hall) -> None:
    await busy_demo(hall)
    for user, password, paths in STAFF_PAGES:
        page = await english(browser, hall, (1366, 768))
        await sign_in(page, user, password, "/")
        for path in paths:
            await page.goto(path.format(hall=hall.hall_id))
            await page.wait_for_load_state("networkidle")
            await check(page, hall, path)
        await page.context.close()


async def test_wall_screens_read_english(browser: Browser, hall: Hall) -> None:
    await busy_demo(hall)
    page = await new_page(browser, hall, 1280, 720)
    for path in WALL_SCREENS:
        await page.goto(f"{path}&token={hall.display.token}")
        await page.wait_for_function("() => window.hallopsBoard && window.hallopsBoard.state !== null")
        await check(page, hall, path)
        if "/window/5" in path:
            assert (await page.locator("h1").inner_text()).strip() == "Window 5"
            await screenshot(page, "english-window-5")


CASE = {"source": "12345", "subject": "公积金提取咨询", "ref": "GD-001"}
TYPED = [CASE["subject"], str(BAD["comment"]), "已电话核实"]  # what the citizen and staff wrote


async def quality_day(hall: Hall) -> None:
    """A bad rating (reasons and a comment) to follow up, verified once, reported to the province; the demo's
    yesterday (its history staffs the key windows, so the visit comes first); a case; six days on, the scan."""
    province = str(hall.client.make_url("/fake-province/evaluations"))
    status, body = await hall.admin.patch(f"/api/v1/halls/{hall.hall_id}/quality-settings", {"province_url": province})
    assert status == 200, body
    clerk = await hall.clerk_at(1)
    t = await served(hall, clerk)
    assert (await clerk.post(f"/api/v1/windows/{hall.window_id(1)}/close"))[0] == 200
    assert (await hall.anon.post(f"/api/v1/ticket-status/{t['token']}/rating", BAD))[0] == 201
    await fill_demo(hall.client.server.app[USECASES], hall.hall_id)
    _, listed = await hall.manager.get(f"/api/v1/halls/{hall.hall_id}/followups?open=1")
    (followup,) = listed["followups"]
    status, body = await hall.manager.post(f"/api/v1/followups/{followup['id']}/verify", {"note": "已电话核实"})
    assert status == 200, body
    assert (await hall.manager.post(f"/api/v1/halls/{hall.hall_id}/cases", CASE))[0] == 201
    hall.clock.advance(6 * 86400)  # Sunday: both are due on Monday, the next working day
    status, scan = await hall.manager.post(f"/api/v1/halls/{hall.hall_id}/deadline-scan")
    assert status in (200, 201) and len(scan["scan"]["due_soon"]) >= 2, scan


async def check_quality(page: Page, hall: Hall, what: str) -> None:
    found = untranslated(await page.evaluate(VISIBLE_CHINESE), [*names(hall.layout), *TYPED])
    assert not found, f"{what}: Chinese left in English mode: {found[:12]}"


async def test_the_ratings_and_cases_page_reads_english(browser: Browser, hall: Hall) -> None:
    await quality_day(hall)
    for user, password in (("admin", "demo-admin"), ("clerk1", "demo-clerk")):
        page = await english(browser, hall, (1366, 900))
        await sign_in(page, user, password, f"/quality/{hall.hall_id}")
        await page.locator("#q-followups tbody tr [data-followup]").first.wait_for()
        await page.locator("#q-scan-body li").first.wait_for()
        await page.wait_for_load_state("networkidle")
        assert await page.evaluate("document.documentElement.classList.contains('en')")
        await check_quality(page, hall, f"quality ({user})")
        await page.locator("[data-followup]").first.click()
        await page.locator("#q-followup ol li").nth(1).wait_for()  # opened, then verified
        await check_quality(page, hall, f"quality, a follow-up open ({user})")
        # Options and placeholders carry no markup: they follow the language themselves.
        assert await page.locator("#q-way option:checked").inner_text() == "By phone"
        held = await page.eval_on_selector_all("#quality [placeholder]", "els => els.map(e => e.placeholder)")
        assert "Note" in held and not [p for p in held if CJK.search(p)], held
        if user == "admin":
            assert await page.locator("#q-new-case select[name=source] option:checked").inner_text() == "12345 hotline"
            await expect(page.locator("#q-cal-known")).to_contain_text("days off are known")
            await expect(page.locator("#q-deliveries tbody")).to_contain_text("Province rating system")
            await screenshot(page, "english-quality")
        await page.context.close()


async def test_the_ratings_and_cases_page_still_reads_chinese_first(browser: Browser, hall: Hall) -> None:
    """The same page in Chinese: the labels are Chinese, with English beside the fixed ones only."""
    await quality_day(hall)
    page = await new_page(browser, hall, 1366, 900)
    await sign_in(page, "manager", "demo-manager", f"/quality/{hall.hall_id}")
    await page.locator("[data-followup]").first.click()
    await page.locator("#q-followup ol li").nth(1).wait_for()
    assert await page.evaluate("!document.documentElement.classList.contains('en')")
    heading = await page.locator("#q-followup h3").inner_text()
    assert "非常不满意" in heading and "等候时间过长" in heading and "Very dissatisfied" in heading
    evidence = await page.locator("#q-followup p").first.inner_text()
    assert evidence.startswith("等候") and "Waited" not in evidence  # a sentence with numbers: one language
    assert await page.locator("#q-way option:checked").inner_text() == "电话回访 By phone"
    await expect(page.locator("#q-cases tbody")).to_contain_text("12345热线")
    await expect(page.locator("#q-scan-body")).to_contain_text("一个工作日内到期")
