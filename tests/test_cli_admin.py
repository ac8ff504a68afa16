"""The CLI's account and token verbs (issue 13): list, disable, enable, reset-password; token list, revoke."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from tests.test_cli import hallops


def test_user_and_token_verbs(tmp_path: Path) -> None:
    db = str(tmp_path / "ops.db")
    assert hallops("init", "--demo", "--db", db).returncode == 0
    r = hallops("user", "add", "lihua", "--role", "clerk", "--hall", "liangjiang", "--db", db,
                env={"HALLOPS_PASSWORD": "password123"})
    assert r.returncode == 1 and "common_password" in r.stderr
    r = hallops("user", "list", "--db", db)
    assert r.returncode == 0 and re.search(r"clerk1\s+clerk\s+1\s+-\s+active\s+张丽", r.stdout)
    r = hallops("user", "disable", "clerk1", "--db", db)
    assert r.returncode == 0 and "disabled clerk1" in r.stdout
    assert re.search(r"clerk1\s+clerk\s+1\s+-\s+disabled", hallops("user", "list", "--db", db).stdout)
    r = hallops("user", "reset-password", "clerk1", "--db", db)
    assert r.returncode == 1 and "account_disabled" in r.stderr
    assert hallops("user", "enable", "clerk1", "--db", db).returncode == 0
    r = hallops("user", "reset-password", "clerk1", "--db", db)
    assert r.returncode == 0 and re.search(r"^  [A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$", r.stdout, re.M)
    assert "/reset#code=" in r.stdout
    r = hallops("user", "disable", "nobody", "--db", db)
    assert r.returncode == 1 and "user_not_found" in r.stderr

    r = hallops("token", "list", "--db", db)
    assert r.returncode == 0 and "demo-kiosk" in r.stdout and "hop_" not in r.stdout
    token_id = int(re.search(r"^\s*(\d+)\s+kiosk\b.*demo-kiosk$", r.stdout, re.M).group(1))  # type: ignore[union-attr]
    r = hallops("token", "revoke", str(token_id), "--db", db)
    assert r.returncode == 0 and f"revoked token {token_id}" in r.stdout
    assert "demo-kiosk" not in hallops("token", "list", "--db", db).stdout
    assert "revoked" in hallops("token", "list", "--all", "--db", db).stdout
    assert hallops("token", "revoke", str(token_id), "--db", db).returncode == 1

    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT action, actor_name, address FROM audit_log WHERE action IN ('user.disable', "
                            "'user.enable', 'user.reset_password', 'token.revoke') ORDER BY id").fetchall()
    assert rows == [("user.disable", "operator (CLI)", "cli"), ("user.enable", "operator (CLI)", "cli"),
                    ("user.reset_password", "operator (CLI)", "cli"), ("token.revoke", "operator (CLI)", "cli")]
