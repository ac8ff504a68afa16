"""Sign-in that cannot be abused (issue 14): throttled before the hash and under concurrency, hash checks
bounded, delays per account that a stranger cannot turn into a lock-out, per-address limits behind a proxy."""

from __future__ import annotations

import asyncio
import statistics
import time

import pytest
from aiohttp.test_utils import TestClient

from hallops.config import Config
from tests.conftest import Api, Hall

WRONG = {"username": "clerk3", "password": "guess-1234"}
RIGHT = {"username": "clerk3", "password": "demo-clerk"}


@pytest.fixture
def config(config: Config) -> Config:
    """Behind a reverse proxy on loopback: X-Forwarded-For names the client."""
    return config.model_copy(update={"security": config.security.model_copy(
        update={"trusted_proxies": ["127.0.0.1/32", "::1/128"]})})


async def _browser(hall: Hall) -> Api:
    c = TestClient(hall.client.server)  # a cookie jar of its own: one browser
    await c.start_server()
    hall._extra_clients.append(c)
    return Api(c)


def _from(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": f"203.0.113.250, {address}"}  # the left hop is the client's claim: not believed


async def test_100_concurrent_guesses_get_10_tries_and_the_rest_429(hall: Hall) -> None:
    started = time.monotonic()
    answers = await asyncio.gather(*(hall.anon.post("/api/v1/session", WRONG, headers=_from("198.51.100.7"))
                                     for _ in range(100)))
    took = time.monotonic() - started
    statuses = sorted(s for s, _ in answers)
    assert statuses.count(401) == 10 and statuses.count(429) == 90, statuses
    assert all(b["error"] == "too_many_attempts" for s, b in answers if s == 429)
    print(f"100 concurrent guesses: 10 × 401, 90 × 429 in {took:.2f} s")
    # The right password from the guessing address is refused too, before it is checked.
    status, body = await hall.anon.post("/api/v1/session", RIGHT, headers=_from("198.51.100.7"))
    assert status == 429 and body["detail"]["retry_after"] >= 1


async def test_guessing_does_not_slow_ticket_issuing(hall: Hall) -> None:
    async def issue_times(n: int) -> list[float]:
        out = []
        for _ in range(n):
            t = time.monotonic()
            await hall.issue("A")
            out.append((time.monotonic() - t) * 1000)
        return out

    quiet = statistics.median(await issue_times(20))
    guesses = [hall.anon.post("/api/v1/session", {"username": f"nobody{i}", "password": "x" * 12},
                              headers=_from(f"198.51.100.{i}")) for i in range(60)]
    busy_task = asyncio.gather(*guesses)
    busy = statistics.median(await issue_times(20))
    await busy_task
    print(f"ticket issue p50: {quiet:.1f} ms quiet, {busy:.1f} ms under 60 concurrent sign-in guesses")
    assert busy < max(60.0, quiet * 4)


async def test_a_stranger_cannot_lock_a_clerk_out_of_a_known_device(hall: Hall) -> None:
    counter_pc = await _browser(hall)
    status, _ = await counter_pc.post("/api/v1/session", RIGHT, headers=_from("10.1.1.5"))
    assert status == 200  # the clerk's own PC is now a known device of clerk3
    # A stranger guesses from 30 addresses, 3 tries each: the account is locked for unknown devices.
    results = []
    for i in range(30):
        for _ in range(3):
            results.append((await hall.anon.post("/api/v1/session", WRONG, headers=_from(f"198.51.100.{i}")))[0])
    assert results.count(401) == 20 and results.count(429) == 70
    # Another unknown browser, even with the right password, waits ...
    status, _ = await (await _browser(hall)).post("/api/v1/session", RIGHT, headers=_from("10.1.1.6"))
    assert status == 429
    # ... but the clerk at the counter PC signs in as usual, from the same office address.
    status, body = await counter_pc.post("/api/v1/session", RIGHT, headers=_from("10.1.1.6"))
    assert status == 200 and body["user"]["username"] == "clerk3"


async def test_delays_double_with_each_further_failure(hall: Hall) -> None:
    for _ in range(10):
        assert (await hall.anon.post("/api/v1/session", WRONG, headers=_from("198.51.100.9")))[0] == 401
    waits = []
    for _ in range(3):
        status, body = await hall.anon.post("/api/v1/session", WRONG, headers=_from("198.51.100.9"))
        assert status == 429
        waits.append(body["detail"]["retry_after"])
        hall.clock.advance(body["detail"]["retry_after"])
        assert (await hall.anon.post("/api/v1/session", WRONG, headers=_from("198.51.100.9")))[0] == 401
    assert waits == [30, 60, 120]


def test_forwarded_for_is_believed_only_from_a_trusted_proxy(config: Config) -> None:
    from aiohttp import web
    from aiohttp.test_utils import make_mocked_request

    from hallops.http.client import client_address
    from hallops.http.keys import CONFIG

    app = web.Application()
    app[CONFIG] = config  # trusts 127.0.0.1 (the module's fixture)

    def ask(peer: str, forwarded: str) -> str:
        req = make_mocked_request("POST", "/api/v1/session", headers={"X-Forwarded-For": forwarded}, app=app)
        req._transport_peername = (peer, 40000)  # type: ignore[attr-defined]
        return client_address(req)

    assert ask("127.0.0.1", "203.0.113.9, 198.51.100.4") == "198.51.100.4"  # the proxy's own hop
    assert ask("127.0.0.1", "198.51.100.4, 127.0.0.1") == "198.51.100.4"  # through two trusted hops
    assert ask("10.9.9.9", "198.51.100.4") == "10.9.9.9"  # not a proxy: the header is the client's claim
    assert ask("127.0.0.1", "not-an-address") == "127.0.0.1"
