"""One async engine per process, and sessions from it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Connection, event, text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession


class DatabaseUnavailable(Exception):
    """The database cannot be reached; the message is one line a person can act on."""


BUSY = (OperationalError, InterfaceError, DatabaseUnavailable, PoolTimeout)
"""What a locked, restarting or unreachable database raises, or a pool whose connections
are all in use for its whole timeout: worth trying again later, unlike a bug or bad data."""

POOL_SIZE = 15
"""Connections one process holds at most, unless told (PEERBOT_DB_POOL_SIZE): what
SQLAlchemy's pool allowed before it was a setting (5 kept, 10 more in a burst)."""
CONNECT_TIMEOUT = 5.0
"""Seconds a new PostgreSQL connection may take. The driver's own default is a minute, in
which a database that drops packets would hold every request that needs a connection."""
RECYCLE_SECONDS = 1800
"""A PostgreSQL connection is replaced after half an hour: firewalls and proxies between
replicas and the database drop links idle longer, and a link dropped that way can fail
only at its next use, which pre-ping then has to catch."""


def unreachable(error: BaseException) -> bool:
    """The database is away (refused, reset, timed out, its link dropped mid-transaction),
    not merely locked: worth a short wait, not the long one a lock deserves."""
    return isinstance(error, DatabaseUnavailable) or in_doubt(error)


def in_doubt(error: BaseException) -> bool:
    """The link to the database dropped while a transaction was under way: it may have
    committed without its caller hearing so (unlike a connection that never opened)."""
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


_READ = "peerbot_read"

Committed = Callable[[Mapping[str, Any]], None]
"""Told a writing session's `info` once its transaction has committed."""


class Database:
    """Owns the engine. `url` is already an async SQLAlchemy URL (see
    bot.organisation.config.async_url). On PostgreSQL `pool_size` bounds this process's
    connections, so that replicas together stay within what the server allows; SQLite is
    one process's file, and keeps SQLAlchemy's own pool."""

    def __init__(self, url: str, *, pool_size: int = POOL_SIZE) -> None:
        self.url = url
        sqlite = url.startswith("sqlite")
        # An SQLite file does not drop connections; pinging it costs a round trip a session.
        server: dict[str, Any] = (
            {}
            if sqlite
            else {
                "pool_size": pool_size,
                "max_overflow": 0,
                "pool_pre_ping": True,
                "pool_recycle": RECYCLE_SECONDS,
                "connect_args": {"timeout": CONNECT_TIMEOUT},
            }
        )
        self.engine: AsyncEngine = create_async_engine(url, **server)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin)
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )
        self._read_sessions = async_sessionmaker(
            self.engine.execution_options(**{_READ: True}),
            class_=AsyncSession,
            expire_on_commit=False,
        )
        self._committed: list[Committed] = []

    def on_commit(self, listener: Committed) -> Callable[[], None]:
        """Call `listener` after every commit of a session that noted something in its
        `info` (storage.outbox notes rows queued, so the delivery worker looks at once,
        and never before the rows are there to claim); returns how to stop listening."""
        self._committed.append(listener)
        return lambda: self._committed.remove(listener)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def session(self, *, write: bool = True) -> AsyncIterator[AsyncSession]:
        """A session in a transaction: committed on success, rolled back on error.

        `write=False` is for work that only reads: on SQLite it does not take the write
        lock, so reads never queue behind writers (WAL gives them a snapshot instead).
        """
        sessions = self._sessions if write else self._read_sessions
        async with sessions() as session:
            async with session.begin():
                if not self.is_sqlite:
                    await self._connected(session)
                yield session
            if session.info:  # committed: an error or a rollback never gets here
                for listener in list(self._committed):
                    listener(session.info)

    async def ping(self) -> None:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:  # every driver raises its own kind
            raise self._away(exc) from exc

    async def connections(self) -> tuple[int, int] | None:
        """On PostgreSQL, how many connections the server allows ordinary users (its
        max_connections less those kept for superusers) and how many are open now, by
        anyone; None on SQLite, which has no such limit."""
        if self.is_sqlite:
            return None
        query = text(
            "SELECT current_setting('max_connections')::int"
            " - current_setting('superuser_reserved_connections')::int,"
            " (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')"
        )
        async with self.engine.connect() as conn:
            allowed, in_use = (await conn.execute(query)).one()
        return int(allowed), int(in_use)

    async def _connected(self, session: AsyncSession) -> None:
        """Take the session's connection now, so that a database that cannot be reached
        says so as DatabaseUnavailable: asyncpg raises a bare OSError (refused, reset,
        timed out) when it cannot connect, which would otherwise pass for a bug."""
        try:
            await session.connection()
        except OSError as exc:
            raise self._away(exc) from exc

    def _away(self, exc: Exception) -> DatabaseUnavailable:
        first = str(exc).splitlines()[0] if str(exc) else ""
        return DatabaseUnavailable(
            f"cannot reach the database at {self.engine.url.render_as_string()}: "
            f"{type(exc).__name__}: {first}".rstrip()
        )

    async def dispose(self) -> None:
        await self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers go on while one writes; the driver's own transaction handling is
    switched off so `_sqlite_begin_immediate` decides when a transaction starts."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL loses no committed transaction when peerbot crashes, only
    # when the machine loses power before a checkpoint; it spares an fsync a commit.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    # Deleted rows are overwritten, not left in free pages: a purged case, or who was
    # waiting for an event, must not be readable from a copy of the file.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    """A writing session takes the write lock when its transaction begins, not at its
    first write; a reading session takes none.

    Otherwise the driver starts the transaction only at the first UPDATE, so two
    sessions can both read the same due outbox rows and both claim them: a
    double send. Waiting writers queue on busy_timeout instead.
    """
    read = connection.get_execution_options().get(_READ, False)
    connection.exec_driver_sql("BEGIN" if read else "BEGIN IMMEDIATE")
