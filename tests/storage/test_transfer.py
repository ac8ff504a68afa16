"""`hallops migrate-to-postgres`: a SQLite installation in use is copied whole, checked, and carries on."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import aiohttp
import psycopg
import pytest

from tests.conftest import on_postgres
from tests.processes import ROOT, ServerProcess, cli, demo_tokens

pytestmark = on_postgres


def migrate(src: Path, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hallops", "migrate-to-postgres", str(src), url], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


async def test_a_busy_sqlite_hall_is_copied_checked_and_carries_on(tmp_path: Path, database: str) -> None:
    src = tmp_path / "hall.db"
    tokens = demo_tokens(await asyncio.to_thread(cli, src, "init", "--demo"))
    kiosk = {"Authorization": f"Bearer {tokens['demo-kiosk']}"}
    mgr = {"Authorization": f"Bearer {tokens['demo-manager']}"}
    server = ServerProcess(src)
    await server.start()
    await server.quiet_day(tokens["demo-manager"])
    try:
        async with aiohttp.ClientSession() as s:
            for i in range(30):
                async with s.post(f"{server.url}/api/v1/tickets", headers=kiosk, json={"queue": "AB"[i % 2]}) as r:
                    assert r.status == 201
            async with s.post(f"{server.url}/api/v1/windows/1/open", headers=mgr) as r:
                assert r.status == 200
            for _ in range(5):
                async with s.post(f"{server.url}/api/v1/windows/1/call-next", headers=mgr) as r:
                    t = (await r.json())["ticket"]
                async with s.post(f"{server.url}/api/v1/tickets/{t['id']}/no-show", headers=mgr) as r:
                    assert r.status == 200
            # Copied while the server still runs (a consistent snapshot of the file).
            out = await asyncio.to_thread(migrate, src, database)
    finally:
        await server.stop()
    assert out.returncode == 0, out.stderr
    assert "hall 1: events 1…" in out.stdout and "gapless" in out.stdout
    assert "tickets " in out.stdout  # every table with rows is listed with its count (checked by the copier)
    with psycopg.connect(database) as conn:
        # The demo hall's 25 (30 issued, 5 missed); the demo district's centres have citizens waiting too.
        assert conn.execute("SELECT count(*) FROM tickets WHERE status = 'waiting' AND hall_id = 1"
                            ).fetchone()[0] == 25
        everywhere = conn.execute("SELECT count(*) FROM tickets WHERE status = 'waiting'").fetchone()[0]
        assert conn.execute("SELECT sum(n) FROM waiting_lines").fetchone()[0] == everywhere
    pg = ServerProcess(database, data_dir=tmp_path)
    await pg.start()
    try:
        async with aiohttp.ClientSession() as s:
            async with s.post(f"{pg.url}/api/v1/tickets", headers=kiosk, json={"queue": "A"}) as r:
                assert r.status == 201  # the devices' tokens came along
                assert (await r.json())["number"] == "A016"  # numbering carries on after A001…A015
            async with s.post(f"{pg.url}/api/v1/windows/1/call-next", headers=mgr) as r:
                # Window 1 serves A before B (B stands one aging step behind), so A001…A005 were the no-shows
                # and the line carries on at A006.
                assert (await r.json())["ticket"]["number"] == "A006"
    finally:
        await pg.stop()


async def test_a_database_that_holds_halls_is_refused_and_left_as_it_was(tmp_path: Path, database: str) -> None:
    src = tmp_path / "hall.db"
    await asyncio.to_thread(cli, src, "init", "--demo")
    first = await asyncio.to_thread(migrate, src, database)
    assert first.returncode == 0, first.stderr
    with psycopg.connect(database) as conn:
        before = conn.execute("SELECT count(*) FROM users").fetchone()[0]
    again = await asyncio.to_thread(migrate, src, database)
    assert again.returncode == 1 and "already holds halls" in again.stderr and "nothing was copied" in again.stderr
    with psycopg.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone()[0] == before


@pytest.mark.parametrize("name", ["missing.db"])
async def test_a_missing_source_is_refused(tmp_path: Path, database: str, name: str) -> None:
    out = await asyncio.to_thread(migrate, tmp_path / name, database)
    assert out.returncode == 1 and "no SQLite database" in out.stderr
