"""The audit log: every change (who, when, from where, before and after), sign-ins, failed sign-ins,
password resets and token use. `record` is called by the write job that makes the change, in its
transaction, so a change and its audit row commit together or not at all. `AuditStore` is the read port.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hallops.domain.actors import Actor
from hallops.storage.db import Database, Tx
from hallops.storage.views import iso

MAX_PAGE = 500
EXPORT_LIMIT = 100_000


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def who(actor: Actor | None) -> str:
    if actor is None:
        return ""
    return actor.display_name or (f"user {actor.user_id}" if actor.user_id else f"token {actor.token_id}"
                                  if actor.token_id else "operator")


def record(tx: Tx, actor: Actor | None, action: str, *, hall_id: int | None = None, target_kind: str = "",
           target_id: object = "", summary: str = "", before: Any = None, after: Any = None,
           name: str | None = None, address: str | None = None) -> None:
    """One audit row. `actor` None: nobody signed in (a failed sign-in: `name` says which username)."""
    tx.run("INSERT INTO audit_log (at, hall_id, actor_user_id, actor_token_id, actor_name, actor_role, address, "
           "action, target_kind, target_id, summary, before_json, after_json) "
           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
           (tx.now, hall_id, actor.user_id if actor else None, actor.token_id if actor else None,
            name if name is not None else who(actor), actor.role.value if actor else "",
            (address if address is not None else (actor.address if actor else None)) or "", action, target_kind,
            "" if target_id is None else str(target_id), summary[:500], _json(before), _json(after)))


SECRETS = frozenset({"secret", "province_token", "token", "password"})


def setting(tx: Tx, actor: Actor | None, what: str, *, hall_id: int | None, after: Any) -> None:
    """The row of a setup change whose subject keeps no trail of its own (the patrol checklist and settings,
    alert thresholds, the citizen, quality and report settings, the calendar, department heads, report
    webhooks): written by the change's own write job, so that the change and its row commit together or not
    at all. What was set is kept, its secrets not."""
    record(tx, actor, f"setting.{what}", hall_id=hall_id, target_kind=what, summary=f"修改设置 {what}",
           after=_without_secrets(after))


def _without_secrets(value: Any) -> Any:
    """Secrets as "***", and a URL without its query (a robot webhook's key rides in it)."""
    if isinstance(value, dict):
        return {k: ("***" if v else v) if k in SECRETS else
                (v.split("?")[0] + "?…" if "?" in v else v) if k == "url" and isinstance(v, str) else
                _without_secrets(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_without_secrets(v) for v in value]
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields that changed, as they were and as they became."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


@dataclass(frozen=True, slots=True)
class AuditQuery:
    hall_id: int | None = None  # with `hall_scope`: this hall's rows and those about no hall
    hall_scope: bool = False
    halls: tuple[int, ...] = ()  # with `hall_scope`: the halls of the admin's part of the tree (else hall_id alone)
    action: str | None = None  # a prefix: "user." gives every account change
    actor: str | None = None  # part of the actor's name
    target_kind: str | None = None
    since: float | None = None
    until: float | None = None
    text: str | None = None  # part of the summary
    limit: int = 100
    before_id: int | None = None  # paging: rows older than this one


def _where(q: AuditQuery) -> tuple[str, list[Any]]:
    conds: list[str] = []
    args: list[Any] = []
    if q.hall_scope:
        halls = q.halls or (q.hall_id,)
        conds.append(f"(hall_id IN ({','.join('?' * len(halls))}) OR hall_id IS NULL)")
        args.extend(halls)
    elif q.hall_id is not None:
        conds.append("hall_id = ?")
        args.append(q.hall_id)
    if q.action:
        conds.append("action LIKE ? ESCAPE '\\'")
        args.append(q.action.replace("%", "").replace("_", r"\_") + "%")
    if q.actor:
        conds.append("actor_name LIKE ?")
        args.append("%" + q.actor.replace("%", "") + "%")
    if q.target_kind:
        conds.append("target_kind = ?")
        args.append(q.target_kind)
    if q.since is not None:
        conds.append("at >= ?")
        args.append(q.since)
    if q.until is not None:
        conds.append("at < ?")
        args.append(q.until)
    if q.text:
        conds.append("summary LIKE ?")
        args.append("%" + q.text.replace("%", "") + "%")
    if q.before_id is not None:
        conds.append("id < ?")
        args.append(q.before_id)
    return (" WHERE " + " AND ".join(conds)) if conds else "", args


def _row(r: Any) -> dict[str, Any]:
    return {"id": r["id"], "at": iso(r["at"]), "hall_id": r["hall_id"], "actor_user_id": r["actor_user_id"],
            "actor_token_id": r["actor_token_id"], "actor": r["actor_name"], "role": r["actor_role"],
            "address": r["address"], "action": r["action"], "target_kind": r["target_kind"],
            "target_id": r["target_id"], "summary": r["summary"],
            "before": json.loads(r["before_json"]) if r["before_json"] else None,
            "after": json.loads(r["after_json"]) if r["after_json"] else None}


class AuditStore:
    """The audit port: reading the log (rows are written by the write jobs that change things)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def query(self, q: AuditQuery) -> list[dict[str, Any]]:
        where, args = _where(q)
        limit = max(1, min(q.limit, EXPORT_LIMIT))
        rows = await self.db.all(f"SELECT * FROM audit_log{where} ORDER BY id DESC LIMIT {limit}", args)
        return [_row(r) for r in rows]
