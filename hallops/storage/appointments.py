"""Appointments (SQL for both backends): slots, bookings (one by one or a CSV), check-in that issues the
ticket, the day's list with what became of each booking. `AppointmentsPort` is what the application layer
asks; the write jobs below it take a Tx."""

from __future__ import annotations

import secrets
from typing import Any

from hallops.domain import appointments as ap
from hallops.domain.actors import Actor
from hallops.domain.errors import Conflict, E, InvalidInput, NotFound
from hallops.domain.events import Ev
from hallops.domain.model import Channel, Priority
from hallops.storage import tickets
from hallops.storage.db import Database, Row, Tx
from hallops.storage.kiosk import read_settings_tx, settings_from_row
from hallops.storage.rules import Rules, zone

# -- slots ---------------------------------------------------------------------------------------------

def create_slots(tx: Tx, *, hall_id: int, queue: str, spans: list[tuple[float, float]],
                 capacity: int) -> dict[str, Any]:
    """Add slots; one that already exists (same queue and start) is left as it is."""
    q = tickets.find_queue(tx, hall_id, queue)
    created = 0
    for start, end in spans:
        created += tx.run("INSERT INTO appointment_slots (hall_id, queue_id, starts_at, ends_at, capacity, "
                          "created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                          (hall_id, q["id"], start, end, capacity, tx.now))
    if created:
        tx.emit(hall_id, Ev.APPOINTMENTS_SLOTS_ADDED, {"queue": q["prefix"], "count": created})
    return {"created": created, "skipped": len(spans) - created, "queue": q["prefix"]}


# -- bookings ------------------------------------------------------------------------------------------

def _new_code(tx: Tx, hall_id: int) -> str:
    for _ in range(50):
        code = ap.code_from_number(secrets.randbelow(10 ** ap.CODE_DIGITS))
        if tx.one("SELECT 1 FROM appointments WHERE hall_id = ? AND code = ?", (hall_id, code)) is None:
            return code
    raise Conflict(E.CODES_EXHAUSTED, "预约码已用尽，请稍后重试 (could not find a free code)")


def import_bookings(tx: Tx, *, hall_id: int, bookings: list[ap.Booking], source: str) -> dict[str, Any]:
    """Book every row into its slot, all or nothing. A row whose code is already booked in the same slot is
    skipped, so importing the same file twice books nobody twice."""
    errors: list[dict[str, Any]] = []
    created: list[dict[str, Any]] = []
    skipped = 0
    for b in bookings:
        slot = tx.one("SELECT s.id, s.capacity, s.starts_at FROM appointment_slots s JOIN queues q ON q.id = s.queue_id"
                      " WHERE s.hall_id = ? AND q.prefix = ? AND s.starts_at = ?", (hall_id, b.queue, b.starts_at))
        if slot is None:
            errors.append({"line": b.line, "error": E.SLOT_NOT_FOUND,
                           "message": f"业务 {b.queue} 在该时间没有预约时段 (no slot of queue {b.queue} then)"})
            continue
        if b.code is not None:
            prior = tx.one("SELECT slot_id FROM appointments WHERE hall_id = ? AND code = ?", (hall_id, b.code))
            if prior is not None:
                if prior["slot_id"] == slot["id"]:
                    skipped += 1
                    continue
                errors.append({"line": b.line, "error": E.CODE_TAKEN,
                               "message": f"预约码 {b.code} 已用于其他时段 (code {b.code} is booked elsewhere)"})
                continue
        used = tx.one("SELECT count(*) FROM appointments WHERE slot_id = ? AND status <> 'cancelled'", (slot["id"],))
        if used is not None and used[0] >= slot["capacity"]:
            errors.append({"line": b.line, "error": E.SLOT_FULL,
                           "message": f"该时段已约满（{slot['capacity']} 人）(slot is full)"})
            continue
        code = b.code or _new_code(tx, hall_id)
        tx.run("INSERT INTO appointments (hall_id, slot_id, code, name, phone_tail, status, source, created_at) "
               "VALUES (?, ?, ?, ?, ?, 'booked', ?, ?)", (hall_id, slot["id"], code, b.name, b.phone_tail, source,
                                                          tx.now))
        created.append({"line": b.line, "code": code, "name": b.name, "queue": b.queue, "starts_at": b.starts_at})
    if errors:
        first = errors[0]
        raise InvalidInput(E.BOOKINGS_REFUSED, f"第 {first['line']} 行：{first['message']}（共 {len(errors)} 处错误，"
                                               f"未导入任何预约）", errors=errors)
    if created:
        tx.emit(hall_id, Ev.APPOINTMENTS_BOOKED, {"count": len(created), "source": source})
    return {"created": created, "skipped": skipped}


def cancel(tx: Tx, *, hall_id: int, appointment_id: int) -> dict[str, Any]:
    row = tx.one("SELECT id, status FROM appointments WHERE id = ? AND hall_id = ?", (appointment_id, hall_id))
    if row is None:
        raise NotFound(E.APPOINTMENT_NOT_FOUND, "预约不存在 (no such appointment)")
    if row["status"] != "booked":
        raise Conflict(E.APPOINTMENT_NOT_BOOKED, "只能取消未签到的预约 (only a booking not yet checked in can be "
                                                 "cancelled)")
    tx.run("UPDATE appointments SET status = 'cancelled' WHERE id = ?", (row["id"],))
    return {"id": row["id"], "status": "cancelled"}


# -- check-in ------------------------------------------------------------------------------------------

_BOOKING_SQL = ("SELECT a.id, a.code, a.name, a.status, a.ticket_id, s.starts_at, s.ends_at, s.queue_id, "
                "q.prefix, q.name AS queue_name, h.timezone FROM appointments a "
                "JOIN appointment_slots s ON s.id = a.slot_id JOIN queues q ON q.id = s.queue_id "
                "JOIN halls h ON h.id = a.hall_id WHERE a.hall_id = ? AND a.code = ?")


def check_in(tx: Tx, rules: Rules, *, hall_id: int, code: str, actor: Actor) -> tuple[dict[str, Any], bool]:
    """Issue the appointment's ticket (channel appointment, placed at the slot's start). Checking in again
    returns the same ticket: a citizen who tapped twice or lost the screen gets it back."""
    code = ap.normalize_code(code)
    a = tx.one(_BOOKING_SQL, (hall_id, code))
    if a is None:
        raise NotFound(E.APPOINTMENT_NOT_FOUND, "未找到该预约码，请核对后重试 (no appointment with this code)")
    if a["status"] == "cancelled":
        raise Conflict(E.APPOINTMENT_CANCELLED, "该预约已取消 (this appointment was cancelled)")
    if a["status"] == "checked_in":
        row = tickets.load_ticket(tx, a["ticket_id"])
        ticket = tickets.ticket_json(row) | {"people_ahead": tickets.people_ahead(tx, row, rules.policy)}
        return ticket | {"appointment": _brief(a)}, False
    settings = read_settings_tx(tx, hall_id)
    ap.check_in_allowed(a["starts_at"], tx.now, ap.check_in_window(settings), zone(a["timezone"]))
    ticket, _ = tickets.issue_ticket(tx, rules, hall_id=hall_id, queue=int(a["queue_id"]), channel=Channel.APPOINTMENT,
                                     priority=Priority.NONE, appointment_at=a["starts_at"], actor=actor,
                                     idempotency=None)
    tx.run("UPDATE appointments SET status = 'checked_in', ticket_id = ?, checked_in_at = ? WHERE id = ?",
           (ticket["id"], tx.now, a["id"]))
    return ticket | {"appointment": _brief(a)}, True


def _brief(a: Row) -> dict[str, Any]:
    return {"id": a["id"], "code": a["code"], "name": a["name"], "queue": a["prefix"],
            "queue_name": a["queue_name"], "starts_at": float(a["starts_at"]), "ends_at": float(a["ends_at"])}


# -- reading -------------------------------------------------------------------------------------------

async def day_rows(db: Database, *, hall_id: int, start: float, end: float) -> dict[str, Any]:
    """The hall's check-in settings, the slots starting in [start, end) and their bookings (with the ticket
    each became), read in one snapshot."""
    async with db.snapshot() as conn:
        srow = await conn.all("SELECT * FROM citizen_settings WHERE hall_id = ?", (hall_id,))
        slots = await conn.all(
            "SELECT s.id, s.starts_at, s.ends_at, s.capacity, q.prefix AS queue, q.name AS queue_name "
            "FROM appointment_slots s JOIN queues q ON q.id = s.queue_id "
            "WHERE s.hall_id = ? AND s.starts_at >= ? AND s.starts_at < ? ORDER BY s.starts_at, q.prefix",
            (hall_id, start, end))
        books = await conn.all(
            "SELECT a.id, a.slot_id, a.code, a.name, a.phone_tail, a.status, a.checked_in_at, a.source, "
            "t.number AS ticket, t.status AS ticket_status FROM appointments a "
            "JOIN appointment_slots s ON s.id = a.slot_id LEFT JOIN tickets t ON t.id = a.ticket_id "
            "WHERE a.hall_id = ? AND s.starts_at >= ? AND s.starts_at < ? ORDER BY a.id", (hall_id, start, end))
    return {"settings": settings_from_row(next(iter(srow), None)), "slots": [dict(r) for r in slots],
            "bookings": [dict(r) for r in books]}


class AppointmentsPort:
    """Slots, bookings, check-in and the day's list."""

    def __init__(self, db: Database, rules: Rules) -> None:
        self.db = db
        self.rules = rules

    async def add_slots(self, *, hall_id: int, queue: str, spans: list[tuple[float, float]],
                        capacity: int) -> dict[str, Any]:
        return await self.db.write(lambda tx: create_slots(tx, hall_id=hall_id, queue=queue, spans=spans,
                                                           capacity=capacity))

    async def book(self, *, hall_id: int, bookings: list[ap.Booking], source: str) -> dict[str, Any]:
        return await self.db.write(lambda tx: import_bookings(tx, hall_id=hall_id, bookings=bookings, source=source))

    async def cancel(self, *, hall_id: int, appointment_id: int) -> dict[str, Any]:
        return await self.db.write(lambda tx: cancel(tx, hall_id=hall_id, appointment_id=appointment_id))

    async def check_in(self, *, hall_id: int, code: str, actor: Actor) -> tuple[dict[str, Any], bool]:
        return await self.db.write(lambda tx: check_in(tx, self.rules, hall_id=hall_id, code=code, actor=actor))

    async def day(self, *, hall_id: int, start: float, end: float) -> dict[str, Any]:
        """{"settings", "slots", "bookings"}: see `day_rows`."""
        return await day_rows(self.db, hall_id=hall_id, start=start, end=end)
