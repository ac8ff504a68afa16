"""Who a citizen is (一码取号): what an identity provider answers, how it is shown, and the port to ask it.

Screens, slips and the phone page show a person only masked: 张*华, 5001**********1234, 138****5678. A person
is counted (daily limits, missed bookings) by `person_key`, an HMAC of the ID number under the server's key:
stable, but naming nobody once the key is not at hand.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Protocol

from hallops.domain.errors import E, InvalidInput

ID_RE = re.compile(r"^\d{17}[\dX]$")
CODE_RE = re.compile(r"^[A-Za-z0-9:_\-.=+/]{8,256}$")  # what a scanner types for an identity QR code
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


@dataclass(frozen=True, slots=True)
class Identity:
    """A person as the identity provider names them."""

    name: str
    id_number: str
    mobile: str = ""  # the number the provider holds, if it gives one


class IdentityProvider(Protocol):
    """The city's identity service (渝快码), or our local fake. Raises `IdentityUnavailable` when it cannot
    answer now and `IdentityRejected` when the code or number is unknown, expired or revoked."""

    async def resolve_code(self, code: str) -> Identity: ...

    async def resolve_id(self, id_number: str, name: str) -> Identity: ...


class IdentityUnavailable(Exception):
    """The provider did not answer (down, timeout, bad reply): try again, or take an ordinary ticket."""


class IdentityRejected(Exception):
    """The provider answered: no such person, or the code expired."""


def id_checksum_ok(number: str) -> bool:
    """GB 11643-1999: the 18th sign is the ISO 7064 MOD 11-2 check of the first 17."""
    if not ID_RE.match(number):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _WEIGHTS, strict=True))
    return _CHECK[total % 11] == number[17]


def normalize_id(text: str) -> str:
    n = re.sub(r"\s", "", text or "").upper()
    if not id_checksum_ok(n):
        raise InvalidInput(E.BAD_ID_NUMBER, "身份证号码有误，请核对 (not a valid resident ID number)",
                           field="id_number")
    return n


def normalize_code(text: str) -> str:
    c = (text or "").strip()
    if not CODE_RE.match(c):
        raise InvalidInput(E.BAD_IDENTITY_CODE, "未能识别该码，请重新扫码 (not an identity code)", field="code")
    return c


def normalize_mobile(text: str) -> str:
    """A mainland mobile number, 11 digits (a leading +86 or 86 and spaces are dropped)."""
    n = re.sub(r"[\s-]", "", text or "")
    n = re.sub(r"^(\+?86)(?=1\d{10}$)", "", n)
    if not MOBILE_RE.match(n):
        raise InvalidInput(E.BAD_MOBILE, "请输入 11 位手机号码 (an 11-digit mainland mobile number)", field="mobile")
    return n


def mask_name(name: str) -> str:
    """张华 → 张*, 张三华 → 张*华, 欧阳娜娜 → 欧**娜; a Latin name keeps its first and last letter."""
    n = (name or "").strip()
    if len(n) <= 1:
        return n
    if len(n) == 2:
        return n[0] + "*"
    return n[0] + "*" * (len(n) - 2) + n[-1]


def mask_id(number: str) -> str:
    """5001**********1234: the region's first four and the last four."""
    return number[:4] + "*" * (len(number) - 8) + number[-4:] if len(number) > 8 else "*" * len(number)


def mask_mobile(number: str) -> str:
    return number[:3] + "****" + number[-4:] if len(number) == 11 else "*" * len(number)


def person_key(secret: bytes, id_number: str) -> str:
    return hmac.new(secret, b"person|" + id_number.encode(), hashlib.sha256).hexdigest()[:32]
