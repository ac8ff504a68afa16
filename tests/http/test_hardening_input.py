"""Input refused in one place (issue 14): what gave 500s before gets a 4xx with a code, whoever asks."""

from __future__ import annotations

import pytest

from tests.conftest import Hall

SUPERSCRIPT = "%C2%B9"  # "¹": str.isdigit() says yes, int() says no


@pytest.mark.parametrize("path", [
    f"/api/v1/halls/{SUPERSCRIPT}/menu", f"/m/{SUPERSCRIPT}", f"/kiosk/{SUPERSCRIPT}",
    f"/api/v1/halls/{SUPERSCRIPT}/state", "/api/v1/halls/12345678901234567890/menu",
    "/api/v1/halls/99999999999999999999/state", "/api/v1/halls/%D9%A3/menu",  # an Arabic-Indic three
    f"/api/v1/tickets/{SUPERSCRIPT}", "/api/v1/tickets/12345678901234567890",
])
async def test_odd_digits_and_huge_ids_in_the_path_name_nothing(hall: Hall, path: str) -> None:
    for who in (hall.anon, hall.admin, hall.kiosk):
        status, body = await who.get(path)
        assert status in (401, 403, 404), (path, status, body)


async def test_json_nested_100000_deep_is_refused_without_a_stack_overflow(hall: Hall) -> None:
    raw = "[" * 100_000 + "]" * 100_000
    status, body = await hall.kiosk.post("/api/v1/tickets", raw=raw, headers={"Content-Type": "application/json"})
    assert status == 422 and body["error"] == "json_too_deep"
    nested = '{"queue": "A", "x": ' + "[" * 40 + "]" * 40 + "}"
    status, body = await hall.kiosk.post("/api/v1/tickets", raw=nested, headers={"Content-Type": "application/json"})
    assert status == 422 and body["error"] == "json_too_deep"


@pytest.mark.parametrize("value", ["9223372036854775808", "-9223372036854775809", "1" + "0" * 400])
async def test_integers_past_64_bits_are_refused(hall: Hall, value: str) -> None:
    raw = '{"queue": ' + value + "}"
    status, body = await hall.kiosk.post("/api/v1/tickets", raw=raw, headers={"Content-Type": "application/json"})
    assert status == 422 and body["error"] == "out_of_range" and body["detail"]["field"] == "queue"


async def test_year_one_dates_are_refused_in_bodies_and_queries(hall: Hall) -> None:
    status, body = await hall.manager.post(f"/api/v1/halls/{hall.hall_id}/appointments",
                                           {"queue": "A", "start": "0001-01-01 09:00"})
    assert status == 422, body  # each field refuses it with its own code (the dates of a body are typed fields)
    status, body = await hall.manager.post(f"/api/v1/halls/{hall.hall_id}/appointment-slots",
                                           {"queue": "A", "day": "0001-01-01", "start": "09:00", "end": "10:00"})
    assert status == 422, body  # each field refuses it with its own code (the dates of a body are typed fields)
    status, body = await hall.manager.get(f"/api/v1/halls/{hall.hall_id}/appointments?day=0001-01-01")
    assert status == 422 and body["error"] == "date_out_of_range"  # as the statistics queries gave
    status, body = await hall.manager.get(f"/api/v1/halls/{hall.hall_id}/appointments?day=9999-12-31")
    assert status == 422


async def test_a_valid_request_still_passes_the_checks(hall: Hall) -> None:
    ticket = await hall.issue("A")
    assert ticket["number"].startswith("A")
    status, _ = await hall.anon.get(f"/api/v1/halls/{hall.hall_id}/menu")
    assert status == 200
