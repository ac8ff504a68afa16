"""The lobby and window screens in headless Chromium against the real server, fed by real calls."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Browser, Page, Request, expect

from tests.browser.conftest import CHROMIUM_ARGS, chromium, new_page, screenshot
from tests.conftest import Hall

# Long window names and two-digit window numbers: the widest entries a recent-call list holds.
WIDE_CALLS = [(9, "D"), (12, "F"), (27, "S"), (22, "K"), (28, "S"), (2, "A"), (25, "P"), (20, "J"), (9, "E"),
              (12, "F"), (27, "S")]


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
    await clerk.post(f"/api/v1/windows/{hall.window_id(5)}/close")
    await page.wait_for_function("() => document.getElementById('win-main').dataset.state === 'closed'",
                                 timeout=1000)
    assert await page.locator("#win-status").inner_text() == "暂停服务"
    assert await page.locator("#win-reason").inner_text() == "窗口未开放 Window closed"  # not a pause reason
    await screenshot(page, "window-closed")


async def make_calls(hall: Hall, plan: list[tuple[int, str]]) -> list[dict[str, Any]]:
    """One call per (window, queue), a second apart, by the floor manager; a window's previous ticket is
    finished first. Returns the called tickets, oldest first."""
    m = hall.manager
    current: dict[int, dict[str, Any]] = {}
    called = []
    for window, queue in plan:
        wid = hall.window_id(window)
        if window in current:
            for action in ("start", "finish"):
                status, body = await m.post(f"/api/v1/tickets/{current[window]['id']}/{action}", {})
                assert status == 200, body
        else:
            status, body = await m.post(f"/api/v1/windows/{wid}/open", {})
            assert status == 200, body
        await hall.issue(queue)
        status, body = await m.post(f"/api/v1/windows/{wid}/call-next")
        assert status == 200, body
        current[window] = body["ticket"]
        called.append(body["ticket"])
        hall.clock.advance(1)
    return called


RECENT_FIT_JS = """() => {
  const box = document.querySelector(".recent").getBoundingClientRect();
  const out = {shown: [], cut: [], hiddenNames: document.getElementById("recent").classList.contains("rc-no-names"),
               names: []};
  for (const li of document.querySelectorAll("#recent li")) {
    if (li.hidden) continue;
    out.shown.push(li.dataset.ticket);
    const r = li.getBoundingClientRect();
    const outside = r.bottom > box.bottom + 0.5 || r.left < box.left - 0.5 || r.right > box.right + 0.5;
    if (outside) out.cut.push(li.dataset.ticket);
    for (const sel of [".rc-no", ".rc-win"]) {
      const e = li.querySelector(sel), er = e.getBoundingClientRect();
      if (er.right > r.right + 0.5 || e.scrollWidth > e.clientWidth + 0.5) out.cut.push(li.dataset.ticket + sel);
    }
    out.names.push(li.querySelector(".rc-name").textContent);
  }
  return out;
}"""


async def test_recent_calls_fit_whole_at_every_screen_size(browser: Browser, hall: Hall) -> None:
    called = await make_calls(hall, WIDE_CALLS)
    # Newest first, without the call shown large; every entry shown whole, number and window uncut.
    expected = [t["number"] for t in reversed(called[:-1])]
    for w, h, at_least in ((1920, 1080, 8), (1080, 1920, 6), (1366, 768, 8), (1280, 720, 8), (1024, 768, 4)):
        page, _ = await open_screen(browser, hall, f"/displays/{code(hall)}/lobby?voice=off", w, h)
        assert await page.locator("#now-number").inner_text() == called[-1]["number"]
        fit = await page.evaluate(RECENT_FIT_JS)
        await screenshot(page, f"lobby-recent-{w}x{h}")
        assert fit["shown"] == expected[:len(fit["shown"])] and len(fit["shown"]) >= at_least, (w, h, fit)
        assert fit["cut"] == [], (w, h, fit)
        await page.context.close()


async def test_now_calling_shows_only_a_call_still_waiting_to_be_met(browser: Browser, hall: Hall) -> None:
    page, _ = await open_screen(browser, hall, f"/displays/{code(hall)}/lobby?voice=off", 1920, 1080)
    now_number = "() => document.getElementById('now-number')?.textContent ?? null"
    first, second = await make_calls(hall, [(2, "A"), (5, "B")])
    await page.wait_for_function(f"n => ({now_number})() === n", arg=second["number"], timeout=2000)
    # The newest call is missed: the one before it is still being called, so it comes back.
    status, _ = await hall.manager.post(f"/api/v1/tickets/{second['id']}/no-show", {})
    assert status == 200
    await page.wait_for_function(f"n => ({now_number})() === n", arg=first["number"], timeout=2000)
    assert "请到 2 号窗口" in await page.locator("#now-body").inner_text()
    assert await page.locator('.win[data-window="5"] .win-cur').inner_text() == "空闲"
    # Served: nobody is being called any more, the box rests and says so.
    status, _ = await hall.manager.post(f"/api/v1/tickets/{first['id']}/start", {})
    assert status == 200
    await page.wait_for_function(f"() => ({now_number})() === null", timeout=2000)
    idle = await page.locator("#now-body").inner_text()
    assert "请留意叫号" in idle and "Please listen for your number" in idle and "窗口" not in idle
    await screenshot(page, "lobby-idle")

    # A call still unanswered after the hold gives way to the resting state; a recall brings it back.
    hall.clock.advance(5)
    status, body = await hall.manager.post(f"/api/v1/windows/{hall.window_id(5)}/call-next")
    assert status == 204, body  # nobody waits for window 5: issue one
    third = await hall.issue("B")
    status, body = await hall.manager.post(f"/api/v1/windows/{hall.window_id(5)}/call-next")
    assert status == 200 and body["ticket"]["id"] == third["id"]
    await page.wait_for_function(f"n => ({now_number})() === n", arg=third["number"], timeout=2000)
    hall.clock.advance(61)
    await page.evaluate("hallopsBoard.live.refresh()")  # the screen learns the server's time on reconnect
    await page.wait_for_function(f"() => ({now_number})() === null", timeout=3000)
    assert await page.locator('.win[data-window="5"] .win-cur').inner_text() == third["number"]
    assert third["number"] in await page.locator("#recent").inner_text()
    status, _ = await hall.manager.post(f"/api/v1/tickets/{third['id']}/recall", {})
    assert status == 200
    await page.wait_for_function(f"n => ({now_number})() === n", arg=third["number"], timeout=2000)
    assert "重呼" in await page.locator("#now-body").inner_text()
    assert third["number"] not in await page.locator("#recent").inner_text()  # shown large, not twice


async def test_a_call_later_transferred_stays_in_recent_calls(browser: Browser, hall: Hall) -> None:
    page, _ = await open_screen(browser, hall, f"/displays/{code(hall)}/lobby?voice=off", 1920, 1080)
    moved, other = await make_calls(hall, [(2, "A"), (5, "B")])
    status, body = await hall.manager.post(f"/api/v1/tickets/{moved['id']}/transfer", {"queue": "C"})
    assert status == 200, body
    recent = page.locator("#recent")
    await page.wait_for_function("n => document.querySelector('#recent li[data-ticket=\"' + n + '\"]')",
                                 arg=moved["number"], timeout=2000)
    assert "→ 2 号窗口" in await recent.locator(f'li[data-ticket="{moved["number"]}"]').inner_text()
    # A fresh snapshot (a reconnect) keeps it: the hall heard that call.
    await page.evaluate("hallopsBoard.state.stale = true; hallopsBoard.live.refresh()")
    await page.wait_for_function("() => hallopsBoard.state && !hallopsBoard.state.stale", timeout=3000)
    assert await recent.locator(f'li[data-ticket="{moved["number"]}"]').count() == 1
    assert await page.locator("#now-number").inner_text() == other["number"]


@pytest.fixture
async def gesture_browser() -> AsyncIterator[Browser]:
    """Chromium with its default autoplay policy: no sound before someone touches the page."""
    async with chromium([a for a in CHROMIUM_ARGS if not a.startswith("--autoplay-policy")]) as b:
        yield b


async def test_refused_sound_asks_for_a_tap_and_plays_the_queued_call_after_it(gesture_browser: Browser,
                                                                             hall: Hall) -> None:
    # The screen asks as soon as it loads, before any call: whoever sets it up sees it.
    lobby, _ = await open_screen(gesture_browser, hall, f"/displays/{code(hall)}/lobby", 1920, 1080)
    gate = lobby.locator("#sound-gate")
    await gate.wait_for(state="visible", timeout=2000)
    text = await gate.inner_text()
    assert "点击任意处开启语音播报" in text and "Tap anywhere to enable sound" in text
    await screenshot(lobby, "lobby-sound-gate")

    # Where that early check cannot tell (no AudioContext), the refusal of a real call shows the gate and keeps
    # the call. Nothing is evaluated in the page before the refusal: Playwright's evaluate counts as a gesture.
    clerk = await hall.clerk_at(5)
    page = await new_page(gesture_browser, hall, 1366, 768)
    await page.add_init_script("delete window.AudioContext; delete window.webkitAudioContext;")
    audio: list[str] = []
    page.on("request", lambda req: audio.append(req.url) if "/announcement?" in req.url else None)
    warnings: list[str] = []
    page.on("console", lambda m: warnings.append(m.text))
    async with page.expect_websocket() as ws_info:
        await page.goto(f"/displays/{code(hall)}/window/5?token={hall.display.token}")
    ws = await ws_info.value
    await ws.wait_for_event("framereceived", lambda f: '"snapshot"' in str(f), timeout=3000)
    await hall.issue("A")
    async with page.expect_console_message(lambda m: "refused to play sound" in m.text, timeout=3000):
        status, body = await clerk.post(f"/api/v1/windows/{hall.window_id(5)}/call-next")
        assert status == 200
    number = body["ticket"]["number"]
    gate = page.locator("#sound-gate")
    assert await gate.is_visible()
    assert "待播报 1 条" in await page.locator("#sound-pending").inner_text()
    assert await page.evaluate("hallopsBoard.announcer.queue.map(i => i.ticket)") == [number]
    await screenshot(page, "window-sound-gate")
    await page.mouse.click(400, 300)
    await gate.wait_for(state="hidden", timeout=1000)
    await page.wait_for_function("() => hallopsBoard.announcer.played.length === 1", timeout=10000)
    assert await page.evaluate("hallopsBoard.announcer.played.map(i => i.ticket)") == [number]
    assert audio and all(f"ticket={number}" in u for u in audio)
    assert not [w for w in warnings if "using speech" in w], warnings  # the server's audio played, no fallback
    assert not await page.evaluate("hallopsBoard.announcer.blocked")


async def test_a_screen_without_a_token_is_sent_to_sign_in(browser: Browser, hall: Hall) -> None:
    page = await new_page(browser, hall)
    await page.goto(f"/displays/{code(hall)}/lobby")
    assert "/login" in page.url


async def test_a_wrong_or_revoked_screen_token_shows_a_staff_only_notice(browser: Browser, hall: Hall) -> None:
    """Citizens read the wall screens: a bad token shows "out of service" with a small staff line, never a link,
    a form or the staff sign-in; a token revoked while the screen runs brings the same notice within seconds."""
    page = await new_page(browser, hall, 1920, 1080)
    await page.goto(f"/displays/{code(hall)}/lobby?token=hop_not-a-token")
    await expect(page.locator("h1")).to_contain_text("本屏暂停服务")
    assert await page.locator("a, form, input, button").count() == 0
    assert "令牌无效或已吊销" in await page.locator(".screen-out-staff").inner_text()
    await screenshot(page, "lobby-bad-token")

    status, made = await hall.admin.post("/api/v1/tokens", {"role": "display", "hall": hall.hall_id,
                                                            "label": "lobby-east"})
    assert status == 201
    await page.goto(f"/displays/{code(hall)}/lobby?token={made['token']}")
    await page.wait_for_function("() => window.hallopsBoard && window.hallopsBoard.state !== null")
    status, _ = await hall.admin.delete(f"/api/v1/tokens/{made['id']}")
    assert status in (200, 204)
    await expect(page.locator("h1")).to_contain_text("本屏暂停服务", timeout=10000)
    assert await page.locator("a, form, input, button").count() == 0
