"""`create_app(config)`: the whole server as one aiohttp application, nothing at module level."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from hallops.background import background_ctx
from hallops.config import Config
from hallops.events.admission import Admission
from hallops.events.hub import EventHub
from hallops.events.relay import Relay
from hallops.http import halls, health, metrics
from hallops.http.auth import auth_middleware
from hallops.http.errors import error_middleware
from hallops.http.headers import headers_middleware
from hallops.http.keys import ADMISSION, CONFIG, DATABASE, HUB, RELAY, USECASES
from hallops.http.routes import setup_routes
from hallops.http.web import setup_web
from hallops.storage.db import Clock, open_database
from hallops.storage.health import StorageHealth
from hallops.storage.lanes import LANE
from hallops.storage.ports import Ports
from hallops.storage.rules import Rules
from hallops.usecases import UseCases

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

log = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024


def rules_from(config: Config) -> Rules:
    return Rules(policy=config.policy.params(), recall_limit=config.tickets.recall_limit,
                 rollover=config.service_day.rollover, idempotency_hours=config.tickets.idempotency_hours)


def create_app(config: Config, *, clock: Clock = time.time) -> web.Application:
    # Outermost first: headers and request id on every answer, latency, errors as JSON, the write guard
    # (503 while storage is gone, read-only or full), then who is asking.
    app = web.Application(middlewares=[read_lane_middleware, headers_middleware, metrics.metrics_middleware,
                                       error_middleware,
                                       health.write_guard, auth_middleware], client_max_size=MAX_BODY)
    app[CONFIG] = config
    db = open_database(config.database.path, clock=clock, **config.database.options())
    app[DATABASE] = db
    ports = Ports.build(db, rules_from(config))
    ports.accounts.token_cache_seconds = config.security.token_cache_seconds
    app[USECASES] = UseCases.build(ports, config, clock)
    hub = EventHub()
    relay = Relay(db.events_between, hub.publish)
    db.on_commit.append(relay.committed)  # committed events only, each hall's in sequence order
    app[HUB] = hub
    app[ADMISSION] = Admission()
    app[RELAY] = relay
    # The database opens first and closes last: the features' own contexts are appended after it.
    app.cleanup_ctx.append(_database_ctx)
    # /readyz, the write guard, the storage watch (after the database opens); /metrics, counting commits.
    health.setup(app, StorageHealth(db, min_free_bytes=config.health.min_free_mb * 2**20))
    db.on_commit.append(metrics.setup(app).committed)
    app.cleanup_ctx.append(background_ctx)  # every loop registered by the features (hallops/background.py)
    setup_web(app)
    setup_routes(app)
    halls.setup(app)  # the hall's loops: day close at rollover, auto-no-show
    return app


@web.middleware
async def read_lane_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Counters first (hallops/storage/lanes.py): a request's reads go in the counters' lane, a websocket's
    (screens, phones, district views catching up and following) in the followers'."""
    upgrade = request.headers.get("Upgrade", "").lower() == "websocket"
    LANE.set("follower" if upgrade else "counter")  # set for every request, so none inherits another's
    return await handler(request)


async def _database_ctx(app: web.Application) -> AsyncIterator[None]:
    db = app[DATABASE]
    await db.open()
    log.info("database %s open", db.label)
    async with db.follow(app[RELAY].heard):  # events committed by other server processes
        yield
    await db.close()
    log.info("database closed")
