"""The sign-in counters port: attempts counted before the password is checked, atomically.

`count_attempt` locks each key's row (in key order, so two attempts never deadlock on PostgreSQL), hands the
counts to the caller's rule (hallops/domain/limits.py via the accounts use case) and stores what it returns
— all in one transaction: concurrent guesses queue on the rows and each sees the ones before it. A refusal
raises inside the job, which undoes it: a refused attempt does not count.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

from hallops.domain.limits import FORGET_ROWS_AFTER, Count
from hallops.storage.db import Database, Tx

Rule = Callable[[Mapping[str, Count | None]], Mapping[str, int]]


def count_attempt(tx: Tx, keys: list[str], rule: Rule) -> None:
    counts: dict[str, Count | None] = {}
    for key in sorted(keys):
        tx.run("INSERT INTO signin_counters (key, failures, last_at) VALUES (?, 0, ?) ON CONFLICT (key) DO NOTHING",
               (key, tx.now))
        # An UPDATE that changes nothing still takes the row's lock on PostgreSQL until this transaction ends.
        row = tx.one("UPDATE signin_counters SET failures = failures WHERE key = ? RETURNING failures, last_at",
                     (key,))
        assert row is not None
        counts[key] = Count(int(row[0]), float(row[1])) if int(row[0]) > 0 else None
    for key, failures in rule(counts).items():
        tx.run("UPDATE signin_counters SET failures = ?, last_at = ? WHERE key = ?", (failures, tx.now, key))
    tx.run("DELETE FROM signin_counters WHERE last_at < ?", (tx.now - FORGET_ROWS_AFTER,))


def succeeded(tx: Tx, forget: list[str], less: list[str]) -> None:
    for key in sorted(forget):
        tx.run("DELETE FROM signin_counters WHERE key = ?", (key,))
    for key in sorted(less):
        tx.run("UPDATE signin_counters SET failures = failures - 1 WHERE key = ? AND failures > 0", (key,))


class SignInCounters:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._slots: asyncio.Semaphore | None = None

    def hash_slots(self, n: int) -> asyncio.Semaphore:
        """This process's slots for password-hash checks (argon2 takes a core for tens of milliseconds)."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(n)
        return self._slots

    async def count_attempt(self, keys: list[str], rule: Rule) -> None:
        await self.db.write(lambda tx: count_attempt(tx, keys, rule))

    async def succeeded(self, forget: list[str], less: list[str]) -> None:
        await self.db.write(lambda tx: succeeded(tx, forget, less))
