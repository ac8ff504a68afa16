"""Appointments (预约): slots, bookings (one, or a CSV all or nothing), cancelling a booking, checking in with a
code (which issues the ticket), and a day's list with what became of each booking."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from hallops.domain import appointments as ap
from hallops.domain.actors import Actor
from hallops.domain.errors import E, InvalidInput
from hallops.usecases.kiosk import hall_for, service_day_of

if TYPE_CHECKING:
    from hallops.usecases import Context

_DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def day_view(rows: dict[str, Any], now: float) -> dict[str, Any]:
    """The day's slots, each with its bookings and what became of each (`ap.outcome`), and the counts.
    Times stay UNIX seconds: the wire format is http's."""
    window = ap.check_in_window(rows["settings"])
    slot_start = {s["id"]: s["starts_at"] for s in rows["slots"]}
    by_slot: dict[int, list[dict[str, Any]]] = {}
    outcomes = []
    for b in rows["bookings"]:
        o = ap.outcome(b["status"], b["ticket_status"], slot_start[b["slot_id"]], now, window)
        outcomes.append(o)
        by_slot.setdefault(b["slot_id"], []).append(
            {k: b[k] for k in ("id", "code", "name", "phone_tail", "status")} | {
                "outcome": o.value, "ticket": b["ticket"], "source": b["source"], "checked_in_at": b["checked_in_at"]})
    return {
        "settings": {"checkin_early_minutes": window.early_minutes, "checkin_late_minutes": window.late_minutes},
        "slots": [{k: s[k] for k in ("id", "queue", "queue_name", "starts_at", "ends_at", "capacity")}
                  | {"bookings": by_slot.get(s["id"], [])} for s in rows["slots"]],
        "counts": ap.count_outcomes(outcomes),
    }


class Appointments:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.port = ctx.ports.appointments

    async def check_in(self, actor: Actor, hall_ref: str | int | None, code: str) -> tuple[dict[str, Any], bool]:
        """Issue the booking's ticket (channel appointment, placed at the slot's start) within the hall's
        check-in window; checking in again gives the same ticket (`created` False)."""
        hall = await hall_for(self.ctx, actor, hall_ref)
        return await self.port.check_in(hall_id=hall["id"], code=code, actor=actor)

    async def add_slots(self, actor: Actor, hall: dict[str, Any], *, queue: str, day: dt.date, start: dt.time,
                        end: dt.time, every_minutes: int, capacity: int) -> dict[str, Any]:
        actor.check_hall(hall["id"])
        spans = ap.day_slots(day, start, end, every_minutes, ZoneInfo(hall["timezone"]))
        return await self.port.add_slots(hall_id=hall["id"], queue=queue.upper(), spans=spans, capacity=capacity)

    async def book(self, actor: Actor, hall: dict[str, Any], *, queue: str, start: str | dt.datetime, name: str,
                   phone: str, code: str | None) -> dict[str, Any]:
        """One booking: `start` is the hall's local "YYYY-MM-DD HH:MM" or an aware time; a code is made
        unless given."""
        actor.check_hall(hall["id"])
        at = start.timestamp() if isinstance(start, dt.datetime) else \
            ap.parse_local_start(start, ZoneInfo(hall["timezone"]), where="start")
        booking = ap.Booking(1, ap.normalize_code(code) if code else None, name, ap.phone_tail(phone), queue.upper(),
                             at)
        return await self.port.book(hall_id=hall["id"], bookings=[booking], source="api")

    async def import_csv(self, actor: Actor, hall: dict[str, Any], text: str) -> dict[str, Any]:
        actor.check_hall(hall["id"])
        bookings = ap.parse_bookings_csv(text, ZoneInfo(hall["timezone"]))
        return await self.port.book(hall_id=hall["id"], bookings=bookings, source="csv")

    async def cancel(self, actor: Actor, hall: dict[str, Any], appointment_id: int) -> dict[str, Any]:
        actor.check_hall(hall["id"])
        return await self.port.cancel(hall_id=hall["id"], appointment_id=appointment_id)

    async def day(self, actor: Actor, hall: dict[str, Any], day_text: str | None) -> dict[str, Any]:
        """A day's slots and bookings (default: today's service day), with each booking's outcome."""
        actor.check_hall(hall["id"])
        try:
            day = dt.date.fromisoformat(day_text) if day_text else service_day_of(self.ctx, hall["timezone"])
        except ValueError:
            raise InvalidInput(E.BAD_QUERY, "day 应为 YYYY-MM-DD (day must be YYYY-MM-DD)", field="day") from None
        start, end = ap.day_span(day, ZoneInfo(hall["timezone"]))
        rows = await self.port.day(hall_id=hall["id"], start=start, end=end)
        return {"day": day.isoformat()} | day_view(rows, self.ctx.clock())

    def page_day(self, hall: dict[str, Any], wanted: str) -> str:
        """The day the appointments page opens on: the one asked for when it is a date, else today's."""
        if _DAY_RE.fullmatch(wanted):
            try:
                return dt.date.fromisoformat(wanted).isoformat()
            except ValueError:
                pass
        return service_day_of(self.ctx, hall["timezone"]).isoformat()
