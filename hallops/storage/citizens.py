"""The citizen's side (SQL for both backends): identity sessions and real-name tickets (一码取号), the phone's
own tickets, text-message subscriptions and the outbox, bookings made from the phone, and the erasure of
personal data after the hall's retention.

`CitizensPort` is what usecases/citizens.py asks. Checks that must see the rows they count (a person's
tickets of the day, their missed bookings) are given by the use case and run inside the write job.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Sequence
from typing import Any

from hallops.domain import appointments as ap
from hallops.domain.actors import Actor
from hallops.domain.errors import Conflict, E, Forbidden, NotFound
from hallops.domain.events import Ev
from hallops.domain.model import Channel, Priority
from hallops.storage import tickets
from hallops.storage.appointments import _new_code
from hallops.storage.appointments import check_in as check_in_booking
from hallops.storage.db import Database, Tx
from hallops.storage.kiosk import read_settings_tx
from hallops.storage.rules import Rules

CountCheck = Callable[[int, dict[str, Any]], None]      # (count so far, settings) → raise when over
MissedCheck = Callable[[Sequence[float], dict[str, Any]], None]
OPEN_TICKET = ("waiting", "called", "serving", "parked")


# -- identity sessions and real-name tickets -----------------------------------------------------------

def _person_json(row: Any) -> dict[str, Any]:
    return {"name": row["name_masked"], "id": row["id_masked"]}


def issue_real_name(tx: Tx, rules: Rules, check: CountCheck, *, hall_id: int, session: str, queue: str | None,
                    channel: Channel, day_start: float, actor: Actor) -> tuple[dict[str, Any], bool]:
    """Issue the ticket of an identified citizen: their booking of today checked in when `queue` is None,
    else an ordinary ticket of that queue (through `channel`), under the per-person daily limit (`check`)."""
    s = tx.one("SELECT * FROM identity_sessions WHERE token = ? AND hall_id = ? AND expires_at > ?",
               (session, hall_id, tx.now))
    if s is None:
        raise Conflict(E.IDENTITY_EXPIRED, "身份核验已过期，请重新扫码 (identity check expired: scan again)")
    if queue is None:
        b = _booking_today(tx, hall_id, s["person_key"], day_start)
        if b is None:
            raise NotFound(E.APPOINTMENT_NOT_FOUND, "今天没有您的预约 (no booking of yours today)")
        ticket, created = check_in_booking(tx, rules, hall_id=hall_id, code=b["code"], actor=actor)
    else:
        count = tx.one("SELECT count(*) FROM ticket_people WHERE hall_id = ? AND person_key = ? AND at >= ?",
                       (hall_id, s["person_key"], day_start))
        check(int(count[0]) if count is not None else 0, read_settings_tx(tx, hall_id))
        ticket, created = tickets.issue_ticket(tx, rules, hall_id=hall_id, queue=queue, channel=channel,
                                               priority=Priority.NONE, appointment_at=None, actor=actor,
                                               idempotency=None)
    if created:
        tx.run("INSERT INTO ticket_people (ticket_id, hall_id, person_key, name, id_number, name_masked, id_masked, "
               "at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (ticket_id) DO NOTHING",
               (ticket["id"], hall_id, s["person_key"], s["name"], s["id_number"], s["name_masked"], s["id_masked"],
                tx.now))
    return ticket | {"person": _person_json(s)}, created


def _booking_today(tx: Tx, hall_id: int, person_key: str, day_start: float) -> Any:
    return tx.one("SELECT a.code, a.status FROM booking_people b JOIN appointments a ON a.id = b.appointment_id "
                  "JOIN appointment_slots s ON s.id = a.slot_id WHERE b.hall_id = ? AND b.person_key = ? "
                  "AND a.status IN ('booked', 'checked_in') AND s.starts_at >= ? AND s.starts_at < ? "
                  "ORDER BY a.status, s.starts_at LIMIT 1", (hall_id, person_key, day_start, day_start + 86400))


# -- text messages -------------------------------------------------------------------------------------

def subscribe(tx: Tx, *, token: str, mobile: str, masked: str, relation: str, ahead: int) -> dict[str, Any]:
    t = tx.one("SELECT id, hall_id, status FROM tickets WHERE token = ?", (token,))
    if t is None:
        raise NotFound(E.TICKET_NOT_FOUND, "号票不存在 (no such ticket)")
    if t["status"] not in ("waiting",):
        raise Conflict(E.TICKET_ENDED, "此号已叫到或已结束，无需短信提醒 (the ticket is no longer waiting)")
    tx.run("INSERT INTO sms_subscriptions (ticket_id, hall_id, phone, phone_masked, relation, ahead, created_at) "
           "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (ticket_id) DO UPDATE SET phone = excluded.phone, "
           "phone_masked = excluded.phone_masked, relation = excluded.relation, ahead = excluded.ahead, "
           "near_sent = 0, erased_at = NULL", (t["id"], t["hall_id"], mobile, masked, relation, ahead, tx.now))
    return {"mobile": masked, "relation": relation, "ahead": ahead}


def enqueue(tx: Tx, *, hall_id: int, kind: str, mobile: str, masked: str, params: dict[str, Any],
            ticket_id: int | None = None, appointment_id: int | None = None, at: float | None = None) -> None:
    tx.run("INSERT INTO sms_outbox (hall_id, ticket_id, appointment_id, phone, phone_masked, kind, params, status, "
           "next_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)",
           (hall_id, ticket_id, appointment_id, mobile, masked, kind, json.dumps(params, ensure_ascii=False),
            tx.now if at is None else at, tx.now))


def scan_subscriptions(tx: Tx, rules: Rules, should_near: Callable[[int, int, bool], bool]) -> int:
    """Queue the texts the waiting subscribers are due: near (N or fewer ahead) and called. Returns how many."""
    queued = 0
    rows = tx.all("SELECT s.ticket_id, s.phone, s.phone_masked, s.ahead, s.near_sent, s.called_sent, h.name "
                  "AS hall_name FROM sms_subscriptions s JOIN halls h ON h.id = s.hall_id "
                  "WHERE s.done = 0 AND s.phone IS NOT NULL")
    for s in rows:
        t = tickets.load_ticket(tx, s["ticket_id"])
        params: dict[str, Any] = {"hall": s["hall_name"], "number": t["number"]}
        if t["status"] == "waiting":
            ahead = tickets.people_ahead(tx, t, rules.policy)
            if should_near(ahead, int(s["ahead"]), bool(s["near_sent"])):
                enqueue(tx, hall_id=t["hall_id"], kind="near", mobile=s["phone"], masked=s["phone_masked"],
                        params=params | {"ahead": ahead}, ticket_id=t["id"])
                tx.run("UPDATE sms_subscriptions SET near_sent = 1 WHERE ticket_id = ?", (t["id"],))
                queued += 1
        elif t["status"] == "called" and not s["called_sent"]:
            w = tx.one("SELECT number FROM windows WHERE id = ?", (t["window_id"],))
            enqueue(tx, hall_id=t["hall_id"], kind="called", mobile=s["phone"], masked=s["phone_masked"],
                    params=params | {"window": w["number"] if w else ""}, ticket_id=t["id"])
            tx.run("UPDATE sms_subscriptions SET called_sent = 1, near_sent = 1 WHERE ticket_id = ?", (t["id"],))
            queued += 1
        elif t["status"] not in OPEN_TICKET:
            tx.run("UPDATE sms_subscriptions SET done = 1 WHERE ticket_id = ?", (t["id"],))
            # A text not yet sent about a ticket that ended says nothing true any more.
            tx.run("UPDATE sms_outbox SET status = 'dropped', last_error = 'ticket ended' WHERE ticket_id = ? "
                   "AND status = 'queued'", (t["id"],))
    return queued


def mark_sent(tx: Tx, *, message_id: int, ref: str) -> None:
    tx.run("UPDATE sms_outbox SET status = 'sent', attempts = attempts + 1, provider_ref = ?, sent_at = ?, "
           "last_error = '' WHERE id = ?", (ref, tx.now, message_id))


def mark_failed(tx: Tx, *, message_id: int, error: str, next_at: float | None) -> None:
    if next_at is None:
        tx.run("UPDATE sms_outbox SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?",
               (error[:300], message_id))
    else:
        tx.run("UPDATE sms_outbox SET attempts = attempts + 1, last_error = ?, next_at = ? WHERE id = ?",
               (error[:300], next_at, message_id))


def postpone(tx: Tx, *, message_id: int, until: float) -> None:
    tx.run("UPDATE sms_outbox SET next_at = ? WHERE id = ?", (until, message_id))


# -- bookings from the phone ---------------------------------------------------------------------------

def book_phone(tx: Tx, check: MissedCheck, *, hall_id: int, slot_id: int, person_key: str, name_masked: str,
               device: str, mobile: str, masked: str, params: dict[str, Any], remind_at: float | None,
               late_seconds: float, day: tuple[float, float]) -> dict[str, Any]:
    """Book a slot for an identified citizen from their phone: the missed-booking rule (`check`, on the
    ends of check-in of their bookings never checked in), one booking per person and day, capacity."""
    slot = tx.one("SELECT s.id, s.hall_id, s.starts_at, s.ends_at, s.capacity, q.prefix, q.name AS queue_name "
                  "FROM appointment_slots s JOIN queues q ON q.id = s.queue_id WHERE s.id = ? AND s.hall_id = ?",
                  (slot_id, hall_id))
    if slot is None:
        raise NotFound(E.SLOT_NOT_FOUND, "没有这个预约时段 (no such slot)")
    missed = [float(r[0]) + late_seconds for r in tx.all(
        "SELECT s.starts_at FROM booking_people b JOIN appointments a ON a.id = b.appointment_id "
        "JOIN appointment_slots s ON s.id = a.slot_id WHERE b.person_key = ? AND a.status = 'booked' "
        "AND s.starts_at + ? < ?", (person_key, late_seconds, tx.now))]
    check(missed, read_settings_tx(tx, hall_id))
    if tx.one("SELECT 1 FROM booking_people b JOIN appointments a ON a.id = b.appointment_id JOIN appointment_slots s "
              "ON s.id = a.slot_id WHERE b.person_key = ? AND b.hall_id = ? AND a.status = 'booked' "
              "AND s.starts_at >= ? AND s.starts_at < ?", (person_key, hall_id, *day)) is not None:
        raise Conflict(E.BOOKING_DUPLICATE, "您当天已有预约，请先取消原预约 (you already have a booking that day)")
    taken = tx.one("SELECT count(*) FROM appointments WHERE slot_id = ? AND status <> 'cancelled'", (slot_id,))
    if taken is not None and int(taken[0]) >= int(slot["capacity"]):
        raise Conflict(E.SLOT_FULL, "该时段已约满，请选择其他时段 (this slot is full)")
    code = _new_code(tx, hall_id)
    appointment_id = tx.insert("INSERT INTO appointments (hall_id, slot_id, code, name, phone_tail, status, source, "
                               "created_at) VALUES (?, ?, ?, ?, ?, 'booked', 'phone', ?)",
                               (hall_id, slot_id, code, name_masked, ap.phone_tail(mobile), tx.now))
    tx.run("INSERT INTO booking_people (appointment_id, hall_id, person_key, device, phone, name_masked, created_at) "
           "VALUES (?, ?, ?, ?, ?, ?, ?)", (appointment_id, hall_id, person_key, device, mobile or None, name_masked,
                                            tx.now))
    p = params | {"code": code}
    if mobile:
        enqueue(tx, hall_id=hall_id, kind="booked", mobile=mobile, masked=masked, params=p,
                appointment_id=appointment_id)
        if remind_at is not None:
            enqueue(tx, hall_id=hall_id, kind="reminder", mobile=mobile, masked=masked, params=p,
                    appointment_id=appointment_id, at=remind_at)
    tx.emit(hall_id, Ev.APPOINTMENTS_BOOKED, {"count": 1, "source": "phone"})
    return {"id": appointment_id, "code": code, "queue": slot["prefix"], "queue_name": slot["queue_name"],
            "starts_at": float(slot["starts_at"]), "ends_at": float(slot["ends_at"]), "status": "booked"}


def cancel_phone(tx: Tx, *, hall_id: int, appointment_id: int, device: str | None) -> dict[str, Any]:
    row = tx.one("SELECT a.id, a.status, b.device, b.phone, s.starts_at FROM appointments a JOIN booking_people b "
                 "ON b.appointment_id = a.id JOIN appointment_slots s ON s.id = a.slot_id WHERE a.id = ? "
                 "AND a.hall_id = ?", (appointment_id, hall_id))
    if row is None:
        raise NotFound(E.APPOINTMENT_NOT_FOUND, "没有这个预约 (no such booking)")
    if device is None or row["device"] != device:
        raise Forbidden(E.NOT_YOUR_BOOKING, "只能在预约时使用的手机上取消 (only the phone that booked may cancel)")
    if row["status"] != "booked":
        raise Conflict(E.APPOINTMENT_NOT_BOOKED, "该预约已签到或已取消 (already checked in or cancelled)")
    tx.run("UPDATE appointments SET status = 'cancelled' WHERE id = ?", (appointment_id,))
    tx.run("UPDATE sms_outbox SET status = 'dropped', last_error = 'booking cancelled' WHERE appointment_id = ? "
           "AND status = 'queued'", (appointment_id,))
    return {"id": appointment_id, "status": "cancelled"}


# -- erasure -------------------------------------------------------------------------------------------

def erase_before(tx: Tx, cutoff: float) -> int:
    """Blank the personal columns of everything older than `cutoff`; expired identity sessions go."""
    n = tx.run("DELETE FROM identity_sessions WHERE expires_at < ?", (tx.now,))
    n += tx.run("UPDATE ticket_people SET person_key = NULL, name = NULL, id_number = NULL, erased_at = ? "
                "WHERE at < ? AND erased_at IS NULL", (tx.now, cutoff))
    n += tx.run("UPDATE sms_subscriptions SET phone = NULL, done = 1, erased_at = ? WHERE created_at < ? "
                "AND erased_at IS NULL", (tx.now, cutoff))
    n += tx.run("UPDATE sms_outbox SET phone = NULL, status = CASE WHEN status = 'queued' THEN 'dropped' "
                "ELSE status END WHERE created_at < ? AND phone IS NOT NULL", (cutoff,))
    n += tx.run("UPDATE booking_people SET person_key = NULL, phone = NULL, erased_at = ? WHERE created_at < ? "
                "AND erased_at IS NULL", (tx.now, cutoff))
    return n


class CitizensPort:
    def __init__(self, db: Database, rules: Rules) -> None:
        self.db = db
        self.rules = rules

    # identity
    async def open_session(self, *, hall_id: int, person_key: str, name: str, id_number: str, name_masked: str,
                           id_masked: str, minutes: int) -> str:
        token = secrets.token_urlsafe(18)

        def job(tx: Tx) -> None:
            tx.run("INSERT INTO identity_sessions (token, hall_id, person_key, name, id_number, name_masked, "
                   "id_masked, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (token, hall_id, person_key, name, id_number, name_masked, id_masked, tx.now,
                    tx.now + minutes * 60))
        await self.db.write(job)
        return token

    async def person_day(self, *, hall_id: int, person_key: str, day_start: float) -> dict[str, Any]:
        """The person's tickets of the day and their booking of the day (if any)."""
        async with self.db.snapshot() as conn:
            tks = await conn.all(
                "SELECT t.number, t.status, t.token, q.name AS queue_name, q.name_en AS queue_name_en "
                "FROM ticket_people p JOIN tickets t ON t.id = p.ticket_id JOIN queues q ON q.id = t.queue_id "
                "WHERE p.hall_id = ? AND p.person_key = ? AND p.at >= ? ORDER BY t.id", (hall_id, person_key,
                                                                                         day_start))
            bk = await conn.all(
                "SELECT a.id, a.code, a.status, s.starts_at, q.prefix AS queue, q.name AS queue_name, "
                "q.name_en AS queue_name_en FROM booking_people b JOIN appointments a ON a.id = b.appointment_id "
                "JOIN appointment_slots s ON s.id = a.slot_id JOIN queues q ON q.id = s.queue_id "
                "WHERE b.hall_id = ? AND b.person_key = ? AND a.status = 'booked' AND s.starts_at >= ? "
                "AND s.starts_at < ? ORDER BY s.starts_at LIMIT 1", (hall_id, person_key, day_start,
                                                                     day_start + 86400))
        return {"tickets": [dict(r) for r in tks], "booking": dict(bk[0]) if bk else None}

    async def issue_real_name(self, check: CountCheck, *, hall_id: int, session: str, queue: str | None,
                              channel: Channel, day_start: float, actor: Actor) -> tuple[dict[str, Any], bool]:
        return await self.db.write(lambda tx: issue_real_name(tx, self.rules, check, hall_id=hall_id,
                                                              session=session, queue=queue, channel=channel,
                                                              day_start=day_start, actor=actor))

    async def ticket_person(self, token: str) -> dict[str, Any] | None:
        row = await self.db.one("SELECT p.name_masked, p.id_masked FROM ticket_people p JOIN tickets t "
                                "ON t.id = p.ticket_id WHERE t.token = ?", (token,))
        return _person_json(row) if row is not None else None

    # the phone's tickets
    async def remember(self, device: str, token: str) -> None:
        def job(tx: Tx) -> None:
            t = tx.one("SELECT id FROM tickets WHERE token = ?", (token,))
            if t is not None:
                tx.run("INSERT INTO device_tickets (device, ticket_id, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                       (device, t["id"], tx.now))
        await self.db.write(job)

    async def device_tickets(self, *, device: str, hall_id: int, since: float) -> list[dict[str, Any]]:
        rows = await self.db.all(
            "SELECT t.number, t.status, t.token, t.issued_at, q.name AS queue_name, q.name_en AS queue_name_en, "
            "w.number AS window FROM tickets t JOIN queues q ON q.id = t.queue_id LEFT JOIN windows w "
            "ON w.id = t.window_id WHERE t.hall_id = ? AND t.issued_at >= ? AND t.id IN (SELECT ticket_id FROM "
            "mobile_issues WHERE device = ? UNION SELECT ticket_id FROM device_tickets WHERE device = ?) "
            "ORDER BY t.issued_at DESC LIMIT 20", (hall_id, since, device, device))
        return [dict(r) for r in rows]

    async def device_bookings(self, *, device: str, hall_id: int, since: float) -> list[dict[str, Any]]:
        rows = await self.db.all(
            "SELECT a.id, a.code, a.status, s.starts_at, s.ends_at, q.prefix AS queue, q.name AS queue_name, "
            "q.name_en AS queue_name_en FROM booking_people b JOIN appointments a ON a.id = b.appointment_id "
            "JOIN appointment_slots s ON s.id = a.slot_id JOIN queues q ON q.id = s.queue_id "
            "WHERE b.device = ? AND b.hall_id = ? AND s.starts_at >= ? ORDER BY s.starts_at LIMIT 20",
            (device, hall_id, since))
        return [dict(r) for r in rows]

    # texts
    async def subscribe(self, **kw: Any) -> dict[str, Any]:
        return await self.db.write(lambda tx: subscribe(tx, **kw))

    async def subscription(self, token: str) -> dict[str, Any] | None:
        row = await self.db.one("SELECT s.phone_masked, s.relation, s.ahead, s.near_sent, s.called_sent "
                                "FROM sms_subscriptions s JOIN tickets t ON t.id = s.ticket_id WHERE t.token = ? "
                                "AND s.erased_at IS NULL", (token,))
        return dict(row) if row is not None else None

    async def open_subscriptions(self) -> int:
        row = await self.db.one("SELECT count(*) FROM sms_subscriptions WHERE done = 0 AND phone IS NOT NULL")
        return int(row[0]) if row is not None else 0

    async def scan(self, should_near: Callable[[int, int, bool], bool]) -> int:
        return await self.db.write(lambda tx: scan_subscriptions(tx, self.rules, should_near))

    async def due(self, now: float, limit: int = 50) -> list[dict[str, Any]]:
        rows = await self.db.all("SELECT id, hall_id, phone, kind, params, attempts FROM sms_outbox WHERE "
                                 "status = 'queued' AND next_at <= ? AND phone IS NOT NULL ORDER BY next_at, id "
                                 "LIMIT ?", (now, limit))
        return [dict(r) | {"params": json.loads(r["params"])} for r in rows]

    async def sent_times(self, mobile: str, since: float) -> list[float]:
        rows = await self.db.all("SELECT sent_at FROM sms_outbox WHERE phone = ? AND status = 'sent' AND sent_at > ?",
                                 (mobile, since))
        return [float(r[0]) for r in rows]

    async def mark_sent(self, message_id: int, ref: str) -> None:
        await self.db.write(lambda tx: mark_sent(tx, message_id=message_id, ref=ref))

    async def mark_failed(self, message_id: int, error: str, next_at: float | None) -> None:
        await self.db.write(lambda tx: mark_failed(tx, message_id=message_id, error=error, next_at=next_at))

    async def postpone(self, message_id: int, until: float) -> None:
        await self.db.write(lambda tx: postpone(tx, message_id=message_id, until=until))

    async def outbox(self, hall_id: int, since: float) -> list[dict[str, Any]]:
        rows = await self.db.all(
            "SELECT o.id, o.kind, o.phone_masked, o.status, o.attempts, o.last_error, o.created_at, o.sent_at, "
            "o.next_at, t.number AS ticket FROM sms_outbox o LEFT JOIN tickets t ON t.id = o.ticket_id "
            "WHERE o.hall_id = ? AND o.created_at >= ? ORDER BY o.id DESC LIMIT 500", (hall_id, since))
        return [dict(r) for r in rows]

    # bookings
    async def open_slots(self, *, hall_id: int, start: float, end: float) -> list[dict[str, Any]]:
        rows = await self.db.all(
            "SELECT s.id, s.starts_at, s.ends_at, s.capacity, q.prefix AS queue, q.name AS queue_name, "
            "q.name_en AS queue_name_en, (SELECT count(*) FROM appointments a WHERE a.slot_id = s.id AND "
            "a.status <> 'cancelled') AS taken FROM appointment_slots s JOIN queues q ON q.id = s.queue_id "
            "WHERE s.hall_id = ? AND s.starts_at > ? AND s.starts_at < ? AND q.active = 1 "
            "ORDER BY q.prefix, s.starts_at", (hall_id, start, end))
        return [dict(r) for r in rows]

    async def book(self, check: MissedCheck, **kw: Any) -> dict[str, Any]:
        return await self.db.write(lambda tx: book_phone(tx, check, **kw))

    async def cancel_booking(self, *, hall_id: int, appointment_id: int, device: str | None) -> dict[str, Any]:
        return await self.db.write(lambda tx: cancel_phone(tx, hall_id=hall_id, appointment_id=appointment_id,
                                                           device=device))

    # retention
    async def retention_days(self) -> int:
        row = await self.db.one("SELECT min(retention_days) FROM citizen_settings")
        return int(row[0]) if row is not None and row[0] is not None else 30

    async def erase(self, cutoff: float) -> int:
        return await self.db.write(lambda tx: erase_before(tx, cutoff))
