"""Accounts and signing keys shared by several server processes on one database (each process its own
Database object here, as two `hallops serve` would have)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from hallops.domain.model import Role
from hallops.storage.accounts import AccountStore, SigningKeys
from hallops.storage.db import Database, open_database
from hallops.storage.layout import LayoutStore
from tests.conftest import Clock


@pytest.fixture
async def two(database: str, clock: Clock) -> AsyncIterator[tuple[Database, Database]]:
    a, b = open_database(database, clock=clock), open_database(database, clock=clock)
    await a.open()
    await b.open()
    yield a, b
    await a.close()
    await b.close()


async def test_two_processes_making_a_signing_key_at_once_keep_one(two: tuple[Database, Database],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HALLOPS_SECRET_KEY", raising=False)
    a, b = two
    keys = [SigningKeys(db) for db in (a, b, a, b, a, b)]
    made = await asyncio.gather(*(k.key("device-cookie") for k in keys))
    assert len(set(made)) == 1 and len(made[0]) == 32
    rows = await a.all("SELECT value FROM server_secrets WHERE name = 'device-cookie'")
    assert [bytes.fromhex(r[0]) for r in rows] == [made[0]]
    assert await SigningKeys(b).key("device-cookie") == made[0]  # a later process reads the same key


async def test_the_environment_key_is_the_same_in_every_process_and_never_stored(
        two: tuple[Database, Database]) -> None:
    a, b = two
    env = {"HALLOPS_SECRET_KEY": "shared-by-the-operator"}
    ka, kb = SigningKeys(a, env), SigningKeys(b, env)
    assert await ka.key("device-cookie") == await kb.key("device-cookie") != await ka.key("other-purpose")
    assert await a.all("SELECT name FROM server_secrets") == []


async def test_a_session_made_by_one_process_is_known_to_another_until_sign_out(
        two: tuple[Database, Database]) -> None:
    a, b = two
    await LayoutStore(a).load_layout({"hall": {"code": "h", "name": "H"}, "users": [
        {"username": "lihua", "display_name": "李华", "role": "clerk", "password": "a-long-password"}]})
    user = await AccountStore(b).authenticate("lihua", "a-long-password")
    assert user is not None and await AccountStore(b).authenticate("lihua", "wrong-password") is None
    sid, csrf = await AccountStore(a).create_session(user["id"], 12)
    found = await AccountStore(b).session_actor(sid)
    assert found is not None and found[0].user_id == user["id"] and found[1] == csrf
    await AccountStore(b).delete_session(sid)
    assert await AccountStore(a).session_actor(sid) is None


async def test_a_token_revoked_through_one_process_stops_working_in_another(
        two: tuple[Database, Database]) -> None:
    a, b = two
    hall_id = await LayoutStore(a).load_layout({"hall": {"code": "h", "name": "H"}})
    here, there = AccountStore(a), AccountStore(b, token_cache_seconds=0)
    token, info = await here.create_token(role=Role.KIOSK, hall_id=hall_id, label="kiosk-1")
    actor = await there.token_actor(token)
    assert actor is not None and actor.role is Role.KIOSK and actor.hall_id == hall_id
    await here.revoke_token(info["id"])
    assert await there.token_actor(token) is None
