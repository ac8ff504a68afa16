"""The lobby and window screens in headless Chromium against the real server, fed by real calls."""

from __future__ import annotations

import asyncio
import time

from playwright.async_api import Browser, Page, Request

from tests.browser.conftest import new_page, screenshot
from tests.conftest import Hall


def code(hall: Hall) -> str:
    return str(hall.layout["hall"]["code"])


async def open_screen(browser: Browser, hall: Hall, path: str, w: int, h: int) -> tuple[Page, list[str]]:
    page = await new_page(browser, hall, w, h)
    audio: list[str] = []

    def seen(req: Request) -> None:
        if "/announcement?" in req.url:
            audio.append(req.url)

    page.on("request", seen)
    sep = "&" if "?" in path else "?"
    await page.goto(f"{path}{sep}token={hall.display.token}")
    await page.wait_for_function("() => window.hallopsBoard && window.hallopsBoard.state !== null")
    return page, audio


async def wait_audio(audio: list[str], within: float = 3.0) -> None:
    for _ in range(int(within / 0.02)):
        if audio:
            return
        await asyncio.sleep(0.02)


async def test_a_call_shows_on_the_lobby_within_a_second_and_is_announced(browser: Browser, hall: Hall) -> None:
    page, audio = await open_screen(browser, hall, f"/displays/{code(hall)}/lobby", 1920, 1080)
    for q in ("A", "A", "B", "C", "D", "E"):
        await hall.issue(q)
    clerk = await hall.clerk_at(5)
    await (await hall.clerk_at(2, "clerk2")).post(f"/api/v1/windows/{hall.window_id(2)}/call-next")
    hall.clock.advance(5)
    status, body = await clerk.post(f"/api/v1/windows/{hall.window_id(5)}/call-next")
    assert status == 200, body
    number = body["ticket"]["number"]
    returned = time.monotonic()
    await page.wait_for_function("n => document.getElementById('now-number')?.textContent === n", arg=number,
                                 timeout=1000)
    assert time.monotonic() - returned < 1.0
    cell = page.locator('.win[data-window="5"] .win-cur')
    assert await cell.inner_text() == number
    await wait_audio(audio)
    # The first call (window 2) is being spoken; the second waits its turn instead of talking over it.
    assert len(audio) == 1 and "window=2" in audio[0]
    queued = await page.evaluate("hallopsBoard.announcer.queue.map(i => i.ticket + '@' + i.window)")
    assert queued == [f"{number}@5"]
    paused = await hall.clerk_at(7, "clerk3")
    await paused.post(f"/api/v1/windows/{hall.window_id(7)}/pause", {"reason": "系统维护"})
    await page.locator('.win[data-window="7"].win-paused').wait_for(timeout=1000)
    await page.wait_for_timeout(300)
    await screenshot(page, "lobby-1920x1080")

    portrait, _ = await open_screen(browser, hall, f"/displays/{code(hall)}/lobby", 1080, 1920)
    assert await portrait.locator("#now-number").inner_text() == number  # the snapshot's newest call
    assert await portrait.evaluate("document.body.classList.contains('portrait')")
    await screenshot(portrait, "lobby-1080x1920")


async def test_the_area_filter_shows_only_that_areas_windows(browser: Browser, hall: Hall) -> None:
    area = "异地通办区"
    page, _ = await open_screen(browser, hall, f"/displays/{code(hall)}/lobby?area={area}", 1920, 1080)
    expected = sorted(w["number"] for w in hall.layout["windows"] if w.get("area") == area)
    shown = await page.eval_on_selector_all(".win", "els => els.map(e => +e.dataset.window)")
    assert sorted(shown) == expected and expected
    await screenshot(page, "lobby-area")


async def test_the_window_screen_follows_its_window(browser: Browser, hall: Hall) -> None:
    clerk = await hall.clerk_at(5)
    page, audio = await open_screen(browser, hall, f"/displays/{code(hall)}/window/5", 1280, 720)
    assert "请稍候" in await page.locator("#win-status").inner_text()  # open and idle
    await hall.issue("A")
    status, body = await clerk.post(f"/api/v1/windows/{hall.window_id(5)}/call-next")
    assert status == 200
    number = body["ticket"]["number"]
    returned = time.monotonic()
    await page.wait_for_function("n => document.getElementById('win-ticket').textContent === n", arg=number,
                                 timeout=1000)
    assert time.monotonic() - returned < 1.0
    await wait_audio(audio)
    assert audio and f"ticket={number}" in audio[0]
    await screenshot(page, "window-called")
    await clerk.post(f"/api/v1/tickets/{body['ticket']['id']}/no-show")
    await clerk.post(f"/api/v1/windows/{hall.window_id(5)}/pause", {"reason": "午间休息"})
    await page.wait_for_function("() => document.getElementById('win-main').dataset.state === 'paused'",
                                 timeout=1000)
    assert "暂停服务" in await page.locator("#win-status").inner_text()
    assert await page.locator("#win-reason").inner_text() == "午间休息"
    await screenshot(page, "window-paused")


async def test_a_screen_without_a_token_is_sent_to_sign_in(browser: Browser, hall: Hall) -> None:
    page = await new_page(browser, hall)
    await page.goto(f"/displays/{code(hall)}/lobby")
    assert "/login" in page.url
