"""Screens after a server restart: each comes back after its own random wait (full jitter, web/static/js/live.js),
resumes after the last event it saw, and shows the calls made while it was away, once."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import WSCloseCode
from playwright.async_api import Browser, Page

from hallops.events import stream
from hallops.http.live import SOCKETS
from tests.browser.conftest import new_page
from tests.browser.test_displays import code, make_calls
from tests.conftest import Hall

SCREENS = 4
FIRST_RETRY_MS = 3000

# Every websocket the page opens and when (performance.now()), and when each one closed.
WATCH_SOCKETS = """(() => {
  const Native = window.WebSocket;
  window.socketLog = [];
  window.WebSocket = function (url, protocols) {
    const ws = new Native(url, protocols);
    const entry = { url: String(url), opened: performance.now(), closed: null };
    window.socketLog.push(entry);
    ws.addEventListener("close", () => { entry.closed = performance.now(); });
    return ws;
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
})();"""

RECENT_AND_NOW = """() => ({
  now: document.getElementById('now-number')?.textContent ?? null,
  recent: [...document.querySelectorAll('#recent li')].map(li => li.dataset.ticket),
  seq: hallopsBoard.live.seq,
  retry: hallopsBoard.live.lastRetryMs,
  log: window.socketLog,
})"""


async def lobby(browser: Browser, hall: Hall) -> Page:
    page = await new_page(browser, hall, 1280, 720)
    await page.add_init_script(WATCH_SOCKETS)
    await page.goto(f"/displays/{code(hall)}/lobby?voice=off&token={hall.display.token}")
    await page.wait_for_function("() => window.hallopsBoard && hallopsBoard.live.status === 'open'")
    return page


async def test_after_a_restart_each_screen_waits_its_own_jittered_time_and_shows_what_it_missed(
        browser: Browser, hall: Hall) -> None:
    pages = [await lobby(browser, hall) for _ in range(SCREENS)]
    before = await pages[0].evaluate("hallopsBoard.live.seq")
    sockets = list(hall.client.server.app[SOCKETS])
    assert len(sockets) == SCREENS
    # What the server's shutdown does: every screen is told it is going away, at the same instant.
    await asyncio.gather(*(stream.close_socket(ws, WSCloseCode.GOING_AWAY, b"server shutdown") for ws in sockets))
    called = await make_calls(hall, [(2, "A"), (5, "B")])  # while the screens are away
    numbers = [t["number"] for t in called]
    for page in pages:
        await page.wait_for_function("n => document.getElementById('now-number')?.textContent === n",
                                     arg=numbers[-1], timeout=FIRST_RETRY_MS + 5000)
    seen: list[dict[str, Any]] = [await p.evaluate(RECENT_AND_NOW) for p in pages]
    waits = []
    for s in seen:
        first, again = s["log"][0], s["log"][1]
        assert first["closed"] is not None and len(s["log"]) == 2  # one reconnect each
        assert 0 <= s["retry"] < FIRST_RETRY_MS  # the first retry: anywhere in the first window
        waited = again["opened"] - first["closed"]
        assert s["retry"] - 50 <= waited < s["retry"] + 1000, (waited, s["retry"])  # it waited its own time
        waits.append(waited)
        assert f"after={before}" in again["url"]  # resumed after the last event it had seen
        assert s["now"] == numbers[-1] and s["recent"].count(numbers[0]) == 1  # each missed call, once
    assert max(waits) - min(waits) > 100  # each screen its own wait, not one instant
    print("reconnected after (ms):", sorted(round(w) for w in waits))


async def test_the_first_retries_of_many_screens_spread_over_the_whole_window(browser: Browser, hall: Hall) -> None:
    page = await lobby(browser, hall)
    spread = await page.evaluate("""() => {
      const d = Array.from({ length: 3000 }, () => hallops.live.retryDelay(0));
      const tenths = Array(10).fill(0);
      for (const x of d) tenths[Math.min(9, Math.floor(x / 300))] += 1;
      return { tenths, min: Math.min(...d), max: Math.max(...d),
               windows: [0, 1, 2, 3, 4, 20].map(a => hallops.live.retryDelay(a, 1)) };
    }""")
    # 3,000 screens dropped at once come back about a thousand a second, not in the same 100 ms.
    assert spread["min"] >= 0 and spread["max"] < FIRST_RETRY_MS
    assert min(spread["tenths"]) > 200 and max(spread["tenths"]) < 400, spread["tenths"]
    assert spread["windows"] == [3000, 6000, 12000, 15000, 15000, 15000]
