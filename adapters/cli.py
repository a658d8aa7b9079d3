"""The `peerbot` command line: run, console, db upgrade, org apply, keys, speakup, events,
mentoring, outbox, demo, teams."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

import typer
from aiohttp import web
from rich.console import Console
from rich.progress import Progress
from sqlmodel.ext.asyncio.session import AsyncSession

from adapters.console import ConsoleSession, stdin_lines
from adapters.logs import configure as configure_logging
from adapters.runtime import (
    Runtime,
    current_database,
    open_runtime,
    sealing_keys,
    sqlite_path,
    warn_if_crowded,
)
from adapters.server import app_runner, create_app
from adapters.teams.package import BadPackage, package
from adapters.web import url as web_form_url
from bot.conversation.inbound import Platform
from bot.conversation.sealing import generate_key, sealer
from bot.events import attendance, demo
from bot.mentoring import demo as mentoring_demo
from bot.mentoring import imports, newpairs
from bot.mentoring.health import Health, health
from bot.organisation.config import EXAMPLE_ORG_FILE, ConfigError, Settings, load_settings
from bot.organisation.orgfile import OrgFileError
from bot.organisation.sync import apply_org_file
from bot.organisation.zone import home_zone
from bot.speakup.feature import purge_closed
from bot.speakup.report import Figures, figures, quarter_bounds
from storage import outbox as outbox_rows
from storage.directory import active_programmes
from storage.directory import programme as programme_named
from storage.engine import Database, DatabaseUnavailable
from storage.migrate import MigrationsPending, upgrade_async
from storage.organisation import Programme
from storage.outbox import OutboxRow

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="peerbot: speaking up, staff network events, mentoring check-ins, and support.",
)
db_app = typer.Typer(no_args_is_help=True, help="Manage the database.")
org_app = typer.Typer(no_args_is_help=True, help="Manage the organisation file.")
keys_app = typer.Typer(no_args_is_help=True, help="Manage sealing keys.")
speakup_app = typer.Typer(no_args_is_help=True, help="Speak-up statistics and retention.")
events_app = typer.Typer(no_args_is_help=True, help="Network events: attendance.")
mentoring_app = typer.Typer(
    no_args_is_help=True, help="Mentoring programmes: import pairs, report how they are going."
)
outbox_app = typer.Typer(
    no_args_is_help=True, help="Messages that could not be delivered: list them, send them again."
)
app.add_typer(db_app, name="db")
app.add_typer(org_app, name="org")
app.add_typer(keys_app, name="keys")
app.add_typer(speakup_app, name="speakup")
app.add_typer(events_app, name="events")
app.add_typer(mentoring_app, name="mentoring")
app.add_typer(outbox_app, name="outbox")
demo_app = typer.Typer(
    no_args_is_help=True, help="Made-up events and mentoring pairs to try peerbot with."
)
app.add_typer(demo_app, name="demo")
teams_app = typer.Typer(no_args_is_help=True, help="Microsoft Teams: the app package to upload.")
app.add_typer(teams_app, name="teams")

logger = logging.getLogger("peerbot")
T = TypeVar("T")

UserOption = Annotated[
    str | None,
    typer.Option(help="Who you are in the console (an org file `console:` id tries that role)."),
]


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"peerbot: {message}", err=True)
    return typer.Exit(code)


def written(path: Path, text: str) -> None:
    """A report written for its reader alone (it may name people: attendance holds user ids
    and emails), or one line saying why it could not be."""
    try:
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
            out.write(text)
    except OSError as exc:
        raise fail(f"cannot write {path}: {exc.strerror or exc}", 1) from None


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        raise fail(f"configuration error:\n{exc}", 2) from None


@app.command()
def run(user: UserOption = None) -> None:
    """Serve peerbot; with no Slack or Teams credentials, also open the terminal console."""
    settings = settings_or_exit()
    if settings.sealing_keys is None and sqlite_path(settings.database_url) is None:
        raise fail(SHARED_KEY_MISSING, 2)
    console = not (settings.slack_enabled or settings.teams_enabled)
    configure_logging(settings, console=console)
    _startup(_serve(settings, http=True, console_user=_user(user) if console else None))


SHARED_KEY_MISSING = (
    "configuration error:\nPEERBOT_SEALING_KEY is missing: on PostgreSQL every replica needs "
    "the same key, to seal speak-up text and to sign the web form's, Teams' and file links' "
    "tokens so that any replica accepts what another gave out (`peerbot keys generate`)"
)
"""Without it each process signs with a secret of its own, and behind a load balancer a page
or dialog given out by one replica is refused by the next."""


@app.command()
def console(user: UserOption = None) -> None:
    """Chat with peerbot in this terminal, without starting the web server."""
    settings = settings_or_exit()
    configure_logging(settings, console=True)
    _startup(_serve(settings, http=False, console_user=_user(user)))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every database migration (safe to run again)."""
    settings = settings_or_exit()

    async def upgrade() -> None:
        db = Database(settings.async_database_url)
        try:
            await db.ping()
        finally:
            await db.dispose()
        await upgrade_async(settings.async_database_url)

    _startup(upgrade())
    typer.echo("Database is up to date.")


@org_app.command("apply")
def org_apply(file: Annotated[Path, typer.Argument(help="The organisation file (YAML).")]) -> None:
    """Check the organisation file and bring the database in line with it."""
    settings = settings_or_exit()

    async def apply() -> str:
        runtime = await open_runtime(settings)
        try:
            return str(await apply_org_file(runtime.db, file))
        finally:
            await runtime.db.dispose()

    typer.echo(_startup(apply()))


@keys_app.command("generate")
def keys_generate() -> None:
    """Print a new sealing key for PEERBOT_SEALING_KEY."""
    typer.echo(generate_key())
    typer.echo(
        "Put it in .env as PEERBOT_SEALING_KEY=<key> and keep it secret. To rotate, put the new "
        "key first and keep the old ones after it, separated by commas.",
        err=True,
    )


@speakup_app.command("report")
def speakup_report(
    quarter: Annotated[str, typer.Option(help="The quarter, like 2026Q3.")],
    csv: Annotated[
        Path | None, typer.Option(help="Also write the figures to this CSV file.")
    ] = None,
    suppress_below: Annotated[
        int, typer.Option(help="Show counts from 1 up to this minus one as <N (internal sharing).")
    ] = 0,
) -> None:
    """The National Guardian's Office figures for one quarter."""
    settings = settings_or_exit()
    try:
        quarter_bounds(quarter)
    except ValueError as exc:
        raise fail(str(exc), 2) from None

    async def count() -> Figures:
        runtime = await open_runtime(settings)
        try:
            async with runtime.db.session() as session:
                return await figures(session, quarter)
        finally:
            await runtime.db.dispose()

    result = _startup(count())
    width = max(len(m) for m, _ in result.rows())
    typer.echo(f"Speak-up figures for {result.quarter}")
    for measure, value in result.rows(suppress_below=suppress_below):
        typer.echo(f"  {measure:<{width}}  {value}")
    if csv is not None:
        written(csv, result.csv(suppress_below=suppress_below))
        typer.echo(f"Written to {csv}.")


@speakup_app.command("purge")
def speakup_purge() -> None:
    """Delete closed cases past the retention period, keeping only their counts."""
    settings = settings_or_exit()

    async def run() -> int:
        runtime = await open_runtime(settings)
        try:
            keep = timedelta(days=settings.speakup_retention_days)
            return await purge_closed(runtime.services, keep)
        finally:
            await runtime.db.dispose()

    typer.echo(f"{_startup(run())} closed cases purged.")


@events_app.command("export")
def events_export(
    event: Annotated[
        int,
        typer.Argument(
            help="The id of one date of an event (an occurrence id), as its lead's list shows."
        ),
    ],
    csv: Annotated[Path, typer.Option(help="Write the attendance to this CSV file.")],
) -> None:
    """Attendance for one date of an event as CSV: platform, user id, email (for people in
    the organisation file), status, attended. Access needs are never exported."""
    settings = settings_or_exit()

    async def export() -> list[attendance.Row] | None:
        async with _database(settings) as db, db.session(write=False) as session:
            if await attendance.exists(session, event):
                return await attendance.rows(session, event)
            return None

    rows = _startup(export())
    if rows is None:
        raise fail(f"there is no event date with id {event}", 2)
    written(csv, attendance.as_csv(rows))
    typer.echo(f"{len(rows)} sign-up{'' if len(rows) == 1 else 's'} written to {csv}.")


ProgrammeKey = Annotated[
    str, typer.Option("--programme", help="The programme's key in the organisation file.")
]
PROGRESS_FROM = 1000
"""Pairs from which writing a file shows a progress bar, on a terminal."""


@mentoring_app.command("import")
def mentoring_import(
    file: Annotated[Path, typer.Argument(help="A CSV file: a header row, then one pair a row.")],
    programme: ProgrammeKey,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Check the file and say what would change; write nothing."),
    ] = False,
) -> None:
    """Add pairs to a programme from a CSV file. The whole file is checked first and nothing
    is written unless every row is good; every bad row is named with its line and column."""
    settings = settings_or_exit()
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise fail(f"cannot read {file}: {exc.strerror}", 2) from None

    async def load() -> tuple[str, list[newpairs.NewPair]]:
        async with _database(settings) as db, db.session() as session:
            found = await _programme(session, programme)
            rows = imports.read(data, found.kind, str(file))
            known = await newpairs.known(session, found.key, rows.pairs)
            if troubles := rows.troubles(newpairs.check(rows.pairs, known)):
                raise imports.BadFile(str(file), troubles)
            if not dry_run:
                with _progress(len(rows.pairs)) as written:
                    now = datetime.now(UTC)
                    await newpairs.add(session, found.key, rows.pairs, now=now, written=written)
            return found.name, rows.pairs

    try:
        name, pairs = _startup(load())
    except imports.BadFile as bad:
        raise fail(f"the file has problems, nothing was written:\n{bad}", 2) from None
    count = f"{len(pairs)} pair{'' if len(pairs) == 1 else 's'}"
    if dry_run:
        for pair in pairs:
            typer.echo("  " + " and ".join(f"{p.email} ({p.role})" for p in pair.people))
        typer.echo(f"Would add {count} to {name}. Nothing was written (--dry-run).")
    else:
        typer.echo(f"Added {count} to {name}.")


@mentoring_app.command("report")
def mentoring_report(
    programme: Annotated[str, typer.Argument(help="The programme's key in the organisation file.")],
    csv: Annotated[
        Path | None, typer.Option(help="Also write the counts to this CSV file.")
    ] = None,
) -> None:
    """How a programme is going, in counts only: pairs, each round's answers, pairs that have
    not met two rounds running, actions and end feedback."""
    settings = settings_or_exit()

    async def count() -> tuple[Health, tzinfo]:
        async with _database(settings) as db, db.session(write=False) as session:
            found = await _programme(session, programme)
            zone = ZoneInfo(found.time_zone) if found.time_zone else await home_zone(db)
            return await health(session, found, datetime.now(UTC)), zone

    found, zone = _startup(count())
    typer.echo(f"{found.programme.name}: programme health")
    heading = None
    for round_, state, measure, value in found.rows(zone):
        if round_ != heading:
            heading = round_
            typer.echo("All rounds" if round_ == "all" else f"Round of {round_} ({state})")
        typer.echo(f"  {measure:<36} {value}")
    if csv is not None:
        csv.write_text(found.csv(zone))
        typer.echo(f"Written to {csv}.")


class NoSuchProgramme(Exception):
    """The key names no programme in the organisation file."""


async def _programme(session: AsyncSession, key: str) -> Programme:
    found = await programme_named(session, key)
    if found is None or not found.active:
        known = ", ".join(p.key for p in await active_programmes(session)) or "none yet"
        raise NoSuchProgramme(f"there is no programme {key!r}; the programmes are: {known}")
    return found


@contextlib.contextmanager
def _progress(total: int) -> Iterator[Callable[[int], object] | None]:
    """rich's progress bar, on a terminal and for a large file; nothing otherwise."""
    console = Console(stderr=True)
    if total < PROGRESS_FROM or not console.is_terminal:
        yield None
        return
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("Adding pairs", total=total)
        yield lambda n: bar.advance(task, n)


@outbox_app.command("failed")
def outbox_failed() -> None:
    """List the messages that gave up: never who they were for or what they said."""
    settings = settings_or_exit()

    async def find() -> list[OutboxRow]:
        async with _database(settings) as db, db.session() as session:
            return await outbox_rows.failed(session)

    rows = _startup(find())
    if not rows:
        typer.echo("No failed messages.")
        return
    typer.echo(f"{'id':>6}  {'platform':<8}  {'created (UTC)':<16}  {'attempts':>8}  last error")
    for row in rows:
        typer.echo(
            f"{row.id:>6}  {row.platform:<8}  {row.created_at:%Y-%m-%d %H:%M}  "
            f"{row.attempts:>8}  {row.last_error or ''}"
        )
    typer.echo("Send them again with: peerbot outbox retry ID... (or --all)")


@outbox_app.command("retry")
def outbox_retry(
    ids: Annotated[list[int] | None, typer.Argument(help="The ids `outbox failed` lists.")] = None,
    every: Annotated[bool, typer.Option("--all", help="Every failed message.")] = False,
) -> None:
    """Put failed messages back in the queue; a running peerbot sends them within seconds."""
    if bool(ids) == every:
        raise fail("name the messages to retry by id, or give --all (not both)", 2)
    settings = settings_or_exit()

    async def retry() -> int:
        async with _database(settings) as db, db.session() as session:
            return await outbox_rows.retry_failed(session, ids or None, now=datetime.now(UTC))

    count = _startup(retry())
    typer.echo(f"{count} failed message{'' if count == 1 else 's'} queued again.")


@demo_app.command("load")
def demo_load(
    fresh: Annotated[
        bool,
        typer.Option(
            "--fresh",
            help="Only into a new SQLite database that has no events yet, while the example "
            "organisation is in use; otherwise do nothing (what `make run` does).",
        ),
    ] = False,
) -> None:
    """Add a few upcoming and recurring events to the organisation's networks, and a few
    reverse-mentoring pairs part-way through a round, dated from now (safe to run again:
    what is already there is kept, nothing is added twice)."""
    settings = settings_or_exit()
    org_file = settings.resolved_org_file()
    example = org_file.resolve() == EXAMPLE_ORG_FILE.resolve()
    keys = sealing_keys(settings)

    async def load() -> tuple[int, int] | None:
        async with _database(settings) as db:
            if fresh:
                if not (example and db.is_sqlite):
                    return None
                async with db.session(write=False) as session:
                    if await demo.any_events(session):
                        return None
            await apply_org_file(db, org_file)  # as `peerbot run` does: the networks first
            async with db.session() as session:
                now = datetime.now(UTC)
                events = await demo.load(session, now=now)
                pairs = await mentoring_demo.load(
                    session, now=now, sealer=sealer(keys) if keys else None
                )
                return events, pairs

    added = _startup(load())
    if added is None:
        return
    events, pairs = added
    if events:
        typer.echo(
            f"Added {events} demo event{'' if events == 1 else 's'}. Type `events` to see them."
        )
    if pairs:
        typer.echo(
            f"Added {pairs} demo mentoring pairs. Type `mentoring` as their coordinator "
            "(`make run AS=kwame`) or as one of them (`make run AS=amina`)."
        )
    if not (events or pairs):
        typer.echo("The demo events and mentoring pairs are already there.")


@teams_app.command("package")
def teams_package(
    app_id: Annotated[str, typer.Option(help="The bot's Microsoft app id (MICROSOFT_APP_ID).")],
    host: Annotated[
        str, typer.Option(help="Where staff reach peerbot, like peerbot.example.nhs.uk.")
    ],
    out: Annotated[Path, typer.Option(help="The zip to write.")] = Path("peerbot-teams.zip"),
    privacy_url: Annotated[
        str | None, typer.Option(help="Your privacy notice (default: peerbot's speak-up page).")
    ] = None,
    terms_url: Annotated[
        str | None, typer.Option(help="Your terms of use (default: peerbot's speak-up page).")
    ] = None,
) -> None:
    """Write the Teams app package (manifest.json and icons) to upload in Teams."""
    try:
        made = package(app_id, host, privacy_url=privacy_url, terms_url=terms_url)
    except BadPackage as exc:
        raise fail(str(exc), 2) from None
    out.write_bytes(made)
    typer.echo(f"Written to {out}. Upload it in Teams: Apps > Manage your apps > Upload an app.")


@contextlib.asynccontextmanager
async def _database(settings: Settings) -> AsyncIterator[Database]:
    """The database, reachable and migrated, for commands that need nothing else."""
    db = await current_database(settings)
    try:
        yield db
    finally:
        await db.dispose()


def _user(user: str | None) -> str:
    return user or getpass.getuser()


def _startup(work: Coroutine[Any, Any, T]) -> T:
    """Run start-up work; anything a person must fix becomes one clear message and an exit."""
    try:
        return asyncio.run(work)
    except KeyboardInterrupt:
        raise fail("stopped.", 130) from None
    except (DatabaseUnavailable, MigrationsPending) as exc:
        raise fail(str(exc)) from None
    except OrgFileError as exc:
        raise fail(f"the organisation file has problems, nothing was changed:\n{exc}", 2) from None
    except (PortUnavailable, NoSuchProgramme) as exc:
        raise fail(str(exc), 2 if isinstance(exc, NoSuchProgramme) else 1) from None


async def _serve(settings: Settings, *, http: bool, console_user: str | None) -> None:
    """Start-up order matters: nothing is served until the database and org file are good."""
    # chat offers the web form only where this server serves it to everyone
    public_form = web_form_url(settings) if http and settings.public_url else ""
    runtime = await open_runtime(settings, web_form=public_form)
    runner: web.AppRunner | None = None
    try:
        await warn_if_crowded(runtime.db, settings.db_pool_size)
        org_file = settings.resolved_org_file()
        report = await apply_org_file(runtime.db, org_file)
        logger.info("organisation file %s applied: %s", org_file, report)
        app = create_app(runtime) if http else None
        session = None
        if console_user is not None:
            session = ConsoleSession(
                runtime.router,
                runtime.services,
                lines=stdin_lines(),
                out=sys.stdout,
                user_id=console_user,
                home_zone=await home_zone(runtime.db),
            )
            runtime.register(Platform.CONSOLE, session)
        if app is not None:
            runner = app_runner(app)
            await runner.setup()
            await _listen(runner, settings)
            logger.info("listening on %s:%s", settings.host, settings.port)
            typer.echo(f"The speak-up web form is at {web_form_url(settings)}")
            if settings.teams_enabled and not settings.teams_authenticated:
                typer.echo(TEAMS_UNCHECKED, err=True)
        else:
            await runtime.start()
        if session is not None and org_file != settings.org_file:
            typer.echo(f"(Using the example organisation in {org_file}.)")
        await _until_signalled(session.run() if session is not None else None)
    finally:
        await _shutdown(runtime, runner)


TEAMS_UNCHECKED = (
    "WARNING: Teams is on with authentication OFF (MICROSOFT_APP_ID is empty): anyone who "
    "can reach /api/messages can act as anyone. Use it only to try peerbot on this machine."
)


class PortUnavailable(Exception):
    """The web server cannot listen where it was told to."""


async def _listen(runner: web.AppRunner, settings: Settings) -> None:
    try:
        await web.TCPSite(runner, settings.host, settings.port).start()
    except OSError as exc:
        raise PortUnavailable(
            f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc} "
            "(set PORT to a free port)"
        ) from None


async def _shutdown(runtime: Runtime, runner: web.AppRunner | None) -> None:
    if runner is not None:
        await runner.cleanup()  # stops the runtime through the app's cleanup context
    else:
        await runtime.stop()


async def _until_signalled(console: Coroutine[Any, Any, None] | None) -> None:
    """Until SIGINT or SIGTERM, or the console session ends. A signal ends the console too,
    so Ctrl-C and a service manager's SIGTERM take the same orderly way out as `quit`:
    without the handlers, SIGTERM killed the process before the outbox was drained, and
    SIGINT broke out of the event loop as KeyboardInterrupt."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    waits: list[asyncio.Future[Any]] = [asyncio.ensure_future(stop.wait())]
    if console is not None:
        waits.append(asyncio.ensure_future(console))
    try:
        done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
        for waiting in waits:
            waiting.cancel()
        await asyncio.gather(*waits, return_exceptions=True)
    for finished in done:
        finished.result()  # a console that failed fails the run, as before
    logger.info("stopping: draining the outbox worker")
