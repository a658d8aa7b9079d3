"""Prometheus metrics at /metrics: one registry per running peerbot, every label from a small
fixed set (route templates, platforms, outcomes), never a person, a case or their words."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import datetime

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector
from prometheus_client.aiohttp import make_aiohttp_handler
from prometheus_client.core import GaugeMetricFamily, Metric

from bot.conversation.clock import Clock
from bot.conversation.errors import described
from bot.conversation.monitor import Delivery
from storage import outbox as outbox_rows
from storage.engine import BUSY, Database

logger = logging.getLogger(__name__)

PATH = "/metrics"
UNMATCHED = "unmatched"
"""The route of a request no route took: a scanner's thousand paths make one label, not a
thousand."""
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)
"""Seconds; 3 is Slack's deadline for an ack, so the bucket under it says who was late."""
TICK_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class OutboxGauges:
    """What waits in the outbox, read from the database at each scrape (not counted in
    this process, which sees only its own sends): every replica reports the same shared
    queue. Absent from a scrape whose read failed, rather than stale."""

    def __init__(self) -> None:
        self._backlog: outbox_rows.Backlog | None = None
        self._now: datetime | None = None

    async def read(self, db: Database, now: datetime) -> None:
        try:
            async with db.session(write=False) as session:
                self._backlog = await outbox_rows.backlog(session, now=now)
            self._now = now
        except BUSY as exc:
            logger.warning("metrics: the outbox could not be read (%s)", described(exc))
            self._backlog = None

    def collect(self) -> Iterable[Metric]:
        waiting, now = self._backlog, self._now
        if waiting is None or now is None:
            return []
        messages = GaugeMetricFamily(
            "peerbot_outbox_messages",
            "Messages in the outbox by state: due (waiting to be sent), later (due in the "
            "future), sending (claimed by a worker), failed (gave up; `peerbot outbox retry`).",
            labels=["state"],
        )
        for state, count in (
            ("due", waiting.due),
            ("later", waiting.later),
            ("sending", waiting.sending),
            ("failed", waiting.failed),
        ):
            messages.add_metric([state], count)
        oldest = waiting.oldest_due
        age = GaugeMetricFamily(
            "peerbot_outbox_oldest_due_age_seconds",
            "How long ago the longest-waiting unsent message fell due (0 when none is due).",
            value=max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0,
        )
        return [messages, age]


class Metrics:
    """Every metric peerbot keeps, in a registry of its own rather than prometheus_client's
    global one, so two apps in one process (tests, say) count apart.

    It is the core's monitor (bot.conversation.monitor.Monitor, and speak-up's
    bot.speakup.attempts.Refusals): the core says what happened in words from fixed
    sets, and only this module knows of Prometheus.
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)  # memory, CPU, open files of this process
        self.requests = Counter(
            "peerbot_http_requests",
            "HTTP requests answered, by route template and status class (2xx, 4xx, 5xx...).",
            ["route", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "peerbot_http_request_duration_seconds",
            "Seconds from a request's arrival to its answer, by route template; on "
            "/slack/events and /api/messages this is the ack the platform waits for.",
            ["route"],
            buckets=ACK_BUCKETS,
            registry=self.registry,
        )
        self.deliveries = Counter(
            "peerbot_outbox_deliveries",
            "Tries at sending a queued message, by platform and outcome.",
            ["platform", "outcome"],
            registry=self.registry,
        )
        self.ticks = Counter(
            "peerbot_ticks",
            "Ticks run, by outcome (failed: at least one feature's due messages failed).",
            ["outcome"],
            registry=self.registry,
        )
        self.tick_seconds = Histogram(
            "peerbot_tick_duration_seconds",
            "Seconds a tick took to ask every feature what is due and queue it.",
            buckets=TICK_BUCKETS,
            registry=self.registry,
        )
        self.tick_queued = Counter(
            "peerbot_tick_queued_messages",
            "New messages ticks queued in the outbox.",
            registry=self.registry,
        )
        self.refused = Counter(
            "peerbot_speakup_lookups_refused",
            "Speak-up case look-ups refused by the guess limit (too many misses from one "
            "person or web visitor).",
            registry=self.registry,
        )
        for outcome in ("ok", "failed"):
            self.ticks.labels(outcome)
        self.outbox = OutboxGauges()
        self.registry.register(self.outbox)

    def delivered(self, platform: str, outcome: Delivery) -> None:
        self.deliveries.labels(platform, outcome.value).inc()

    def ticked(self, seconds: float, *, queued: int, failed: int) -> None:
        self.ticks.labels("failed" if failed else "ok").inc()
        self.tick_seconds.observe(seconds)
        self.tick_queued.inc(queued)

    def lookup_refused(self) -> None:
        self.refused.inc()

    def answered(self, request: web.Request, status: int, seconds: float) -> None:
        route = request.match_info.route.resource
        template = route.canonical if route is not None else UNMATCHED
        self.requests.labels(template, f"{status // 100}xx").inc()
        self.latency.labels(template).observe(seconds)


def counting(metrics: Metrics) -> Middleware:
    """Every request counted and timed, whatever answered it: a handler's response, an
    HTTP error raised (a 404 for a path nobody serves), or a failure (500)."""

    @web.middleware
    async def counted(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            metrics.answered(request, status, time.perf_counter() - started)

    return counted


def mount(app: web.Application, metrics: Metrics, db: Database, clock: Clock) -> None:
    """GET /metrics (in whichever format the scraper asks for), the outbox read first.

    Keep it for your monitoring: serve only the chat endpoints and /speakup to the world.
    """
    expose = make_aiohttp_handler(metrics.registry)

    async def scrape(request: web.Request) -> web.StreamResponse:
        await metrics.outbox.read(db, clock.now())
        return await expose(request)

    app.router.add_get(PATH, scrape)
