"""Limits on phone tickets (一码取号), so nobody can drain a queue from one phone, and the signed device id
that the per-device limit counts by.

Pure: the caller reads the recent issue times from storage and passes them in with the time now, and
passes the signing key in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from hallops.domain.errors import E, TooManyRequests

HOUR = 3600.0
# A phone ticket cancelled this soon after it was taken was a mis-tap: it does not count against the phone.
REFUND_SECONDS = 600.0
# Cancels per phone and hour: with the refund above, each cancel gives one ticket back, so this bounds
# how many more tickets a phone can take (and how many numbers it can burn) in an hour.
CANCELS_PER_HOUR = 2
_DEVICE_ID = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


@dataclass(frozen=True, slots=True)
class Limit:
    what: str  # "device" or "address": named in the refusal so support can tell which one bit
    per_hour: int


def retry_after(times: Sequence[float], now: float, limit: Limit) -> float:
    """Seconds until one more ticket is allowed under `limit` (0: allowed now)."""
    recent = sorted(t for t in times if now - HOUR < t <= now)
    if limit.per_hour <= 0:
        return math.inf
    if len(recent) < limit.per_hour:
        return 0.0
    # The oldest ticket that still counts must leave the window before another fits.
    return recent[len(recent) - limit.per_hour] + HOUR - now


def check(times: Sequence[float], now: float, limit: Limit) -> None:
    wait = retry_after(times, now, limit)
    if wait <= 0:
        return
    if math.isinf(wait):
        raise TooManyRequests(E.MOBILE_DISABLED, "本大厅暂不支持手机取号，请到自助取号机取号 "
                                                 "(phone tickets are off here; use a kiosk)")
    minutes = max(1, math.ceil(wait / 60))
    raise TooManyRequests(E.RATE_LIMITED,
                          f"取号过于频繁，请 {minutes} 分钟后再试，或到自助取号机取号 "
                          f"(too many tickets from this {limit.what}; try again in {minutes} min)",
                          retry_after=math.ceil(wait), limit=limit.per_hour, scope=limit.what)


def check_cancel(times: Sequence[float], now: float) -> None:
    """`times`: when this phone cancelled its tickets lately."""
    wait = retry_after(times, now, Limit("device", CANCELS_PER_HOUR))
    if wait > 0:
        minutes = max(1, math.ceil(wait / 60))
        raise TooManyRequests(E.CANCEL_LIMITED,
                              f"取消过于频繁，请 {minutes} 分钟后再试，或到服务台咨询 "
                              f"(too many cancels from this phone; try again in {minutes} min)",
                              retry_after=math.ceil(wait), limit=CANCELS_PER_HOUR)


# -- the device id -------------------------------------------------------------------------------------
# The per-device limit is only worth something if the server, not the phone, names devices: the cookie is
# "<random id>.<HMAC-SHA256 of it>", and a cookie the server did not sign names no device.

def _mac(key: bytes, device_id: str) -> str:
    digest = hmac.new(key, b"device:" + device_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def new_device_cookie(key: bytes) -> tuple[str, str]:
    """A fresh device: (its id, the signed cookie value)."""
    device_id = secrets.token_urlsafe(18)
    return device_id, f"{device_id}.{_mac(key, device_id)}"


def device_from_cookie(key: bytes, cookie: str | None) -> str | None:
    """The device id a cookie names, or None when the server did not sign it."""
    device_id, dot, mac = (cookie or "").partition(".")
    if not dot or not _DEVICE_ID.match(device_id):
        return None
    return device_id if hmac.compare_digest(mac.encode(), _mac(key, device_id).encode()) else None
