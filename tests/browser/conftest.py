"""Browser fixtures: Debian's headless Chromium driven by Playwright against the real test server.

`playwright install` cannot download browsers here, so the system's /usr/bin/chromium is launched by path.
Screenshots go to tests/artifacts/screenshots/ (kept out of git) for people to look at.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

from tests.conftest import Hall

CHROMIUM = os.environ.get("HALLOPS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic", "--autoplay-policy=no-user-gesture-required"]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"

pytestmark = pytest.mark.browser


@contextlib.asynccontextmanager
async def chromium(args: list[str]) -> AsyncIterator[Browser]:
    """Debian's Chromium, headless, with these command-line flags."""
    if not shutil.which(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run tools/test-setup.sh")
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        try:
            yield b
        finally:
            await b.close()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium(CHROMIUM_ARGS) as b:
        yield b


def base_url(hall: Hall) -> str:
    return str(hall.client.make_url("")).rstrip("/")


async def new_page(browser: Browser, hall: Hall, width: int = 1366, height: int = 768, **kw: object) -> Page:
    ctx = await browser.new_context(viewport={"width": width, "height": height}, base_url=base_url(hall),
                                    locale="zh-CN", **kw)  # type: ignore[arg-type]
    page = await ctx.new_page()
    return page


async def sign_in(page: Page, username: str, password: str, next_path: str = "/") -> None:
    await page.goto(f"/login?next={next_path}")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", password)
    await page.click("button[type=submit]")
    await page.wait_for_url(lambda url: "/login" not in url)


async def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=False)
    return path
