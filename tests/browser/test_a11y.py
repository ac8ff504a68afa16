"""axe-core on every page at its real size, on the demo hall as `hallops serve --demo` fills it.

One page load per page and size: the page is opened as its device opens it, checked against WCAG 2.2 A/AA
(and, on wall screens read from across the hall, the 7:1 contrast of AAA), and any serious or critical
violation fails. Staff pages must also carry one <h1>. The same load takes the README's screenshot
(docs/screens/NAME.png when HALLOPS_UPDATE_SCREENS=1, tests/artifacts/screenshots/ always).
To stay fast on a busy machine, one server, one demo and one browser serve a whole group of pages, each
person signs in once, and a group's test lists every page that failed (the -s output lists every finding).

axe-core is vendored, minified and pinned: tests/browser/vendor/axe.min.js (see vendor/README.md).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page

from hallops.demo import fill_demo
from hallops.usecases.accounts import OPERATOR
from tests.browser.conftest import new_page, screenshot, sign_in
from tests.conftest import Hall

VENDOR = Path(__file__).resolve().parent / "vendor"
AXE = (VENDOR / "axe.min.js").read_text(encoding="utf-8")
DOCS_SCREENS = Path(__file__).resolve().parents[2] / "docs" / "screens"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
FAILING = ("serious", "critical")

STAFF_PC = (1366, 768)
TABLET = (1024, 768)
PHONE = (390, 844)
KIOSK = (1080, 1920)


@dataclass(frozen=True)
class Screen:
    name: str  # the screenshot's name
    size: tuple[int, int]
    open: Callable[[Page, Hall, dict[str, Any]], Awaitable[None]]
    wall: bool = False  # a wall screen: contrast 7:1
    staff: bool = True  # a staff page: one <h1>
    user: str | None = None  # who is signed in


PASSWORDS = {"manager": "demo-manager", "clerk1": "demo-clerk", "clerk8": "demo-clerk", "admin": "demo-admin"}


def signed_in(user: str, path: str, ready: str = "body") -> Callable[..., Awaitable[None]]:
    async def go(page: Page, hall: Hall, ctx: dict[str, Any]) -> None:
        await page.goto(path.format(hall=hall.hall_id, **ctx))
        await page.wait_for_load_state("networkidle")
        await page.locator(ready).first.wait_for()
    return go


def public(path: str, ready: str = "body", wait_idle: bool = True) -> Callable[..., Awaitable[None]]:
    async def go(page: Page, hall: Hall, ctx: dict[str, Any]) -> None:
        await page.goto(path.format(hall=hall.hall_id, code="liangjiang", display=hall.display.token,
                                    kiosk=hall.kiosk.token, **ctx))
        if wait_idle:
            await page.wait_for_load_state("networkidle")
        await page.locator(ready).first.wait_for()
    return go


def display(path: str) -> Callable[..., Awaitable[None]]:
    async def go(page: Page, hall: Hall, ctx: dict[str, Any]) -> None:
        await page.goto(path.format(code="liangjiang", display=hall.display.token))
        await page.wait_for_function("() => window.hallopsBoard && window.hallopsBoard.state !== null")
        await page.wait_for_timeout(300)
    return go


async def clerk_at_window_1(page: Page, hall: Hall, ctx: dict[str, Any]) -> None:
    """The console as a clerk uses it: at window 1 (the demo staffs it for clerk1), a citizen called there."""
    await page.goto("/console/liangjiang?window=1")
    await page.locator("#c-state", has_text="服务中").wait_for()
    await page.wait_for_function("() => /[A-Z]\\d{3}/.test(document.querySelector('#c-number').textContent)")
    await page.wait_for_load_state("networkidle")


STAFF_SCREENS = [
    Screen("login", STAFF_PC, public("/login", "form")),
    Screen("home", STAFF_PC, signed_in("manager", "/"), user="manager"),
    Screen("console-pick", STAFF_PC, signed_in("clerk8", "/console/{hall}"), user="clerk8"),  # at no window yet
    Screen("console", STAFF_PC, clerk_at_window_1, user="clerk1"),
    Screen("helpdesk", STAFF_PC, signed_in("clerk8", "/helpdesk/{hall}", "#hd-idnum"), user="clerk8"),
    Screen("findings-mine", STAFF_PC, signed_in("clerk1", "/findings/mine"), user="clerk1"),
    Screen("manager-tablet", TABLET, signed_in("manager", "/manager/{hall}", "#kpis .kpi"), user="manager"),
    Screen("manager-patrols", TABLET, signed_in("manager", "/manager/{hall}#patrols", "#quota .qcard"), user="manager"),
    Screen("manager-findings", TABLET, signed_in("manager", "/manager/{hall}#findings", "#finding-list tr"),
           user="manager"),
    Screen("manager-alerts", TABLET, signed_in("manager", "/manager/{hall}#alerts", "#alert-list tr"), user="manager"),
    Screen("reports", STAFF_PC, signed_in("manager", "/reports/{hall}"), user="manager"),
    Screen("briefing", STAFF_PC, signed_in("manager", "/reports/briefings/{briefing}"), user="manager"),
    Screen("appointments", STAFF_PC, signed_in("manager", "/appointments/{hall}"), user="manager"),
    Screen("quality", STAFF_PC, signed_in("manager", "/quality/{hall}"), user="manager"),
    Screen("admin", STAFF_PC, signed_in("admin", "/admin"), user="admin"),
    Screen("error-404", STAFF_PC, public("/no-such-page", "h1")),
]
WALL_SCREENS = [
    Screen("lobby", (1920, 1080), display("/displays/{code}/lobby?voice=off&token={display}"), wall=True,
           staff=False),
    Screen("lobby-portrait", (1080, 1920),
           display("/displays/{code}/lobby?orient=portrait&voice=off&token={display}"), wall=True, staff=False),
    Screen("window-display", (1280, 720), display("/displays/{code}/window/5?voice=off&token={display}"),
           wall=True, staff=False),
    Screen("rating-pad", (1024, 600), public("/pad/{hall}#token={pad}", "#p-welcome", wait_idle=False),
           staff=False),
]
CITIZEN_SCREENS = [
    Screen("kiosk", KIOSK, public("/kiosk/{code}#token={kiosk}", "#k-home .k-cat", wait_idle=False), staff=False),
    Screen("phone-take", PHONE, public("/m/{code}"), staff=False),
    Screen("phone-ticket", PHONE, public("/t/{ticket}"), staff=False),
    Screen("rating-phone", PHONE, public("/r/{ticket}"), staff=False),
    Screen("phone-error-404", PHONE, public("/t/hop-no-such-ticket", "h1"), staff=False),
]


async def demo(hall: Hall) -> dict[str, Any]:
    """The demo as `hallops serve --demo` leaves it, plus a morning under way: windows open, people waiting,
    calls on the screens; a rating pad at window 1 and a ticket served there."""
    uc = _usecases(hall)
    await fill_demo(uc, hall.hall_id)
    briefings = await uc.briefings.kept(OPERATOR, hall.hall_id)
    from hallops.domain.model import Role

    pad, _ = await hall.ports.accounts.create_token(role=Role.RATING_PAD, hall_id=hall.hall_id,
                                                    window_id=hall.window_id(1), label="pad-1")
    for prefix in "AABBCAD":
        await hall.issue(prefix)
    served = await hall.issue("A")
    for number in (1, 2, 5):
        await hall.manager.post(f"/api/v1/windows/{hall.window_id(number)}/open")
        await hall.manager.post(f"/api/v1/windows/{hall.window_id(number)}/call-next")
    return {"briefing": briefings[0]["id"] if briefings else 0, "pad": pad, "ticket": served["token"]}


def _usecases(hall: Hall) -> Any:
    from hallops.http.keys import USECASES

    return hall.client.server.app[USECASES]


async def axe(page: Page, wall: bool) -> list[dict[str, Any]]:
    await page.evaluate(AXE)  # evaluated, not injected: a Content-Security-Policy does not apply
    options = {"runOnly": {"type": "tag", "values": WCAG}, "resultTypes": ["violations"]}
    if wall:
        options["rules"] = {"color-contrast-enhanced": {"enabled": True}}
    result = await page.evaluate("(o) => axe.run(document, o)", options)
    return list(result["violations"])


def summary(violations: list[dict[str, Any]]) -> list[str]:
    return [f"{v['impact']:8} {v['id']} ×{len(v['nodes'])}: {v['nodes'][0]['target']} "
            f"{v['nodes'][0].get('failureSummary', '')[:160]!r}" for v in violations]


async def check(browser: Browser, hall: Hall, screens: list[Screen]) -> None:
    """Every screen of the group on one server and demo; each person signs in once (a context per person)."""
    ctx = await demo(hall)
    contexts: dict[tuple[str | None, bool], BrowserContext] = {}
    failed: list[str] = []
    for screen in screens:
        touch = screen.size[0] < 1200
        context = contexts.get((screen.user, touch))
        if context is None:
            page = await new_page(browser, hall, *screen.size, has_touch=touch, timezone_id="Asia/Shanghai")
            context = contexts[(screen.user, touch)] = page.context
            if screen.user:
                await sign_in(page, screen.user, PASSWORDS[screen.user], "/")
            await page.close()
        page = await context.new_page()
        await page.set_viewport_size({"width": screen.size[0], "height": screen.size[1]})
        errors: list[str] = []
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        await screen.open(page, hall, ctx)
        problems = await one_page(page, screen)
        if errors:
            problems.append(f"script errors: {errors}")
        if problems:
            failed.append(f"{screen.name} {screen.size}: " + "; ".join(problems))
        await page.close()
    for context in contexts.values():
        await context.close()
    assert not failed, "\n".join(failed)


async def one_page(page: Page, screen: Screen) -> list[str]:
    violations = await axe(page, screen.wall)
    path = await screenshot(page, f"screen-{screen.name}")
    if os.environ.get("HALLOPS_UPDATE_SCREENS"):
        DOCS_SCREENS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SCREENS / f"{screen.name}.png")
    report = Path(path).with_suffix(".axe.json")
    report.write_text(json.dumps([{k: v[k] for k in ("id", "impact", "help")} | {"nodes": len(v["nodes"])}
                                  for v in violations], ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"\n{screen.name} {screen.size}: " + ("; ".join(summary(violations)) or "no violations"))
    problems = summary([v for v in violations if v["impact"] in FAILING])
    if screen.staff and await page.locator("h1").count() != 1:
        problems.append("a staff page has one <h1>")
    return problems


async def test_staff_pages_have_no_serious_axe_violation(browser: Browser, hall: Hall) -> None:
    await check(browser, hall, STAFF_SCREENS)


async def test_wall_screens_and_pads_have_no_serious_axe_violation(browser: Browser, hall: Hall) -> None:
    await check(browser, hall, WALL_SCREENS)


async def test_citizen_pages_have_no_serious_axe_violation(browser: Browser, hall: Hall) -> None:
    """The kiosk and the phone (their keyboard walk and live regions are the citizen side's own tests)."""
    await check(browser, hall, CITIZEN_SCREENS)


FOCUS_RING = "() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth]; }"


async def test_staff_pages_by_keyboard_with_a_visible_focus(browser: Browser, hall: Hall) -> None:
    """Sign in by keyboard (skip link first, every stop ringed), then the tablet's tab list by arrow keys."""
    page = await new_page(browser, hall, *STAFF_PC)
    await page.goto("/login?next=/manager/" + str(hall.hall_id))
    await page.locator("input[name=username]").fill("manager")  # autofocus puts the cursor here
    await page.keyboard.press("Tab")
    await page.keyboard.type("demo-manager")
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.type") == "submit"
    assert await page.evaluate(FOCUS_RING) == ["solid", "3px"]  # the sign-in button's focus is visible
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/manager/*")
    await page.locator("#kpis .kpi").first.wait_for()
    await page.keyboard.press("Tab")
    assert "skip" in await page.evaluate("document.activeElement.className")
    assert await page.evaluate(FOCUS_RING) == ["solid", "3px"]
    live = page.locator("[role=tab][data-tab=live]")
    await live.focus()
    assert await page.evaluate(FOCUS_RING) == ["solid", "3px"]
    await page.keyboard.press("ArrowRight")
    patrols = page.locator("[role=tab][data-tab=patrols]")
    assert await patrols.evaluate("el => el === document.activeElement")
    assert await patrols.get_attribute("aria-selected") == "true" and await patrols.get_attribute("tabindex") == "0"
    assert await live.get_attribute("tabindex") == "-1"
    assert await page.locator("#tab-patrols").is_visible() and not await page.locator("#tab-live").is_visible()
    await page.keyboard.press("End")
    assert await page.locator("[role=tab][data-tab=alerts]").get_attribute("aria-selected") == "true"
    # The tab list holds tabs only (the sound switch sits beside it).
    roles = await page.locator("[role=tablist] > *").evaluate_all("els => els.map(e => e.getAttribute('role'))")
    assert roles == ["tab"] * 4
