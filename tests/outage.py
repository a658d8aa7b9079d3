"""A database outage without touching the machine's own PostgreSQL: a TCP proxy on loopback
between peerbot and the server, which can stop (refusing new connections and dropping the
ones it carries, as a restarting server or a cut network does) and start again."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit, urlunsplit

from tests.adapters.test_cli import free_port


class Proxy:
    """Forwards every connection made to `port` to `upstream` (host, port), byte for byte."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = free_port()
        self.links = 0
        """Connections carried so far: the replicas reconnected after an outage if it grows."""
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    def url(self, database_url: str) -> str:
        """`database_url` with its server replaced by this proxy."""
        parts = urlsplit(database_url)
        netloc = f"{parts.netloc.rpartition('@')[0]}@127.0.0.1:{self.port}"
        return urlunsplit(parts._replace(netloc=netloc.lstrip("@")))

    async def up(self) -> None:
        self._server = await asyncio.start_server(self._link, "127.0.0.1", self.port)

    async def down(self) -> None:
        """Stop accepting (a connection now is refused) and drop every link, both ways."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()

    async def _link(self, client_in: asyncio.StreamReader, client: asyncio.StreamWriter) -> None:
        try:
            server_in, server = await asyncio.open_connection(*self.upstream)
        except OSError:
            client.transport.abort()
            return
        if self._server is None:  # went down while this one was connecting
            client.transport.abort()
            server.transport.abort()
            return
        self.links += 1
        self._open |= {client, server}
        await asyncio.gather(_pipe(client_in, server), _pipe(server_in, client))
        self._open -= {client, server}


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    sink.transport.abort()


@asynccontextmanager
async def proxy_to(database_url: str) -> AsyncIterator[Proxy]:
    """A proxy to the server of `database_url`, up, for the block."""
    parts = urlsplit(database_url)
    proxy = Proxy((parts.hostname or "127.0.0.1", parts.port or 5432))
    await proxy.up()
    try:
        yield proxy
    finally:
        await proxy.down()
