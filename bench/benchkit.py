"""Small pieces the benchmarks share: a free port and waiting for a server on it; the wire format of a
websocket client that costs next to nothing (the upgrade request, reading a server's frame, writing a masked
one); a fresh PostgreSQL database.

A benchmark imports it with its own folder on `sys.path` (`python bench/<name>.py` puts it there).
"""

from __future__ import annotations

import base64
import os
import socket
import time


def free_port() -> int:
    """A TCP port free on the loopback now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 30) -> None:
    """Until a server listens on the loopback's `port`; RuntimeError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start")


def upgrade_request(path: str, host: str) -> bytes:
    """The HTTP request that opens a websocket on `path`."""
    key = base64.b64encode(os.urandom(16)).decode()
    return (f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()


def frame_at(buf: bytes | bytearray, pos: int = 0) -> tuple[int, int, int] | None:
    """The server's frame at `pos` (unmasked): (opcode, where its payload starts, where it ends), or None
    while it has not all arrived."""
    if len(buf) - pos < 2:
        return None
    op, n, i = buf[pos] & 0x0F, buf[pos + 1] & 0x7F, pos + 2
    if n == 126:
        if len(buf) - pos < 4:
            return None
        n, i = int.from_bytes(buf[pos + 2:pos + 4], "big"), pos + 4
    elif n == 127:
        if len(buf) - pos < 10:
            return None
        n, i = int.from_bytes(buf[pos + 2:pos + 10], "big"), pos + 10
    if len(buf) < i + n:
        return None
    return op, i, i + n


def masked(op: int, payload: bytes) -> bytes:
    """A client's frame (clients mask theirs), for the short control frames a client sends: pong, close."""
    mask = os.urandom(4)
    return bytes([0x80 | op, 0x80 | len(payload)]) + mask + bytes(b ^ mask[j % 4] for j, b in enumerate(payload))


def fresh_pg(url: str, name: str) -> str:
    """An empty database `name` on the PostgreSQL server of `url` (dropped first if there); its URL."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        c.execute(f"CREATE DATABASE {name}")
    return url.rsplit("/", 1)[0] + "/" + name
