"""Importing the centre's service-item list (CSV or XLSX rows): each row checked on its own, errors named by
the file's own line, and the difference against the hall's items worked out before anything is applied.

Pure: the rows come in as text cells under their header, the hall's departments, queues and items as plain
values. Storage applies the plan in one transaction (storage/layout.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from hallops.domain.errors import E, InvalidInput

MAX_ROWS = 10_000
MAX_BYTES = 5 * 1024 * 1024
MAX_NAME = 200
# The province's integrated platform numbers items with letters and digits (e.g. 11500112MB1503113D4000117001).
STANDARD_CODE_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]{3,63}$")
LOCAL_CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")

# Header cells as centres write them, Chinese or English.
HEADERS: dict[str, str] = {
    "事项编码": "standard_code", "标准编码": "standard_code", "实施编码": "standard_code",
    "standard_code": "standard_code", "item_code": "standard_code",
    "本地编码": "code", "code": "code",
    "事项名称": "name", "名称": "name", "name": "name",
    "英文名称": "name_en", "name_en": "name_en",
    "部门": "department", "实施部门": "department", "department": "department",
    "业务类型": "queue", "队列": "queue", "queue": "queue",
}
REQUIRED = ("standard_code", "name")
FIELDS = ("code", "name", "name_en", "department", "queue")


@dataclass(frozen=True, slots=True)
class ItemRow:
    line: int
    standard_code: str
    code: str
    name: str
    name_en: str
    department: str | None  # a department code of the hall
    queue: str | None  # a queue prefix of the hall

    def values(self) -> dict[str, str | None]:
        return {"code": self.code, "name": self.name, "name_en": self.name_en, "department": self.department,
                "queue": self.queue}


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    field: str
    code: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "field": self.field, "error": self.code, "message": self.message}


@dataclass(slots=True)
class Plan:
    """What an import would do: new items, changed ones (with before and after), unchanged, and bad rows."""

    add: list[ItemRow] = field(default_factory=list)
    change: list[tuple[ItemRow, dict[str, object], dict[str, object]]] = field(default_factory=list)
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0

    def summary(self, sample: int = 50) -> dict[str, object]:
        return {
            "rows": self.rows, "add": len(self.add), "change": len(self.change), "unchanged": self.unchanged,
            "errors": [e.as_dict() for e in self.errors],
            "added": [{"line": r.line, "standard_code": r.standard_code, "name": r.name} for r in self.add[:sample]],
            "changed": [{"line": r.line, "standard_code": r.standard_code,
                         "before": {k: v for k, v in b.items() if k != "id"}, "after": a}
                        for r, b, a in self.change[:sample]],
        }


def map_header(cells: Iterable[str]) -> list[str | None]:
    """Each header cell's field (None: a column not imported). Refuses a header without the required fields."""
    out = [HEADERS.get(str(c or "").strip().lower()) or HEADERS.get(str(c or "").strip()) for c in cells]
    missing = [f for f in REQUIRED if f not in out]
    if missing:
        raise InvalidInput(E.CSV_COLUMNS, "表头缺少列：事项编码、事项名称 (the header needs the columns standard_code "
                                          f"and name; missing: {', '.join(missing)})", missing=missing)
    return out


def check_rows(rows: Sequence[tuple[int, Mapping[str, str]]], *, departments: Mapping[str, str],
               queues: Iterable[str]) -> tuple[list[ItemRow], list[RowError]]:
    """`rows`: (the file's line number, cells by field). `departments`: code or name → code."""
    if len(rows) > MAX_ROWS:
        raise InvalidInput(E.IMPORT_TOO_LARGE, f"一次最多导入 {MAX_ROWS} 行 (at most {MAX_ROWS} rows per import; "
                                               f"this file has {len(rows)})", rows=len(rows))
    prefixes = set(queues)
    good: list[ItemRow] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    seen_local: dict[str, int] = {}
    for line, cells in rows:
        row_errors: list[RowError] = []

        def bad(fieldname: str, code: E, message: str, _line: int = line, _errs: list[RowError] = row_errors) -> None:
            _errs.append(RowError(_line, fieldname, code.value, message))

        std = (cells.get("standard_code") or "").strip()
        name = (cells.get("name") or "").strip()
        local = (cells.get("code") or "").strip() or std.lower()
        dept_ref = (cells.get("department") or "").strip()
        queue = (cells.get("queue") or "").strip().upper()
        if not std:
            bad("standard_code", E.IMPORT_INVALID, "缺少事项编码 (standard_code is empty)")
        elif not STANDARD_CODE_RE.match(std):
            bad("standard_code", E.BAD_CODE, f"事项编码格式不对 (bad standard_code {std[:40]!r})")
        elif std in seen:
            bad("standard_code", E.DUPLICATE_CODE, f"事项编码与第 {seen[std]} 行重复 (same standard_code as line "
                                                   f"{seen[std]})")
        if std and STANDARD_CODE_RE.match(std) and not LOCAL_CODE_RE.match(local):
            bad("code", E.BAD_CODE, f"本地编码只能含小写字母、数字和 - (bad code {local[:40]!r})")
        elif local in seen_local and std not in seen:
            bad("code", E.DUPLICATE_CODE, f"本地编码与第 {seen_local[local]} 行重复 (same code as line "
                                          f"{seen_local[local]})")
        if not name:
            bad("name", E.IMPORT_INVALID, "缺少事项名称 (name is empty)")
        elif len(name) > MAX_NAME:
            bad("name", E.IMPORT_INVALID, f"事项名称超过 {MAX_NAME} 字 (name longer than {MAX_NAME} characters)")
        dept: str | None = None
        if dept_ref:
            dept = departments.get(dept_ref) or departments.get(dept_ref.lower())
            if dept is None:
                bad("department", E.DEPARTMENT_NOT_FOUND, f"部门不存在：{dept_ref[:40]} (no department "
                                                          f"{dept_ref[:40]!r})")
        if queue and queue not in prefixes:
            bad("queue", E.QUEUE_NOT_FOUND, f"业务类型不存在：{queue[:8]} (no queue {queue[:8]!r})")
        if std and std not in seen:
            seen[std] = line
            seen_local.setdefault(local, line)
        if row_errors:
            errors.extend(row_errors)
            continue
        good.append(ItemRow(line, std, local, name, (cells.get("name_en") or "").strip()[:MAX_NAME], dept,
                            queue or None))
    return good, errors


def plan(rows: list[ItemRow], errors: list[RowError], existing: Iterable[Mapping[str, object]],
         total_rows: int) -> Plan:
    """`existing`: the hall's items, each with "id", "standard_code" and FIELDS' values. A row is matched by
    its standard code, else by the local code (an item made before it had one); a new one is added, a
    different one changed (its standard code set when it had none), the same one left alone."""
    by_std = {str(o["standard_code"]): o for o in existing if o.get("standard_code")}
    by_code = {str(o["code"]): o for o in existing}
    p = Plan(errors=list(errors), rows=total_rows)
    for r in rows:
        old = by_std.get(r.standard_code) or by_code.get(r.code)
        if old is None:
            p.add.append(r)
            continue
        new: dict[str, object] = {k: v for k, v in r.values().items() if k != "code"}
        new["standard_code"] = r.standard_code
        # A blank cell of an optional column keeps what the item has (a file without a queue column, say).
        diff = {k: v for k, v in new.items() if v not in (None, "") and old.get(k) != v}
        if diff:
            p.change.append((r, {k: old.get(k) for k in diff} | {"id": old["id"]}, diff))
        else:
            p.unchanged += 1
    return p
