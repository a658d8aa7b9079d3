"""The composition root: settings in, a wired core with its worker and tick out."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path

from adapters.metrics import Metrics
from bot.conversation.clock import Clock, SystemClock
from bot.conversation.outbox import DeliveryWorker, Sender
from bot.conversation.router import Feature, Router
from bot.conversation.sealing import Sealer, generate_key, sealer
from bot.conversation.services import Services
from bot.conversation.tick import Jobs, Ticker
from bot.events import feature as events
from bot.events.deps import Events
from bot.features import build_router
from bot.mentoring import feature as mentoring
from bot.mentoring.deps import Mentoring
from bot.organisation.config import Settings
from bot.speakup import feature as speakup
from bot.speakup.attempts import Refusals
from bot.speakup.deps import SpeakUp
from storage import due, seen
from storage import outbox as outbox_rows
from storage.engine import Database
from storage.migrate import check_current

logger = logging.getLogger(__name__)


@dataclass(kw_only=True)
class Runtime:
    """Everything a running peerbot holds. Adapters register their senders before start()."""

    settings: Settings
    db: Database
    clock: Clock
    router: Router
    sealer: Sealer | None = None
    metrics: Metrics = field(default_factory=Metrics)
    """This process's own registry: what its worker, tick and guards did, for /metrics."""
    senders: dict[str, Sender] = field(default_factory=dict)
    worker: DeliveryWorker | None = None
    jobs: Jobs | None = None
    own_key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    """Without a sealing key speak-up stores nothing; this process's own secret still
    signs the web form's tokens."""

    @property
    def guard_key(self) -> bytes:
        """The server secret for keyed hashes and signed tokens: the newest sealing key's
        hashing key, so every replica has it without a second secret to deploy, and a
        rotation starts the guards afresh (see bot.conversation.sealing.keyed_hash)."""
        return self.sealer.hash_keys[0] if self.sealer is not None else self.own_key

    @property
    def services(self) -> Services:
        return Services(db=self.db, clock=self.clock)

    def register(self, platform: str, sender: Sender) -> None:
        self.senders[platform] = sender

    async def start(self) -> None:
        """Start delivering and ticking. Call once every sender is registered."""
        self.worker = DeliveryWorker(
            self.db,
            dict(self.senders),
            self.clock,
            sealer=self.sealer,
            concurrency=self.settings.outbox_concurrency,
            give_up_after=timedelta(hours=self.settings.outbox_give_up_hours),
            monitor=self.metrics,
        )
        self.worker.start()
        ticker = Ticker(
            self.db, self.router.due_sources, self.clock, sealer=self.sealer, monitor=self.metrics
        )
        self.jobs = Jobs()
        self.jobs.every(timedelta(seconds=self.settings.tick_seconds), ticker.tick, name="tick")
        self.jobs.every(timedelta(hours=1), lambda: forget_delivered(self), name="outbox-purge")
        for chore in self.router.chores:
            self.jobs.every(chore.every, partial(chore.run, self.services), name=chore.name)
        self.jobs.start()
        logger.info("started: platforms %s", ", ".join(sorted(self.senders)) or "none")

    async def stop(self) -> None:
        """Stop ticking, then drain the worker: a message being sent is finished, not lost."""
        if self.jobs is not None:
            await self.jobs.stop()
            self.jobs = None
        if self.worker is not None:
            await self.worker.stop()
            self.worker = None
        await self.db.dispose()


async def current_database(settings: Settings) -> Database:
    """The database, reachable and migrated; raises DatabaseUnavailable or MigrationsPending."""
    db = Database(settings.async_database_url, pool_size=settings.db_pool_size)
    try:
        await db.ping()
        await check_current(db.engine)
    except BaseException:
        await db.dispose()
        raise
    return db


async def open_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    senders: Mapping[str, Sender] | None = None,
    web_form: str = "",
) -> Runtime:
    """Reach the database, check its schema is current, and wire the core. `web_form` is
    the speak-up web form's public address, when this server serves one there.

    Raises DatabaseUnavailable or MigrationsPending with a line a person can act on.
    """
    db = await current_database(settings)
    return wire(settings, db, clock or SystemClock(), senders=senders, web_form=web_form)


async def warn_if_crowded(db: Database, pool_size: int) -> None:
    """Say so when this process's connections may not fit in what PostgreSQL allows beside
    those already open (other replicas', commands', tools'): past the limit the server
    refuses new connections, and requests meet "try again in a minute" on every replica.
    A warning, not a refusal: the connections open now may be a passing command's."""
    room = await db.connections()
    if room is None:
        return
    allowed, in_use = room
    if pool_size + in_use > allowed:
        logger.warning(
            "PEERBOT_DB_POOL_SIZE is %s, but PostgreSQL allows %s connections and %s are "
            "open: with every replica's pool full the server will refuse connections; "
            "lower PEERBOT_DB_POOL_SIZE or raise max_connections (see the README, "
            "Running several replicas)",
            pool_size,
            allowed,
            in_use,
        )


def wire(
    settings: Settings,
    db: Database,
    clock: Clock,
    *,
    senders: Mapping[str, Sender] | None = None,
    web_form: str = "",
) -> Runtime:
    """The core around a database already checked: each feature built once with what it
    needs, speak-up with its sealer, guards and receipts when there is a sealing key."""
    keys = sealing_keys(settings)
    sealed = sealer(keys) if keys else None
    metrics = Metrics()
    return Runtime(
        settings=settings,
        db=db,
        clock=clock,
        router=build_router(
            speakup_feature(settings, sealed, web_form=web_form, refusals=metrics),
            events.feature(Events(sealer=sealed)),
            mentoring.feature(Mentoring(sealer=sealed)),
        ),
        sealer=sealed,
        metrics=metrics,
        senders=dict(senders or {}),
    )


def speakup_feature(
    settings: Settings,
    sealed: Sealer | None,
    *,
    web_form: str = "",
    refusals: Refusals | None = None,
) -> Feature:
    deps = (
        SpeakUp.keyed(sealed, web_form=web_form, refusals=refusals) if sealed is not None else None
    )
    keep = timedelta(days=settings.speakup_retention_days)
    return speakup.feature(deps, keep_closed_for=keep)


SEEN_EVENTS_KEPT = timedelta(days=1)
"""Slack retries an event within minutes; a day is ample, and then the record goes."""


async def forget_delivered(runtime: Runtime) -> tuple[int, int, int]:
    """Hourly: delivered messages past their retention, the due windows that queued them
    (kept as long, for the same reason: a source never offers them again by then), and
    inbound dedupe records past the day in which a platform may retry; how many of each
    were deleted."""
    now = runtime.clock.now()
    keep_sent = timedelta(days=runtime.settings.outbox_retention_days)
    async with runtime.db.session() as session:
        sent = await outbox_rows.purge_sent(session, sent_before=now - keep_sent)
        windows = await due.forget_before(session, now - keep_sent)
        events = await seen.forget_before(session, now - SEEN_EVENTS_KEPT)
    if sent or windows or events:
        logger.info(
            "deleted %s delivered messages, %s due windows and %s seen-event records",
            sent,
            windows,
            events,
        )
    return sent, windows, events


def sealing_keys(settings: Settings) -> str | None:
    """The configured keys; on the embedded SQLite default, a key file beside the database.

    The key file lets a newcomer try speak-up with `make run`; it sits beside the
    database, so it protects nothing against a copy of the folder. Production sets
    PEERBOT_SEALING_KEY (and keeps it elsewhere); on PostgreSQL it is required.
    """
    if settings.sealing_keys is not None:
        return settings.sealing_keys.get_secret_value()
    path = sqlite_path(settings.database_url)
    if path is None:
        logger.warning("PEERBOT_SEALING_KEY is not set: speak-up will not store concerns")
        return None
    key_file = path.with_name(path.name + ".key")
    if not key_file.exists():
        key_file.write_text(generate_key() + "\n")
        key_file.chmod(0o600)
        logger.warning(
            "created %s for trying peerbot; set PEERBOT_SEALING_KEY in production", key_file
        )
    return key_file.read_text().strip()


def reachable_at(settings: Settings) -> str:
    """Where people reach this server: the public address when there is one, else this
    machine (a server on every address answers on localhost)."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    host = "localhost" if settings.host in {"0.0.0.0", "::", ""} else settings.host
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{settings.port}"


def sqlite_path(url: str) -> Path | None:
    scheme, _, rest = url.partition(":///")
    return Path(rest) if scheme.startswith("sqlite") and rest else None
