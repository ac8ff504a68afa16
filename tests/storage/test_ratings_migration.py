"""Migration 0007 on a database already in use: the rating pad's role is added to api_tokens' CHECK in place,
without touching the tokens kiosk printers refer to (SQLite), or by replacing the constraint (PostgreSQL)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from hallops.storage import migrations
from tests.conftest import postgres_url


def test_sqlite_upgrade_keeps_referenced_tokens_and_accepts_rating_pads(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    conn = sqlite3.connect(tmp_path / "old.db", isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    everything = migrations.available
    monkeypatch.setattr(migrations, "available", lambda backend="sqlite": [m for m in everything(backend)
                                                                           if m[0] < 7])
    migrations.apply_sqlite(conn)
    conn.execute("INSERT INTO api_tokens (id, token_hash, role, created_at) VALUES (1, 'h1', 'kiosk', 0)")
    conn.execute("INSERT INTO kiosk_printers (token_id, mode, updated_at) VALUES (1, 'none', 0)")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO api_tokens (token_hash, role, created_at) VALUES ('h2', 'rating_pad', 0)")
    monkeypatch.setattr(migrations, "available", everything)
    assert migrations.apply_sqlite(conn) == [f"{v:04d}_{n}" for v, n, _ in everything() if v >= 7]
    conn.execute("INSERT INTO api_tokens (token_hash, role, created_at) VALUES ('h2', 'rating_pad', 0)")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO api_tokens (token_hash, role, created_at) VALUES ('h3', 'bogus', 0)")
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert conn.execute("SELECT token_id FROM kiosk_printers").fetchall() == [(1,)]
    # another connection (another process) reads the new schema
    other = sqlite3.connect(tmp_path / "old.db", isolation_level=None)
    other.execute("INSERT INTO api_tokens (token_hash, role, created_at) VALUES ('h4', 'rating_pad', 0)")


@pytest.mark.skipif(postgres_url() is None, reason="runs on PostgreSQL (HALLOPS_TEST_DATABASE)")
def test_postgres_accepts_rating_pad_tokens(database: str) -> None:
    import psycopg

    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("INSERT INTO api_tokens (token_hash, role, created_at) VALUES ('h2', 'rating_pad', 0)")
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute("INSERT INTO api_tokens (token_hash, role, created_at) VALUES ('h3', 'bogus', 0)")
