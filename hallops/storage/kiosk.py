"""The citizen-facing and window-facing reads and writes: the hall's citizen settings, kiosk printers and
their faults, phone tickets (一码取号) under their limits and their cancelling, the phone page's lookups, and the
clerk console's reads (the clerk's figures of the day, tickets parked at a window)."""

from __future__ import annotations

from typing import Any

from hallops.domain import ratelimit
from hallops.domain.actors import Actor
from hallops.domain.errors import Conflict, E, Forbidden, InvalidInput, NotFound
from hallops.domain.events import Ev
from hallops.domain.model import Channel, Priority, Role
from hallops.domain.tickets import Action
from hallops.storage import tickets
from hallops.storage.db import Database, Row, Tx
from hallops.storage.rules import Rules
from hallops.storage.views import iso

DEFAULTS: dict[str, Any] = {
    "checkin_early_minutes": 30,
    "checkin_late_minutes": 15,
    "mobile_per_device_hour": 2,
    "mobile_per_address_hour": 60,
    "mobile_enabled": True,
    "no_show_after_recalls_seconds": 0,
    "public_base_url": "",
}


def settings_from_row(row: Row | None) -> dict[str, Any]:
    if row is None:
        return dict(DEFAULTS)
    out = {k: row[k] for k in DEFAULTS}
    out["mobile_enabled"] = bool(out["mobile_enabled"])
    return out


def read_settings_tx(tx: Tx, hall_id: int) -> dict[str, Any]:
    return settings_from_row(tx.one("SELECT * FROM citizen_settings WHERE hall_id = ?", (hall_id,)))


async def read_settings(db: Database, hall_id: int) -> dict[str, Any]:
    return settings_from_row(await db.one("SELECT * FROM citizen_settings WHERE hall_id = ?", (hall_id,)))


def save_settings(tx: Tx, *, hall_id: int, changes: dict[str, Any], actor: Actor) -> dict[str, Any]:
    actor.check_hall(hall_id)
    current = read_settings_tx(tx, hall_id) | {k: v for k, v in changes.items() if k in DEFAULTS}
    cols = list(DEFAULTS)
    tx.run(f"INSERT INTO citizen_settings (hall_id, {', '.join(cols)}, updated_at) VALUES "
           f"(?, {', '.join('?' * len(cols))}, ?) ON CONFLICT (hall_id) DO UPDATE SET "
           f"{', '.join(f'{c} = excluded.{c}' for c in cols)}, updated_at = excluded.updated_at",
           (hall_id, *[current[c] for c in cols], tx.now))
    tx.emit(hall_id, Ev.HALL_CITIZEN_SETTINGS, {"settings": current})
    return current


# -- kiosk printers ------------------------------------------------------------------------------------

def set_printer(tx: Tx, *, token_id: int, mode: str, host: str, port: int, actor: Actor) -> dict[str, Any]:
    tok = tx.one("SELECT id, role, hall_id, label FROM api_tokens WHERE id = ? AND revoked_at IS NULL", (token_id,))
    if tok is None or tok["role"] != Role.KIOSK.value:
        raise InvalidInput(E.NOT_A_KIOSK, "该令牌不是有效的取号机令牌 (not a live kiosk token)")
    if tok["hall_id"] is not None:
        actor.check_hall(tok["hall_id"])
    if mode == "escpos" and not host:
        raise InvalidInput(E.PRINTER_HOST_REQUIRED, "请填写打印机地址 (give the printer's host)")
    tx.run("INSERT INTO kiosk_printers (token_id, mode, host, port, updated_at) VALUES (?, ?, ?, ?, ?) "
           "ON CONFLICT (token_id) DO UPDATE SET mode = excluded.mode, host = excluded.host, port = excluded.port, "
           "updated_at = excluded.updated_at", (token_id, mode, host, port, tx.now))
    return {"token_id": token_id, "label": tok["label"], "mode": mode, "host": host, "port": port}


async def printer_for(db: Database, token_id: int | None) -> dict[str, Any]:
    """The kiosk's printer; a kiosk without a row prints with the browser (80 mm layout)."""
    row = await db.one("SELECT mode, host, port FROM kiosk_printers WHERE token_id = ?", (token_id,)) \
        if token_id is not None else None
    if row is None:
        return {"mode": "browser", "host": "", "port": 9100}
    return dict(row)


async def list_printers(db: Database, hall_id: int) -> list[dict[str, Any]]:
    rows = await db.all(
        "SELECT t.id AS token_id, t.label, coalesce(p.mode, 'browser') AS mode, coalesce(p.host, '') AS host, "
        "coalesce(p.port, 9100) AS port, (SELECT max(at) FROM kiosk_print_log l WHERE l.token_id = t.id AND "
        "l.ok = 0) AS last_fault_at, (SELECT error FROM kiosk_print_log l WHERE l.token_id = t.id ORDER BY id DESC "
        "LIMIT 1) AS last_error FROM api_tokens t LEFT JOIN kiosk_printers p ON p.token_id = t.id "
        "WHERE t.role = 'kiosk' AND t.revoked_at IS NULL AND (t.hall_id = ? OR t.hall_id IS NULL) ORDER BY t.id",
        (hall_id,))
    return [dict(r) | {"last_fault_at": iso(r["last_fault_at"])} for r in rows]


def log_print(tx: Tx, *, token_id: int | None, ticket_id: int, ok: bool, error: str) -> None:
    tx.run("INSERT INTO kiosk_print_log (token_id, ticket_id, ok, error, at) VALUES (?, ?, ?, ?, ?)",
           (token_id, ticket_id, int(ok), error[:500], tx.now))


# -- phone tickets (一码取号) ---------------------------------------------------------------------------

def _recent_idempotent(tx: Tx, rules: Rules, scope: str, key: str) -> bool:
    """A key still in force: an expired one is a new request and must pass the limits again."""
    return tx.one("SELECT 1 FROM idempotency_keys WHERE scope = ? AND key = ? AND created_at > ?",
                  (scope, key, tx.now - rules.idempotency_hours * 3600)) is not None


def issue_mobile(tx: Tx, rules: Rules, *, hall_id: int, queue: str | int, device: str, address: str,
                 idempotency: tuple[str, str] | None) -> tuple[dict[str, Any], bool]:
    """Issue a phone ticket if this device and this address are under their hourly limits.

    Phone tickets carry no priority: a citizen cannot declare themselves elderly, disabled or a green-channel
    case (each moves a ticket about an hour ahead); a kiosk or the help desk grants priority.
    The check and the issue share one transaction, so two taps racing cannot both slip under the limit.
    A retry with the same Idempotency-Key returns the ticket it made and is not counted again. A ticket the
    phone cancelled within `ratelimit.REFUND_SECONDS` (a mis-tap) does not count against the phone."""
    scope = f"device:{device}"
    key = (scope, *idempotency) if idempotency is not None else None
    actor = Actor(Role.KIOSK, hall_id=hall_id)  # the page acts for the hall, as a kiosk in the citizen's hand
    if key is not None and _recent_idempotent(tx, rules, scope, key[1]):
        return tickets.issue_ticket(tx, rules, hall_id=hall_id, queue=queue, channel=Channel.MOBILE,
                                    priority=Priority.NONE, appointment_at=None, actor=actor, idempotency=key)
    s = read_settings_tx(tx, hall_id)
    since = tx.now - ratelimit.HOUR
    per_device = [r[0] for r in tx.all(
        "SELECT m.at FROM mobile_issues m JOIN tickets t ON t.id = m.ticket_id WHERE m.device = ? AND m.at > ? "
        "AND NOT (t.status = 'cancelled' AND t.ended_at <= m.at + ?)", (device, since, ratelimit.REFUND_SECONDS))]
    per_address = [r[0] for r in tx.all("SELECT at FROM mobile_issues WHERE hall_id = ? AND address = ? AND at > ?",
                                        (hall_id, address, since))]
    ratelimit.check(per_device, tx.now, ratelimit.Limit("device", s["mobile_per_device_hour"]
                                                        if s["mobile_enabled"] else 0))
    ratelimit.check(per_address, tx.now, ratelimit.Limit("address", s["mobile_per_address_hour"]))
    ticket, created = tickets.issue_ticket(tx, rules, hall_id=hall_id, queue=queue, channel=Channel.MOBILE,
                                           priority=Priority.NONE, appointment_at=None, actor=actor,
                                           idempotency=key)
    if created:
        tx.run("INSERT INTO mobile_issues (hall_id, device, address, ticket_id, at) VALUES (?, ?, ?, ?, ?)",
               (hall_id, device, address, ticket["id"], tx.now))
    return ticket, created


def cancel_mobile(tx: Tx, rules: Rules, *, token: str, device: str | None) -> dict[str, Any]:
    """The citizen takes back a phone ticket that still waits: only from the phone that took it (the status
    link alone is not enough: it is printed, shared and screenshotted), and at most a few times an hour."""
    row = tx.one("SELECT t.id, t.hall_id, t.status, m.device FROM tickets t "
                 "LEFT JOIN mobile_issues m ON m.ticket_id = t.id WHERE t.token = ?", (token,))
    if row is None:
        raise NotFound(E.TICKET_NOT_FOUND, "号票不存在 (no such ticket)")
    if device is None or row["device"] != device:
        raise Forbidden(E.NOT_YOUR_TICKET, "只能在取号的手机上取消；如需帮助请到服务台 "
                                           "(only the phone that took this ticket can cancel it)")
    if row["status"] != "waiting":
        raise Conflict(E.TICKET_NOT_WAITING, "号票已叫号或已结束，不能取消 (the ticket is no longer waiting)",
                       status=row["status"])
    cancels = [r[0] for r in tx.all(
        "SELECT t.ended_at FROM mobile_issues m JOIN tickets t ON t.id = m.ticket_id WHERE m.device = ? "
        "AND m.at > ? AND t.status = 'cancelled'", (device, tx.now - 2 * ratelimit.HOUR))]
    ratelimit.check_cancel(cancels, tx.now)
    return tickets.ticket_action(tx, rules, ticket_id=row["id"], action=Action.CANCEL,
                                 actor=Actor(Role.KIOSK, hall_id=row["hall_id"]), body={})


async def mobile_device_of(db: Database, token: str) -> str | None:
    """The device that took a phone ticket (None: not a phone ticket)."""
    row = await db.one("SELECT m.device FROM mobile_issues m JOIN tickets t ON t.id = m.ticket_id "
                       "WHERE t.token = ?", (token,))
    return row[0] if row is not None else None


# -- the phone page ------------------------------------------------------------------------------------

async def ticket_ref(db: Database, token: str) -> dict[str, Any] | None:
    """Who a status token belongs to: enough to pick the hub events that concern it."""
    row = await db.one("SELECT t.id, t.hall_id, t.queue_id, q.prefix AS queue, t.status, t.number, "
                       "h.code AS hall_code FROM tickets t JOIN halls h ON h.id = t.hall_id "
                       "JOIN queues q ON q.id = t.queue_id WHERE t.token = ?", (token,))
    return dict(row) if row is not None else None


async def hall_seq(db: Database, hall_id: int) -> int:
    """The hall's last committed event sequence number."""
    row = await db.one("SELECT event_seq FROM halls WHERE id = ?", (hall_id,))
    return int(row[0]) if row is not None else 0


async def windows_serving(db: Database, queue_id: int) -> set[int]:
    """The windows that serve a queue: only their changes can move its wait estimate."""
    return {r[0] for r in await db.all("SELECT window_id FROM window_queues WHERE queue_id = ?", (queue_id,))}


async def last_window(db: Database, token: str) -> dict[str, Any] | None:
    """The window that served (or last called) a ticket, for the end of its phone page."""
    row = await db.one("SELECT w.number, w.name, w.name_en FROM tickets t JOIN windows w ON w.id = t.window_id "
                       "WHERE t.token = ?", (token,))
    return dict(row) if row is not None else None


async def ticket_for_print(db: Database, ticket_id: int) -> dict[str, Any] | None:
    row = await db.one("SELECT t.id, t.hall_id, t.number, t.token, t.priority, t.channel, t.issued_at, "
                       "t.appointment_at, q.prefix, q.name AS queue_name, q.name_en AS queue_name_en, "
                       "h.name AS hall_name, h.timezone FROM tickets t JOIN queues q ON q.id = t.queue_id "
                       "JOIN halls h ON h.id = t.hall_id WHERE t.id = ?", (ticket_id,))
    return dict(row) if row is not None else None


# -- the clerk console ---------------------------------------------------------------------------------

async def window_of_clerk(db: Database, user_id: int) -> dict[str, Any] | None:
    row = await db.one("SELECT id, number, hall_id FROM windows WHERE clerk_user_id = ?", (user_id,))
    return dict(row) if row is not None else None


async def parked_at(db: Database, window_id: int) -> list[dict[str, Any]]:
    rows = await db.all("SELECT id, number, issued_at FROM tickets WHERE window_id = ? AND status = 'parked' "
                        "ORDER BY id", (window_id,))
    return [{"id": r["id"], "number": r["number"], "issued_at": iso(r["issued_at"])} for r in rows]


async def clerk_day(db: Database, *, user_id: int, hall_id: int, day: str, window_id: int | None) -> dict[str, Any]:
    """The clerk's own figures for the service day: served, no-shows, mean service and wait, transfers out."""
    async with db.snapshot() as conn:
        rows = list(await conn.all(
            "SELECT count(*) FILTER (WHERE status = 'done') AS served,"
            " count(*) FILTER (WHERE status = 'no_show') AS no_show,"
            " avg(ended_at - started_at) FILTER (WHERE status = 'done' AND started_at IS NOT NULL) AS service_s,"
            " avg(first_called_at - issued_at) FILTER (WHERE first_called_at IS NOT NULL) AS wait_s,"
            " max(ended_at - started_at) FILTER (WHERE status = 'done' AND started_at IS NOT NULL) AS longest_s "
            "FROM tickets WHERE clerk_user_id = ? AND hall_id = ? AND service_day = ?", (user_id, hall_id, day)))
        items = list(await conn.all(
            "SELECT count(*) FROM ticket_items ti JOIN tickets t ON t.id = ti.ticket_id "
            "WHERE t.clerk_user_id = ? AND t.hall_id = ? AND t.service_day = ?", (user_id, hall_id, day)))
        transfers = list(await conn.all(
            "SELECT count(*) FROM events e JOIN tickets t ON t.id = e.ticket_id "
            "WHERE e.hall_id = ? AND e.type = 'ticket.transferred' AND t.service_day = ? "
            f"AND {conn.dialect.json_int('e.payload', 'window', 'id')} = ?", (hall_id, day, window_id or -1)))
    r = rows[0]

    def minutes(v: float | None) -> float | None:
        return round(v / 60, 1) if v is not None else None

    return {"day": day, "served": r["served"], "no_show": r["no_show"], "items": items[0][0],
            "transferred_out": transfers[0][0], "mean_service_minutes": minutes(r["service_s"]),
            "mean_wait_minutes": minutes(r["wait_s"]), "longest_service_minutes": minutes(r["longest_s"])}
