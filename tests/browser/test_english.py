"""English mode is complete on the staff pages: with the language set to English, no visible text holds
Chinese, except names (people, places, departments, queues and service items, as the hall named them) and
what staff typed (findings, notes). The screens are the demo's, with an alert raised and a patrol open."""

from __future__ import annotations

import re
from typing import Any

from playwright.async_api import Browser, Page

from hallops.demo import FINDINGS, NOTES, fill_demo
from hallops.http.keys import USECASES
from tests.browser.conftest import new_page, screenshot, sign_in
from tests.conftest import Hall

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
    for key, fields in (("departments", ("name",)), ("queues", ("name", "category")), ("items", ("name",)),
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
