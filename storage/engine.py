"""One async engine per process, and sessions from it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Connection, event, text
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession


class DatabaseUnavailable(Exception):
    """The database cannot be reached; the message is one line a person can act on."""


BUSY = (OperationalError, InterfaceError, DatabaseUnavailable)
"""What a locked, restarting or unreachable database raises: worth trying again later,
unlike a bug or bad data."""

_READ = "peerbot_read"

Committed = Callable[[Mapping[str, Any]], None]
"""Told a writing session's `info` once its transaction has committed."""


class Database:
    """Owns the engine. `url` is already an async SQLAlchemy URL (see
    bot.organisation.config.async_url)."""

    def __init__(self, url: str) -> None:
        self.url = url
        sqlite = url.startswith("sqlite")
        # An SQLite file does not drop connections; pinging it costs a round trip a session.
        self.engine: AsyncEngine = create_async_engine(url, pool_pre_ping=not sqlite)
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
                yield session
            if session.info:  # committed: an error or a rollback never gets here
                for listener in list(self._committed):
                    listener(session.info)

    async def ping(self) -> None:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:  # every driver raises its own kind
            raise DatabaseUnavailable(
                f"cannot reach the database at {self.engine.url.render_as_string()}: "
                f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip()
            ) from exc

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
