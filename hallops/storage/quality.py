"""What ratings and cases share in storage: the hall's settings and working-day calendar, the audit log, the
outbox of messages that leave the server (the province's 好差评 system, work-group robots), the daily scan.

The rules are the domain's (hallops/domain/calendar.py, ratings.py, cases.py); these helpers load what the
rules read, inside the write job that acts on it.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

from hallops.domain.actors import Actor
from hallops.domain.calendar import CountFrom, Deadline, WorkCalendar
from hallops.domain.errors import E, NotFound
from hallops.storage.db import Row, Tx

# Every setting a hall may change, with its default. Deadlines differ from place to place (5, 7 or 15
# working days; from the day of receipt or the next), so none is fixed in code.
DEFAULT_SETTINGS: dict[str, Any] = {
    "consultation_days": 5,  # 咨询 working days
    "complex_days": 15,  # 复杂件 working days
    "followup_days": 5,  # a bad rating's follow-up, working days
    "count_from": CountFrom.NEXT_DAY.value,
    # a patrol finding with no due date given: working days by severity, from the day found (patrols.py)
    "finding_minor_days": 5, "finding_major_days": 3, "finding_serious_days": 1,
    "finding_count_from": CountFrom.RECEIPT_DAY.value,
    "rating_limit_minutes": 24 * 60,  # after this a visit is recorded unrated
    "pad_minutes": 5,  # the pad offers the finished visit this long
    "scan_at": "09:00",  # the daily scan, each working day, hall time
    "province_url": "",  # the province's 好差评 endpoint ('' : not reported)
    "province_token": "",
    "wait_weight": 25, "rating_weight": 40, "finding_weight": 20, "case_weight": 15,  # the window score
}


def actor_name(actor: Actor) -> str:
    return actor.display_name or actor.role.value


def hall_tz(tx: Tx, hall_id: int) -> ZoneInfo:
    r = tx.one("SELECT timezone FROM halls WHERE id = ?", (hall_id,))
    if r is None:
        raise NotFound(E.HALL_NOT_FOUND, f"大厅不存在 (no hall {hall_id})")
    return ZoneInfo(r["timezone"])


def local_date(ts: float, tz: ZoneInfo) -> dt.date:
    return dt.datetime.fromtimestamp(ts, tz).date()


def end_of_day(day: dt.date, tz: ZoneInfo) -> float:
    """The instant `day` ends in the hall's time (its due day is inclusive)."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tz).timestamp()


def settings_of(row: Row | None) -> dict[str, Any]:
    out = dict(DEFAULT_SETTINGS)
    if row is not None:
        out.update(json.loads(row["settings"]))
    return out


def tx_settings(tx: Tx, hall_id: int) -> dict[str, Any]:
    return settings_of(tx.one("SELECT settings FROM quality_settings WHERE hall_id = ?", (hall_id,)))


def save_settings(tx: Tx, hall_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    hall_tz(tx, hall_id)
    merged = tx_settings(tx, hall_id) | changes
    kept = {k: merged[k] for k in DEFAULT_SETTINGS}
    tx.run("INSERT INTO quality_settings (hall_id, settings, updated_at) VALUES (?, ?, ?) ON CONFLICT (hall_id) "
           "DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at",
           (hall_id, json.dumps(kept, ensure_ascii=False), tx.now))
    return kept


def calendar_of(days: list[Row], years: list[Row]) -> WorkCalendar:
    return WorkCalendar({dt.date.fromisoformat(r["day"]): bool(r["workday"]) for r in days},
                        frozenset(int(r["year"]) for r in years))


def tx_calendar(tx: Tx, hall_id: int) -> WorkCalendar:
    return calendar_of(tx.all("SELECT day, workday FROM calendar_days WHERE hall_id = ?", (hall_id,)),
                       tx.all("SELECT year FROM calendar_years WHERE hall_id = ?", (hall_id,)))


def deadline_now(tx: Tx, hall_id: int, working_days: int) -> tuple[Deadline, ZoneInfo]:
    """A deadline for something received now in this hall, by its calendar and counting rule."""
    tz = hall_tz(tx, hall_id)
    s = tx_settings(tx, hall_id)
    return tx_calendar(tx, hall_id).deadline(local_date(tx.now, tz), working_days, CountFrom(s["count_from"])), tz


def log(tx: Tx, hall_id: int, subject: str, subject_id: int, actor: Actor, action: str, from_status: str | None,
        to_status: str | None, note: str = "", data: dict[str, Any] | None = None) -> None:
    tx.run("INSERT INTO work_log (hall_id, subject, subject_id, at, user_id, actor_name, action, from_status,"
           " to_status, note, data) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
           (hall_id, subject, subject_id, tx.now, actor.user_id, actor_name(actor), action, from_status, to_status,
            note, json.dumps(data or {}, ensure_ascii=False)))


def log_of(rows: list[Row]) -> list[dict[str, Any]]:
    return [{"at": iso_ts(r["at"]), "by": r["actor_name"], "action": r["action"], "from": r["from_status"],
             "to": r["to_status"], "note": r["note"], "data": json.loads(r["data"])} for r in rows]


def iso_ts(ts: float | None) -> str | None:
    return None if ts is None else dt.datetime.fromtimestamp(ts, dt.UTC).isoformat().replace("+00:00", "Z")


# -- the outbox ------------------------------------------------------------------------------------------------

def enqueue_province(tx: Tx, hall_id: int, kind: str, subject_id: int, case_number: str,
                     body: dict[str, Any]) -> None:
    """Report to the province when the hall has an endpoint; kept (and shown) whatever happens to the post."""
    if not tx_settings(tx, hall_id)["province_url"]:
        return
    tx.run("INSERT INTO quality_outbox (hall_id, target, kind, subject_id, case_number, body, state, next_at,"
           " created_at) VALUES (?, 'province', ?, ?, ?, ?, 'pending', ?, ?)",
           (hall_id, kind, subject_id, case_number, json.dumps(body, ensure_ascii=False), tx.now, tx.now))


def enqueue_robots(tx: Tx, hall_id: int, kind: str, subject_id: int | None, title: str, text: str) -> int:
    """One message per active work-group robot of the hall (the briefing's webhooks)."""
    hooks = tx.all("SELECT id, kind FROM report_webhooks WHERE hall_id = ? AND active = 1", (hall_id,))
    for h in hooks:
        tx.run("INSERT INTO quality_outbox (hall_id, target, webhook_id, kind, subject_id, body, state, next_at,"
               " created_at) VALUES (?, 'webhook', ?, ?, ?, ?, 'pending', ?, ?)",
               (hall_id, h["id"], kind, subject_id, json.dumps({"title": title, "text": text}, ensure_ascii=False),
                tx.now, tx.now))
    return len(hooks)


OUTBOX_SELECT = ("SELECT o.*, w.kind AS robot_kind, w.url AS robot_url, w.secret AS robot_secret, "
                 "s.settings AS hall_settings FROM quality_outbox o "
                 "LEFT JOIN report_webhooks w ON w.id = o.webhook_id "
                 "LEFT JOIN quality_settings s ON s.hall_id = o.hall_id")


def claim_due(tx: Tx, lease_seconds: float, limit: int) -> list[dict[str, Any]]:
    rows = tx.all(f"{OUTBOX_SELECT} WHERE o.state = 'pending' AND o.next_at <= ? AND o.lease_until <= ? "
                  "ORDER BY o.next_at, o.id LIMIT ?", (tx.now, tx.now, limit))
    out = []
    for r in rows:
        tx.run("UPDATE quality_outbox SET lease_until = ?, attempts = attempts + 1 WHERE id = ?",
               (tx.now + lease_seconds, r["id"]))
        d = dict(r)
        d["attempts"] += 1
        d["settings"] = DEFAULT_SETTINGS | (json.loads(r["hall_settings"]) if r["hall_settings"] else {})
        out.append(d)
    return out


def record_attempt(tx: Tx, delivery_id: int, ok: bool, http_status: int | None, error: str | None,
                   retry_at: float | None) -> None:
    if ok:
        tx.run("UPDATE quality_outbox SET state = 'delivered', delivered_at = ?, http_status = ?, last_error = '', "
               "lease_until = 0 WHERE id = ?", (tx.now, http_status, delivery_id))
    else:
        tx.run("UPDATE quality_outbox SET state = ?, next_at = ?, http_status = ?, last_error = ?, lease_until = 0 "
               "WHERE id = ?", ("pending" if retry_at is not None else "failed",
                                retry_at if retry_at is not None else tx.now, http_status, error or "", delivery_id))


def retry(tx: Tx, delivery_id: int, hall_id: int) -> None:
    if tx.run("UPDATE quality_outbox SET state = 'pending', next_at = ?, attempts = 0 WHERE id = ? AND hall_id = ? "
              "AND state = 'failed'", (tx.now, delivery_id, hall_id)) == 0:
        raise NotFound(E.DELIVERY_NOT_FOUND, f"没有失败的投递 {delivery_id} (no failed delivery {delivery_id})")


def delivery_json(r: Row) -> dict[str, Any]:
    return {"id": r["id"], "target": r["target"], "kind": r["kind"], "subject_id": r["subject_id"],
            "case_number": r["case_number"], "state": r["state"], "attempts": r["attempts"],
            "http_status": r["http_status"], "last_error": r["last_error"], "created_at": iso_ts(r["created_at"]),
            "delivered_at": iso_ts(r["delivered_at"]), "next_at": iso_ts(r["next_at"])}
