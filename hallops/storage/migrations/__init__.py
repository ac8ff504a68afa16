"""Numbered SQL migrations, one folder per backend (`sqlite/NNNN_name.sql`, `postgresql/NNNN_name.sql`, the
same numbers and names in both), applied in order at start and recorded in `schema_migrations`.

SQLite: each migration runs in its own BEGIN IMMEDIATE transaction and re-checks what is applied after taking
the lock, so two processes starting on one file apply each migration once. PostgreSQL: the same, under a
transaction-scoped advisory lock, so several processes starting at once on one database apply each once.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable
from importlib import resources
from typing import Any

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
BACKENDS = ("sqlite", "postgresql")
# Any fixed number: the key of the advisory lock that serialises migrating processes.
PG_LOCK_KEY = 0x4A11_0915


def available(backend: str = "sqlite") -> list[tuple[int, str, str]]:
    out = []
    for entry in resources.files(__package__).joinpath(backend).iterdir():
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


def apply_sqlite(conn: sqlite3.Connection, progress: Callable[[str], None] | None = None) -> list[str]:
    """Apply what is missing; return the names applied. `conn` is in autocommit mode."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations ("
                 "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)")
    done: list[str] = []
    for version, name, script in available("sqlite"):
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
        if progress:
            progress(done[-1])
    return done


def apply_postgres(conn: Any, progress: Callable[[str], None] | None = None) -> list[str]:
    """The same for PostgreSQL; `conn` is a psycopg connection in autocommit mode. A whole migration file is
    one transaction (PostgreSQL's DDL is transactional), so an interrupted start leaves none of it."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations ("
                 "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at DOUBLE PRECISION NOT NULL)")
    done: list[str] = []
    for version, name, script in available("postgresql"):
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (PG_LOCK_KEY,))
            if conn.execute("SELECT 1 FROM schema_migrations WHERE version = %s", (version,)).fetchone():
                continue
            conn.execute(script.encode())
            conn.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (%s, %s, %s)",
                         (version, name, time.time()))
        done.append(f"{version:04d}_{name}")
        if progress:
            progress(done[-1])
    return done


def applied(conn: Any) -> list[int]:
    return [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()]

