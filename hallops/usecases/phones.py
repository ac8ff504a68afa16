"""Phone ticketing (一码取号): naming the phone (a signed device cookie), taking and taking back a ticket under
the domain's limits (hallops/domain/phones.py), and what the phone page shows and follows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hallops.domain import phones as rules
from hallops.domain import ratelimit
from hallops.domain.errors import E, NotFound
from hallops.domain.lines import HallLines
from hallops.usecases.bundles import Bundles
from hallops.usecases.kiosk import wait_words
from hallops.usecases.tickets import Tickets

if TYPE_CHECKING:
    from hallops.usecases import Context

ENDED_AT_A_WINDOW = frozenset({"done", "no_show"})


def _shows_window(status: dict[str, Any]) -> bool:
    """Whether the phone names the ticket's window: while it is at one, and after it was served or missed."""
    return status.get("window") is not None or status["status"] in ENDED_AT_A_WINDOW


@dataclass(frozen=True, slots=True)
class PhonePage:
    status: dict[str, Any]
    can_cancel: bool
    hall_code: str


@dataclass(frozen=True, slots=True)
class Following:
    """Where a phone's live socket starts: the ticket as its news sees it, in its hall."""

    hall_id: int
    ticket: rules.Followed


class Phones:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.port = ctx.ports.phones

    # -- the phone's device id (signed) -----------------------------------------------------------------

    async def identify(self, cookie: str | None) -> str | None:
        """The device a cookie names, if the server signed it."""
        return ratelimit.device_from_cookie(await self.port.device_key(), cookie)

    async def new_device(self) -> tuple[str, str]:
        """A fresh device: (its id, the signed cookie value)."""
        return ratelimit.new_device_cookie(await self.port.device_key())

    # -- tickets ----------------------------------------------------------------------------------------

    async def take(self, *, hall_id: int, queue: str | int, priority: str, cookie: str | None, address: str,
                   idempotency: tuple[str, str] | None) -> tuple[dict[str, Any], bool]:
        """Issue a phone ticket: never a priority one, only to a device the server named, under the device's
        and the address's hourly limits (checked in the issuing transaction). A retry with the same
        Idempotency-Key gives the same ticket, uncounted."""
        rules.check_no_priority(priority)
        device = rules.check_device(await self.identify(cookie))
        return await self.port.issue(rules.check_issue, hall_id=hall_id, queue=queue, device=device,
                                     address=address, idempotency=idempotency)

    async def take_bundle(self, *, hall_id: int, bundle_id: int, cookie: str | None, address: str,
                          idempotency: tuple[str, str] | None) -> tuple[dict[str, Any], bool]:
        """A bundle's ticket (一件事一次办) from the phone: issued at its first stop under the same limits as any
        phone ticket, then routed like the kiosk's. Another hall's bundle does not exist here."""
        bundle = await Bundles(self.ctx).start(bundle_id)
        if int(bundle["hall_id"]) != hall_id:
            raise NotFound(E.BUNDLE_NOT_FOUND, f"一件事不存在 (no bundle {bundle_id})")
        device = rules.check_device(await self.identify(cookie))
        return await self.port.issue(rules.check_issue, hall_id=hall_id, queue=int(bundle["stops"][0]),
                                     device=device, address=address, idempotency=idempotency, bundle_id=bundle_id)

    async def cancel(self, token: str, cookie: str | None) -> dict[str, Any]:
        """The phone that took a ticket takes it back while it still waits (a few times an hour at most)."""
        return await self.port.cancel(rules.check_cancel, token=token, device=await self.identify(cookie))

    # -- the phone page ---------------------------------------------------------------------------------

    async def status(self, token: str) -> dict[str, Any]:
        """What the phone page shows: the public status with the wait in words (both languages), and for a
        served or missed ticket the window that served or called it (the core's public status names a
        window only while the ticket is at one)."""
        st = await Tickets(self.ctx).status(token)
        zh, en = wait_words(st)
        st = st | {"wait_zh": zh, "wait_en": en}
        if _shows_window(st):
            # The window's English name too: English mode names it (issue 15 item 8).
            w = await self.port.last_window(token)
            if w is not None:
                if st.get("window") is None:
                    st |= {"window": w["number"], "window_name": w["name"]}
                st |= {"window_name_en": w["name_en"] or ""}
        return st

    async def live_status(self, token: str, *, place: bool = True) -> dict[str, Any]:
        """The status a live socket follows: `status`, and the ticket's newest event as "own_event" (read
        after the status, so at least as new), which names the news the phone is told with it.
        `place=False`: the same in one read, without a waiting ticket's place in line (the socket takes it
        from the hall's lines in memory)."""
        if place:
            st = await self.status(token)
            return st | {"own_event": await self.port.last_event(token)}
        own = await self.port.own(token)
        if own is None:
            raise NotFound(E.TICKET_NOT_FOUND, "号票不存在 (no such ticket)")
        window_id, name_en = own.pop("window_id"), own.pop("window_name_en")
        st = own | {"wait_zh": "", "wait_en": ""}  # words for a wait come with the place in line
        if window_id is not None and _shows_window(st):
            st |= {"window_name_en": name_en or ""}
        return st

    async def lines(self, hall_id: int) -> HallLines:
        """The hall's waiting lines and the inputs of its wait estimates, to hold in memory and move with its
        events (hallops/domain/lines.py)."""
        return await self.port.lines(hall_id)

    def now(self) -> float:
        return self.ctx.clock()

    async def page(self, token: str, cookie: str | None) -> PhonePage:
        st = await self.status(token)
        ref = await self.port.ticket_ref(token)
        mine = rules.may_cancel(await self.port.device_of(token), await self.identify(cookie))
        return PhonePage(st, mine, ref["hall_code"] if ref else "")

    async def hall_of_ticket(self, token: str) -> int:
        ref = await self.port.ticket_ref(token)
        if ref is None:
            raise NotFound(E.TICKET_NOT_FOUND, "号票不存在 (no such ticket)")
        return int(ref["hall_id"])

    async def follow(self, token: str) -> Following:
        """What a live socket needs to pick this ticket's news from the hall's events."""
        ref = await self.port.ticket_ref(token)
        if ref is None:
            raise NotFound(E.TICKET_NOT_FOUND, "号票不存在 (no such ticket)")
        windows = await self.port.windows_serving(ref["queue_id"])
        return Following(int(ref["hall_id"]), rules.Followed(int(ref["id"]), int(ref["queue_id"]), ref["queue"],
                                                             windows))

    async def take_page(self, hall_id: int) -> dict[str, Any]:
        """The hall's phone-ticket settings, for the take-a-ticket page."""
        return await self.ctx.ports.kiosk.settings(hall_id)
