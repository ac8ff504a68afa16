"""The hall model — halls, departments, queues, service items, windows — written by admins or loaded
from a layout file (`hallops init --demo` loads hallops/demo_hall.toml): the layout port (`LayoutStore`)
and its write jobs."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

from hallops.domain.errors import Conflict, E, InvalidInput, NotFound
from hallops.domain.events import Ev
from hallops.domain.model import CrossRegionScope, QueueKind, WindowKind
from hallops.domain.numbering import PREFIX_RE, IssuingHours
from hallops.storage.accounts import hash_password
from hallops.storage.db import Database, IntegrityError, Row, Tx
from hallops.storage.rules import zone

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def _integrity(e: IntegrityError, what: str) -> Conflict:
    return Conflict(E.ALREADY_EXISTS, f"{what}已存在 ({what} already exists: {e})")


def _check_code(code: str, field: str = "code") -> None:
    if not CODE_RE.match(code):
        raise InvalidInput(E.BAD_CODE, f"{field} 只能含小写字母、数字和 - (bad {field} {code!r})", field=field)


def _hall(tx: Tx, hall_id: int) -> Row:
    row = tx.one("SELECT * FROM halls WHERE id = ?", (hall_id,))
    if row is None:
        raise NotFound(E.HALL_NOT_FOUND, f"大厅不存在 (no hall {hall_id})")
    return row


def _department_id(tx: Tx, hall_id: int, code: str | None) -> int | None:
    if code is None:
        return None
    row = tx.one("SELECT id FROM departments WHERE hall_id = ? AND code = ?", (hall_id, code))
    if row is None:
        raise InvalidInput(E.DEPARTMENT_NOT_FOUND, f"部门不存在 (no department {code!r})", field="department")
    return int(row[0])


def _queue_id(tx: Tx, hall_id: int, prefix: str) -> int:
    row = tx.one("SELECT id FROM queues WHERE hall_id = ? AND prefix = ?", (hall_id, prefix))
    if row is None:
        raise InvalidInput(E.QUEUE_NOT_FOUND, f"业务类型不存在 (no queue {prefix!r})", field="queues")
    return int(row[0])


def _changed(tx: Tx, hall_id: int, kind: str, obj_id: int) -> None:
    if not tx.quiet:
        tx.emit(hall_id, Ev.LAYOUT_CHANGED, {"kind": kind, "id": obj_id})


_TABLES = {"departments": "departments", "queues": "queues", "service_items": "service_items",
           "windows": "windows"}


def hall_of(tx: Tx, kind: str, obj_id: int) -> int:
    """The hall an object of the model belongs to (NotFound when there is none)."""
    row = tx.one(f"SELECT hall_id FROM {_TABLES[kind]} WHERE id = ?", (obj_id,))
    if row is None:
        raise NotFound(E.NOT_FOUND, f"对象不存在 (no {kind} {obj_id})")
    return int(row[0])


def _check_zone(name: str) -> None:
    try:
        zone(name)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise InvalidInput(E.BAD_TIMEZONE, f"未知时区 {name!r} (unknown time zone; e.g. Asia/Shanghai)",
                           field="timezone") from e


def create_hall(tx: Tx, spec: dict[str, Any]) -> int:
    _check_code(spec["code"])
    _check_zone(spec.get("timezone") or "Asia/Shanghai")
    try:
        hall_id = tx.insert("INSERT INTO halls (code, name, name_en, timezone, notice, created_at) "
                            "VALUES (?,?,?,?,?,?)",
                     (spec["code"], spec["name"], spec.get("name_en", ""), spec.get("timezone") or "Asia/Shanghai",
                      spec.get("notice", ""), tx.now))
    except IntegrityError as e:
        raise _integrity(e, "大厅") from e
    _changed(tx, hall_id, "hall", hall_id)
    return hall_id


def update_hall(tx: Tx, hall_id: int, changes: dict[str, Any]) -> None:
    _hall(tx, hall_id)
    if "timezone" in changes:
        _check_zone(changes["timezone"])
    _update(tx, "halls", hall_id, changes, {"name", "name_en", "timezone", "notice"})
    _changed(tx, hall_id, "hall", hall_id)


def _update(tx: Tx, table: str, obj_id: int, changes: dict[str, Any], allowed: set[str]) -> None:
    cols = [c for c in changes if c in allowed]
    if not cols:
        return
    try:
        tx.run(f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in cols)} WHERE id = ?",
               (*[changes[c] for c in cols], obj_id))
    except IntegrityError as e:
        raise _integrity(e, "同名对象") from e


def create_department(tx: Tx, hall_id: int, spec: dict[str, Any]) -> int:
    _hall(tx, hall_id)
    _check_code(spec["code"])
    try:
        dept_id = tx.insert("INSERT INTO departments (hall_id, code, name, name_en) VALUES (?,?,?,?)",
                     (hall_id, spec["code"], spec["name"], spec.get("name_en", "")))
    except IntegrityError as e:
        raise _integrity(e, "部门") from e
    _changed(tx, hall_id, "department", dept_id)
    return dept_id


def update_department(tx: Tx, dept_id: int, changes: dict[str, Any]) -> int:
    row = tx.one("SELECT hall_id FROM departments WHERE id = ?", (dept_id,))
    if row is None:
        raise NotFound(E.DEPARTMENT_NOT_FOUND, f"部门不存在 (no department {dept_id})")
    _update(tx, "departments", dept_id, changes, {"name", "name_en"})
    _changed(tx, row["hall_id"], "department", dept_id)
    return int(row["hall_id"])


def _queue_values(tx: Tx, hall_id: int, spec: dict[str, Any]) -> dict[str, Any]:
    out = dict(spec)
    if "prefix" in out:
        out["prefix"] = str(out["prefix"]).upper()
        if not PREFIX_RE.match(out["prefix"]):
            raise InvalidInput(E.BAD_PREFIX, "号码前缀应为 1–2 个大写字母 (prefix must be 1-2 letters)",
                               field="prefix")
    if "kind" in out:
        out["kind"] = QueueKind(out["kind"]).value
    if "hours" in out:
        out["hours"] = str(IssuingHours.parse(out["hours"]))
    if "department" in out:
        out["department_id"] = _department_id(tx, hall_id, out.pop("department"))
    return out


QUEUE_FIELDS = {"prefix", "name", "name_en", "category", "category_en", "kind", "department_id",
                "target_wait_minutes", "daily_cap", "hours", "avg_service_minutes", "active"}


def create_queue(tx: Tx, hall_id: int, spec: dict[str, Any]) -> int:
    _hall(tx, hall_id)
    v = _queue_values(tx, hall_id, spec)
    v.setdefault("hours", "00:00-24:00")
    cols = [c for c in QUEUE_FIELDS if c in v]
    try:
        queue_id = tx.insert(f"INSERT INTO queues (hall_id, {', '.join(cols)}) "
                             f"VALUES (?, {', '.join('?' * len(cols))})",
                     (hall_id, *[v[c] for c in cols]))
    except IntegrityError as e:
        raise _integrity(e, f"号码前缀 {v.get('prefix')} ") from e
    _changed(tx, hall_id, "queue", queue_id)
    return queue_id


def update_queue(tx: Tx, queue_id: int, changes: dict[str, Any]) -> int:
    row = tx.one("SELECT hall_id FROM queues WHERE id = ?", (queue_id,))
    if row is None:
        raise NotFound(E.QUEUE_NOT_FOUND, f"业务类型不存在 (no queue {queue_id})")
    _update(tx, "queues", queue_id, _queue_values(tx, row["hall_id"], changes), QUEUE_FIELDS)
    _changed(tx, row["hall_id"], "queue", queue_id)
    return int(row["hall_id"])


def create_service_item(tx: Tx, hall_id: int, spec: dict[str, Any]) -> int:
    _hall(tx, hall_id)
    _check_code(spec["code"])
    try:
        item_id = tx.insert("INSERT INTO service_items (hall_id, code, name, name_en, department_id, queue_id) "
                     "VALUES (?,?,?,?,?,?)",
                     (hall_id, spec["code"], spec["name"], spec.get("name_en", ""),
                      _department_id(tx, hall_id, spec.get("department")),
                      _queue_id(tx, hall_id, spec["queue"]) if spec.get("queue") else None))
    except IntegrityError as e:
        raise _integrity(e, "事项") from e
    _changed(tx, hall_id, "service_item", item_id)
    return item_id


def update_service_item(tx: Tx, item_id: int, changes: dict[str, Any]) -> int:
    row = tx.one("SELECT hall_id FROM service_items WHERE id = ?", (item_id,))
    if row is None:
        raise NotFound(E.ITEM_NOT_FOUND, f"事项不存在 (no service item {item_id})")
    v = dict(changes)
    if "department" in v:
        v["department_id"] = _department_id(tx, row["hall_id"], v.pop("department"))
    if "queue" in v:
        v["queue_id"] = _queue_id(tx, row["hall_id"], v.pop("queue")) if v["queue"] else None
    _update(tx, "service_items", item_id, v, {"name", "name_en", "department_id", "queue_id", "active"})
    _changed(tx, row["hall_id"], "service_item", item_id)
    return int(row["hall_id"])


def _window_values(spec: dict[str, Any]) -> dict[str, Any]:
    v = dict(spec)
    if "kind" in v:
        v["kind"] = WindowKind(v["kind"]).value
    if "scope" in v and v["scope"] is not None:
        v["scope"] = CrossRegionScope(v["scope"]).value
    if "key_window" in v:
        v["key_window"] = int(bool(v["key_window"]))
    return v


def _check_scope(kind: str, scope: str | None) -> None:
    if kind == WindowKind.CROSS_REGION and scope is None:
        raise InvalidInput(E.SCOPE_REQUIRED, "异地通办窗口须指定通办范围 (a cross_region window needs a scope)",
                           field="scope")
    if kind != WindowKind.CROSS_REGION and scope is not None:
        raise InvalidInput(E.SCOPE_NOT_ALLOWED, "只有异地通办窗口有通办范围 (only cross_region windows have a scope)",
                           field="scope")


def _set_window_queues(tx: Tx, hall_id: int, window_id: int, prefixes: list[str]) -> None:
    if not prefixes:
        raise InvalidInput(E.QUEUES_REQUIRED, "窗口至少办理一种业务 (a window serves at least one queue)",
                           field="queues")
    ids = [_queue_id(tx, hall_id, p.upper()) for p in prefixes]
    if len(set(ids)) != len(ids):
        raise InvalidInput(E.DUPLICATE_QUEUE, "业务类型重复 (a queue is listed twice)", field="queues")
    tx.run("DELETE FROM window_queues WHERE window_id = ?", (window_id,))
    tx.many("INSERT INTO window_queues (window_id, position, queue_id) VALUES (?, ?, ?)",
                        [(window_id, i, q) for i, q in enumerate(ids)])


WINDOW_FIELDS = {"number", "name", "name_en", "kind", "scope", "key_window", "area", "active"}


def create_window(tx: Tx, hall_id: int, spec: dict[str, Any]) -> int:
    _hall(tx, hall_id)
    v = _window_values(spec)
    _check_scope(v["kind"], v.get("scope"))
    cols = [c for c in WINDOW_FIELDS if c in v]
    try:
        window_id = tx.insert(f"INSERT INTO windows (hall_id, {', '.join(cols)}) "
                              f"VALUES (?, {', '.join('?' * len(cols))})",
                     (hall_id, *[v[c] for c in cols]))
    except IntegrityError as e:
        raise _integrity(e, f"{v.get('number')} 号窗口") from e
    _set_window_queues(tx, hall_id, window_id, list(spec.get("queues") or []))
    _changed(tx, hall_id, "window", window_id)
    return window_id


def update_window(tx: Tx, window_id: int, changes: dict[str, Any]) -> int:
    row = tx.one("SELECT * FROM windows WHERE id = ?", (window_id,))
    if row is None:
        raise NotFound(E.WINDOW_NOT_FOUND, f"窗口不存在 (no window {window_id})")
    v = _window_values(changes)
    _check_scope(v.get("kind", row["kind"]), v["scope"] if "scope" in v else row["scope"])
    if v.get("active") is False and row["state"] != "closed":
        raise Conflict(E.WINDOW_IN_USE, "窗口仍在服务，请先关闭再停用 (close the window before deactivating it)")
    _update(tx, "windows", window_id, v, WINDOW_FIELDS)
    if "queues" in changes:
        _set_window_queues(tx, row["hall_id"], window_id, list(changes["queues"] or []))
    _changed(tx, row["hall_id"], "window", window_id)
    return int(row["hall_id"])


def load_layout(tx: Tx, layout: dict[str, Any], password_hashes: dict[str, str]) -> int:
    """Create a whole hall from a layout document (the format of hallops/demo_hall.toml)."""
    tx.quiet = True
    hall_id = create_hall(tx, layout["hall"])
    for d in layout.get("departments", []):
        create_department(tx, hall_id, d)
    for q in layout.get("queues", []):
        create_queue(tx, hall_id, q)
    for it in layout.get("service_items", []):
        create_service_item(tx, hall_id, it)
    for w in layout.get("windows", []):
        create_window(tx, hall_id, w)
    for u in layout.get("users", []):
        try:
            tx.run("INSERT INTO users (username, display_name, role, password_hash, hall_id, created_at) "
                   "VALUES (?,?,?,?,?,?)", (u["username"], u["display_name"], u["role"],
                                            password_hashes[u["username"]],
                                            None if u["role"] == "admin" else hall_id, tx.now))
        except IntegrityError as e:
            raise _integrity(e, f"用户 {u['username']} ") from e
    tx.quiet = False
    tx.emit(hall_id, Ev.LAYOUT_CHANGED, {"kind": "hall", "id": hall_id, "loaded": True})
    return hall_id


KINDS = ("departments", "queues", "service_items", "windows")
_CREATE: dict[str, Callable[[Tx, int, dict[str, Any]], int]] = {
    "departments": create_department, "queues": create_queue, "service_items": create_service_item,
    "windows": create_window}
_UPDATE: dict[str, Callable[[Tx, int, dict[str, Any]], int]] = {
    "departments": update_department, "queues": update_queue, "service_items": update_service_item,
    "windows": update_window}


class LayoutStore:
    """The layout port: whole-hall loads and changes to one object of the model, each one write job."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def load_layout(self, spec: dict[str, Any]) -> int:
        users = spec.get("users", [])
        # A layout file gives many accounts the same starting password: hash each distinct one once.
        distinct = sorted({u["password"] for u in users})
        hashed = await asyncio.gather(*(asyncio.to_thread(hash_password, p) for p in distinct))
        by_password = dict(zip(distinct, hashed, strict=True))
        hashes = {u["username"]: by_password[u["password"]] for u in users}
        return await self.db.write(lambda tx: load_layout(tx, spec, hashes))

    async def create_hall(self, spec: dict[str, Any]) -> int:
        return await self.db.write(lambda tx: create_hall(tx, spec))

    async def update_hall(self, hall_id: int, changes: dict[str, Any]) -> None:
        await self.db.write(lambda tx: update_hall(tx, hall_id, changes))

    async def create(self, kind: str, hall_id: int, spec: dict[str, Any]) -> int:
        """Add a department, queue, service item or window (`kind` one of KINDS); returns its id."""
        return await self.db.write(lambda tx: _CREATE[kind](tx, hall_id, spec))

    async def update(self, kind: str, obj_id: int, changes: dict[str, Any],
                     check_hall: Callable[[int], None]) -> int:
        """Change one object; `check_hall` sees its hall before the change, in the same transaction (and may
        refuse). Returns the hall's id."""
        def job(tx: Tx) -> int:
            check_hall(hall_of(tx, kind, obj_id))
            return _UPDATE[kind](tx, obj_id, changes)
        return await self.db.write(job)
