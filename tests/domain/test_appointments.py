"""Appointment rules without I/O: reading a local slot time, the CSV of bookings."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from hallops.domain import appointments as ap
from hallops.domain.errors import InvalidInput

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
