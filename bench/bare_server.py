"""The floor to compare against: a bare aiohttp handler doing one SQLite insert (aiosqlite, WAL, the same
synchronous setting), no auth, no validation, no numbering, no events. Run by bench_core.py."""

from __future__ import annotations

import argparse
import time

import aiosqlite
from aiohttp import web

DB = web.AppKey("db", aiosqlite.Connection)


async def insert(request: web.Request) -> web.Response:
    db = request.app[DB]
    cur = await db.execute("INSERT INTO tickets (queue, at) VALUES (?, ?)", ("A", time.time()))
    await db.commit()
    return web.json_response({"id": cur.lastrowid}, status=201)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--db", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--synchronous", default="FULL")
    args = p.parse_args()

    async def ctx(app: web.Application):  # type: ignore[no-untyped-def]
        db = await aiosqlite.connect(args.db)
        await db.execute("PRAGMA journal_mode = WAL")
        await db.execute(f"PRAGMA synchronous = {args.synchronous}")
        await db.execute("CREATE TABLE IF NOT EXISTS tickets (id INTEGER PRIMARY KEY, queue TEXT, at REAL)")
        await db.commit()
        app[DB] = db
        yield
        await db.close()

    app = web.Application()
    app.cleanup_ctx.append(ctx)
    app.router.add_post("/api/v1/tickets", insert)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
