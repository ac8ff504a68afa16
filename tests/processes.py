"""Real `hallops serve` processes for tests that kill, restart or run two servers on one file."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(db: Path | str, *args: str) -> str:
    """Run `hallops ARGS --db DB` (a SQLite file or a PostgreSQL URL) and return what it printed."""
    out = subprocess.run([sys.executable, "-m", "hallops", *args, "--db", str(db)], cwd=ROOT, check=True,
                         capture_output=True, text=True, timeout=60)
    return out.stdout


def demo_tokens(init_output: str) -> dict[str, str]:
    """The demo tokens `hallops init --demo` printed, by label."""
    return {ln.split()[0]: ln.split()[1] for ln in init_output.splitlines() if ln.strip().startswith("demo-")}


class ServerProcess:
    """`hallops serve` on a SQLite file or a PostgreSQL URL; files beside the database go to `data_dir`."""

    def __init__(self, db: Path | str, port: int | None = None, data_dir: Path | None = None) -> None:
        self.db, self.port = db, port or free_port()
        self.data_dir = data_dir or Path(db).parent
        self.proc: asyncio.subprocess.Process | None = None

    async def quiet_day(self, manager_token: str) -> None:
        """The demo opens nine windows so it can be tried at once; tests start from a closed, empty day."""
        async with aiohttp.ClientSession() as s, s.post(
                f"{self.url}/api/v1/halls/liangjiang/close-day", json={"through_today": True},
                headers={"Authorization": f"Bearer {manager_token}"}) as r:
            assert r.status == 200, await r.text()

    def _log(self) -> int:
        """The server's log, kept beside its data (a failing test's server says why)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return os.open(self.data_dir / f"server-{self.port}.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        log = self._log()
        extra: list[str] = []
        if str(self.db).startswith("postgresql://"):  # files beside the database go to data_dir
            config = self.data_dir / "server.toml"
            config.write_text(f'[database]\ndata_dir = "{self.data_dir}"\n', encoding="utf-8")
            extra = ["--config", str(config)]
        try:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "hallops", "serve", "--db", str(self.db), "--port", str(self.port),
                *extra, cwd=ROOT,
                stdout=asyncio.subprocess.DEVNULL, stderr=log,
                env=os.environ | {"HALLOPS_LOG_LEVEL": "WARNING",
                                  "HALLOPS_VOICE_CACHE": str(self.data_dir / "voice")})
        finally:
            os.close(log)
        deadline = time.monotonic() + 20
        async with aiohttp.ClientSession() as s:
            while time.monotonic() < deadline:
                try:
                    async with s.get(f"{self.url}/healthz") as r:
                        if r.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
        raise RuntimeError("server did not start")

    async def stop(self, sig: int = signal.SIGKILL) -> None:
        """SIGKILL (the default) is a crash: no clean shutdown."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(sig)
            await self.proc.wait()
