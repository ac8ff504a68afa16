"""Our local identity provider, for the demo and the tests: a real component with the city service's
behaviour, not a mock. It knows a few demo citizens; a scanned code is `YKM1:` and an ID number (what the
demo's printed identity codes carry); any other well-formed ID number with a name is taken as given (as the
real service would for a registered citizen), except those in `rejected`. Set `down = True` to make it
behave like a provider that does not answer."""

from __future__ import annotations

import asyncio

from hallops.domain.identity import Identity, IdentityRejected, IdentityUnavailable, id_checksum_ok

# Demo citizens (ID numbers with valid check digits; none is a real person's).
DEMO_PEOPLE: dict[str, tuple[str, str]] = {
    "50010119900101123X": ("张三华", "13800000001"),
    "500112195505053215": ("李秀英", "13800000002"),
    "510107198808080012": ("欧阳娜娜", "13800000003"),
}


class FakeIdentity:
    def __init__(self) -> None:
        self.down = False
        self.rejected: set[str] = set()
        self.calls = 0

    async def _answer(self) -> None:
        self.calls += 1
        await asyncio.sleep(0)
        if self.down:
            raise IdentityUnavailable("fake identity provider is down")

    async def resolve_code(self, code: str) -> Identity:
        await self._answer()
        prefix, _, number = code.partition(":")
        if prefix != "YKM1" or not id_checksum_ok(number) or number in self.rejected:
            raise IdentityRejected("unknown or expired code")
        name, mobile = DEMO_PEOPLE.get(number, ("市民", ""))
        return Identity(name, number, mobile)

    async def resolve_id(self, id_number: str, name: str) -> Identity:
        await self._answer()
        if id_number in self.rejected or not name:
            raise IdentityRejected("no such person")
        known = DEMO_PEOPLE.get(id_number)
        if known is not None and known[0] != name:
            raise IdentityRejected("name and number do not match")
        return Identity(name, id_number, known[1] if known else "")
