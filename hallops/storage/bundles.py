"""Bundle tickets (一件事一次办): which bundle a ticket belongs to and where on its route it is. The route is
the domain's (domain/bundles.py); `advance` is called by the ticket's finish, in its transaction
(storage/tickets.py), and tells it the next queue to go to, if any."""

from __future__ import annotations

from typing import Any

from hallops.domain import bundles
from hallops.domain.errors import E, NotFound
from hallops.storage.db import Database, Tx


def _stops(tx: Tx, bundle_id: int) -> list[int]:
    """The route over the queues that are in use now (an archived queue is passed over, not a dead end)."""
    b = tx.one("SELECT b.queue_id FROM bundles b JOIN queues q ON q.id = b.queue_id WHERE b.id = ? AND q.active = 1",
               (bundle_id,))
    items = tx.all("SELECT q.id FROM bundle_items bi JOIN service_items i ON i.id = bi.item_id JOIN queues q "
                   "ON q.id = i.queue_id WHERE bi.bundle_id = ? AND q.active = 1 ORDER BY bi.position", (bundle_id,))
    return bundles.route(b["queue_id"] if b else None, [r[0] for r in items])


def advance(tx: Tx, ticket_id: int) -> dict[str, Any] | None:
    """A bundle ticket finished at its current stop: move it to the next one (None: not a bundle ticket, or
    its last stop: it is done). Returns the next queue's id and the step."""
    row = tx.one("SELECT bundle_id, step FROM bundle_tickets WHERE ticket_id = ?", (ticket_id,))
    if row is None:
        return None
    nxt = bundles.next_stop(_stops(tx, int(row["bundle_id"])), int(row["step"]))
    if nxt is None:
        return None
    step, queue_id = nxt
    tx.run("UPDATE bundle_tickets SET step = ? WHERE ticket_id = ?", (step, ticket_id))
    return {"queue_id": queue_id, "step": step, "bundle_id": int(row["bundle_id"])}


def attach(tx: Tx, ticket_id: int, bundle_id: int) -> None:
    tx.run("INSERT INTO bundle_tickets (ticket_id, bundle_id, step) VALUES (?, ?, 0) ON CONFLICT DO NOTHING",
           (ticket_id, bundle_id))


class BundlesPort:
    """Reading a bundle for issuing (a ticket is marked as the bundle's as it is issued: storage/tickets.py)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def bundle(self, bundle_id: int) -> dict[str, Any]:
        async with self.db.snapshot() as r:
            b = await r.one("SELECT id, hall_id, code, name, queue_id, active FROM bundles WHERE id = ?", (bundle_id,))
            if b is None or not b["active"]:
                raise NotFound(E.BUNDLE_NOT_FOUND, f"一件事不存在 (no bundle {bundle_id})")
            items = await r.all("SELECT i.queue_id FROM bundle_items bi JOIN service_items i ON i.id = bi.item_id "
                                "WHERE bi.bundle_id = ? ORDER BY bi.position", (bundle_id,))
        stops = bundles.route(b["queue_id"], [x[0] for x in items])
        return {**dict(b), "stops": stops}

    async def offered(self, hall_id: int) -> list[dict[str, Any]]:
        """The hall's active bundles as a citizen chooses one (the kiosk's and the phone's menu): each step's
        item and department in order, and the route's queues in use now (empty: nothing to issue at)."""
        async with self.db.snapshot() as r:
            rows = await r.all("SELECT b.id, b.code, b.name, b.name_en, q.id AS queue_id FROM bundles b LEFT JOIN "
                               "queues q ON q.id = b.queue_id AND q.active = 1 WHERE b.hall_id = ? AND b.active = 1 "
                               "ORDER BY b.id", (hall_id,))
            steps = await r.all(
                "SELECT bi.bundle_id, i.name AS item, i.name_en AS item_en, d.name AS department, "
                "d.name_en AS department_en, q.id AS queue_id FROM bundle_items bi JOIN bundles b ON b.id = "
                "bi.bundle_id JOIN service_items i ON i.id = bi.item_id LEFT JOIN departments d ON d.id = "
                "i.department_id LEFT JOIN queues q ON q.id = i.queue_id AND q.active = 1 WHERE b.hall_id = ? "
                "AND b.active = 1 ORDER BY bi.bundle_id, bi.position", (hall_id,))
            prefixes = {int(x[0]): str(x[1]) for x in await r.all("SELECT id, prefix FROM queues WHERE hall_id = ?",
                                                                 (hall_id,))}
        by_bundle: dict[int, list[Any]] = {}
        for st in steps:
            by_bundle.setdefault(int(st["bundle_id"]), []).append(st)
        out = []
        for b in rows:
            mine = by_bundle.get(int(b["id"]), [])
            stops = bundles.route(b["queue_id"], [st["queue_id"] for st in mine])
            out.append({"id": b["id"], "code": b["code"], "name": b["name"], "name_en": b["name_en"] or "",
                        "stops": [prefixes[q] for q in stops],
                        "steps": [{"item": st["item"], "item_en": st["item_en"] or "",
                                   "department": st["department"] or "", "department_en": st["department_en"] or "",
                                   "queue": prefixes[st["queue_id"]] if st["queue_id"] is not None else None}
                                  for st in mine]})
        return out

    async def progress(self, ticket_id: int) -> dict[str, Any] | None:
        row = await self.db.one("SELECT bundle_id, step FROM bundle_tickets WHERE ticket_id = ?", (ticket_id,))
        return None if row is None else dict(row)
