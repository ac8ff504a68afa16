"""Appointments (预约): slots per queue, bookings with a code, check-in at the kiosk near the slot time.

Pure rules: the check-in window, booking codes, reading a CSV of bookings, laying out a day of slots, and
what became of a booking (for counting no-shows). Times are UNIX seconds; local times need the hall's zone.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from hallops.domain.errors import Conflict, E, InvalidInput

CODE_RE = re.compile(r"^[0-9A-Z]{4,16}$")
PHONE_RE = re.compile(r"^\+?[0-9][0-9 -]{3,19}$")
CODE_DIGITS = 6  # codes we make are digits only: a kiosk keypad is a number pad
MAX_IMPORT_ROWS = 5000


class Outcome(enum.StrEnum):
    BOOKED = "booked"  # may still check in
    MISSED = "missed"  # never checked in and the late limit passed: an appointment no-show
    WAITING = "waiting"  # checked in, ticket not yet served
    SERVED = "served"
    NO_SHOW = "no_show"  # checked in, then did not answer the call
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class CheckInWindow:
    early_minutes: int = 30
    late_minutes: int = 15

    def opens(self, slot_start: float) -> float:
        return slot_start - self.early_minutes * 60

    def closes(self, slot_start: float) -> float:
        return slot_start + self.late_minutes * 60


def normalize_code(text: str) -> str:
    """What the citizen typed, as stored: upper case, no spaces or dashes."""
    code = re.sub(r"[\s-]", "", text or "").upper()
    if not CODE_RE.match(code):
        raise InvalidInput(E.BAD_CODE, "预约码应为 4–16 位数字或字母 (an appointment code is 4-16 digits or letters)",
                           field="code")
    return code


def code_from_number(n: int) -> str:
    """A random number (from the caller) as a booking code of `CODE_DIGITS` digits."""
    return f"{n % 10 ** CODE_DIGITS:0{CODE_DIGITS}d}"


def parse_local_start(text: str, tz: ZoneInfo, *, where: str = "start") -> float:
    """A slot start written as local "YYYY-MM-DD HH:MM" in the hall's zone, as UNIX seconds.

    A date or time that does not exist (month 13, 25:99, or a wall time skipped by a daylight-saving jump)
    is refused, naming `where` (the field, or the CSV line and column)."""
    try:
        naive = dt.datetime.strptime(text.strip(), "%Y-%m-%d %H:%M")
    except ValueError:
        raise InvalidInput(E.BAD_START, f"{where}：时间 {text!r} 无效，应为 YYYY-MM-DD HH:MM "
                                        f"({where}: {text!r} is not a valid local time YYYY-MM-DD HH:MM)",
                           field=where) from None
    local = naive.replace(tzinfo=tz)
    # Aware from here on: a round trip through UTC shows whether the wall time exists in this zone.
    if local.astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None) != naive:
        raise InvalidInput(E.BAD_START, f"{where}：当地没有 {text} 这一时刻（夏令时调整）"
                                        f"({where}: {text} does not exist in {tz.key})", field=where)
    return local.timestamp()


def _hhmm(ts: float, tz: ZoneInfo) -> str:
    return dt.datetime.fromtimestamp(ts, tz).strftime("%H:%M")


def check_in_allowed(slot_start: float, now: float, window: CheckInWindow, tz: ZoneInfo) -> None:
    """Raise unless `now` is inside the check-in window around the slot's start."""
    if now < window.opens(slot_start):
        raise Conflict(E.CHECKIN_TOO_EARLY,
                       f"预约时段 {_hhmm(slot_start, tz)} 开始，请于 {_hhmm(window.opens(slot_start), tz)} 后签到 "
                       f"(too early: check in from {_hhmm(window.opens(slot_start), tz)})",
                       opens_at=window.opens(slot_start))
    if now > window.closes(slot_start):
        raise Conflict(E.CHECKIN_TOO_LATE,
                       f"已超过签到时间（预约 {_hhmm(slot_start, tz)}，最晚 {_hhmm(window.closes(slot_start), tz)}），"
                       f"请取普通号 (too late to check in; please take an ordinary ticket)",
                       closed_at=window.closes(slot_start))


def outcome(status: str, ticket_status: str | None, slot_start: float, now: float,
            window: CheckInWindow) -> Outcome:
    """What became of one booking, as of `now`."""
    if status == "cancelled":
        return Outcome.CANCELLED
    if status == "booked":
        return Outcome.MISSED if now > window.closes(slot_start) else Outcome.BOOKED
    if ticket_status == "done":
        return Outcome.SERVED
    if ticket_status in ("no_show", "expired", "cancelled"):
        return Outcome.NO_SHOW
    return Outcome.WAITING


def day_slots(day: dt.date, start: dt.time, end: dt.time, every_minutes: int,
              tz: ZoneInfo) -> list[tuple[float, float]]:
    """Slots of `every_minutes` from `start` to `end` (local) on `day`, as (start, end) seconds."""
    if not 5 <= every_minutes <= 240:
        raise InvalidInput(E.BAD_SLOT_LENGTH, "时段长度应为 5–240 分钟 (slot length must be 5-240 minutes)")
    t = dt.datetime.combine(day, start, tzinfo=tz)
    stop = dt.datetime.combine(day, end, tzinfo=tz)
    if stop <= t:
        raise InvalidInput(E.BAD_SLOT_SPAN, "结束时间须晚于开始时间 (end must be after start)")
    out = []
    step = dt.timedelta(minutes=every_minutes)
    while t + step <= stop:
        out.append((t.timestamp(), (t + step).timestamp()))
        t += step
    return out


@dataclass(frozen=True, slots=True)
class Booking:
    line: int
    code: str | None  # None: we make one
    name: str
    phone_tail: str
    queue: str
    starts_at: float


# Column names accepted in a bookings file, Chinese or English.
_COLUMNS = {
    "code": ("code", "预约码", "预约号"),
    "name": ("name", "姓名"),
    "phone": ("phone", "手机", "手机号", "电话"),
    "queue": ("queue", "业务", "业务类型"),
    "start": ("start", "时间", "预约时间", "时段"),
}


def parse_bookings_csv(text: str, tz: ZoneInfo) -> list[Booking]:
    """Read bookings: a header row, then one booking a row; `start` is local "YYYY-MM-DD HH:MM".

    All or nothing: every bad row is reported (line and reason) and none is taken."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    # Each row with the line of the file it started on: errors name the line a person sees in their editor.
    numbered = [(reader.line_num, r) for r in reader if any(c.strip() for c in r)]
    rows = [r for _, r in numbered]
    if not rows:
        raise InvalidInput(E.EMPTY_CSV, "文件为空 (the file has no rows)")
    header = [h.strip().lower() for h in rows[0]]
    idx: dict[str, int] = {}
    for key, names in _COLUMNS.items():
        for i, h in enumerate(header):
            if h in names:
                idx[key] = i
    missing = [k for k in ("queue", "start") if k not in idx]
    if missing:
        raise InvalidInput(E.CSV_COLUMNS, f"缺少列：{', '.join(missing)} (missing columns: {', '.join(missing)}; "
                                          f"expected code,name,phone,queue,start)", missing=missing)
    if len(rows) - 1 > MAX_IMPORT_ROWS:
        raise InvalidInput(E.CSV_TOO_LONG, f"一次最多导入 {MAX_IMPORT_ROWS} 条 (at most {MAX_IMPORT_ROWS} rows)")
    out: list[Booking] = []
    errors: list[dict[str, object]] = []
    for n, row in numbered[1:]:
        def col(key: str, row: list[str] = row) -> str:
            i = idx.get(key)
            return row[i].strip() if i is not None and i < len(row) else ""
        try:
            code = normalize_code(col("code")) if col("code") else None
            phone = col("phone")
            if phone and not PHONE_RE.match(phone):
                raise InvalidInput(E.BAD_PHONE, "手机号格式不对 (bad phone number)", field="phone")
            queue = col("queue").upper()
            if not re.fullmatch(r"[A-Z]{1,2}", queue):
                raise InvalidInput(E.BAD_QUEUE, "业务类型应为号码前缀，如 A (queue must be a prefix like A)",
                                   field="queue")
            start = parse_local_start(col("start"), tz, where="start")
            out.append(Booking(n, code, col("name")[:50], phone_tail(phone), queue, start))
        except InvalidInput as e:
            errors.append({"line": n, "error": e.code, "message": e.message,
                           "field": e.detail.get("field", "code")})
    codes = [b.code for b in out if b.code]
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    for c in dupes:
        errors.append({"line": next(b.line for b in out if b.code == c), "error": E.DUPLICATE_CODE,
                       "message": f"预约码 {c} 重复 (code {c} appears twice)"})
    if errors:
        errors.sort(key=lambda e: int(str(e["line"])))
        first = errors[0]
        raise InvalidInput(E.CSV_INVALID, f"第 {first['line']} 行：{first['message']}（共 {len(errors)} 处错误）",
                           errors=errors)
    return out


def phone_tail(phone: str) -> str:
    """What a booking keeps of a phone number: its last four digits (enough to tell two namesakes apart)."""
    return re.sub(r"[^0-9]", "", phone or "")[-4:]  # ASCII digits only: \d would keep any script's digits


def day_span(day: dt.date, tz: ZoneInfo) -> tuple[float, float]:
    """The slots of a day are those starting in [local midnight, local midnight + 24 h)."""
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz).timestamp()
    return start, start + 86400


def check_in_window(settings: Mapping[str, Any]) -> CheckInWindow:
    """The hall's check-in window from its citizen settings."""
    return CheckInWindow(int(settings["checkin_early_minutes"]), int(settings["checkin_late_minutes"]))


def count_outcomes(outcomes: Iterable[Outcome]) -> dict[str, int]:
    """How many bookings came to each outcome, and the total of those not cancelled."""
    counts = {o.value: 0 for o in Outcome}
    for o in outcomes:
        counts[o.value] += 1
    return counts | {"total": sum(counts.values()) - counts[Outcome.CANCELLED.value]}
