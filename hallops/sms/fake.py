"""Our local SMS provider, for the demo and the tests: it keeps what it was given (the demo's log shows it),
answers like a cloud does, and can be told to be down (`down = True`) or to refuse a number
(`refuse`), so the queue's retries and failures can be seen without a cloud account."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from hallops.sms import SmsFailed

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Sent:
    mobile: str
    kind: str
    params: dict[str, str]
    text: str


class FakeSms:
    def __init__(self) -> None:
        self.down = False
        self.refuse: set[str] = set()
        self.sent: list[Sent] = []
        self.attempts = 0

    async def send(self, mobile: str, kind: str, params: dict[str, str], text: str) -> str:
        self.attempts += 1
        await asyncio.sleep(0)
        if self.down:
            raise SmsFailed("fake SMS provider is down")
        if mobile in self.refuse:
            raise SmsFailed("number refused (blacklisted)", retry=False)
        self.sent.append(Sent(mobile, kind, dict(params), text))
        log.info("fake SMS to %s****%s: %s", mobile[:3], mobile[-4:], text)
        return f"fake-{len(self.sent)}"
