"""The hall model — halls, departments, queues, service items, windows, bundles — written by admins or loaded
from a layout file (`hallops init --demo` loads hallops/demo_hall.toml): the layout port (`LayoutStore`)
and its write jobs."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

from hallops.domain import archiving
from hallops.domain.actors import Actor
from hallops.domain.errors import Conflict, E, InvalidInput, NotFound
from hallops.domain.events import Ev
from hallops.domain.halltree import Level, check_no_cycle, check_parent
from hallops.domain.item_import import Plan
from hallops.domain.model import ACTIVE_STATUSES, CrossRegionScope, QueueKind, WindowKind
from hallops.domain.numbering import PREFIX_RE, IssuingHours
from hallops.storage.accounts import hash_password
from hallops.storage.audit import diff, record
from hallops.storage.db import Database, IntegrityError, Row, Tx
from hallops.storage.halls import HallTree
from hallops.storage.rules import Rules, service_day_of, zone

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


def _parent(tx: Tx, ref: str | int | None) -> Row | None:
    """A hall's parent by id or code (None: the top of a tree)."""
    if ref is None:
        return None
    row = tx.one(f"SELECT id, level FROM halls WHERE {'id' if isinstance(ref, int) else 'code'} = ?", (ref,))
    if row is None:
        raise InvalidInput(E.HALL_NOT_FOUND, f"上级中心不存在 (no parent centre {ref!r})", field="parent")
    return row


def tree_parents(tx: Tx) -> dict[int, int | None]:
    return {int(r["id"]): r["parent_id"] for r in tx.all("SELECT id, parent_id FROM halls")}


def create_hall(tx: Tx, spec: dict[str, Any]) -> int:
    _check_code(spec["code"])
    _check_zone(spec.get("timezone") or "Asia/Shanghai")
    level = Level(spec.get("level") or Level.DISTRICT)
    parent = _parent(tx, spec.get("parent"))
    check_parent(level, Level(parent["level"]) if parent else None)
    try:
        hall_id = tx.insert("INSERT INTO halls (code, name, name_en, timezone, notice, parent_id, level, created_at) "
                            "VALUES (?,?,?,?,?,?,?,?)",
                     (spec["code"], spec["name"], spec.get("name_en", ""), spec.get("timezone") or "Asia/Shanghai",
                      spec.get("notice", ""), parent["id"] if parent else None, level.value, tx.now))
    except IntegrityError as e:
        raise _integrity(e, "大厅") from e
    _changed(tx, hall_id, "hall", hall_id)
    return hall_id


def update_hall(tx: Tx, hall_id: int, changes: dict[str, Any]) -> None:
    _hall(tx, hall_id)
    if "timezone" in changes:
        _check_zone(changes["timezone"])
    if "parent" in changes or "level" in changes:  # moved in the tree, or its level changed
        row = tx.one("SELECT parent_id, level FROM halls WHERE id = ?", (hall_id,))
        assert row is not None
        level = Level(changes.get("level") or row["level"])
        parent = _parent(tx, changes["parent"]) if "parent" in changes else _parent(tx, row["parent_id"])
        check_parent(level, Level(parent["level"]) if parent else None)
        check_no_cycle(tree_parents(tx), hall_id, parent["id"] if parent else None)
        for child in tx.all("SELECT level FROM halls WHERE parent_id = ?", (hall_id,)):
            check_parent(Level(child["level"]), level)  # its own centres must still hang under it
        changes = changes | {"parent_id": parent["id"] if parent else None, "level": level.value}
    _update(tx, "halls", hall_id, changes, {"name", "name_en", "timezone", "notice", "parent_id", "level"})
    _changed(tx, hall_id, "hall", hall_id)


def _update(tx: Tx, table: str, obj_id: int, changes: dict[str, Any], allowed: set[str]) -> None:
    cols = [c for c in changes if c in allowed]
    if not cols:
        return
    try:
        # Flags are stored as 0/1 on both backends (PostgreSQL does not take a boolean for a BIGINT).
        tx.run(f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in cols)} WHERE id = ?",
               (*[int(changes[c]) if isinstance(changes[c], bool) else changes[c] for c in cols], obj_id))
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
    _update(tx, "departments", dept_id, changes, {"name", "name_en", "active"})
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
        item_id = tx.insert("INSERT INTO service_items (hall_id, code, name, name_en, department_id, queue_id, "
                            "standard_code) VALUES (?,?,?,?,?,?,?)",
                     (hall_id, spec["code"], spec["name"], spec.get("name_en", ""),
                      _department_id(tx, hall_id, spec.get("department")),
                      _queue_id(tx, hall_id, spec["queue"]) if spec.get("queue") else None,
                      spec.get("standard_code") or ""))
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
    _update(tx, "service_items", item_id, v, {"name", "name_en", "department_id", "queue_id", "active",
                                              "standard_code"})
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


def _load_bundle(tx: Tx, hall_id: int, n: int, spec: dict[str, Any]) -> None:
    """A layout file's n-th `[[bundles]]`: each step must name a service item of the file, and the error says
    which bundle and which step does not (the console's own check names only the item)."""
    code = spec.get("code", f"#{n}")
    for step, item in enumerate(spec.get("items") or [], 1):
        if tx.one("SELECT 1 FROM service_items WHERE hall_id = ? AND code = ?", (hall_id, item)) is None:
            raise InvalidInput(E.ITEM_NOT_FOUND, f"一件事 {code} 第 {step} 步的事项 {item!r} 不在布局文件的事项中 "
                                                 f"(bundle {code!r}, step {step}: no service item {item!r} in the "
                                                 "layout's [[service_items]])", field="items")
    create_bundle(tx, hall_id, spec)


def load_layout(tx: Tx, layout: dict[str, Any], password_hashes: dict[str, str]) -> int:
    """Create a whole hall from a layout document (the format of hallops/demo_hall.toml), in one transaction:
    a bad part (a bundle step naming no item, say) leaves nothing behind."""
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
    for n, b in enumerate(layout.get("bundles", []), 1):
        _load_bundle(tx, hall_id, n, b)
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
    record(tx, None, "hall.load", hall_id=hall_id, target_kind="hall", target_id=hall_id,
           summary=f"从布局文件载入大厅 {layout['hall']['code']}", name="operator")
    return hall_id


KINDS = ("departments", "queues", "service_items", "windows", "bundles")
_CREATE: dict[str, Callable[[Tx, int, dict[str, Any]], int]] = {
    "departments": create_department, "queues": create_queue, "service_items": create_service_item,
    "windows": create_window}
_UPDATE: dict[str, Callable[[Tx, int, dict[str, Any]], int]] = {
    "departments": update_department, "queues": update_queue, "service_items": update_service_item,
    "windows": update_window}
# What the audit log shows of each kind, and the noun of its actions.
_NOUN = {"departments": "department", "queues": "queue", "service_items": "service_item", "windows": "window",
         "bundles": "bundle"}
_ZH = {"departments": "部门", "queues": "业务类型", "service_items": "事项", "windows": "窗口", "bundles": "一件事"}


def snapshot(tx: Tx, kind: str, obj_id: int) -> dict[str, Any]:
    """An object as the audit log records it (names, references by code)."""
    if kind == "departments":
        row = tx.one("SELECT code, name, name_en, active FROM departments WHERE id = ?", (obj_id,))
    elif kind == "queues":
        row = tx.one("SELECT q.prefix, q.name, q.name_en, q.category, q.kind, d.code AS department, "
                     "q.target_wait_minutes, q.daily_cap, q.hours, q.avg_service_minutes, q.active FROM queues q "
                     "LEFT JOIN departments d ON d.id = q.department_id WHERE q.id = ?", (obj_id,))
    elif kind == "service_items":
        row = tx.one("SELECT i.code, i.standard_code, i.name, i.name_en, d.code AS department, q.prefix AS queue, "
                     "i.active FROM service_items i LEFT JOIN departments d ON d.id = i.department_id "
                     "LEFT JOIN queues q ON q.id = i.queue_id WHERE i.id = ?", (obj_id,))
    elif kind == "windows":
        row = tx.one("SELECT number, name, name_en, kind, scope, key_window, area, active FROM windows WHERE id = ?",
                     (obj_id,))
    elif kind == "bundles":
        row = tx.one("SELECT b.code, b.name, b.name_en, q.prefix AS queue, b.active FROM bundles b "
                     "LEFT JOIN queues q ON q.id = b.queue_id WHERE b.id = ?", (obj_id,))
    else:
        row = tx.one("SELECT h.code, h.name, h.name_en, h.timezone, h.notice, h.level, p.code AS parent FROM halls h "
                     "LEFT JOIN halls p ON p.id = h.parent_id WHERE h.id = ?", (obj_id,))
    if row is None:
        raise NotFound(E.NOT_FOUND, f"对象不存在 (no {kind} {obj_id})")
    out = dict(row)
    if "active" in out:
        out["active"] = bool(out["active"])
    if kind == "windows":
        out["key_window"] = bool(out["key_window"])
        out["queues"] = [r[0] for r in tx.all("SELECT q.prefix FROM window_queues wq JOIN queues q ON q.id = "
                                              "wq.queue_id WHERE wq.window_id = ? ORDER BY wq.position", (obj_id,))]
    if kind == "bundles":
        out["items"] = [r[0] for r in tx.all("SELECT i.code FROM bundle_items bi JOIN service_items i ON i.id = "
                                             "bi.item_id WHERE bi.bundle_id = ? ORDER BY bi.position", (obj_id,))]
    return out


def _label(kind: str, snap: dict[str, Any]) -> str:
    if kind == "windows":
        return f"{snap['number']} 号窗口 {snap['name']}"
    if kind == "queues":
        return f"{snap['prefix']} {snap['name']}"
    return f"{snap.get('code', '')} {snap.get('name', '')}".strip()


# -- what archiving may not break (domain/archiving.py decides on what these read) --------------------------

def _today(tx: Tx, hall_id: int, rules: Rules) -> str:
    return service_day_of(tx.now, _hall(tx, hall_id)["timezone"], rules)


def _active_tickets(tx: Tx, queue_id: int) -> int:
    marks = ", ".join("?" * len(ACTIVE_STATUSES))
    row = tx.one(f"SELECT count(*) FROM tickets WHERE queue_id = ? AND status IN ({marks})",
                 (queue_id, *sorted(ACTIVE_STATUSES)))
    return int(row[0]) if row else 0


def _orphaned(tx: Tx, window_id: int, lost_queue_ids: set[int]) -> list[str]:
    """The active queues among `lost_queue_ids` no other active window serves."""
    out = []
    for qid in sorted(lost_queue_ids):
        q = tx.one("SELECT prefix, active FROM queues WHERE id = ?", (qid,))
        if q is None or not q["active"]:
            continue
        other = tx.one("SELECT 1 FROM window_queues wq JOIN windows w ON w.id = wq.window_id WHERE wq.queue_id = ? "
                       "AND w.id <> ? AND w.active = 1", (qid, window_id))
        if other is None:
            out.append(str(q["prefix"]))
    return out


def _window_queue_ids(tx: Tx, window_id: int) -> set[int]:
    return {int(r[0]) for r in tx.all("SELECT queue_id FROM window_queues WHERE window_id = ?", (window_id,))}


def check_change(tx: Tx, kind: str, obj_id: int, changes: dict[str, Any], rules: Rules) -> None:
    """Refuse a change that would break the day: archiving a queue with unfinished tickets, leaving an active
    queue without a window, archiving an item on today's tickets or in a bundle, a department still in use."""
    archiving_now = changes.get("active") is False
    if kind == "queues" and archiving_now:
        row = tx.one("SELECT prefix FROM queues WHERE id = ?", (obj_id,))
        if row is not None:
            archiving.check_queue_archivable(str(row[0]), _active_tickets(tx, obj_id))
    elif kind == "windows":
        row = tx.one("SELECT hall_id, active FROM windows WHERE id = ?", (obj_id,))
        if row is None or not row["active"]:
            return
        before = _window_queue_ids(tx, obj_id)
        if archiving_now:
            lost = before
        elif "queues" in changes:
            after = {_queue_id(tx, int(row["hall_id"]), str(p).upper()) for p in changes["queues"] or []}
            lost = before - after
        else:
            return
        archiving.check_queues_keep_a_window(_orphaned(tx, obj_id, lost))
    elif kind == "service_items" and archiving_now:
        item = tx.one("SELECT hall_id, code FROM service_items WHERE id = ?", (obj_id,))
        if item is None:
            return
        day = _today(tx, int(item["hall_id"]), rules)
        n = tx.one("SELECT count(*) FROM ticket_items ti JOIN tickets t ON t.id = ti.ticket_id "
                   "WHERE ti.item_id = ? AND t.service_day = ?", (obj_id, day))
        bundles = [str(r[0]) for r in tx.all("SELECT b.name FROM bundle_items bi JOIN bundles b ON b.id = "
                                             "bi.bundle_id WHERE bi.item_id = ? AND b.active = 1", (obj_id,))]
        archiving.check_item_archivable(str(item["code"]), int(n[0]) if n else 0, bundles)
    elif kind == "departments" and archiving_now:
        d = tx.one("SELECT code FROM departments WHERE id = ?", (obj_id,))
        if d is None:
            return
        nq = tx.one("SELECT count(*) FROM queues WHERE department_id = ? AND active = 1", (obj_id,))
        ni = tx.one("SELECT count(*) FROM service_items WHERE department_id = ? AND active = 1", (obj_id,))
        archiving.check_department_archivable(str(d[0]), int(nq[0]) if nq else 0, int(ni[0]) if ni else 0)


def _stamp_archive(tx: Tx, kind: str, obj_id: int, changes: dict[str, Any]) -> None:
    if "active" in changes:
        tx.run(f"UPDATE {_TABLES[kind]} SET archived_at = ? WHERE id = ?",
               (None if changes["active"] else tx.now, obj_id))


# -- bundles (一件事一次办) -------------------------------------------------------------------------------

def _bundle_items(tx: Tx, hall_id: int, codes: list[str]) -> list[int]:
    if len(codes) < 2:
        raise InvalidInput(E.INVALID_INPUT, "一件事至少包含 2 个事项 (a bundle has at least two items)", field="items")
    ids = []
    for code in codes:
        row = tx.one("SELECT id, active FROM service_items WHERE hall_id = ? AND code = ?", (hall_id, code))
        if row is None or not row["active"]:
            raise InvalidInput(E.ITEM_NOT_FOUND, f"事项不存在或已删除 (no active item {code!r})", field="items")
        ids.append(int(row["id"]))
    if len(set(ids)) != len(ids):
        raise InvalidInput(E.DUPLICATE_ITEM, "事项重复 (an item is listed twice)", field="items")
    return ids


def _set_bundle_items(tx: Tx, bundle_id: int, ids: list[int]) -> None:
    tx.run("DELETE FROM bundle_items WHERE bundle_id = ?", (bundle_id,))
    tx.many("INSERT INTO bundle_items (bundle_id, position, item_id) VALUES (?, ?, ?)",
            [(bundle_id, i, item) for i, item in enumerate(ids)])


def create_bundle(tx: Tx, hall_id: int, spec: dict[str, Any]) -> int:
    _hall(tx, hall_id)
    _check_code(spec["code"])
    ids = _bundle_items(tx, hall_id, list(spec.get("items") or []))
    queue_id = _queue_id(tx, hall_id, str(spec["queue"]).upper()) if spec.get("queue") else None
    try:
        with tx.savepoint():
            bundle_id = tx.insert("INSERT INTO bundles (hall_id, code, name, name_en, queue_id) VALUES (?,?,?,?,?)",
                                  (hall_id, spec["code"], spec["name"], spec.get("name_en", ""), queue_id))
    except IntegrityError as e:
        raise _integrity(e, "一件事") from e
    _set_bundle_items(tx, bundle_id, ids)
    _changed(tx, hall_id, "bundle", bundle_id)
    return bundle_id


def update_bundle(tx: Tx, bundle_id: int, changes: dict[str, Any]) -> int:
    row = tx.one("SELECT hall_id FROM bundles WHERE id = ?", (bundle_id,))
    if row is None:
        raise NotFound(E.BUNDLE_NOT_FOUND, f"一件事不存在 (no bundle {bundle_id})")
    hall_id = int(row["hall_id"])
    v = dict(changes)
    if "queue" in v:
        v["queue_id"] = _queue_id(tx, hall_id, str(v.pop("queue")).upper()) if v["queue"] else None
    _update(tx, "bundles", bundle_id, v, {"name", "name_en", "queue_id", "active"})
    if "items" in changes:
        _set_bundle_items(tx, bundle_id, _bundle_items(tx, hall_id, list(changes["items"] or [])))
    _changed(tx, hall_id, "bundle", bundle_id)
    return hall_id


_CREATE["bundles"] = create_bundle
_UPDATE["bundles"] = update_bundle
_TABLES["bundles"] = "bundles"


# -- importing the item list ---------------------------------------------------------------------------------

def import_items(tx: Tx, hall_id: int, planner: Callable[[list[dict[str, Any]]], Plan],
                 actor: Actor | None) -> dict[str, Any]:
    """Apply an import in one transaction: the plan is made again from the items as they are now."""
    _hall(tx, hall_id)
    existing = [dict(r) for r in tx.all(
        "SELECT i.id, i.code, i.standard_code, i.name, i.name_en, d.code AS department, q.prefix AS queue "
        "FROM service_items i LEFT JOIN departments d ON d.id = i.department_id "
        "LEFT JOIN queues q ON q.id = i.queue_id WHERE i.hall_id = ?", (hall_id,))]
    p = planner(existing)
    if p.errors:
        raise InvalidInput(E.IMPORT_INVALID, f"有 {len(p.errors)} 行有错，未导入任何事项 ({len(p.errors)} rows have "
                                             "errors; nothing was imported)", errors=[e.as_dict() for e in p.errors])
    depts = {str(r[1]): int(r[0]) for r in tx.all("SELECT id, code FROM departments WHERE hall_id = ?", (hall_id,))}
    queues = {str(r[1]): int(r[0]) for r in tx.all("SELECT id, prefix FROM queues WHERE hall_id = ?", (hall_id,))}
    taken = {str(o["code"]) for o in existing}
    for r in p.add:
        if r.code in taken:
            raise Conflict(E.DUPLICATE_CODE, f"第 {r.line} 行：本地编码 {r.code} 已被其他事项使用 (line {r.line}: code "
                                             f"{r.code} belongs to another item)", line=r.line)
    tx.many("INSERT INTO service_items (hall_id, code, standard_code, name, name_en, department_id, queue_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(hall_id, r.code, r.standard_code, r.name, r.name_en, depts.get(r.department or ""),
              queues.get(r.queue or "")) for r in p.add])
    for _r, before, after in p.change:
        v = dict(after)
        if "department" in v:
            v["department_id"] = depts.get(str(v.pop("department")))
        if "queue" in v:
            v["queue_id"] = queues.get(str(v.pop("queue")))
        _update(tx, "service_items", int(str(before["id"])), v,
                {"standard_code", "name", "name_en", "department_id", "queue_id"})
    counts = {"rows": p.rows, "added": len(p.add), "changed": len(p.change), "unchanged": p.unchanged}
    tx.emit(hall_id, Ev.LAYOUT_CHANGED, {"kind": "service_items", "id": None, "import": counts})
    record(tx, actor, "service_item.import", hall_id=hall_id, target_kind="service_item",
           summary=f"导入事项清单：{p.rows} 行，新增 {len(p.add)}，修改 {len(p.change)}，未变 {p.unchanged}",
           before={r.standard_code: {k: v for k, v in b.items() if k != "id"} for r, b, _ in p.change} or None,
           after={"added": [r.standard_code for r in p.add],
                  "changed": {r.standard_code: a for r, _, a in p.change}})
    return counts


class LayoutStore:
    """The layout port: whole-hall loads and changes to one object of the model, each one write job with its
    event and its audit row."""

    def __init__(self, db: Database, rules: Rules | None = None, tree: HallTree | None = None) -> None:
        self.db = db
        self.rules = rules or Rules()
        self.tree = tree or HallTree(db)  # forgotten whenever a hall is added or moved

    async def load_layout(self, spec: dict[str, Any]) -> int:
        return (await self.load_layouts([spec]))[0]

    async def load_layouts(self, specs: list[dict[str, Any]]) -> list[int]:
        """Several halls (a district centre and the centres below it, each after its parent) in one
        transaction: all of them or none."""
        users = [u for spec in specs for u in spec.get("users", [])]
        # Layouts give many accounts the same starting password: hash each distinct one once.
        distinct = sorted({u["password"] for u in users})
        hashed = await asyncio.gather(*(asyncio.to_thread(hash_password, p) for p in distinct))
        by_password = dict(zip(distinct, hashed, strict=True))
        hashes = {u["username"]: by_password[u["password"]] for u in users}
        try:
            return await self.db.write(lambda tx: [load_layout(tx, spec, hashes) for spec in specs])
        finally:
            self.tree.forget()

    async def create_hall(self, spec: dict[str, Any], actor: Actor | None = None) -> int:
        def job(tx: Tx) -> int:
            hall_id = create_hall(tx, spec)
            record(tx, actor, "hall.create", hall_id=hall_id, target_kind="hall", target_id=hall_id,
                   summary=f"新建大厅 {spec['code']} {spec['name']}", after=snapshot(tx, "hall", hall_id))
            return hall_id
        try:
            return await self.db.write(job)
        finally:
            self.tree.forget()

    async def update_hall(self, hall_id: int, changes: dict[str, Any], actor: Actor | None = None) -> None:
        def job(tx: Tx) -> None:
            before = snapshot(tx, "hall", hall_id)
            update_hall(tx, hall_id, changes)
            b, a = diff(before, snapshot(tx, "hall", hall_id))
            if a:
                action = "hall.notice" if set(a) == {"notice"} else "hall.update"
                record(tx, actor, action, hall_id=hall_id, target_kind="hall", target_id=hall_id,
                       summary=f"修改大厅 {before['code']}" if action == "hall.update" else "修改屏幕公告",
                       before=b, after=a)
        try:
            await self.db.write(job)
        finally:
            self.tree.forget()

    async def create(self, kind: str, hall_id: int, spec: dict[str, Any], actor: Actor | None = None) -> int:
        """Add a department, queue, service item, window or bundle (`kind` one of KINDS); returns its id."""
        def job(tx: Tx) -> int:
            obj_id = _CREATE[kind](tx, hall_id, spec)
            after = snapshot(tx, kind, obj_id)
            record(tx, actor, f"{_NOUN[kind]}.create", hall_id=hall_id, target_kind=_NOUN[kind], target_id=obj_id,
                   summary=f"新建{_ZH[kind]} {_label(kind, after)}", after=after)
            return obj_id
        return await self.db.write(job)

    async def update(self, kind: str, obj_id: int, changes: dict[str, Any],
                     check_hall: Callable[[int], None], actor: Actor | None = None) -> int:
        """Change one object; `check_hall` sees its hall before the change, in the same transaction (and may
        refuse). A change that would break the day is refused (`check_change`). Returns the hall's id."""
        def job(tx: Tx) -> int:
            check_hall(hall_of(tx, kind, obj_id))
            before = snapshot(tx, kind, obj_id)
            check_change(tx, kind, obj_id, changes, self.rules)
            hall_id = _UPDATE[kind](tx, obj_id, changes)
            _stamp_archive(tx, kind, obj_id, changes)
            b, a = diff(before, snapshot(tx, kind, obj_id))
            if a:
                verb = "archive" if a.get("active") is False else "restore" if a.get("active") is True else "update"
                zh = {"archive": "删除（归档）", "restore": "恢复", "update": "修改"}[verb]
                record(tx, actor, f"{_NOUN[kind]}.{verb}", hall_id=hall_id, target_kind=_NOUN[kind],
                       target_id=obj_id, summary=f"{zh}{_ZH[kind]} {_label(kind, before)}", before=b, after=a)
            return hall_id
        return await self.db.write(job)

    async def import_items(self, hall_id: int, planner: Callable[[list[dict[str, Any]]], Plan],
                           actor: Actor | None) -> dict[str, Any]:
        return await self.db.write(lambda tx: import_items(tx, hall_id, planner, actor))

    async def existing_items(self, hall_id: int) -> list[dict[str, Any]]:
        rows = await self.db.all(
            "SELECT i.id, i.code, i.standard_code, i.name, i.name_en, d.code AS department, q.prefix AS queue "
            "FROM service_items i LEFT JOIN departments d ON d.id = i.department_id "
            "LEFT JOIN queues q ON q.id = i.queue_id WHERE i.hall_id = ?", (hall_id,))
        return [dict(r) for r in rows]

    async def admin_view(self, hall_id: int) -> dict[str, Any] | None:
        """Everything of a hall's model the console edits, archived objects included."""
        async with self.db.snapshot() as r:
            hall = await r.one("SELECT id, code, name, name_en, timezone, notice FROM halls WHERE id = ?", (hall_id,))
            if hall is None:
                return None
            depts = await r.all("SELECT id, code, name, name_en, active FROM departments WHERE hall_id = ? "
                                "ORDER BY active DESC, code", (hall_id,))
            queues = await r.all(
                "SELECT q.id, q.prefix, q.name, q.name_en, q.category, q.kind, d.code AS department, "
                "q.target_wait_minutes, q.daily_cap, q.hours, q.avg_service_minutes, q.active FROM queues q "
                "LEFT JOIN departments d ON d.id = q.department_id WHERE q.hall_id = ? ORDER BY q.active DESC, "
                "q.prefix", (hall_id,))
            items = await r.all(
                "SELECT i.id, i.code, i.standard_code, i.name, i.name_en, d.code AS department, q.prefix AS queue, "
                "i.active FROM service_items i LEFT JOIN departments d ON d.id = i.department_id "
                "LEFT JOIN queues q ON q.id = i.queue_id WHERE i.hall_id = ? ORDER BY i.active DESC, i.id",
                (hall_id,))
            windows = await r.all("SELECT id, number, name, name_en, kind, scope, key_window, area, active, state "
                                  "FROM windows WHERE hall_id = ? ORDER BY active DESC, number", (hall_id,))
            wq = await r.all("SELECT wq.window_id, q.prefix FROM window_queues wq JOIN windows w ON w.id = "
                             "wq.window_id JOIN queues q ON q.id = wq.queue_id WHERE w.hall_id = ? "
                             "ORDER BY wq.window_id, wq.position", (hall_id,))
            bundles = await r.all("SELECT b.id, b.code, b.name, b.name_en, q.prefix AS queue, b.active FROM bundles b "
                                  "LEFT JOIN queues q ON q.id = b.queue_id WHERE b.hall_id = ? "
                                  "ORDER BY b.active DESC, b.code", (hall_id,))
            bi = await r.all("SELECT bi.bundle_id, i.code, i.name, d.name AS department FROM bundle_items bi "
                             "JOIN bundles b ON b.id = bi.bundle_id JOIN service_items i ON i.id = bi.item_id "
                             "LEFT JOIN departments d ON d.id = i.department_id WHERE b.hall_id = ? "
                             "ORDER BY bi.bundle_id, bi.position", (hall_id,))
        served: dict[int, list[str]] = {}
        for row in wq:
            served.setdefault(int(row["window_id"]), []).append(str(row["prefix"]))
        parts: dict[int, list[dict[str, Any]]] = {}
        for row in bi:
            parts.setdefault(int(row["bundle_id"]), []).append(
                {"code": row["code"], "name": row["name"], "department": row["department"]})

        def flag(rows: list[Any], *names: str) -> list[dict[str, Any]]:
            return [{**dict(x), **{n: bool(x[n]) for n in names}} for x in rows]
        return {
            "hall": dict(hall), "departments": flag(depts, "active"), "queues": flag(queues, "active"),
            "service_items": flag(items, "active"),
            "windows": [{**w, "queues": served.get(int(w["id"]), [])} for w in flag(windows, "active", "key_window")],
            "bundles": [{**b, "items": parts.get(int(b["id"]), [])} for b in flag(bundles, "active")],
        }
