"""python -m displays.agent --server http://127.0.0.1:8080 --hall liangjiang --token hop_…

Follows one hall over the live websocket: keeps the hall's state, reconnects with backoff (full jitter, as the
browser screens: web/static/js/live.js) and resumes from the last sequence number it saw (a call made while
it was away arrives once, on reconnect), renders a text board and speaks every fresh call with the server's
offline audio (espeak-ng), played one at a time.
Output: a redrawn board on a terminal, else one JSON line per status change, call and announcement.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import random
import shlex
import shutil
import signal
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from typing import Any

import websockets
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from displays.agent.board import Board, Call, parse_time

log = logging.getLogger("displays.agent")

# Full jitter: the first retry anywhere in 0–3 s, the window doubling to 15 s, so the screens a server restart
# drops come back spread over seconds; a connection that lived LIVED seconds makes the next retry a first again.
FIRST_RETRY = 3.0
BACKOFF_MAX = 15.0
LIVED = 10.0
SILENCE = 25.0  # the server ticks every 10 s: this much silence means the link is dead
FRESH_SECONDS = 30.0  # a call caught up after a reconnect is spoken only if this recent


def retry_delay(attempt: int, rnd: float | None = None) -> float:
    """The wait before retry number `attempt` (0: the first): anywhere between 0 and a window that doubles."""
    r = random.random() if rnd is None else rnd
    return r * min(BACKOFF_MAX, FIRST_RETRY * 2 ** min(attempt, 10))


class Agent:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.board = Board(args.area)
        self.seq: int | None = None
        self.status = "connecting"
        self.tty = args.output == "tty" or (args.output == "auto" and sys.stdout.isatty())
        self.speech: asyncio.Queue[Call] = asyncio.Queue(maxsize=20)
        self.clock_offset = 0.0

    # -- output ---------------------------------------------------------------------------------------------

    def emit(self, **record: Any) -> None:
        if self.tty:
            sys.stdout.write("\x1b[H\x1b[2J" + self.board.render(self.status, self.server_now()) + "\n")
        else:
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        sys.stdout.flush()

    def server_now(self) -> float:
        return dt.datetime.now(dt.UTC).timestamp() + self.clock_offset

    def set_status(self, status: str) -> None:
        if status != self.status:
            self.status = status
            self.emit(status=status, seq=self.seq)

    # -- the connection -------------------------------------------------------------------------------------

    def url(self) -> str:
        base = self.args.server.rstrip("/").replace("http://", "ws://", 1).replace("https://", "wss://", 1)
        q = {"snapshot": "1"}
        if self.seq is not None:
            q["after"] = str(self.seq)
        return f"{base}/api/v1/halls/{urllib.parse.quote(self.args.hall)}/live?{urllib.parse.urlencode(q)}"

    async def run(self) -> None:
        speaker = asyncio.create_task(self.speak_loop())
        attempt = 0
        try:
            while True:
                opened = 0.0
                try:
                    async with websockets.connect(
                            self.url(), additional_headers={"Authorization": f"Bearer {self.args.token}"},
                            compression=None, ping_interval=10, ping_timeout=5, open_timeout=10,
                            max_size=8 * 1024 * 1024) as ws:
                        opened = time.monotonic()
                        await self.follow(ws)
                except InvalidStatus as e:
                    if e.response.status_code in (401, 403, 404):
                        log.error("server refused the token or hall (%s): giving up", e.response.status_code)
                        raise SystemExit(2) from e
                    log.warning("connect failed: %s", e)
                except (OSError, ConnectionClosed, InvalidHandshake, TimeoutError) as e:
                    log.info("connection ended: %r", e)
                self.set_status("lost")
                if opened and time.monotonic() - opened >= LIVED:
                    attempt = 0
                delay = retry_delay(attempt)
                attempt += 1
                await asyncio.sleep(delay)
        finally:
            speaker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await speaker

    async def follow(self, ws: websockets.ClientConnection) -> None:
        while True:
            raw = await asyncio.wait_for(ws.recv(), SILENCE)
            data = json.loads(raw)
            for msg in data if isinstance(data, list) else [data]:
                self.handle(msg)

    def handle(self, msg: dict[str, Any]) -> None:
        kind = msg.get("type")
        if kind in ("hello", "tick"):
            if msg.get("now"):
                self.clock_offset = parse_time(msg["now"]) - dt.datetime.now(dt.UTC).timestamp()
            if self.tty and self.status == "open":
                self.emit()  # redraw: "now calling" rests once its hold is over, with no event to say so
            self.set_status("open")
            return
        if kind == "snapshot":
            self.seq = msg["seq"]
            self.board.load(msg["state"])
            self.emit(snapshot=msg["seq"])
            return
        seq = msg.get("seq")
        if not isinstance(seq, int) or (self.seq is not None and seq <= self.seq):
            return  # seen already
        if self.seq is not None and seq != self.seq + 1:
            raise ConnectionError(f"gap: after {self.seq} came {seq}")  # reconnect and resume
        self.seq = seq
        if self.board.needs_snapshot(msg):
            raise ConnectionError("hall layout changed: take a fresh snapshot")
        call = self.board.apply(msg)
        if call is None:
            return
        age = self.server_now() - parse_time(call.at)
        fresh = not msg.get("replay") or age < FRESH_SECONDS
        self.emit(call={"seq": call.seq, "number": call.number, "window": call.window, "kind": call.kind},
                  replay=bool(msg.get("replay")), fresh=fresh)
        if fresh and self.args.voice == "on":
            if self.speech.full():
                self.speech.get_nowait()  # drop the oldest: a long backlog is not worth hearing
            self.speech.put_nowait(call)

    # -- the speaker ----------------------------------------------------------------------------------------

    async def speak_loop(self) -> None:
        """One announcement at a time: fetch the server's audio (rendered offline, cached) and play it."""
        while True:
            call = await self.speech.get()
            try:
                path = await asyncio.to_thread(self.fetch_audio, call)
                try:
                    proc = await asyncio.create_subprocess_exec(*shlex.split(self.args.player), path,
                                                                stdout=asyncio.subprocess.DEVNULL,
                                                                stderr=asyncio.subprocess.DEVNULL)
                    await proc.wait()
                finally:
                    os.unlink(path)
                self.emit(announced={"number": call.number, "window": call.window, "kind": call.kind})
            except Exception as e:
                log.warning("announcement of %s failed: %r", call.number, e)

    def fetch_audio(self, call: Call) -> str:
        # A call-back is spoken as a call: the server knows "call" and "recall".
        kind = "recall" if call.kind == "recall" else "call"
        q = urllib.parse.urlencode({"ticket": call.number, "window": call.window, "kind": kind,
                                    "lang": self.args.lang, "repeat": self.args.repeat})
        req = urllib.request.Request(
            f"{self.args.server.rstrip('/')}/api/v1/halls/{urllib.parse.quote(self.args.hall)}/announcement?{q}",
            headers={"Authorization": f"Bearer {self.args.token}"})
        with urllib.request.urlopen(req, timeout=20) as resp:
            data = resp.read()
        fd, path = tempfile.mkstemp(prefix="hallops-call-", suffix=".wav")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return path


def default_player() -> str:
    for cmd in ("play -q", "aplay -q", "paplay"):
        if shutil.which(cmd.split()[0]):
            return cmd
    return "true"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m displays.agent", description="hallops headless display agent")
    p.add_argument("--server", default=os.environ.get("HALLOPS_SERVER", "http://127.0.0.1:8080"))
    p.add_argument("--hall", default=os.environ.get("HALLOPS_HALL", ""), required="HALLOPS_HALL" not in os.environ)
    p.add_argument("--token", default=os.environ.get("HALLOPS_DISPLAY_TOKEN", ""),
                   help="display token (env HALLOPS_DISPLAY_TOKEN; better than the command line)")
    p.add_argument("--area", default=os.environ.get("HALLOPS_AREA") or None, help="only this area's windows")
    p.add_argument("--voice", choices=("on", "off"), default=os.environ.get("HALLOPS_VOICE", "on"))
    p.add_argument("--lang", default=os.environ.get("HALLOPS_LANG", "zh"), help="zh, en or zh,en")
    p.add_argument("--repeat", type=int, default=int(os.environ.get("HALLOPS_REPEAT", "1")))
    p.add_argument("--player", default=os.environ.get("HALLOPS_PLAYER") or default_player(),
                   help="command that plays a WAV file given as its last argument (default: sox's play)")
    p.add_argument("--output", choices=("auto", "tty", "jsonl"), default="auto")
    args = p.parse_args(argv)
    if not args.token:
        p.error("a display token is required (--token or HALLOPS_DISPLAY_TOKEN)")
    return args


async def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    agent = Agent(args)
    task = asyncio.create_task(agent.run())
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await task


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s")
    asyncio.run(main())
