"""The clerk console's reads (SQL for both backends): the clerk's window, the tickets parked at a window, and
the clerk's own figures of the service day."""

from __future__ import annotations

from typing import Any

from hallops.storage.db import Database


class ConsolePort:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def window(self, window_id: int) -> dict[str, Any] | None:
        """An active window with its hall's time zone (None: no such window)."""
        row = await self.db.one("SELECT w.id, w.hall_id, h.timezone FROM windows w JOIN halls h ON h.id = w.hall_id "
                                "WHERE w.id = ? AND w.active = 1", (window_id,))
        return dict(row) if row is not None else None

    async def window_of_clerk(self, user_id: int) -> dict[str, Any] | None:
        row = await self.db.one("SELECT id, number, hall_id FROM windows WHERE clerk_user_id = ?", (user_id,))
        return dict(row) if row is not None else None

    async def parked_at(self, window_id: int) -> list[dict[str, Any]]:
        rows = await self.db.all("SELECT id, number, issued_at FROM tickets WHERE window_id = ? AND status = 'parked' "
                                 "ORDER BY id", (window_id,))
        return [{"id": r["id"], "number": r["number"], "issued_at": float(r["issued_at"])} for r in rows]

    async def clerk_day(self, *, user_id: int, hall_id: int, day: str, window_id: int | None) -> dict[str, Any]:
        """The clerk's own figures for the service day: served, no-shows, mean service and wait, transfers out."""
        async with self.db.snapshot() as conn:
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
            return round(float(v) / 60, 1) if v is not None else None

        return {"day": day, "served": r["served"], "no_show": r["no_show"], "items": items[0][0],
                "transferred_out": transfers[0][0], "mean_service_minutes": minutes(r["service_s"]),
                "mean_wait_minutes": minutes(r["wait_s"]), "longest_service_minutes": minutes(r["longest_s"])}
