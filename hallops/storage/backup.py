"""Backups and restores of an installation (issue 14): the database, the photos beside it, the settings.

`backup(db, dest)` makes `dest/hallops-YYYYmmdd-HHMMSS/` holding
  hallops.db      SQLite's online backup of a running database (pages copied in steps; writers go on)
  hallops.pgdump  or, on PostgreSQL, `pg_dump -Fc` of it
  photos/         the finding photos (files beside the database)
  config.toml     the configuration file, when one is in use
  MANIFEST.json   what is inside, with a SHA-256 per file, the schema version and each day's highest numbers
It is written under `.partial-…` and renamed only when complete: an interrupted backup leaves no half
result (the partial folder is removed), and `keep` prunes the oldest complete ones.

`restore(src, target)` checks the manifest's hashes and SQLite's integrity_check, then puts the copy in
place of the target atomically (the replaced file is kept as `…before-restore-…`). Numbers already given
are never given again: each queue's counter of every service day continues after the highest number seen
in the backup, in the database being replaced (tickets issued after the backup), or `skip` higher.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hallops.storage.db import is_url

Progress = Callable[[str, int, int], None]  # (step, done, total)
PAGES_PER_STEP = 256
PREFIX = "hallops-"
MANIFEST = "MANIFEST.json"


class BackupError(Exception):
    pass


@dataclass
class Report:
    path: Path
    files: dict[str, int] = field(default_factory=dict)  # name -> bytes
    counters: dict[str, int] = field(default_factory=dict)  # "queue_id/service_day" -> highest serial
    pruned: list[Path] = field(default_factory=list)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _counters(conn: sqlite3.Connection) -> dict[str, int]:
    """Each queue's highest number per service day: the day counters, and the tickets themselves."""
    out: dict[str, int] = {}
    queries = ("SELECT queue_id, service_day, last_serial FROM day_counters",
               "SELECT origin_queue_id, service_day, MAX(serial) FROM tickets GROUP BY origin_queue_id, service_day")
    for sql in queries:
        with contextlib.suppress(sqlite3.Error):
            for q, day, n in conn.execute(sql):
                key = f"{q}/{day}"
                out[key] = max(out.get(key, 0), int(n or 0))
    return out


def _schema(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0)


def backup(target: str, dest: Path, *, photos: Path | None, config: Path | None, keep: int = 0,
           progress: Progress | None = None, now: Callable[[], float] = time.time) -> Report:
    """Back the installation up into a new folder under `dest`; prune to `keep` backups (0: keep all)."""
    dest.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.fromtimestamp(now()).strftime("%Y%m%d-%H%M%S")
    final = dest / f"{PREFIX}{stamp}"
    if final.exists():
        raise BackupError(f"{final} exists already")
    work = Path(tempfile.mkdtemp(prefix=f".partial-{PREFIX}{stamp}-", dir=dest))
    report = Report(final)
    try:
        manifest: dict[str, Any] = {"created_at": dt.datetime.fromtimestamp(now()).astimezone().isoformat(),
                                    "source": target if not is_url(target) else _redact(target), "files": {}}
        if is_url(target):
            _pg_dump(target, work / "hallops.pgdump")
            manifest["backend"] = "postgresql"
        else:
            manifest["backend"] = "sqlite"
            manifest.update(_sqlite_backup(Path(target), work / "hallops.db", progress))
            report.counters = manifest["counters"]
        if photos is not None and photos.is_dir():
            files = [p for p in photos.rglob("*") if p.is_file()]
            for i, p in enumerate(files, 1):
                out = work / "photos" / p.relative_to(photos)
                out.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(p, out)
                if progress:
                    progress("photos", i, len(files))
        if config is not None and config.is_file():
            shutil.copy2(config, work / "config.toml")
        for p in sorted(work.rglob("*")):
            if p.is_file():
                name = str(p.relative_to(work))
                manifest["files"][name] = {"sha256": _sha256(p), "bytes": p.stat().st_size}
                report.files[name] = p.stat().st_size
        (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        _fsync_tree(work)
        os.rename(work, final)
        _fsync_dir(dest)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    if keep > 0:
        done = sorted(p for p in dest.iterdir() if p.is_dir() and p.name.startswith(PREFIX))
        for old in done[:-keep]:
            shutil.rmtree(old, ignore_errors=True)
            report.pruned.append(old)
    return report


def _sqlite_backup(path: Path, out: Path, progress: Progress | None) -> dict[str, Any]:
    if not path.exists():
        raise BackupError(f"no database at {path}")
    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(out)
        try:
            def step(status: int, remaining: int, total: int) -> None:
                if progress:
                    progress("database", total - remaining, total)
            # Pages in steps: the server's writer waits at most one step, never the whole copy.
            src.backup(dst, pages=PAGES_PER_STEP, progress=step, sleep=0.005)
            check = dst.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"the copy failed its integrity check: {check}")
            info = {"schema": _schema(dst), "counters": _counters(dst)}
            dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        finally:
            dst.close()
    finally:
        src.close()
    return info


def _pg_dump(url: str, out: Path) -> None:
    exe = shutil.which("pg_dump")
    if exe is None:
        raise BackupError("pg_dump is not on PATH: install postgresql-client (see README, Backups)")
    r = subprocess.run([exe, "--format=custom", "--no-owner", f"--file={out}", url], capture_output=True,
                       text=True, check=False)
    if r.returncode != 0:
        raise BackupError(f"pg_dump failed: {r.stderr.strip()[:500]}")


def _redact(url: str) -> str:
    head, at, tail = url.rpartition("@")
    return f"{head.split(':')[0]}:…@{tail}" if at and ":" in head.split("//", 1)[-1] else url


def _fsync_tree(root: Path) -> None:
    for p in root.rglob("*"):
        if p.is_file():
            fd = os.open(p, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    _fsync_dir(root)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- restore ---------------------------------------------------------------------------------------------------

def verify(src: Path) -> dict[str, Any]:
    """The manifest of a complete backup whose every file has its recorded hash."""
    manifest_path = src / MANIFEST
    if not manifest_path.is_file():
        raise BackupError(f"{src} is not a complete backup (no {MANIFEST})")
    manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
    for name, meta in manifest["files"].items():
        p = src / name
        if not p.is_file() or _sha256(p) != meta["sha256"]:
            raise BackupError(f"{name} in {src} is missing or damaged (its SHA-256 differs)")
    return manifest


def restore(src: Path, target: str, *, photos: Path | None, skip: int = 0, known_schema: int,
            progress: Progress | None = None, now: Callable[[], float] = time.time) -> Report:
    """Restore the backup `src` over the SQLite database `target` (the server must be stopped)."""
    manifest = verify(src)
    if is_url(target) or manifest.get("backend") != "sqlite":
        raise BackupError("restore of PostgreSQL: use pg_restore (see README, Backups)")
    if int(manifest.get("schema", 0)) > known_schema:
        raise BackupError(f"the backup is of a newer hallops (schema {manifest['schema']} > {known_schema})")
    path = Path(target)
    stamp = dt.datetime.fromtimestamp(now()).strftime("%Y%m%d-%H%M%S")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.restore-", dir=path.parent if path.parent.exists() else None)
    os.close(fd)
    tmp = Path(tmp_name)
    report = Report(path)
    try:
        shutil.copyfile(src / "hallops.db", tmp)
        conn = sqlite3.connect(tmp)
        try:
            check = conn.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"the backup's database fails its integrity check: {check}")
            floors = dict(_counters(conn))
            if path.exists():  # numbers given after the backup was taken, as far as the old file still tells
                with contextlib.suppress(sqlite3.Error):
                    old = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
                    try:
                        for k, n in _counters(old).items():
                            floors[k] = max(floors.get(k, 0), n)
                    finally:
                        old.close()
            with conn:
                for key, n in floors.items():
                    queue_id, day = key.split("/", 1)
                    conn.execute("INSERT INTO day_counters (queue_id, service_day, last_serial) VALUES (?, ?, ?) "
                                 "ON CONFLICT (queue_id, service_day) DO UPDATE SET last_serial = "
                                 "MAX(day_counters.last_serial, excluded.last_serial)",
                                 (int(queue_id), day, n + skip))
            report.counters = {k: n + skip for k, n in floors.items()}
            conn.execute("PRAGMA journal_mode = WAL")
        finally:
            conn.close()
        tmp_fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(tmp_fd)
        finally:
            os.close(tmp_fd)
        if path.exists():
            kept = path.with_name(f"{path.name}.before-restore-{stamp}")
            os.rename(path, kept)
            report.files["kept"] = kept.stat().st_size
        for extra in (Path(f"{path}-wal"), Path(f"{path}-shm")):
            with contextlib.suppress(FileNotFoundError):
                extra.unlink()
        os.rename(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if photos is not None and (src / "photos").is_dir():
        files = [p for p in (src / "photos").rglob("*") if p.is_file()]
        for i, p in enumerate(files, 1):
            out = photos / p.relative_to(src / "photos")
            out.parent.mkdir(parents=True, exist_ok=True)
            if not out.exists():
                shutil.copy2(p, out)
            if progress:
                progress("photos", i, len(files))
    return report
