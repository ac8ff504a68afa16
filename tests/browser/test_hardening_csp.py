"""Every page passes its Content-Security-Policy in Chromium (issue 14): no inline script, no violation."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page

from tests.browser.conftest import new_page, sign_in
from tests.conftest import Hall

RECORD = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""
STAFF_PAGES = ["/", "/console/{hall}", "/manager/{hall}", "/reports/{hall}", "/quality/{hall}",
               "/appointments/{hall}", "/admin/{hall}/windows", "/findings/mine"]


async def _visit(page: Page, path: str, seen: list[str]) -> list[str]:
    await page.goto(path)
    await page.wait_for_load_state("networkidle")
    found: list[str] = await page.evaluate("window.__csp || []")
    return [f"{path}: {v}" for v in found] + [f"{path}: {m}" for m in seen]


async def test_pages_load_with_no_csp_violation(browser: Any, hall: Hall) -> None:
    code = hall.layout["hall"]["code"]
    violations: list[str] = []
    console: list[str] = []
    page = await new_page(browser, hall)
    await page.add_init_script(RECORD)
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    violations += await _visit(page, "/login", console)
    await sign_in(page, "admin", "demo-admin")
    visited = ["/login"]
    for path in STAFF_PAGES:
        console.clear()
        violations += await _visit(page, path.format(hall=code), console)
        visited.append(path)
    device = await new_page(browser, hall)
    await device.add_init_script(RECORD)
    device.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    for path in (f"/displays/{code}/lobby?token={hall.display.token}&voice=off",
                 f"/displays/{code}/window/5?token={hall.display.token}&voice=off",
                 f"/kiosk/{code}#token={hall.kiosk.token}", f"/m/{code}"):
        console.clear()
        violations += await _visit(device, path, console)
        visited.append(path.split("?")[0].split("#")[0])
    print(f"CSP: {len(visited)} pages, {len(violations)} violations")
    assert not violations, "\n".join(violations)
