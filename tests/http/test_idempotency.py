"""A kiosk's retry with the same Idempotency-Key gets the same ticket back, never a second one."""

from __future__ import annotations

import asyncio

from hallops.domain.model import Role
from tests.conftest import Api, Hall


async def test_a_retry_returns_the_same_ticket(hall: Hall) -> None:
    h = {"Idempotency-Key": "kiosk-1-tap-0001"}
    s1, t1 = await hall.kiosk.post("/api/v1/tickets", {"queue": "A"}, headers=h)
    s2, t2 = await hall.kiosk.post("/api/v1/tickets", {"queue": "A"}, headers=h)
    assert (s1, s2) == (201, 200) and t1["id"] == t2["id"] and t1["number"] == t2["number"] == "A001"
    assert (await hall.db.one("SELECT count(*) FROM tickets"))[0] == 1


async def test_a_double_tap_sent_at_once_makes_one_ticket(hall: Hall) -> None:
    h = {"Idempotency-Key": "double-tap"}
    results = await asyncio.gather(*(hall.kiosk.post("/api/v1/tickets", {"queue": "B"}, headers=h)
                                     for _ in range(5)))
    assert sorted(s for s, _ in results) == [200, 200, 200, 200, 201]
    assert len({b["id"] for _, b in results}) == 1
    assert (await hall.db.one("SELECT count(*) FROM tickets"))[0] == 1


async def test_the_same_key_for_another_request_is_refused(hall: Hall) -> None:
    h = {"Idempotency-Key": "k"}
    await hall.kiosk.post("/api/v1/tickets", {"queue": "A"}, headers=h)
    status, body = await hall.kiosk.post("/api/v1/tickets", {"queue": "B"}, headers=h)
    assert status == 422 and body["error"] == "idempotency_key_reused"


async def test_keys_of_two_kiosks_never_meet(hall: Hall) -> None:
    token, _ = await hall.ports.accounts.create_token(role=Role.KIOSK, hall_id=hall.hall_id, label="kiosk-2")
    other = Api(hall.client, token=token)
    h = {"Idempotency-Key": "same-key"}
    _, a = await hall.kiosk.post("/api/v1/tickets", {"queue": "A"}, headers=h)
    _, b = await other.post("/api/v1/tickets", {"queue": "A"}, headers=h)
    assert a["id"] != b["id"]
