"""Every object hung on the application, declared in one place."""

from __future__ import annotations

from aiohttp import web

from hallops.config import Config
from hallops.domain.actors import Actor
from hallops.events.admission import Admission
from hallops.events.hub import EventHub
from hallops.events.relay import Relay
from hallops.storage.db import Database
from hallops.usecases import UseCases

CONFIG = web.AppKey("config", Config)
DATABASE = web.AppKey("database", Database)
HUB = web.AppKey("hub", EventHub)
# Live subscribers coming in: shared snapshot reads, a bound on catch-ups at once (a reconnect storm).
ADMISSION = web.AppKey("admission", Admission)
RELAY = web.AppKey("relay", Relay)
USECASES = web.AppKey("usecases", UseCases)

# Per request: who is acting (absent for an anonymous request) and, for cookie sessions, the CSRF token.
ACTOR_KEY = web.RequestKey("actor", Actor)
CSRF_KEY = web.RequestKey("csrf", str)
# The hall named in the URL, resolved once by the route declaration (http/api.py: wrap).
HALL_KEY = web.RequestKey("hall", dict)
SESSION_COOKIE = "hallops_session"


def actor_of(request: web.Request) -> Actor | None:
    return request.get(ACTOR_KEY)
