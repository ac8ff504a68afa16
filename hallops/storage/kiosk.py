"""The hall's citizen settings and the kiosks' printers (SQL for both backends).

`KioskPort` is what the application layer asks: the settings (check-in windows, phone-ticket limits, the
console's no-show rule, the public address), each kiosk's printer with its last fault, the print log, and
the row a ticket slip is printed from. `read_settings_tx` and `settings_from_row` serve the other citizen
subjects' write jobs (phones, appointments) inside their own transactions.
"""

from __future__ import annotations

from typing import Any

from hallops.domain.actors import Actor
from hallops.domain.errors import E, InvalidInput
from hallops.domain.events import Ev
from hallops.domain.model import Role
from hallops.storage import audit
from hallops.storage.db import Database, Row, Tx

DEFAULTS: dict[str, Any] = {
    "checkin_early_minutes": 30,
    "checkin_late_minutes": 15,
    "mobile_per_device_hour": 2,
    "mobile_per_address_hour": 60,
    "mobile_enabled": True,
    "no_show_after_recalls_seconds": 0,
    "public_base_url": "",
    # The citizen's side (issue 15, migration 0011).
    "search_integrated_first": False,
    "person_daily_limit": 5,
    "retention_days": 30,
    "sms_ahead_default": 3,
    "booking_days_ahead": 7,
    "booking_missed_limit": 3,
    "booking_missed_window_days": 30,
    "booking_block_days": 30,
}
_SETTINGS_SQL = "SELECT * FROM citizen_settings WHERE hall_id = ?"


def settings_from_row(row: Row | None) -> dict[str, Any]:
    if row is None:
        return dict(DEFAULTS)
    out = {k: row[k] for k in DEFAULTS}
    out["mobile_enabled"] = bool(out["mobile_enabled"])
    out["search_integrated_first"] = bool(out["search_integrated_first"])
    return out


def read_settings_tx(tx: Tx, hall_id: int) -> dict[str, Any]:
    return settings_from_row(tx.one(_SETTINGS_SQL, (hall_id,)))


async def read_settings(db: Database, hall_id: int) -> dict[str, Any]:
    return settings_from_row(await db.one(_SETTINGS_SQL, (hall_id,)))


def save_settings(tx: Tx, *, hall_id: int, changes: dict[str, Any], actor: Actor | None) -> dict[str, Any]:
    current = read_settings_tx(tx, hall_id) | {k: v for k, v in changes.items() if k in DEFAULTS}
    cols = list(DEFAULTS)
    tx.run(f"INSERT INTO citizen_settings (hall_id, {', '.join(cols)}, updated_at) VALUES "
           f"(?, {', '.join('?' * len(cols))}, ?) ON CONFLICT (hall_id) DO UPDATE SET "
           f"{', '.join(f'{c} = excluded.{c}' for c in cols)}, updated_at = excluded.updated_at",
           (hall_id, *[current[c] for c in cols], tx.now))
    tx.emit(hall_id, Ev.HALL_CITIZEN_SETTINGS, {"settings": current})
    audit.setting(tx, actor, "citizen-settings", hall_id=hall_id, after=changes)
    return current


# -- kiosk printers ------------------------------------------------------------------------------------

def set_printer(tx: Tx, *, token_id: int, mode: str, host: str, port: int, actor: Actor) -> dict[str, Any]:
    # The token's hall is checked against the actor here, in the transaction that writes its printer.
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


def log_print(tx: Tx, *, token_id: int | None, ticket_id: int, ok: bool, error: str) -> None:
    tx.run("INSERT INTO kiosk_print_log (token_id, ticket_id, ok, error, at) VALUES (?, ?, ?, ?, ?)",
           (token_id, ticket_id, int(ok), error[:500], tx.now))


class KioskPort:
    """The citizen settings and the kiosks' printers."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def settings(self, hall_id: int) -> dict[str, Any]:
        return await read_settings(self.db, hall_id)

    async def save_settings(self, hall_id: int, changes: dict[str, Any], actor: Actor | None) -> dict[str, Any]:
        return await self.db.write(lambda tx: save_settings(tx, hall_id=hall_id, changes=changes, actor=actor))

    async def printer(self, token_id: int | None) -> dict[str, Any]:
        """The kiosk's printer; a kiosk without a row prints with the browser (80 mm layout)."""
        row = await self.db.one("SELECT mode, host, port FROM kiosk_printers WHERE token_id = ?", (token_id,)) \
            if token_id is not None else None
        if row is None:
            return {"mode": "browser", "host": "", "port": 9100}
        return dict(row)

    async def printers(self, hall_id: int) -> list[dict[str, Any]]:
        rows = await self.db.all(
            "SELECT t.id AS token_id, t.label, coalesce(p.mode, 'browser') AS mode, coalesce(p.host, '') AS host, "
            "coalesce(p.port, 9100) AS port, (SELECT max(at) FROM kiosk_print_log l WHERE l.token_id = t.id AND "
            "l.ok = 0) AS last_fault_at, (SELECT error FROM kiosk_print_log l WHERE l.token_id = t.id ORDER BY id "
            "DESC LIMIT 1) AS last_error FROM api_tokens t LEFT JOIN kiosk_printers p ON p.token_id = t.id "
            "WHERE t.role = 'kiosk' AND t.revoked_at IS NULL AND (t.hall_id = ? OR t.hall_id IS NULL) ORDER BY t.id",
            (hall_id,))
        return [dict(r) for r in rows]

    async def set_printer(self, *, token_id: int, mode: str, host: str, port: int, actor: Actor) -> dict[str, Any]:
        return await self.db.write(lambda tx: set_printer(tx, token_id=token_id, mode=mode, host=host, port=port,
                                                          actor=actor))

    async def log_print(self, *, token_id: int | None, ticket_id: int, ok: bool, error: str) -> None:
        await self.db.write(lambda tx: log_print(tx, token_id=token_id, ticket_id=ticket_id, ok=ok, error=error))

    async def ticket_for_print(self, ticket_id: int) -> dict[str, Any] | None:
        row = await self.db.one("SELECT t.id, t.hall_id, t.number, t.token, t.priority, t.channel, t.issued_at, "
                                "t.appointment_at, q.prefix, q.name AS queue_name, q.name_en AS queue_name_en, "
                                "h.name AS hall_name, h.timezone FROM tickets t JOIN queues q ON q.id = t.queue_id "
                                "JOIN halls h ON h.id = t.hall_id WHERE t.id = ?", (ticket_id,))
        return dict(row) if row is not None else None
