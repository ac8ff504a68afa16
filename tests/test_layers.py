"""The layers keep to themselves: SQL, transactions and database objects live in hallops/storage/ only.

Handlers (http/) parse and respond, use cases (usecases/) check the rules, the domain decides, storage records.
This test reads the source of every module outside storage and fails on what belongs to storage.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("hallops", "displays")
STORAGE = ROOT / "hallops" / "storage"

# What only storage may say. SQL is recognised by its statement shapes, not by single words (a message may
# say "select a queue").
FORBIDDEN = {
    "SQL": re.compile(r"\b(SELECT\s+[\w*(].*\bFROM\b|INSERT\s+INTO\b|UPDATE\s+\w+\s+SET\b|DELETE\s+FROM\b|"
                      r"CREATE\s+(TABLE|INDEX)\b|BEGIN\s+IMMEDIATE\b)"),
    "a write job": re.compile(r"\b(store|db|_db)\.write\(|\.write\(\s*lambda\b"),
    "a transaction": re.compile(r"\btx\s*[:.,)]|\bTx\b"),
    "the database object": re.compile(r"\.db\.|\bstore\.db\b|\bDATABASE\]|\bDatabase\b"),
    "a snapshot read": re.compile(r"\.snapshot\(\)"),
    "a database driver": re.compile(r"^\s*(import|from)\s+(sqlite3|aiosqlite|psycopg)\b", re.M),
}
# The composition root builds storage from the configuration and hands it on; nothing else may.
ALLOWED = {
    ("hallops/http/app.py", "the database object"),
    ("hallops/http/keys.py", "the database object"),
}


def _modules() -> list[Path]:
    out = []
    for pkg in PACKAGES:
        for p in sorted((ROOT / pkg).rglob("*.py")):
            if STORAGE in p.parents:
                continue
            out.append(p)
    return out


def _code(path: Path) -> str:
    """The source without comments and docstrings (they may talk about SQL)."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r'"""[\s\S]*?"""', '""', text)
    return re.sub(r"#[^\n]*", "", text)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_storage_outside_storage(path: Path) -> None:
    rel = str(path.relative_to(ROOT))
    code = _code(path)
    found = [(what, m.group(0)[:60]) for what, rx in FORBIDDEN.items() if (rel, what) not in ALLOWED
             for m in [rx.search(code)] if m]
    assert not found, f"{rel} reaches into storage: {found}"


def test_the_check_itself_catches_sql_and_write_jobs(tmp_path: Path) -> None:
    bad = 'x = await store.write(lambda tx: tx.run("UPDATE halls SET name = ? WHERE id = ?", (n, i)))\n'
    hits = [what for what, rx in FORBIDDEN.items() if rx.search(bad)]
    assert hits == ["SQL", "a write job", "a transaction"]
    assert not any(rx.search('msg = "请选择业务 (select a queue from the list)"') for rx in FORBIDDEN.values())
