"""`hallops serve --workers N`: N server processes sharing one port (SO_REUSEPORT) and one PostgreSQL.

The kernel spreads new connections over the processes. Each process is a whole server (its own event hub,
relay and background loops); committed events reach every process's screens through PostgreSQL's
LISTEN/NOTIFY, and the rules hold across processes because storage serialises each hall's writers in the
database (see storage/postgres.py). The parent process supervises: SIGTERM or SIGINT stops every worker
gracefully; a worker that dies is reported and started again after a pause.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from types import FrameType

log = logging.getLogger(__name__)
RESTART_PAUSE = 1.0
MAX_RESTART_PAUSE = 60.0
PR_SET_PDEATHSIG = 1


def worker_argv(argv: list[str]) -> list[str]:
    """The command line of one worker: this one without --workers N or --demo, plus --reuse-port."""
    out: list[str] = []
    skip = False
    for a in argv:
        if skip:
            skip = False
            continue
        if a == "--workers":
            skip = True
            continue
        if a.startswith("--workers=") or a == "--demo":
            continue
        out.append(a)
    return [sys.executable, "-m", "hallops", *out, "--reuse-port"]


def _die_with_parent() -> None:
    """In each worker, before it runs: SIGTERM when the supervisor dies, even by SIGKILL (Linux prctl), so no
    orphaned worker keeps the port."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _start(cmd: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(cmd, preexec_fn=_die_with_parent)  # the hook only calls prctl


def supervise(n: int, argv: list[str]) -> int:
    cmd = worker_argv(argv)
    procs: list[subprocess.Popen[bytes]] = [_start(cmd) for _ in range(n)]
    pause = [RESTART_PAUSE] * n
    stopping = False

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM if signum != signal.SIGINT else signal.SIGINT)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("%d workers started (pids %s)", n, ", ".join(str(p.pid) for p in procs))
    while True:
        for i, p in enumerate(procs):
            code = p.poll()
            if code is None or stopping:
                continue
            # Pausing longer each time in a row (a database that refuses connections) up to a minute.
            log.warning("worker %s exited with %s; starting another in %.0f s", p.pid, code, pause[i])
            time.sleep(pause[i])
            pause[i] = min(pause[i] * 2, MAX_RESTART_PAUSE)
            procs[i] = _start(cmd)
        if stopping and all(p.poll() is not None for p in procs):
            return 0
        time.sleep(0.2)


def reuse_port_supported() -> bool:
    return hasattr(os, "sched_getaffinity") and sys.platform.startswith("linux")
