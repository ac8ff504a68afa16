"""Health that tells the truth, storage faults as 503, headers on every answer, metrics (issue 14)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path

import pytest

from hallops.http.health import HEALTH
from hallops.http.keys import DATABASE
from tests.conftest import Hall, sqlite_only


async def test_healthz_is_alive_and_readyz_writes(hall: Hall) -> None:
    status, body = await hall.anon.get("/healthz")
    assert status == 200 and body["status"] == "ok"
    status, body = await hall.anon.get("/readyz")
    assert status == 200 and body["status"] == "ready" and body["checks"]["write"].startswith("ok")


@sqlite_only
async def test_a_deleted_database_file_stops_writes_and_readiness(hall: Hall) -> None:
    db_path = Path(hall.client.server.app[DATABASE].label)
    await hall.issue("A")
    os.unlink(db_path)
    hall.client.server.app[HEALTH]._checked = 0.0  # no waiting for the half-second cache in a test
    status, body = await hall.anon.get("/readyz")
    assert status == 503 and body["error"] == "database_gone"
    status, body = await hall.kiosk.post("/api/v1/tickets", {"queue": "A"})
    assert status == 503 and body["error"] == "database_gone"  # nothing acknowledged that would be lost
    status, _ = await hall.anon.get("/healthz")
    assert status == 200  # alive: the process answers; readiness is what failed


async def test_low_disk_refuses_changes_and_recovers_by_itself(hall: Hall) -> None:
    health = hall.client.server.app[HEALTH]
    saved = health.min_free_bytes
    health.min_free_bytes = 2**62
    health._checked = 0.0
    status, body = await hall.kiosk.post("/api/v1/tickets", {"queue": "A"})
    assert status == 503 and body["error"] == "disk_full" and "Retry-After" not in body
    status, body = await hall.anon.get("/readyz")
    assert status == 503 and body["error"] == "disk_full"
    assert (await hall.display.get(f"/api/v1/halls/{hall.hall_id}/state"))[0] == 200  # reads go on
    health.min_free_bytes = saved
    await asyncio.sleep(0.6)  # the guard looks again after half a second
    assert (await hall.kiosk.post("/api/v1/tickets", {"queue": "A"}))[0] == 201


@sqlite_only
async def test_a_read_only_database_answers_503_and_logs_once(hall: Hall, caplog: pytest.LogCaptureFixture
                                                              ) -> None:
    db = hall.client.server.app[DATABASE]
    conn = db._conn  # the writer's connection: make it refuse writes as a read-only file would
    await asyncio.get_running_loop().run_in_executor(db._executor, lambda: conn.execute("PRAGMA query_only = ON"))
    try:
        answers = [await hall.kiosk.post("/api/v1/tickets", {"queue": "A"}) for _ in range(5)]
        assert {(s, b["error"]) for s, b in answers} == {(503, "database_read_only")}
        assert sum("storage fault database_read_only" in r.getMessage() for r in caplog.records) == 1
    finally:
        await asyncio.get_running_loop().run_in_executor(db._executor,
                                                         lambda: conn.execute("PRAGMA query_only = OFF"))
    assert (await hall.kiosk.post("/api/v1/tickets", {"queue": "A"}))[0] == 201


def test_sqlite_read_only_errors_are_classified() -> None:
    from hallops.storage import faults

    assert faults.classify(sqlite3.OperationalError("attempt to write a readonly database")) == "database_read_only"
    assert faults.classify(sqlite3.OperationalError("database or disk is full")) == "disk_full"
    assert faults.classify(OSError(28, "No space left on device")) == "disk_full"
    assert faults.classify(ValueError("x")) is None


async def test_security_headers_on_pages_api_and_errors(hall: Hall) -> None:
    for who, path in ((hall.anon, "/login"), (hall.admin, "/api/v1/users"), (hall.anon, "/api/v1/halls/x/state"),
                      (hall.anon, "/static/css/hallops.css")):
        async with who.client.get(path, headers=who._headers(None)) as r:
            h = r.headers
            assert "script-src 'self'" in h["Content-Security-Policy"] and "frame-ancestors 'none'" in \
                h["Content-Security-Policy"], path
            assert h["X-Content-Type-Options"] == "nosniff" and h["Referrer-Policy"] in ("no-referrer", "same-origin")
            assert len(h["X-Request-Id"]) >= 8
            if path.startswith("/api/"):
                assert h["Cache-Control"] == "no-store", path
    async with hall.admin.client.get("/api/v1/tokens", headers=hall.admin._headers({"X-Request-Id": "proxy-id-123"})
                                     ) as r:
        assert r.headers["Cache-Control"] == "no-store" and r.headers["X-Request-Id"] == "proxy-id-123"


async def test_metrics_count_tickets_waiting_and_screens(hall: Hall) -> None:
    for _ in range(3):
        await hall.issue("A")
    status, text = await hall.anon.get("/metrics")
    assert status == 200
    assert f'hallops_tickets_issued_total{{hall="{hall.hall_id}"}} 3.0' in text
    assert f'hallops_waiting_tickets{{hall="{hall.hall_id}",queue="A"}} 3.0' in text
    for name in ("hallops_request_seconds_bucket", "hallops_subscribers_cut_off_total", "hallops_live_subscribers",
                 "hallops_storage_errors_total", "hallops_alerts_raised"):
        assert name in text, name
