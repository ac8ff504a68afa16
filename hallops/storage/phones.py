"""Phone tickets (一码取号) and the phone page's lookups (SQL for both backends).

The limits are the domain's (`hallops/domain/phones.py`); the write jobs here load the rows a decision needs
and hand them to the check the use case gives, in the same transaction as the issue or the cancel, so two
taps racing cannot both slip under a limit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from hallops.domain import ratelimit
from hallops.domain.actors import Actor
from hallops.domain.errors import E, NotFound
from hallops.domain.lines import SERVICE_SECONDS, HallLines, QueueFacts, Waiting
from hallops.domain.model import Channel, Priority, Role
from hallops.domain.phones import PhoneIssue, PhoneLimits
from hallops.domain.tickets import Action
from hallops.storage import bundles, tickets
from hallops.storage.db import Database, Tx
from hallops.storage.kiosk import read_settings_tx
from hallops.storage.rules import Rules
from hallops.storage.views import TICKET_COLUMNS, TICKET_FROM
from hallops.wire.tickets import status_json

IssueCheck = Callable[[Sequence[PhoneIssue], Sequence[float], float, PhoneLimits], None]
CancelCheck = Callable[[str | None, str | None, str, Sequence[float], float], None]
DEVICE_KEY = "device-cookie"


def _recent_idempotent(tx: Tx, rules: Rules, scope: str, key: str) -> bool:
    """A key still in force: an expired one is a new request and must pass the limits again."""
    return tx.one("SELECT 1 FROM idempotency_keys WHERE scope = ? AND key = ? AND created_at > ?",
                  (scope, key, tx.now - rules.idempotency_hours * 3600)) is not None


def _limits(tx: Tx, hall_id: int) -> PhoneLimits:
    s = read_settings_tx(tx, hall_id)
    return PhoneLimits(int(s["mobile_per_device_hour"]), int(s["mobile_per_address_hour"]), bool(s["mobile_enabled"]))


def issue_mobile(tx: Tx, rules: Rules, check: IssueCheck, *, hall_id: int, queue: str | int, device: str,
                 address: str, idempotency: tuple[str, str] | None,
                 bundle_id: int | None = None) -> tuple[dict[str, Any], bool]:
    """Issue a phone ticket (never a priority one) if `check` allows it on this device's and this address's
    issues of the last hour; one of a bundle (一件事) is marked as the bundle's. A retry with the same
    Idempotency-Key returns the ticket it made and is not counted again."""
    scope = f"device:{device}"
    key = (scope, *idempotency) if idempotency is not None else None
    actor = Actor(Role.KIOSK, hall_id=hall_id)  # the page acts for the hall, as a kiosk in the citizen's hand
    if key is None or not _recent_idempotent(tx, rules, scope, key[1]):
        since = tx.now - ratelimit.HOUR
        mine = [PhoneIssue(float(r["at"]), r["status"], None if r["ended_at"] is None else float(r["ended_at"]))
                for r in tx.all("SELECT m.at, t.status, t.ended_at FROM mobile_issues m JOIN tickets t "
                                "ON t.id = m.ticket_id WHERE m.device = ? AND m.at > ?", (device, since))]
        here = [float(r[0]) for r in tx.all("SELECT at FROM mobile_issues WHERE hall_id = ? AND address = ? "
                                            "AND at > ?", (hall_id, address, since))]
        check(mine, here, tx.now, _limits(tx, hall_id))
    ticket, created = tickets.issue_ticket(tx, rules, hall_id=hall_id, queue=queue, channel=Channel.MOBILE,
                                           priority=Priority.NONE, appointment_at=None, actor=actor,
                                           idempotency=key)
    if created:
        tx.run("INSERT INTO mobile_issues (hall_id, device, address, ticket_id, at) VALUES (?, ?, ?, ?, ?)",
               (hall_id, device, address, ticket["id"], tx.now))
        if bundle_id is not None:
            bundles.attach(tx, int(ticket["id"]), bundle_id)
    return ticket, created


def cancel_mobile(tx: Tx, rules: Rules, check: CancelCheck, *, token: str, device: str | None) -> dict[str, Any]:
    """The citizen takes back a phone ticket, if `check` allows it on who took it, its status and the phone's
    cancels of the last two hours."""
    row = tx.one("SELECT t.id, t.hall_id, t.status, m.device FROM tickets t "
                 "LEFT JOIN mobile_issues m ON m.ticket_id = t.id WHERE t.token = ?", (token,))
    if row is None:
        raise NotFound(E.TICKET_NOT_FOUND, "号票不存在 (no such ticket)")
    cancels = [float(r[0]) for r in tx.all(
        "SELECT t.ended_at FROM mobile_issues m JOIN tickets t ON t.id = m.ticket_id WHERE m.device = ? "
        "AND m.at > ? AND t.status = 'cancelled'", (device or "", tx.now - 2 * ratelimit.HOUR))]
    check(row["device"], device, row["status"], cancels, tx.now)
    return tickets.ticket_action(tx, rules, ticket_id=row["id"], action=Action.CANCEL,
                                 actor=Actor(Role.KIOSK, hall_id=row["hall_id"]), body={})


class PhonesPort:
    """Phone tickets and what the phone page reads."""

    def __init__(self, db: Database, rules: Rules, key: Callable[[str], Awaitable[bytes]]) -> None:
        self.db = db
        self.rules = rules
        self._key = key

    async def device_key(self) -> bytes:
        """The key that signs device cookies (one for every process: the signing-key port's)."""
        return await self._key(DEVICE_KEY)

    async def issue(self, check: IssueCheck, *, hall_id: int, queue: str | int, device: str, address: str,
                    idempotency: tuple[str, str] | None,
                    bundle_id: int | None = None) -> tuple[dict[str, Any], bool]:
        return await self.db.write(lambda tx: issue_mobile(tx, self.rules, check, hall_id=hall_id, queue=queue,
                                                           device=device, address=address, idempotency=idempotency,
                                                           bundle_id=bundle_id))

    async def cancel(self, check: CancelCheck, *, token: str, device: str | None) -> dict[str, Any]:
        return await self.db.write(lambda tx: cancel_mobile(tx, self.rules, check, token=token, device=device))

    async def device_of(self, token: str) -> str | None:
        """The device that took a phone ticket (None: not a phone ticket)."""
        row = await self.db.one("SELECT m.device FROM mobile_issues m JOIN tickets t ON t.id = m.ticket_id "
                                "WHERE t.token = ?", (token,))
        return row[0] if row is not None else None

    async def ticket_ref(self, token: str) -> dict[str, Any] | None:
        """Who a status token belongs to: enough to pick the hub events that concern it."""
        row = await self.db.one("SELECT t.id, t.hall_id, t.queue_id, q.prefix AS queue, t.status, t.number, "
                                "h.code AS hall_code FROM tickets t JOIN halls h ON h.id = t.hall_id "
                                "JOIN queues q ON q.id = t.queue_id WHERE t.token = ?", (token,))
        return dict(row) if row is not None else None

    async def windows_serving(self, queue_id: int) -> frozenset[int]:
        """The windows that serve a queue: only their changes can move its wait estimate."""
        rows = await self.db.all("SELECT window_id FROM window_queues WHERE queue_id = ?", (queue_id,))
        return frozenset(int(r[0]) for r in rows)

    async def last_event(self, token: str) -> dict[str, Any] | None:
        """The ticket's newest event, {"seq", "type"} (None: no event names it)."""
        row = await self.db.one("SELECT e.seq, e.type FROM tickets t JOIN events e ON e.ticket_id = t.id "
                                "WHERE t.token = ? ORDER BY e.seq DESC LIMIT 1", (token,))
        return {"seq": int(row["seq"]), "type": row["type"]} if row is not None else None

    async def last_window(self, token: str) -> dict[str, Any] | None:
        """The window that served (or last called) a ticket, for the end of its phone page."""
        row = await self.db.one("SELECT w.number, w.name, w.name_en FROM tickets t JOIN windows w "
                                "ON w.id = t.window_id WHERE t.token = ?", (token,))
        return dict(row) if row is not None else None

    async def own(self, token: str) -> dict[str, Any] | None:
        """What a ticket's live socket reads at each event of its own, in one snapshot: its public status
        without its place in line (people ahead 0, no estimate: the hall's lines give those), the English name
        of the window it is or was at ("window_name_en"), and its newest event ("own_event")."""
        async with self.db.snapshot() as r:
            row = await r.one(f"SELECT {TICKET_COLUMNS}, w.name_en AS window_name_en FROM {TICKET_FROM} "
                              "WHERE t.token = ?", (token,))
            if row is None:
                return None
            ev = await r.one("SELECT seq, type FROM events WHERE ticket_id = ? ORDER BY seq DESC LIMIT 1",
                             (row["id"],))
        return status_json(row, 0, None) | {
            "window_id": row["window_id"], "window_name_en": row["window_name_en"],
            "own_event": {"seq": int(ev["seq"]), "type": ev["type"]} if ev is not None else None}

    async def lines(self, hall_id: int) -> HallLines:
        """The hall's waiting lines and estimate inputs, in one snapshot, as of its last committed event."""
        since = self.db.clock() - SERVICE_SECONDS
        async with self.db.snapshot() as r:
            seq = await r.one("SELECT event_seq FROM halls WHERE id = ?", (hall_id,))
            waiting = await r.all("SELECT id, queue_id, target_window_id, boost_class, sort_at FROM tickets "
                                  "WHERE hall_id = ? AND status = 'waiting'", (hall_id,))
            queues = await r.all("SELECT id, avg_service_minutes FROM queues WHERE hall_id = ?", (hall_id,))
            services = await r.all("SELECT queue_id, ended_at, (ended_at - started_at) / 60.0 AS minutes FROM tickets "
                                   "WHERE hall_id = ? AND status = 'done' AND started_at IS NOT NULL AND ended_at > ? "
                                   "ORDER BY ended_at", (hall_id, since))
            windows = await r.all("SELECT id, state FROM windows WHERE hall_id = ? AND active = 1", (hall_id,))
            serves = await r.all("SELECT wq.window_id, wq.queue_id FROM window_queues wq JOIN windows w "
                                 "ON w.id = wq.window_id WHERE w.hall_id = ? AND w.active = 1", (hall_id,))
        by_queue: dict[int, list[tuple[float, float]]] = {}
        for s in services:
            by_queue.setdefault(int(s["queue_id"]), []).append((float(s["ended_at"]), float(s["minutes"])))
        served: dict[int, list[int]] = {}
        for row in serves:
            served.setdefault(int(row["window_id"]), []).append(int(row["queue_id"]))
        return HallLines(
            int(seq[0]) if seq is not None else 0, self.rules.policy,
            (Waiting(int(w["id"]), int(w["queue_id"]), w["target_window_id"], int(w["boost_class"]),
                     float(w["sort_at"])) for w in waiting),
            {int(q["id"]): QueueFacts(float(q["avg_service_minutes"]), by_queue.get(int(q["id"]), ()))
             for q in queues},
            {int(w["id"]): w["state"] for w in windows}, served)
