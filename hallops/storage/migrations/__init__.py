"""Numbered SQL migrations (`NNNN_name.sql` beside this file), applied in order at start and recorded.

Each migration runs in its own BEGIN IMMEDIATE transaction and re-checks what is applied after taking the
lock, so two processes starting on one file at the same time apply each migration once.
"""

from __future__ import annotations

import re
import sqlite3
import time
from importlib import resources

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


def available() -> list[tuple[int, str, str]]:
    out = []
    for entry in resources.files(__package__).iterdir():
        m = _NAME.match(entry.name)
        if m:
            out.append((int(m.group(1)), m.group(2), entry.read_text(encoding="utf-8")))
    out.sort()
    versions = [v for v, _, _ in out]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration numbers: {versions}")
    return out


def _statements(script: str) -> list[str]:
    stmts, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                stmts.append(buf.strip())
            buf = ""
    if buf.strip() and not buf.strip().startswith("--"):
        raise RuntimeError(f"incomplete SQL statement at end of migration: {buf[:80]!r}")
    return stmts


def apply(conn: sqlite3.Connection) -> list[str]:
    """Apply what is missing; return the names applied. `conn` is in autocommit mode."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations ("
                 "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)")
    done: list[str] = []
    for version, name, script in available():
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("SELECT 1 FROM schema_migrations WHERE version = ?", (version,)).fetchone():
                conn.execute("ROLLBACK")
                continue
            for stmt in _statements(script):
                conn.execute(stmt)
            conn.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                         (version, name, time.time()))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        done.append(f"{version:04d}_{name}")
    return done


def applied(conn: sqlite3.Connection) -> list[int]:
    return [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
