"""Prometheus metrics at /metrics (prometheus-client), one registry per application (no global state).

Scraped without a token from `[security] metrics_networks` (loopback by default: a Prometheus on the same
box or behind the trusted proxy's network), and with an admin token from anywhere else. Counters count what
this process did; with several processes Prometheus sums them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from hallops.domain.actors import Actor
from hallops.domain.errors import E, Forbidden
from hallops.domain.events import Ev
from hallops.domain.model import Role
from hallops.events.admission import Admission
from hallops.events.hub import EventHub
from hallops.http.api import RouteTable
from hallops.http.client import in_networks
from hallops.http.errors import FAULTS, Handler
from hallops.http.keys import ADMISSION, CONFIG, HUB, USECASES
from hallops.storage.db import Event
from hallops.storage.faults import FaultLog
from hallops.usecases.accounts import OPERATOR

routes = RouteTable("metrics")


class Metrics:
    def __init__(self, hub: EventHub, fault_log: FaultLog, admission: Admission | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.issued = Counter("hallops_tickets_issued", "Tickets issued by this process", ["hall"], registry=r)
        self.called = Counter("hallops_tickets_called", "Tickets called (call, call-back, auto)", ["hall"],
                              registry=r)
        self.finished = Counter("hallops_tickets_finished", "Tickets served to the end", ["hall"], registry=r)
        self.alerts = Counter("hallops_alerts_raised", "Alerts raised", ["hall"], registry=r)
        self.events = Counter("hallops_events_committed", "Events committed by this process", registry=r)
        self.waiting = Gauge("hallops_waiting_tickets", "Tickets waiting, per queue", ["hall", "queue"], registry=r)
        self.latency = Histogram("hallops_request_seconds", "Time to answer a request, by route",
                                 ["route", "method", "status"], registry=r,
                                 buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
        r.register(_HubCollector(hub, fault_log, admission))

    def committed(self, events: list[Event]) -> None:
        """db.on_commit listener: never awaits, never raises."""
        for ev in events:
            self.events.inc()
            hall = str(ev.hall_id)
            if ev.type == Ev.TICKET_ISSUED:
                self.issued.labels(hall).inc()
            elif ev.type == Ev.TICKET_CALLED:
                self.called.labels(hall).inc()
            elif ev.type == Ev.TICKET_FINISHED:
                self.finished.labels(hall).inc()
            elif ev.type == Ev.ALERT_RAISED:
                self.alerts.labels(hall).inc()


class _HubCollector(Collector):
    """Read at scrape time from the hub and the fault log."""

    def __init__(self, hub: EventHub, fault_log: FaultLog, admission: Admission | None) -> None:
        self.hub, self.fault_log, self.admission = hub, fault_log, admission

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        screens = GaugeMetricFamily("hallops_live_subscribers", "Connected live screens and sockets", labels=["hall"])
        for hall_id, n in self.hub.counts().items():
            screens.add_metric([str(hall_id)], n)
        yield screens
        yield CounterMetricFamily("hallops_subscribers_cut_off", "Live subscribers cut off for falling behind",
                                  value=self.hub.cut_off)
        yield CounterMetricFamily("hallops_events_published", "Events handed to the hub", value=self.hub.published)
        if self.admission is not None:  # a reconnect storm: catch-ups against the state reads they cost
            yield CounterMetricFamily("hallops_live_catch_ups", "Live subscribers caught up",
                                      value=self.admission.admitted)
            yield CounterMetricFamily("hallops_live_state_reads", "Hall state reads for live subscribers "
                                      "(shared by the subscribers that catch up together)",
                                      value=self.admission.states.reads)
        yield CounterMetricFamily("hallops_storage_errors", "Requests refused for a storage fault",
                                  value=self.fault_log.count)
        fault = GaugeMetricFamily("hallops_storage_fault", "1 while a storage fault stands", labels=["code"])
        fault.add_metric([self.fault_log.current or "none"], 0 if self.fault_log.current is None else 1)
        yield fault


METRICS = web.AppKey("metrics", Metrics)


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.monotonic()
    status = 500
    try:
        resp = await handler(request)
        status = resp.status
        return resp
    except web.HTTPException as e:
        status = e.status
        raise
    finally:
        route = request.match_info.route
        name = route.name or (route.resource.canonical if route.resource is not None else "unmatched")
        if not name.startswith("live."):  # a websocket's life is not a latency
            request.app[METRICS].latency.labels(name, request.method, f"{status // 100}xx").observe(
                time.monotonic() - started)


@routes.get("/metrics", summary="Prometheus metrics (loopback without a token; else an admin token)", roles=None,
            responses={200: "text/plain; version=0.0.4"})
async def metrics(request: web.Request, actor: Actor | None) -> web.Response:
    cfg = request.app[CONFIG]
    if not (actor is not None and actor.role is Role.ADMIN) and \
            not in_networks(request.remote, cfg.security.metrics_networks):
        raise Forbidden(E.FORBIDDEN, "指标仅限本机或管理员令牌 (metrics: loopback or an admin token)")
    m = request.app[METRICS]
    halls = request.app[USECASES].halls
    m.waiting.clear()
    for hall in await halls.list(OPERATOR):
        state = await halls.state(OPERATOR, int(hall["id"]))
        for q in state.get("queues", []):
            m.waiting.labels(str(hall["id"]), str(q.get("prefix"))).set(q.get("waiting", 0))
    return web.Response(body=generate_latest(m.registry), headers={"Content-Type": CONTENT_TYPE_LATEST,
                                                                  "Cache-Control": "no-store"})


def setup(app: web.Application) -> Metrics:
    """The caller (app.py) hands `committed` to the database's commit listeners."""
    m = Metrics(app[HUB], app[FAULTS], app[ADMISSION])
    app[METRICS] = m
    return m
