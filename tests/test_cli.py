"""The `hallops` command as an operator runs it, in a subprocess, on a real database file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def hallops(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hallops", *args], capture_output=True, text=True, input=stdin,
                          env={**os.environ, "HALLOPS_LOG_LEVEL": "WARNING", **(env or {})}, timeout=60)


def test_init_migrate_user_and_token(tmp_path: Path) -> None:
    db = str(tmp_path / "ops.db")
    r = hallops("init", "--demo", "--db", db)
    assert r.returncode == 0 and "demo hall loaded" in r.stdout and "demo-kiosk" in r.stdout
    r = hallops("init", "--demo", "--db", db)  # idempotent: the hall is not loaded twice
    assert r.returncode == 0 and "already present" in r.stdout
    r = hallops("migrate", "--db", db)
    assert r.returncode == 0 and "schema at migration" in r.stdout
    r = hallops("user", "add", "lihua", "--role", "clerk", "--name", "李华", "--hall", "liangjiang", "--db", db,
                env={"HALLOPS_PASSWORD": "a-long-password"})
    assert r.returncode == 0 and "added clerk lihua" in r.stdout
    r = hallops("user", "add", "lihua", "--role", "clerk", "--db", db, stdin="another-password\n")
    assert r.returncode == 1 and "username_taken" in r.stderr
    r = hallops("token", "create", "--role", "clerk", "--window", "3", "--label", "w3", "--db", db)
    assert r.returncode == 0 and r.stdout.strip().startswith("hop_")


def test_env_selects_the_database_and_a_bad_config_stops_with_its_key(tmp_path: Path) -> None:
    db = tmp_path / "env.db"
    assert hallops("init", env={"HALLOPS_DB": str(db)}).returncode == 0 and db.exists()
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[server]\nprot = 1\n")
    r = hallops("serve", "--config", str(cfg), "--db", str(db))
    assert r.returncode == 2 and "server.prot" in r.stderr
