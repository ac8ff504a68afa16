"""A SQLite installation with supervision visits is copied to PostgreSQL whole: the findings a visit raised keep
their visit (copied before the visits they name: the reference is checked at the copy's commit)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import psycopg
from aiohttp.test_utils import TestClient, TestServer

from hallops.cli import demo_layout
from hallops.config import load_config
from hallops.domain.model import Role
from hallops.http.app import create_app
from hallops.http.keys import USECASES
from tests.conftest import Api, Clock, on_postgres
from tests.processes import ROOT

pytestmark = on_postgres


async def test_visits_and_their_findings_are_copied_to_postgresql(tmp_path: Path, database: str) -> None:
    src = tmp_path / "hall.db"
    config = load_config(None, str(src), env={})
    app = create_app(config.model_copy(update={"database": config.database.model_copy(
        update={"data_dir": tmp_path})}), clock=Clock())
    async with TestClient(TestServer(app)) as client:
        ports = app[USECASES].ctx.ports
        district = await ports.layout.load_layout(demo_layout())
        admin = Api(client, token=(await ports.accounts.create_token(role=Role.ADMIN, label="t"))[0])
        status, h = await admin.post("/api/v1/halls", {"code": "renhe", "name": "人和街道便民服务中心",
                                                       "level": "street", "parent": "liangjiang"})
        assert status == 201, h
        centre = h["hall"]["id"] if "hall" in h else h["id"]
        inspector = Api(client, token=(await ports.accounts.create_token(role=Role.MANAGER, hall_id=district,
                                                                         label="district"))[0])
        status, v = await inspector.post(f"/api/v1/halls/{centre}/supervision/visits", {"mode": "on_site"})
        assert status == 201, v
        status, out = await inspector.post(f"/api/v1/supervision/visits/{v['id']}/findings",
                                           {"category": "integrity", "description": "收取材料费"})
        assert status == 201, out
        finding = out["finding"]["id"]
    done = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "hallops", "migrate-to-postgres",
                                                    str(src), database], cwd=ROOT, capture_output=True, text=True,
                                   timeout=120)
    assert done.returncode == 0, done.stderr
    with psycopg.connect(database) as conn:
        assert conn.execute("SELECT visit_id, hall_id FROM findings WHERE id = %s", (finding,)).fetchone() == (
            v["id"], centre)
        assert conn.execute("SELECT hall_id, status, from_hall_id FROM supervision_visits").fetchall() == [
            (centre, "started", district)]
        assert conn.execute("SELECT item_code, result FROM supervision_checks").fetchall() == [
            ("integrity", "finding")]
