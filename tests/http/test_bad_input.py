"""Bad input of any shape gets a clear 4xx, never a 500, and changes nothing."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Hall

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12)
bodies = st.one_of(
    json_values,
    st.fixed_dictionaries({"queue": json_values}, optional={"channel": json_values, "priority": json_values,
                                                             "hall": json_values, "appointment_at": json_values}),
)


async def snapshot(hall: Hall) -> tuple:
    db = hall.db
    return (tuple(tuple(r) for r in await db.all("SELECT * FROM tickets")),
            (await db.one("SELECT event_seq FROM halls WHERE id = ?", (hall.hall_id,)))[0])


@pytest.mark.parametrize("raw", [b"{", b"[]", b"null", b"\xff\xfe", b'{"queue": "A"', b"42", b'"A"'])
async def test_malformed_bodies(hall: Hall, raw: bytes) -> None:
    before = await snapshot(hall)
    status, body = await hall.kiosk.post("/api/v1/tickets", raw=raw,
                                         headers={"Content-Type": "application/json"})
    assert 400 <= status < 500 and body["error"] in ("bad_json", "invalid_input")
    assert await snapshot(hall) == before


async def test_non_json_content_type_is_refused(hall: Hall) -> None:
    status, body = await hall.kiosk.post("/api/v1/tickets", raw="queue=A",
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 415 and body["error"] == "unsupported_media_type"


async def test_unknown_fields_and_bad_enums_name_the_field(hall: Hall) -> None:
    status, body = await hall.kiosk.post("/api/v1/tickets", {"queue": "A", "colour": "red"})
    assert status == 422 and body["detail"]["errors"][0]["field"] == "colour"
    status, body = await hall.kiosk.post("/api/v1/tickets", {"queue": "A", "priority": "vip"})
    assert status == 422 and "priority" in body["message"]
    status, body = await hall.kiosk.post("/api/v1/tickets", {"queue": "Z"})
    assert status == 404 and body["error"] == "queue_not_found"
    status, body = await hall.kiosk.post("/api/v1/tickets", {"queue": "1"})
    assert status == 422 and [e["field"] for e in body["detail"]["errors"]] == ["queue"]
    assert "constrained" not in body["message"]


@pytest.mark.parametrize("path", ["/api/v1/tickets/99999999999999999999999/start",
                                  "/api/v1/tickets/abc/start", "/api/v1/windows/0/call-next",
                                  "/api/v1/windows/9223372036854775807/open", "/api/v1/halls/no-such/state",
                                  "/api/v1/halls/%00/state"])
async def test_bad_ids_are_404(hall: Hall, path: str) -> None:
    status, body = await hall.manager.post(path) if "state" not in path else await hall.manager.get(path)
    assert status == 404, body
    assert "error" in body


@pytest.mark.parametrize("query", ["after=-1", "after=abc", "after=1e3", "limit=0", "limit=100000",
                                   "after=99999999999999999999999"])
async def test_bad_query_parameters(hall: Hall, query: str) -> None:
    status, body = await hall.display.get(f"/api/v1/halls/{hall.hall_id}/events?{query}")
    assert status == 422 and body["error"] == "bad_query"


async def test_idempotency_key_must_be_sane(hall: Hall) -> None:
    status, body = await hall.kiosk.post("/api/v1/tickets", {"queue": "A"}, headers={"Idempotency-Key": "x" * 200})
    assert status == 422 and body["error"] == "bad_idempotency_key"


async def test_random_bodies_never_500_and_never_change_anything_when_refused(hall: Hall) -> None:
    seen: list[tuple[int, str]] = []

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(body=bodies, path=st.sampled_from(["/api/v1/tickets", "/api/v1/windows/1/pause",
                                              "/api/v1/tickets/1/transfer", "/api/v1/tickets/1/finish",
                                              f"/api/v1/halls/{hall.hall_id}/queues"]))
    def run(body: object, path: str) -> None:
        seen.append((len(seen), json.dumps(body)))
        cases.append((path, body))

    cases: list[tuple[str, object]] = []
    run()
    for path, body in cases:
        before = await snapshot(hall)
        status, resp = await hall.admin.post(path, raw=json.dumps(body),
                                             headers={"Content-Type": "application/json"})
        assert status < 500, (path, body, resp)
        if status >= 400:
            assert isinstance(resp, dict) and resp["error"] and resp["message"], resp
            assert await snapshot(hall) == before, (path, body)
