"""Is the database really the one we opened, and can it take a write? (issue 14: /readyz, the write guard)

`StorageHealth.fault()` is cheap (a stat and a statvfs, cached briefly) and runs before every change: the
SQLite file deleted or replaced under the running server (writes would go to a file nobody will open again:
they were acknowledged, then lost at the next start), the file system read-only, free space below the
threshold. `probe()` adds a real write: one row of `health_probe` committed through the same writer as
every ticket.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from pathlib import Path
from typing import Any

from hallops.storage import faults
from hallops.storage.db import Database, Tx, is_url

CACHE_SECONDS = 0.5
PROBE_TIMEOUT = 3.0


def _probe_write(tx: Tx, writer: str) -> None:
    tx.run("INSERT INTO health_probe (id, at, writer) VALUES (1, ?, ?) "
           "ON CONFLICT (id) DO UPDATE SET at = excluded.at, writer = excluded.writer", (tx.now, writer))


def preflight(path: Path) -> list[str]:
    """Why a SQLite database at `path` must not be served (empty: fine). A read-only -wal or -shm file is
    mapped into memory by SQLite and kills the process with SIGBUS at the first write."""
    problems = []
    for extra in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if extra.exists() and not os.access(extra, os.R_OK | os.W_OK):
            problems.append(f"{extra} is not writable by this user")
    if path.parent.exists() and not os.access(path.parent, os.W_OK | os.X_OK):
        problems.append(f"{path.parent} is not writable by this user (SQLite creates its -wal and -shm there)")
    return problems


def _existing(path: Path) -> Path:
    """The folder itself, or its nearest existing parent (on PostgreSQL the data folder for photos is made
    at the first photo): its file system is where files will go."""
    path = path.resolve()
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


class StorageHealth:
    def __init__(self, db: Database, *, min_free_bytes: int) -> None:
        self.db = db
        self.min_free_bytes = min_free_bytes
        self.path: Path | None = None if is_url(db.label) else Path(db.label)
        self._identity: tuple[int, int] | None = None
        self._checked = 0.0
        self._fault: tuple[str, str] | None = None
        self.writer = f"{socket.gethostname()}:{os.getpid()}"

    def opened(self) -> None:
        """Remember which file was opened (call once the database is open)."""
        if self.path is not None:
            st = self.path.stat()
            self._identity = (st.st_dev, st.st_ino)
        self._checked = 0.0

    def fault(self) -> tuple[str, str] | None:
        """(code, why) of a fault that must stop writes now, or None."""
        now = time.monotonic()
        if now - self._checked < CACHE_SECONDS:
            return self._fault
        self._checked = now
        self._fault = self._look()
        return self._fault

    def _look(self) -> tuple[str, str] | None:
        if self.path is not None and self._identity is not None:
            try:
                st = self.path.stat()
            except FileNotFoundError:
                return faults.GONE, f"{self.path} was deleted while the server runs"
            except OSError as e:
                return faults.GONE, f"{self.path}: {e}"
            if (st.st_dev, st.st_ino) != self._identity:
                return faults.GONE, f"{self.path} was replaced by another file while the server runs"
        where = _existing(self.db.data_dir)
        try:
            vfs = os.statvfs(where)
        except OSError as e:
            return faults.GONE, f"{where}: {e}"
        if vfs.f_flag & os.ST_RDONLY:
            return faults.READ_ONLY, f"{where} is on a read-only file system"
        free = vfs.f_bavail * vfs.f_frsize
        if free < self.min_free_bytes:
            return faults.DISK_FULL, f"{free // 2**20} MB free in {where}, below {self.min_free_bytes // 2**20} MB"
        return None

    async def probe(self) -> dict[str, Any]:
        """Every check, and a real write through the writer: {"ok", "checks": {...}, "error"?, "why"?}."""
        self._checked = 0.0
        checks: dict[str, Any] = {}
        found = self.fault()
        checks["files"] = "ok" if found is None else found[1]
        started = time.monotonic()
        if found is None:
            try:
                await asyncio.wait_for(self.db.write(lambda tx: _probe_write(tx, self.writer)), PROBE_TIMEOUT)
                checks["write"] = f"ok ({(time.monotonic() - started) * 1000:.1f} ms)"
            except TimeoutError:
                found = (faults.UNAVAILABLE, f"a write took longer than {PROBE_TIMEOUT:.0f} s")
                checks["write"] = found[1]
            except Exception as e:
                code = faults.classify(e) or faults.UNAVAILABLE
                found = (code, f"{type(e).__name__}: {e}")
                checks["write"] = found[1]
        try:
            free = os.statvfs(_existing(self.db.data_dir))
            checks["free_mb"] = free.f_bavail * free.f_frsize // 2**20
        except OSError:
            pass
        out: dict[str, Any] = {"ok": found is None, "checks": checks}
        if found is not None:
            out["error"], out["why"] = found
        return out
