"""The schemathesis run (issue 14): every operation of the OpenAPI document, a few generated requests each,
as each role (admin, manager, clerk, kiosk, none) against a real `hallops serve`. Fails on any 5xx and on
any answer that does not match its declared schema. Bounded: FUZZ_EXAMPLES requests per operation and role
(env HALLOPS_FUZZ_EXAMPLES), so the run takes about a minute."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.processes import ServerProcess, cli, demo_tokens

PHASES = os.environ.get("HALLOPS_FUZZ_PHASES", "examples,fuzzing,stateful")
EXAMPLES = int(os.environ.get("HALLOPS_FUZZ_EXAMPLES", "3"))
ST = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which("st")
# Revoking a token would revoke the run's own (and the roles after it would test nothing but 401s).
EXCLUDE = ("admin.revoke_token",)

pytestmark = pytest.mark.skipif(ST is None, reason="schemathesis is a test extra (pip install -e .[test])")


def _run(schema: Path, base: str, token: str | None, report: Path) -> subprocess.CompletedProcess[str]:
    cmd = [str(ST), "run", str(schema), "--url", base, "--max-examples", str(EXAMPLES), "--seed", "14",
           "--checks", "not_a_server_error,response_schema_conformance", "--phases", PHASES,
           "--request-timeout", "20", "--workers", "1", "--no-color", "--generation-deterministic",
           "--suppress-health-check", "all", "--warnings", "off"]
    for op_id in EXCLUDE:
        cmd += ["--exclude-operation-id", op_id]
    if token:
        cmd += ["--header", f"Authorization: Bearer {token}"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False,
                          env=os.environ | {"NO_COLOR": "1"})


async def test_every_operation_as_every_role_gives_no_5xx_and_matches_its_schema(tmp_path: Path) -> None:
    db = tmp_path / "fuzz.db"
    tokens = demo_tokens(await asyncio.to_thread(cli, db, "init", "--demo"))
    admin = (await asyncio.to_thread(cli, db, "token", "create", "--role", "admin", "--label", "fuzz")).split()[-1]
    clerk = (await asyncio.to_thread(cli, db, "token", "create", "--role", "clerk", "--hall", "liangjiang",
                                     "--window", "1", "--label", "fuzz-clerk")).split()[-1]
    server = ServerProcess(db)
    await server.start()
    try:
        async with aiohttp.ClientSession() as s, s.get(f"{server.url}/api/v1/openapi.json",
                                                       headers={"Authorization": f"Bearer {admin}"}) as r:
            doc = await r.json()
        schema = tmp_path / "openapi.json"
        schema.write_text(json.dumps(doc), encoding="utf-8")
        failures = []
        roles = {"none": None, "kiosk": tokens["demo-kiosk"], "clerk": clerk, "manager": tokens["demo-manager"],
                 "admin": admin}
        for role, token in roles.items():
            out = await asyncio.to_thread(_run, schema, server.url, token, tmp_path / f"{role}.json")
            summary = [ln for ln in out.stdout.splitlines() if any(w in ln for w in ("passed", "failed", "error"))]
            print(f"schemathesis as {role}: exit {out.returncode}; {' | '.join(summary[-3:])}")
            if out.returncode != 0:
                failures.append(f"== {role} ==\n{out.stdout[-6000:]}\n{out.stderr[-2000:]}")
        assert not failures, "\n".join(failures)
    finally:
        await server.stop()
