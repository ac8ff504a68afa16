"""Signing in without letting guesses through or slowing the hall (issue 14).

In order: the attempt is counted under its keys before anything else (domain/limits.py decides, inside the
transaction that counts, so concurrent guesses see each other and the throttle holds under concurrency);
then the password hash is checked in one of a few slots (`[security] hash_concurrency`), so a flood of
guesses queues for slots instead of taking every core from the hall; a guess that cannot get a slot soon is
refused as busy. A success forgives this account's failures from here and marks the browser as a known
device of the account.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from hallops.domain import limits
from hallops.domain.errors import E, TooManyRequests, Unauthorized

if TYPE_CHECKING:
    from hallops.usecases import Context

DEVICE_KEY = "known-device"
HASH_WAIT_SECONDS = 5.0


class SignIn:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.accounts = ctx.ports.accounts
        self.counters = ctx.ports.signin

    async def __call__(self, username: str, password: str, address: str | None, device_cookie: str | None
                       ) -> tuple[dict[str, Any], str, str, str]:
        """(the user, the session id, the CSRF token, the device cookie to set)."""
        key = await self.ctx.ports.keys.key(DEVICE_KEY)
        device = limits.known_device(key, device_cookie, username)
        keys = limits.attempt_keys(username, address, device)
        now = self.ctx.clock()
        await self.counters.count_attempt(list(keys), lambda counts: limits.check(counts, keys, now))
        user = await self._check_password(username, password)
        if user is None:
            raise Unauthorized(E.BAD_CREDENTIALS, "用户名或密码错误 (wrong username or password)")
        await self.counters.succeeded(*limits.forgotten_on_success(keys))
        sid, csrf = await self.accounts.create_session(user["id"], self.ctx.config.security.session_hours)
        return user, sid, csrf, limits.known_device_cookie(key, device_cookie, username)

    async def _check_password(self, username: str, password: str) -> dict[str, Any] | None:
        slots = self.counters.hash_slots(self.ctx.config.security.hash_concurrency)
        try:
            await asyncio.wait_for(slots.acquire(), HASH_WAIT_SECONDS)
        except TimeoutError:
            raise TooManyRequests(E.TOO_MANY_ATTEMPTS, "登录请求过多，请稍后再试 (too many sign-ins at once; retry)",
                                  retry_after=5) from None
        try:
            return await self.accounts.authenticate(username, password)
        finally:
            slots.release()
