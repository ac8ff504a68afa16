"""Appointment rules without I/O: reading a local slot time, the CSV of bookings."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from hallops.domain import appointments as ap
from hallops.domain.errors import Conflict, InvalidInput

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_a_local_slot_time_is_read_in_the_halls_zone() -> None:
    ts = ap.parse_local_start("2026-11-30 10:00", SHANGHAI)
    assert dt.datetime.fromtimestamp(ts, dt.UTC) == dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("text", ["2026-13-45 25:99", "2026-02-30 10:00", "2026-11-30 24:00", "10:00", "",
                                  "2026-11-30T10:00"])
def test_an_impossible_local_time_is_refused_by_field(text: str) -> None:
    with pytest.raises(InvalidInput) as e:
        ap.parse_local_start(text, SHANGHAI, where="start")
    assert e.value.code == "bad_start" and e.value.detail["field"] == "start"


def test_a_wall_time_skipped_by_daylight_saving_does_not_exist() -> None:
    with pytest.raises(InvalidInput) as e:
        ap.parse_local_start("2026-03-08 02:30", ZoneInfo("America/New_York"))
    assert "does not exist" in e.value.message
    ap.parse_local_start("2026-03-08 03:30", ZoneInfo("America/New_York"))


def test_every_bad_csv_row_is_named_with_its_line_and_field() -> None:
    text = ("code,name,phone,queue,start\n111111,a,abc,D,2026-11-30 10:00\n,b,,9,2026-11-30 10:00\n"
            ",c,,D,2026-11-31 10:00\n")
    with pytest.raises(InvalidInput) as e:
        ap.parse_bookings_csv(text, SHANGHAI)
    assert [(x["line"], x["field"]) for x in e.value.detail["errors"]] == [(2, "phone"), (3, "queue"), (4, "start")]


# -- the check-in window --------------------------------------------------------------------------------

SLOT = 1_796_004_000.0  # 2026-11-30 10:00 in Shanghai
MIN = 60.0
DEFAULT = ap.CheckInWindow()


def test_check_in_opens_30_minutes_before_the_slot_and_closes_15_after() -> None:
    assert (DEFAULT.early_minutes, DEFAULT.late_minutes) == (30, 15)
    assert DEFAULT.opens(SLOT) == SLOT - 30 * MIN
    assert DEFAULT.closes(SLOT) == SLOT + 15 * MIN
    assert ap.CheckInWindow(10, 5).opens(SLOT) == SLOT - 10 * MIN
    assert ap.CheckInWindow(10, 5).closes(SLOT) == SLOT + 5 * MIN


@pytest.mark.parametrize("now", [SLOT - 30 * MIN, SLOT - 1, SLOT, SLOT + 15 * MIN])
def test_check_in_inside_the_window_including_both_edges(now: float) -> None:
    ap.check_in_allowed(SLOT, now, DEFAULT, SHANGHAI)


def test_a_second_before_the_window_is_too_early() -> None:
    with pytest.raises(Conflict) as e:
        ap.check_in_allowed(SLOT, SLOT - 30 * MIN - 1, DEFAULT, SHANGHAI)
    assert e.value.code == "checkin_too_early"
    assert e.value.message == "预约时段 10:00 开始，请于 09:30 后签到 (too early: check in from 09:30)"
    assert e.value.detail == {"opens_at": SLOT - 30 * MIN}


def test_a_second_after_the_window_is_too_late() -> None:
    with pytest.raises(Conflict) as e:
        ap.check_in_allowed(SLOT, SLOT + 15 * MIN + 1, DEFAULT, SHANGHAI)
    assert e.value.code == "checkin_too_late"
    assert e.value.message == ("已超过签到时间（预约 10:00，最晚 10:15），请取普通号 "
                               "(too late to check in; please take an ordinary ticket)")
    assert e.value.detail == {"closed_at": SLOT + 15 * MIN}


# -- what became of a booking ---------------------------------------------------------------------------

@pytest.mark.parametrize(("status", "ticket_status", "now", "expected"), [
    ("cancelled", None, SLOT, ap.Outcome.CANCELLED),
    ("cancelled", "done", SLOT + 999 * MIN, ap.Outcome.CANCELLED),
    ("booked", None, SLOT - 60 * MIN, ap.Outcome.BOOKED),
    ("booked", None, SLOT + 15 * MIN, ap.Outcome.BOOKED),       # the last second of the window
    ("booked", None, SLOT + 15 * MIN + 1, ap.Outcome.MISSED),
    ("checked_in", "waiting", SLOT, ap.Outcome.WAITING),
    ("checked_in", "called", SLOT, ap.Outcome.WAITING),
    ("checked_in", "serving", SLOT, ap.Outcome.WAITING),
    ("checked_in", None, SLOT + 999 * MIN, ap.Outcome.WAITING),
    ("checked_in", "done", SLOT, ap.Outcome.SERVED),
    ("checked_in", "no_show", SLOT, ap.Outcome.NO_SHOW),
    ("checked_in", "expired", SLOT, ap.Outcome.NO_SHOW),
    ("checked_in", "cancelled", SLOT, ap.Outcome.NO_SHOW),
])
def test_the_outcome_of_a_booking(status: str, ticket_status: str | None, now: float,
                                  expected: ap.Outcome) -> None:
    assert ap.outcome(status, ticket_status, SLOT, now, DEFAULT) is expected


# -- codes ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "stored"), [
    ("1234", "1234"), (" ab-12 34 ", "AB1234"), ("a\tb\nc-d", "ABCD"), ("0123456789ABCDEF", "0123456789ABCDEF"),
])
def test_a_typed_code_is_stored_upper_case_without_spaces_or_dashes(typed: str, stored: str) -> None:
    assert ap.normalize_code(typed) == stored


@pytest.mark.parametrize("typed", ["", "123", "12-3", "0123456789ABCDEFG", "12 3！4", "ab_cd"])
def test_a_code_is_4_to_16_digits_or_letters(typed: str) -> None:
    with pytest.raises(InvalidInput) as e:
        ap.normalize_code(typed)
    assert (e.value.code, e.value.detail) == ("bad_code", {"field": "code"})
    assert e.value.message == "预约码应为 4–16 位数字或字母 (an appointment code is 4-16 digits or letters)"


def test_codes_we_make_are_six_digits() -> None:
    assert ap.code_from_number(5) == "000005"
    assert ap.code_from_number(123456) == "123456"
    assert ap.code_from_number(9_876_543_210) == "543210"
    assert ap.code_from_number(1_000_000) == "000000"


def test_a_bad_local_time_names_where_it_was_found() -> None:
    with pytest.raises(InvalidInput) as e:
        ap.parse_local_start("2026-11-31 10:00", SHANGHAI, where="第 3 行")
    assert e.value.detail == {"field": "第 3 行"}
    assert e.value.message == ("第 3 行：时间 '2026-11-31 10:00' 无效，应为 YYYY-MM-DD HH:MM "
                               "(第 3 行: '2026-11-31 10:00' is not a valid local time YYYY-MM-DD HH:MM)")
    with pytest.raises(InvalidInput) as e:
        ap.parse_local_start("2026-03-08 02:30", ZoneInfo("America/New_York"), where="start")
    assert (e.value.code, e.value.detail) == ("bad_start", {"field": "start"})
    assert e.value.message == ("start：当地没有 2026-03-08 02:30 这一时刻（夏令时调整）"
                               "(start: 2026-03-08 02:30 does not exist in America/New_York)")
    assert ap.parse_local_start("  2026-11-30 10:00 ", SHANGHAI) == SLOT
    with pytest.raises(InvalidInput) as e:
        ap.parse_local_start("nope", SHANGHAI)
    assert e.value.detail == {"field": "start"}


# -- a day of slots -------------------------------------------------------------------------------------

def _hm(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, SHANGHAI).strftime("%H:%M")


def test_a_morning_in_half_hour_slots() -> None:
    slots = ap.day_slots(dt.date(2026, 11, 30), dt.time(9), dt.time(10, 10), 30, SHANGHAI)
    # The last 10 minutes do not make a slot.
    assert [(_hm(a), _hm(b)) for a, b in slots] == [("09:00", "09:30"), ("09:30", "10:00")]
    assert slots[0][0] == SLOT - 60 * MIN


def test_a_slot_that_ends_exactly_at_closing_is_kept() -> None:
    slots = ap.day_slots(dt.date(2026, 11, 30), dt.time(9), dt.time(10), 30, SHANGHAI)
    assert [(_hm(a), _hm(b)) for a, b in slots] == [("09:00", "09:30"), ("09:30", "10:00")]


@pytest.mark.parametrize(("minutes", "count"), [(5, 48), (240, 1)])
def test_slot_lengths_of_5_to_240_minutes(minutes: int, count: int) -> None:
    assert len(ap.day_slots(dt.date(2026, 11, 30), dt.time(9), dt.time(13), minutes, SHANGHAI)) == count


@pytest.mark.parametrize("minutes", [4, 241, 0])
def test_slot_lengths_outside_5_to_240_are_refused(minutes: int) -> None:
    with pytest.raises(InvalidInput) as e:
        ap.day_slots(dt.date(2026, 11, 30), dt.time(9), dt.time(17), minutes, SHANGHAI)
    assert e.value.code == "bad_slot_length"
    assert e.value.message == "时段长度应为 5–240 分钟 (slot length must be 5-240 minutes)"


@pytest.mark.parametrize("end", [dt.time(9), dt.time(8, 59)])
def test_the_end_must_be_after_the_start(end: dt.time) -> None:
    with pytest.raises(InvalidInput) as e:
        ap.day_slots(dt.date(2026, 11, 30), dt.time(9), end, 30, SHANGHAI)
    assert (e.value.code, e.value.message) == ("bad_slot_span", "结束时间须晚于开始时间 (end must be after start)")


def test_a_span_shorter_than_one_slot_has_no_slots() -> None:
    assert ap.day_slots(dt.date(2026, 11, 30), dt.time(9), dt.time(9, 20), 30, SHANGHAI) == []


# -- importing bookings ---------------------------------------------------------------------------------

def test_a_valid_file_is_imported_field_by_field() -> None:
    text = ("\ufeffcode,name,phone,queue,start\n"
            "ab-1234,张三,138 0013 8000,a,2026-11-30 10:00\n"
            ",李四,,BD,2026-11-30 10:30\n"
            "5678,王五,+86-139-0000-1234,C,2026-11-30 09:00\n"
            "\n")
    assert ap.parse_bookings_csv(text, SHANGHAI) == [
        ap.Booking(2, "AB1234", "张三", "8000", "A", SLOT),
        ap.Booking(3, None, "李四", "", "BD", SLOT + 30 * MIN),
        ap.Booking(4, "5678", "王五", "1234", "C", SLOT - 60 * MIN),
    ]


def test_blank_rows_are_skipped() -> None:
    text = "queue,start\n\nA,2026-11-30 10:00\n , \n\nB,2026-11-30 10:30\n"
    assert [(b.queue, b.starts_at) for b in ap.parse_bookings_csv(text, SHANGHAI)] == [
        ("A", SLOT), ("B", SLOT + 30 * MIN)]


def test_chinese_headers_in_any_order_and_short_rows() -> None:
    text = "预约时间 , 业务类型,姓名,手机号,预约码\n2026-11-30 10:00,A,赵六\n"
    assert ap.parse_bookings_csv(text, SHANGHAI) == [ap.Booking(2, None, "赵六", "", "A", SLOT)]
    text = "时段,业务,电话,预约号\n2026-11-30 10:00,b,13800138000,9999\n"
    assert ap.parse_bookings_csv(text, SHANGHAI) == [ap.Booking(2, "9999", "", "8000", "B", SLOT)]
    text = "START,Queue,手机\n2026-11-30 10:00,A,13800138000\n"
    assert ap.parse_bookings_csv(text, SHANGHAI) == [ap.Booking(2, None, "", "8000", "A", SLOT)]


def test_the_phone_tail_is_its_last_four_digits_whatever_the_separators() -> None:
    text = "queue,start,phone\nA,2026-11-30 10:00,138 0013 80 00\nA,2026-11-30 10:00,+86 138-0013-800-1\n"
    assert [b.phone_tail for b in ap.parse_bookings_csv(text, SHANGHAI)] == ["8000", "8001"]


def test_a_name_is_cut_at_50_characters() -> None:
    text = f"queue,start,name\nA,2026-11-30 10:00,{'名' * 60}\n"
    (b,) = ap.parse_bookings_csv(text, SHANGHAI)
    assert b.name == "名" * 50


@pytest.mark.parametrize("text", ["", "\n\n", " , \n"])
def test_an_empty_file_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as e:
        ap.parse_bookings_csv(text, SHANGHAI)
    assert (e.value.code, e.value.message) == ("empty_csv", "文件为空 (the file has no rows)")


@pytest.mark.parametrize(("header", "missing"), [
    ("code,name,phone", ["queue", "start"]), ("code,queue", ["start"]), ("name,start", ["queue"]),
])
def test_queue_and_start_columns_are_required(header: str, missing: list[str]) -> None:
    with pytest.raises(InvalidInput) as e:
        ap.parse_bookings_csv(header + "\n1,2,3\n", SHANGHAI)
    assert e.value.code == "csv_columns" and e.value.detail == {"missing": missing}
    names = ", ".join(missing)
    assert e.value.message == (f"缺少列：{names} (missing columns: {names}; expected code,name,phone,queue,start)")


def test_at_most_5000_rows_at_once() -> None:
    row = "A,2026-11-30 10:00\n"
    assert len(ap.parse_bookings_csv("queue,start\n" + row * 5000, SHANGHAI)) == 5000
    with pytest.raises(InvalidInput) as e:
        ap.parse_bookings_csv("queue,start\n" + row * 5001, SHANGHAI)
    assert (e.value.code, e.value.message) == ("csv_too_long", "一次最多导入 5000 条 (at most 5000 rows)")


def test_every_error_is_listed_in_line_order_and_the_first_is_in_the_message() -> None:
    text = ("code,name,phone,queue,start\n"
            "1111,a,,A,2026-11-30 10:00\n"        # line 2: its code repeats on line 5
            "12,b,,A,2026-11-30 10:00\n"          # line 3: code too short
            "2222,c,,AAA,2026-11-30 10:00\n"      # line 4: not a prefix
            "1111,d,,A,2026-11-30 10:00\n"        # line 5
            "3333,e,12,A,2026-11-30 10:00\n")     # line 6: not a phone number
    with pytest.raises(InvalidInput) as e:
        ap.parse_bookings_csv(text, SHANGHAI)
    assert e.value.code == "csv_invalid"
    assert e.value.detail == {"errors": [
        {"line": 2, "error": "duplicate_code", "message": "预约码 1111 重复 (code 1111 appears twice)"},
        {"line": 3, "error": "bad_code", "field": "code",
         "message": "预约码应为 4–16 位数字或字母 (an appointment code is 4-16 digits or letters)"},
        {"line": 4, "error": "bad_queue", "field": "queue",
         "message": "业务类型应为号码前缀，如 A (queue must be a prefix like A)"},
        {"line": 6, "error": "bad_phone", "field": "phone", "message": "手机号格式不对 (bad phone number)"},
    ]}
    assert e.value.message == "第 2 行：预约码 1111 重复 (code 1111 appears twice)（共 4 处错误）"


def test_rows_are_numbered_as_in_the_file_even_after_blank_lines() -> None:
    with pytest.raises(InvalidInput) as e:
        ap.parse_bookings_csv("queue,start\nA,2026-11-30 10:00\n,\nA,tomorrow\n", SHANGHAI)
    errors = e.value.detail["errors"]
    assert isinstance(errors, list) and len(errors) == 1
    assert (errors[0]["line"], errors[0]["error"], errors[0]["field"]) == (4, "bad_start", "start")
