"""Backups and restores (issue 14): a backup while the hall is busy, a restore that never re-issues a number,
and an interrupted backup or a damaged one that leaves nothing half done."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from hallops.storage.backup import BackupError, backup, restore, verify
from tests.conftest import sqlite_only
from tests.processes import ROOT, ServerProcess, cli, demo_tokens

pytestmark = sqlite_only


def hallops(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hallops", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False)


async def _issue(s: aiohttp.ClientSession, url: str, kiosk: str, queue: str = "A") -> str:
    async with s.post(f"{url}/api/v1/tickets", json={"queue": queue},
                      headers={"Authorization": f"Bearer {kiosk}"}) as r:
        assert r.status == 201, await r.text()
        return str((await r.json())["number"])


def _serial(number: str) -> int:
    return int(number.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))


async def test_backup_of_a_busy_hall_and_a_restore_that_continues_after_the_highest_number(tmp_path: Path) -> None:
    db = tmp_path / "hall.db"
    kiosk = demo_tokens(await asyncio.to_thread(cli, db, "init", "--demo"))["demo-kiosk"]
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "f1.jpg").write_bytes(b"\xff\xd8 photo")
    server = ServerProcess(db)
    await server.start()
    issued: list[str] = []
    stop = asyncio.Event()
    async with aiohttp.ClientSession() as s:
        async def busy() -> None:
            while not stop.is_set():
                issued.append(await _issue(s, server.url, kiosk))

        load = [asyncio.create_task(busy()) for _ in range(4)]
        await asyncio.sleep(0.5)
        out = await asyncio.to_thread(hallops, "backup", str(tmp_path / "backups"), "--keep", "2", "--db", str(db))
        during = len(issued)
        await asyncio.sleep(0.3)
        stop.set()
        await asyncio.gather(*load)
        assert out.returncode == 0, out.stderr
        after_backup = [await _issue(s, server.url, kiosk) for _ in range(5)]  # given after the backup: lost
    await server.stop()
    print(f"backup while busy: {during} tickets issued during the run, backup {out.stdout.strip()}")
    (folder,) = (tmp_path / "backups").iterdir()
    manifest = verify(folder)
    assert "photos/f1.jpg" in manifest["files"] and "hallops.db" in manifest["files"]
    highest = max(_serial(n) for n in issued + after_backup)
    # The server's disk died; an older copy of the database survives beside it (the usual case: restore over it).
    out = await asyncio.to_thread(hallops, "restore", str(folder), "--db", str(db))
    assert out.returncode == 0, out.stderr
    server = ServerProcess(db)
    await server.start()
    async with aiohttp.ClientSession() as s:
        nxt = await _issue(s, server.url, kiosk)
    await server.stop()
    assert _serial(nxt) == highest + 1, (nxt, highest)


async def test_restore_without_the_old_database_skips_ahead_as_told(tmp_path: Path) -> None:
    db = tmp_path / "hall.db"
    kiosk = demo_tokens(await asyncio.to_thread(cli, db, "init", "--demo"))["demo-kiosk"]
    server = ServerProcess(db)
    await server.start()
    async with aiohttp.ClientSession() as s:
        for _ in range(3):
            await _issue(s, server.url, kiosk, "B")
        assert (await asyncio.to_thread(hallops, "backup", str(tmp_path / "b"), "--db", str(db))).returncode == 0
        for _ in range(4):
            await _issue(s, server.url, kiosk, "B")  # B004…B007: only the lobby screen saw them
    await server.stop(signal.SIGKILL)
    def lose_disk() -> Path:
        for p in tmp_path.glob("hall.db*"):
            p.unlink()
        (folder,) = (tmp_path / "b").iterdir()
        return folder

    folder = await asyncio.to_thread(lose_disk)
    out = await asyncio.to_thread(hallops, "restore", str(folder), "--skip", "20", "--db", str(db))
    assert out.returncode == 0, out.stderr
    server = ServerProcess(db)
    await server.start()
    async with aiohttp.ClientSession() as s:
        assert await _issue(s, server.url, kiosk, "B") == "B024"  # 3 in the backup, 20 skipped
    await server.stop()


def test_an_interrupted_backup_leaves_nothing(tmp_path: Path) -> None:
    db = tmp_path / "hall.db"
    cli(db, "init", "--demo")
    dest = tmp_path / "backups"

    def interrupt(step: str, done: int, total: int) -> None:
        if done > total // 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        backup(str(db), dest, photos=None, config=None, progress=interrupt)
    assert list(dest.iterdir()) == []


def test_a_damaged_backup_is_refused_and_the_database_left_alone(tmp_path: Path) -> None:
    db = tmp_path / "hall.db"
    cli(db, "init", "--demo")
    report = backup(str(db), tmp_path / "b", photos=None, config=None)
    before = db.read_bytes()
    with (report.path / "hallops.db").open("r+b") as f:
        f.seek(8192)
        f.write(b"\x00" * 64)
    with pytest.raises(BackupError, match="damaged"):
        restore(report.path, str(db), photos=None, known_schema=99)
    assert db.read_bytes() == before and json.loads((report.path / "MANIFEST.json").read_text())["schema"] >= 10


def test_serve_refuses_a_missing_database_unless_told_to_create(tmp_path: Path) -> None:
    out = hallops("serve", "--db", str(tmp_path / "missing.db"), "--port", "1")
    assert out.returncode == 2 and "no database at" in out.stderr
    assert not (tmp_path / "missing.db").exists()
