"""Shared fixtures: a real server (aiohttp test server) on a real database.

By default the database is a real SQLite file in a temp folder. With HALLOPS_TEST_DATABASE set to a PostgreSQL
URL (`.ci/run` starts a throwaway cluster and runs the suite both ways), every test gets a fresh database of its
own on that server, copied from a template migrated once per run.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from hallops.cli import demo_layout
from hallops.config import Config, load_config
from hallops.domain.model import Role
from hallops.http.app import create_app
from hallops.http.keys import DATABASE, USECASES
from hallops.storage import accounts as _accounts
from hallops.storage.db import Database
from hallops.storage.ports import Ports

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


class Clock:
    """A clock the tests move by hand. Starts on a Monday at 09:00 Shanghai time."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.t = (start or dt.datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI)).timestamp()

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds

    def set(self, when: dt.datetime) -> None:
        self.t = when.timestamp()


@dataclass
class Api:
    """Calls the server as one principal (a bearer token, or a session cookie with its CSRF token)."""

    client: TestClient
    token: str | None = None
    csrf: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        h = dict(self.headers)
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        if self.csrf:
            h["X-CSRF-Token"] = self.csrf
        h.update(extra or {})
        return h

    async def call(self, method: str, path: str, body: Any = None, *, headers: dict[str, str] | None = None,
                   raw: bytes | str | None = None) -> tuple[int, Any]:
        kw: dict[str, Any] = {"headers": self._headers(headers)}
        if raw is not None:
            kw["data"] = raw
        elif body is not None:
            kw["json"] = body
        async with self.client.request(method, path, **kw) as resp:
            text = await resp.text()
            if resp.content_type == "application/json" and text:
                import json

                return resp.status, json.loads(text)
            return resp.status, text

    async def get(self, path: str, **kw: Any) -> tuple[int, Any]:
        return await self.call("GET", path, **kw)

    async def post(self, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        return await self.call("POST", path, body, **kw)

    async def patch(self, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        return await self.call("PATCH", path, body, **kw)

    async def delete(self, path: str, **kw: Any) -> tuple[int, Any]:
        return await self.call("DELETE", path, **kw)


@dataclass
class Hall:
    """The demo hall on a running server, with a token for each kind of principal."""

    client: TestClient
    db: Database  # to check stored rows beside the answers
    clock: Clock
    hall_id: int
    admin: Api
    manager: Api
    kiosk: Api
    display: Api
    anon: Api
    layout: dict[str, Any]

    @property
    def ports(self) -> Ports:
        """Storage's ports, for tests that set a hall up or look behind the API."""
        return self.client.server.app[USECASES].ctx.ports

    def window_id(self, number: int) -> int:
        return self._windows[number]

    def queue_id(self, prefix: str) -> int:
        return self._queues[prefix]

    async def clerk_at(self, number: int, username: str = "clerk1") -> Api:
        """A clerk signed in with a password (cookie session) who has opened window `number`."""
        api = await self.login(username, "demo-clerk")
        status, body = await api.post(f"/api/v1/windows/{self.window_id(number)}/open")
        assert status == 200, body
        return api

    async def login(self, username: str, password: str) -> Api:
        jar_client = TestClient(self.client.server)  # its own cookie jar
        await jar_client.start_server()
        self._extra_clients.append(jar_client)
        api = Api(jar_client)
        status, body = await api.post("/api/v1/session", {"username": username, "password": password})
        assert status == 200, body
        api.csrf = body["csrf_token"]
        return api

    async def issue(self, queue: str = "A", **kw: Any) -> dict[str, Any]:
        status, body = await self.kiosk.post("/api/v1/tickets", {"queue": queue, **kw})
        assert status == 201, body
        return body

    _windows: dict[int, int] = field(default_factory=dict)
    _queues: dict[str, int] = field(default_factory=dict)
    _extra_clients: list[TestClient] = field(default_factory=list)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def postgres_url() -> str | None:
    """The PostgreSQL server the suite runs on, or None for SQLite."""
    return os.environ.get("HALLOPS_TEST_DATABASE") or None


on_postgres = pytest.mark.skipif(postgres_url() is None, reason="runs on PostgreSQL (HALLOPS_TEST_DATABASE)")
sqlite_only = pytest.mark.skipif(postgres_url() is not None, reason="looks inside the SQLite file")


def _with_db(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str | None]:
    """A database migrated once per run, copied for each test (CREATE DATABASE … TEMPLATE is fast)."""
    url = postgres_url()
    if url is None:
        yield None
        return
    import psycopg

    from hallops.storage import migrations

    name = f"hallops_tpl_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    with psycopg.connect(_with_db(url, name), autocommit=True) as conn:
        migrations.apply_postgres(conn)
    yield name
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# argon2id takes ~0.2 s a hash by design, and every test's hall gives its accounts the same three passwords:
# ~0.5 s of each test's set-up, 8 of the suite's minutes. A hash is salted, but any hash of a password verifies
# it, so the session hashes each layout password once (the real function, remembered) and every hall stores
# that. Passwords set through the API or the CLI are hashed afresh as in service.
_hash_once = functools.lru_cache(maxsize=None)(_accounts.hash_password)


@pytest.fixture(autouse=True)
def _layout_passwords_hashed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("hallops.storage.layout.hash_password", _hash_once)


@pytest.fixture
def database(tmp_path: Path, pg_template: str | None) -> Iterator[str]:
    """Where this test's data lives: a SQLite file, or a PostgreSQL URL of a database of its own."""
    url = postgres_url()
    if url is None or pg_template is None:
        yield str(tmp_path / "hall.db")
        return
    import psycopg

    name = f"hallops_t_{os.getpid()}_{next(_DB_NUMBERS)}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name} TEMPLATE {pg_template}")
    yield _with_db(url, name)
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


_DB_NUMBERS = itertools.count(1)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """The SQLite file itself, for tests that look inside it (skipped on PostgreSQL)."""
    if postgres_url() is not None:
        pytest.skip("looks inside the SQLite file")
    return tmp_path / "hall.db"


@pytest.fixture
def config(database: str, tmp_path: Path) -> Config:
    c = load_config(None, database, env={})
    return c.model_copy(update={"database": c.database.model_copy(update={"data_dir": tmp_path})})


@pytest.fixture
async def client(config: Config, clock: Clock) -> AsyncIterator[TestClient]:
    app = create_app(config, clock=clock)
    async with TestClient(TestServer(app)) as c:
        yield c


@pytest.fixture
async def hall(client: TestClient, clock: Clock) -> AsyncIterator[Hall]:
    layout = demo_layout()
    ports = client.server.app[USECASES].ctx.ports
    hall_id = await ports.layout.load_layout(layout)

    async def token(role: Role) -> Api:
        tok, _ = await ports.accounts.create_token(role=role, hall_id=None if role is Role.ADMIN else hall_id,
                                                   label=f"test-{role.value}")
        return Api(client, token=tok)

    h = Hall(client, client.server.app[DATABASE], clock, hall_id, await token(Role.ADMIN), await token(Role.MANAGER),
             await token(Role.KIOSK), await token(Role.DISPLAY), Api(client), layout)
    full = await ports.halls.layout(hall_id)
    h._windows = {w["number"]: w["id"] for w in full["windows"]}
    h._queues = {q["prefix"]: q["id"] for q in full["queues"]}
    yield h
    for c in h._extra_clients:
        await c.close()


# A district's tree of centres (issue 10): the `tree` fixture, for any test that asks for it.
from tests.district import tree  # noqa: E402,F401
