"""Copy a SQLite installation into an empty PostgreSQL database (`hallops migrate-to-postgres`).

The source is read inside one read transaction (WAL gives a consistent snapshot while the server keeps
running); the target is written inside one transaction, so an interrupted or failed copy leaves the target as
empty as it was. Tables are copied in the order they were created (parents before children) with COPY;
the counters kept by triggers (`waiting_lines`, `queue_held`, `day_counts`) are not copied but rebuilt by the
target's triggers as the tickets arrive, and then checked.
Afterwards every table's row count, each hall's event sequence (gapless, ending at the hall's counter) and the
waiting lines are compared; the copy commits only if all agree.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from hallops.storage import migrations

# Kept by triggers on the target: rebuilt, not copied.
DERIVED = frozenset({"waiting_lines", "queue_held", "day_counts"})
# Each derived table's rows, in an order both backends give alike, for the check after the copy.
_DERIVED_ROWS = {"waiting_lines": "SELECT queue_id, target_window_id, boost_class, n FROM waiting_lines WHERE n > 0",
                 "queue_held": "SELECT queue_id, n FROM queue_held WHERE n > 0",
                 "day_counts": "SELECT hall_id, service_day, status, n FROM day_counts WHERE n > 0"}
SKIP = frozenset({"schema_migrations", "sqlite_sequence"})
CHUNK = 2000


class TransferError(Exception):
    """The copy was refused or did not check out; the target is unchanged."""


@dataclass
class TransferReport:
    tables: dict[str, int] = field(default_factory=dict)  # rows copied per table
    halls: dict[int, int] = field(default_factory=dict)  # events per hall (= its last sequence number)
    waiting: int = 0  # tickets waiting, in the rebuilt lines


Progress = Callable[[str, int, int], None]  # (table, rows done, rows in table)


def _source(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise TransferError(f"no SQLite database at {path}")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    conn.execute("BEGIN")  # one snapshot for the whole copy
    return conn


def _tables(src: sqlite3.Connection) -> list[str]:
    rows = src.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid").fetchall()
    return [r[0] for r in rows if r[0] not in SKIP and r[0] not in DERIVED]


def _check_schema(src: sqlite3.Connection) -> None:
    have = {r[0] for r in src.execute("SELECT version FROM schema_migrations")}
    want = {v for v, _, _ in migrations.available("sqlite")}
    if have != want:
        raise TransferError(f"the SQLite database is at migrations {sorted(have)}, this hallops expects "
                            f"{sorted(want)}: run `hallops migrate --db {'<path>'}` first")


def copy_sqlite_to_postgres(path: Path, url: str, progress: Progress | None = None) -> TransferReport:
    src = _source(path)
    try:
        _check_schema(src)
        with psycopg.connect(url, autocommit=True) as dst:
            migrations.apply_postgres(dst)
            with dst.transaction():
                if dst.execute("SELECT count(*) FROM halls").fetchone()[0]:  # type: ignore[index]
                    raise TransferError("the PostgreSQL database already holds halls: copy into an empty one")
                report = TransferReport()
                for table in _tables(src):
                    try:
                        report.tables[table] = _copy_table(src, dst, table, progress)
                    except psycopg.DataError as e:
                        # SQLite kept what PostgreSQL cannot (a NUL byte in text): name the table, copy nothing.
                        raise TransferError(f"{table}: a value PostgreSQL cannot store ({e}); clean it in the "
                                            "SQLite database first") from e
                _reset_identities(dst, list(report.tables))
                _verify(src, dst, report)
        return report
    finally:
        src.close()


def _copy_table(src: sqlite3.Connection, dst: psycopg.Connection[Any], table: str,
                progress: Progress | None) -> int:
    total = src.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    cur = src.execute(f"SELECT * FROM {table}")
    cols = [d[0] for d in cur.description]
    done = 0
    with dst.cursor().copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
        while rows := cur.fetchmany(CHUNK):
            for row in rows:
                copy.write_row(row)
            done += len(rows)
            if progress:
                progress(table, done, total)
    if progress and total == 0:
        progress(table, 0, 0)
    return int(done)


def _reset_identities(dst: psycopg.Connection[Any], tables: list[str]) -> None:
    """New rows continue after the copied ids."""
    with_ids = {r[0] for r in dst.execute(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND column_name = 'id' AND is_identity = 'YES'").fetchall()}
    for table in tables:
        if table not in with_ids:
            continue
        seq = dst.execute("SELECT pg_get_serial_sequence(%s, 'id')", (table,)).fetchone()
        if seq and seq[0]:
            dst.execute(f"SELECT setval(%s, coalesce((SELECT max(id) FROM {table}), 0) + 1, false)", (seq[0],))


def _verify(src: sqlite3.Connection, dst: psycopg.Connection[Any], report: TransferReport) -> None:
    for table, n in report.tables.items():
        got = dst.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]
        if got != n:
            raise TransferError(f"{table}: {n} rows read, {got} in PostgreSQL")
    for hall_id, seq in src.execute("SELECT id, event_seq FROM halls ORDER BY id").fetchall():
        row = dst.execute("SELECT count(*), coalesce(max(seq), 0), coalesce(min(seq), 1) FROM events "
                          "WHERE hall_id = %s", (hall_id,)).fetchone()
        assert row is not None
        count, last, first = row
        if count != seq or last != seq or (count and first != 1):
            raise TransferError(f"hall {hall_id}: event sequence 1…{seq} expected, found {count} events "
                                f"from {first} to {last}")
        report.halls[int(hall_id)] = int(seq)
    for table, sql in _DERIVED_ROWS.items():
        want = sorted(tuple(r) for r in src.execute(sql))
        got = sorted(tuple(r) for r in dst.execute(sql).fetchall())
        if want != got:
            raise TransferError(f"{table}, rebuilt from the tickets, differs from the source's")
        if table == "waiting_lines":
            report.waiting = sum(r[3] for r in got)
