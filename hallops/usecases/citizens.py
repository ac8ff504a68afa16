"""The citizen's side (issue 15): search, 一码取号 (identify, then a real-name ticket or the booking checked in),
"my tickets" of a phone, a text before one's turn, booking from the phone, and the background work: scanning
subscriptions, sending the SMS queue (retried, rate-limited per number, never in a request) and erasing
personal data after the hall's retention.

The identity provider and the SMS provider are ports (`hallops.domain.identity.IdentityProvider`,
`hallops.sms.SmsProvider`) built from the configuration; the fakes are real components the tests can turn
down.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from hallops import identity as identity_providers
from hallops import sms as sms_providers
from hallops.domain import appointments as ap
from hallops.domain import booking
from hallops.domain import identity as idn
from hallops.domain import search as srch
from hallops.domain import sms as smsrules
from hallops.domain.actors import Actor
from hallops.domain.errors import E, InvalidInput, TooManyRequests, Unavailable
from hallops.domain.model import Channel, Role
from hallops.domain.numbering import service_day
from hallops.usecases.halls import Halls
from hallops.usecases.kiosk import PUBLIC_ACTOR

if TYPE_CHECKING:
    from hallops.usecases import Context

log = logging.getLogger(__name__)
PERSON_KEY = "person"


class Citizens:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.port = ctx.ports.citizens
        self.identity = identity_providers.build(ctx.config.identity)
        self.sms = sms_providers.build(ctx.config.sms)
        self._index: dict[int, tuple[tuple[Any, ...], list[srch.Entry]]] = {}

    # -- time ------------------------------------------------------------------------------------------

    def day_start(self, timezone: str) -> float:
        """The start of the hall's service day now (UNIX seconds)."""
        tz = ZoneInfo(timezone)
        now = dt.datetime.fromtimestamp(self.ctx.clock(), dt.UTC)
        day = service_day(now, tz, self.ctx.ports.rules.rollover)
        return dt.datetime.combine(day, self.ctx.ports.rules.rollover, tzinfo=tz).timestamp()

    # -- search ----------------------------------------------------------------------------------------

    async def search(self, hall_id: int, query: str, limit: int) -> list[dict[str, Any]]:
        if len(query) > srch.MAX_QUERY:
            raise InvalidInput(E.BAD_QUERY, f"搜索词最多 {srch.MAX_QUERY} 个字 (at most {srch.MAX_QUERY} characters)",
                               field="q")
        halls = Halls(self.ctx)
        layout, state, settings = await asyncio.gather(halls.layout(PUBLIC_ACTOR, hall_id),
                                                       halls.state(PUBLIC_ACTOR, hall_id),
                                                       self.ctx.ports.kiosk.settings(hall_id))
        key = tuple((i["name"], i["name_en"], i["queue"], i["active"]) for i in layout["service_items"]) + tuple(
            (q["prefix"], q["kind"], q["active"]) for q in layout["queues"])
        cached = self._index.get(hall_id)
        if cached is None or cached[0] != key:
            cached = (key, srch.entries(layout))
            self._index[hall_id] = cached
        hits = srch.search(query, cached[1], integrated_first=settings["search_integrated_first"], limit=limit)
        waiting = {q["prefix"]: q["waiting"] for q in state["queues"]}
        names = {q["prefix"]: (q["name"], q["name_en"] or "") for q in layout["queues"]}
        return srch.hits_json(hits, waiting, names)

    async def search_bundles(self, hall_id: int, query: str, limit: int) -> list[int]:
        """The ids of the hall's bundles whose name matches, best first (the menu has the rest of them)."""
        if len(query) > srch.MAX_QUERY:
            return []  # `search` says why
        return srch.bundles(query, await self.ctx.ports.bundles.offered(hall_id), limit)

    # -- 一码取号 --------------------------------------------------------------------------------------

    async def identify(self, actor: Actor, hall: dict[str, Any], *, code: str | None, id_number: str | None,
                       name: str | None) -> dict[str, Any]:
        """Ask the identity provider who a scanned code or a typed ID number (help desk) is; a short session
        for the ticket that follows, the person masked, their tickets and booking of the day."""
        actor.check_hall(hall["id"])
        if code:
            person = await self._ask(self.identity.resolve_code(idn.normalize_code(code)))
        else:
            person = await self._ask(self.identity.resolve_id(idn.normalize_id(id_number or ""), (name or "").strip()))
        return await self._session(hall, person)

    async def _ask(self, call: Any) -> idn.Identity:
        try:
            person: idn.Identity = await call
            return person
        except idn.IdentityUnavailable as e:
            log.warning("identity provider unavailable: %s", e)
            raise Unavailable(E.IDENTITY_UNAVAILABLE,
                              "身份核验服务暂不可用，请直接选择业务取普通号 "
                              "(identity service unavailable: take an ordinary ticket)") from None
        except idn.IdentityRejected:
            raise InvalidInput(E.IDENTITY_REJECTED, "未能核验身份，请重新扫码或到服务台 "
                                                    "(could not verify who you are: scan again or ask staff)") from None

    async def _session(self, hall: dict[str, Any], person: idn.Identity) -> dict[str, Any]:
        key = idn.person_key(await self.ctx.ports.keys.key(PERSON_KEY), person.id_number)
        masked = {"name": idn.mask_name(person.name), "id": idn.mask_id(person.id_number)}
        session = await self.port.open_session(hall_id=hall["id"], person_key=key, name=person.name,
                                               id_number=person.id_number, name_masked=masked["name"],
                                               id_masked=masked["id"], minutes=self.ctx.config.identity.session_minutes)
        day = await self.port.person_day(hall_id=hall["id"], person_key=key,
                                         day_start=self.day_start(hall["timezone"]))
        return {"session": session, "person": masked} | day

    async def real_name_ticket(self, actor: Actor, hall: dict[str, Any], *, session: str,
                               queue: str | None) -> tuple[dict[str, Any], bool]:
        """The identified citizen's ticket: their booking of today checked in (no queue) or an ordinary one."""
        actor.check_hall(hall["id"])

        def check(count: int, settings: dict[str, Any]) -> None:
            limit = int(settings["person_daily_limit"])
            if limit and count >= limit:
                raise TooManyRequests(E.PERSON_DAILY_LIMIT, f"每人每天最多取 {limit} 个号 "
                                                            f"(at most {limit} tickets a person a day)", limit=limit)
        # Staff taking the ticket for the citizen at the help desk: the figures count it as 帮办代办, not a kiosk's.
        channel = Channel.KIOSK if actor.role is Role.KIOSK else Channel.HELP_DESK
        return await self.port.issue_real_name(check, hall_id=hall["id"], session=session,
                                               queue=queue.upper() if queue else None, channel=channel,
                                               day_start=self.day_start(hall["timezone"]), actor=actor)

    async def ticket_person(self, token: str) -> dict[str, Any] | None:
        return await self.port.ticket_person(token)

    # -- the phone's own tickets and bookings ---------------------------------------------------------

    async def remember(self, device: str | None, token: str) -> None:
        if device:
            await self.port.remember(device, token)

    async def mine(self, device: str | None, hall: dict[str, Any]) -> dict[str, Any]:
        if not device:
            return {"tickets": [], "bookings": []}
        since = self.day_start(hall["timezone"])
        tickets, bookings = await asyncio.gather(
            self.port.device_tickets(device=device, hall_id=hall["id"], since=since),
            self.port.device_bookings(device=device, hall_id=hall["id"], since=since))
        return {"tickets": tickets, "bookings": bookings}

    # -- texts -----------------------------------------------------------------------------------------

    async def subscribe(self, token: str, *, mobile: str, relation: str, ahead: int) -> dict[str, Any]:
        if not smsrules.AHEAD_MIN <= ahead <= smsrules.AHEAD_MAX:
            raise InvalidInput(E.BAD_AHEAD, f"提前人数应为 {smsrules.AHEAD_MIN}–{smsrules.AHEAD_MAX} "
                                            f"(ahead must be {smsrules.AHEAD_MIN}-{smsrules.AHEAD_MAX})", field="ahead")
        number = idn.normalize_mobile(mobile)
        return await self.port.subscribe(token=token, mobile=number, masked=idn.mask_mobile(number),
                                         relation=relation, ahead=ahead)

    async def subscription(self, token: str) -> dict[str, Any] | None:
        return await self.port.subscription(token)

    async def outbox(self, actor: Actor, hall: dict[str, Any]) -> list[dict[str, Any]]:
        actor.check_hall(hall["id"])
        return await self.port.outbox(hall["id"], self.day_start(hall["timezone"]) - 86400)

    async def scan_step(self) -> int:
        """Queue the texts due to subscribers (N ahead, called). Cheap when nobody subscribed."""
        if not await self.port.open_subscriptions():
            return 0
        return await self.port.scan(smsrules.should_text_near)

    async def send_step(self) -> int:
        """Send what is due, one number at its pace; a failure is retried later, never in a request."""
        sent = 0
        now = self.ctx.clock()
        for m in await self.port.due(now):
            decision = smsrules.may_send(await self.port.sent_times(m["phone"], now - 3600), now)
            if not decision.send:
                await self.port.postpone(m["id"], decision.later_until)
                continue
            text = smsrules.text(m["kind"], m["params"])
            try:
                ref = await self.sms.send(m["phone"], m["kind"], {k: str(v) for k, v in m["params"].items()}, text)
            except sms_providers.SmsFailed as e:
                attempts = int(m["attempts"]) + 1
                nxt = smsrules.retry_at(attempts, now) if e.retry else None
                log.warning("SMS %s (%s) failed, attempt %d: %s", m["id"], m["kind"], attempts, e)
                await self.port.mark_failed(m["id"], str(e), nxt)
                continue
            await self.port.mark_sent(m["id"], ref)
            sent += 1
        return sent

    async def erase_step(self) -> int:
        days = await self.port.retention_days()
        return await self.port.erase(self.ctx.clock() - days * 86400)

    # -- booking from the phone -----------------------------------------------------------------------

    async def open_slots(self, hall: dict[str, Any]) -> list[dict[str, Any]]:
        settings = await self.ctx.ports.kiosk.settings(hall["id"])
        now = self.ctx.clock()
        rows = await self.port.open_slots(hall_id=hall["id"], start=now,
                                          end=now + int(settings["booking_days_ahead"]) * booking.DAY)
        return [r | {"free": max(0, int(r["capacity"]) - int(r["taken"]))} for r in rows]

    async def book(self, hall: dict[str, Any], *, device: str | None, slot_id: int, id_number: str, name: str,
                   mobile: str) -> dict[str, Any]:
        """A real-name booking from the phone: identity checked by the provider, the missed-booking rule, a
        confirmation text and a reminder the day before (when a number is given)."""
        if not device:
            raise InvalidInput(E.DEVICE_UNKNOWN, "请刷新页面后重试 (reload the page and try again)")
        number = idn.normalize_mobile(mobile) if mobile else ""
        person = await self._ask(self.identity.resolve_id(idn.normalize_id(id_number), name.strip()))
        tz = ZoneInfo(hall["timezone"])
        settings = await self.ctx.ports.kiosk.settings(hall["id"])
        slots = {s["id"]: s for s in await self.open_slots(hall)}
        slot = slots.get(slot_id)
        now = self.ctx.clock()
        if slot is None:
            raise InvalidInput(E.BOOKING_OUT_OF_RANGE, f"只能预约今后 {settings['booking_days_ahead']} 天内开放的时段 "
                                                       f"(only open slots of the next {settings['booking_days_ahead']} "
                                                       "days can be booked)", field="slot")
        booking.check_day(slot["starts_at"], now, int(settings["booking_days_ahead"]))

        def check(missed: Sequence[float], s: dict[str, Any]) -> None:
            until = booking.blocked_until(missed, now, booking.MissedRule.of(s))
            day_text = dt.datetime.fromtimestamp(until, tz).strftime("%Y-%m-%d") if until else ""
            booking.check_not_blocked(missed, now, booking.MissedRule.of(s), day_text)

        start = dt.datetime.fromtimestamp(slot["starts_at"], tz)
        when = start.strftime("%m-%d %H:%M")
        remind = slot["starts_at"] - booking.DAY
        day0, _ = ap.day_span(start.date(), tz)
        key = idn.person_key(await self.ctx.ports.keys.key(PERSON_KEY), person.id_number)
        out = await self.port.book(
            check, hall_id=hall["id"], slot_id=slot_id, person_key=key, name_masked=idn.mask_name(person.name),
            device=device, mobile=number, masked=idn.mask_mobile(number) if number else "",
            params={"hall": hall["name"], "item": slot["queue_name"], "when": when},
            remind_at=remind if remind > now else None, late_seconds=ap.check_in_window(settings).late_minutes * 60,
            day=(day0, day0 + booking.DAY))
        return out | {"person": idn.mask_name(person.name), "mobile": idn.mask_mobile(number) if number else ""}

    async def cancel_booking(self, hall: dict[str, Any], *, device: str | None, appointment_id: int) -> dict[str, Any]:
        return await self.port.cancel_booking(hall_id=hall["id"], appointment_id=appointment_id, device=device)
