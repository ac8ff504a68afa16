"""How often a password may be guessed, decided before the password is checked.

Every sign-in attempt is counted *before* its hash is checked, under keys chosen by where it comes from
(`attempt_keys`); a key past its free attempts must wait a delay that doubles with each further failure.
A success forgets its account's failures. The keys are chosen so that a stranger cannot lock a clerk out:

- `addr:A` — every account from address A (a guesser trying many accounts). Generous: a centre's staff sit
  behind one office NAT or proxy (see `[security] trusted_proxies` for the real address behind a proxy).
- `acct:U@A` — account U from address A: the guesser's own address slows down fast.
- `acct:U` — account U from any device that has never signed in as U: guessing from many addresses.
- `dev:U/D` — account U from device D, a browser that signed in as U before (a signed cookie, see
  `known_device_cookie`): its own budget, so the clerk at their own counter is never held up by a stranger
  guessing their password elsewhere, and only there does a typo count.

Pure: the caller reads the counters (atomically, in the same transaction that counts the attempt) and passes
them in with the time now.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from hallops.domain.errors import E, TooManyRequests


@dataclass(frozen=True, slots=True)
class Budget:
    free: int  # failed attempts allowed before delays begin
    base_delay: float  # seconds to wait after the first failure past `free`; doubles with each further one
    max_delay: float
    forget_after: float  # seconds after the last attempt the count starts again


ADDRESS = Budget(free=50, base_delay=30.0, max_delay=900.0, forget_after=3600.0)
ACCOUNT_HERE = Budget(free=10, base_delay=30.0, max_delay=900.0, forget_after=3600.0)
ACCOUNT_UNKNOWN_DEVICES = Budget(free=20, base_delay=60.0, max_delay=3600.0, forget_after=6 * 3600.0)
KNOWN_DEVICE = Budget(free=10, base_delay=5.0, max_delay=300.0, forget_after=3600.0)
# A reset code has 80 bits (16 of 32 letters): guessing is hopeless, but the pages that take one are public,
# so an address that keeps offering wrong codes is slowed like a guesser of passwords.
RESET_ADDRESS = Budget(free=10, base_delay=60.0, max_delay=3600.0, forget_after=3600.0)
FORGET_ROWS_AFTER = 24 * 3600.0  # counters untouched this long are deleted


@dataclass(frozen=True, slots=True)
class Count:
    failures: int
    last_at: float


def attempt_keys(username: str, address: str | None, device: str | None) -> dict[str, Budget]:
    """The keys an attempt is counted under, with their budgets. `device`: the id of a known device of
    this account (from a cookie this server signed), or None."""
    user = username.strip().lower()[:128]
    if device is not None:
        return {f"dev:{user}/{device}": KNOWN_DEVICE}
    addr = address or "?"
    return {f"addr:{addr}": ADDRESS, f"acct:{user}@{addr}": ACCOUNT_HERE, f"acct:{user}": ACCOUNT_UNKNOWN_DEVICES}


def reset_keys(address: str | None) -> dict[str, Budget]:
    """The key a reset-code attempt is counted under: its address (there is no account to name yet)."""
    return {f"reset:{address or '?'}": RESET_ADDRESS}


def forgotten_on_success(keys: Mapping[str, Budget]) -> tuple[list[str], list[str]]:
    """(keys to forget, keys to count one less) once the password was right: this account's failures from
    here are forgiven; the address and the account-wide counts only lose the attempt that succeeded."""
    forget = [k for k in keys if k.startswith("dev:") or "@" in k]
    less = [k for k in keys if k not in forget]
    return forget, less


def delay(budget: Budget, failures: int) -> float:
    if failures < budget.free:
        return 0.0
    return min(budget.max_delay, budget.base_delay * 2.0 ** min(failures - budget.free, 30))


def current(count: Count | None, budget: Budget, now: float) -> int:
    """Failures that still count (a key quiet for `forget_after` starts again)."""
    if count is None or now - count.last_at >= budget.forget_after:
        return 0
    return count.failures


def wait_seconds(count: Count | None, budget: Budget, now: float) -> float:
    failures = current(count, budget, now)
    if failures < budget.free or count is None:
        return 0.0
    return max(0.0, count.last_at + delay(budget, failures) - now)


def check(counts: Mapping[str, Count | None], keys: Mapping[str, Budget], now: float) -> dict[str, int]:
    """Refuse the attempt (TooManyRequests, with Retry-After) while any key must wait; else the counts after
    this attempt, to store."""
    wait = max((wait_seconds(counts.get(k), b, now) for k, b in keys.items()), default=0.0)
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        minutes = max(1, math.ceil(seconds / 60))
        raise TooManyRequests(E.TOO_MANY_ATTEMPTS, f"登录失败次数过多，请 {minutes} 分钟后再试 "
                                                   "(too many failed sign-ins; try again later)",
                              retry_after=seconds)
    return {k: current(counts.get(k), b, now) + 1 for k, b in keys.items()}


# -- known devices -------------------------------------------------------------------------------------------
# A browser that signed in as U carries "<id>.<HMAC(key, U|id)>" in its device cookie (up to MAX_DEVICES
# accounts, joined by "~"): the server, not the browser, says which devices are known.

MAX_DEVICES = 8


def _mac(key: bytes, username: str, device_id: str) -> str:
    msg = f"known-device:{username.strip().lower()}|{device_id}".encode()
    return base64.urlsafe_b64encode(hmac.new(key, msg, hashlib.sha256).digest()[:18]).decode()


def known_device(key: bytes, cookie: str | None, username: str) -> str | None:
    """The id of the device this cookie proves known for `username`, or None."""
    for entry in (cookie or "").split("~")[:MAX_DEVICES]:
        device_id, dot, mac = entry.partition(".")
        if dot and 16 <= len(device_id) <= 32 and device_id.isascii() and device_id.isalnum() and \
                hmac.compare_digest(mac.encode(), _mac(key, username, device_id).encode()):
            return device_id
    return None


def known_device_cookie(key: bytes, cookie: str | None, username: str) -> str:
    """The cookie after a successful sign-in as `username`: this account added (or kept), the oldest dropped."""
    if known_device(key, cookie, username) is not None:
        return cookie or ""
    device_id = secrets.token_hex(12)
    entries = [e for e in (cookie or "").split("~") if e][: MAX_DEVICES - 1]
    return "~".join([f"{device_id}.{_mac(key, username, device_id)}", *entries])
