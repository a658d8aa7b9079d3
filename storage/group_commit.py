"""Group commit: many small writes offered at once go in a few transactions.

Under a burst (a rush of first messages, Slack retrying a batch of events) each caller
would otherwise take its own write transaction, and on SQLite those queue one by one on
the write lock. Writes offered while one is under way wait for it and then go together
in the next. Each caller still hears only after the commit, so nobody acts on a write
that did not happen.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Generic, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.engine import Database

K = TypeVar("K")
V = TypeVar("V")
R = TypeVar("R")

BATCH = 500
"""Writes in one transaction at most: well inside SQLite's limit on bound parameters."""


class GroupCommit(Generic[K, V, R]):
    """`write` stores a batch (key -> value, the latest value offered for each key) and
    says what each key's caller hears. The same key offered twice before its write gets
    the result once and `again(result)` for every later caller (a delivery seen twice
    in one batch is new only once). A failed write raises its error in every caller of
    that batch, who may offer again."""

    def __init__(
        self,
        db: Database,
        write: Callable[[AsyncSession, Mapping[K, V]], Awaitable[Mapping[K, R]]],
        *,
        name: str,
        again: Callable[[R], R] = lambda result: result,
    ) -> None:
        self._db = db
        self._write_batch = write
        self._name = name
        self._again = again
        self._values: dict[K, V] = {}
        self._waiting: dict[K, list[asyncio.Future[R]]] = {}
        self._writer: asyncio.Task[None] | None = None

    async def offer(self, key: K, value: V) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._values[key] = value
        self._waiting.setdefault(key, []).append(future)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name=self._name)
        return await future

    async def _write(self) -> None:
        while self._waiting:
            keys = list(self._waiting)[:BATCH]
            batch = {key: self._values.pop(key) for key in keys}
            waiting = {key: self._waiting.pop(key) for key in keys}
            try:
                async with self._db.session() as session:
                    results = await self._write_batch(session, batch)
            except Exception as exc:
                for futures in waiting.values():
                    for future in futures:
                        if not future.done():
                            future.set_exception(exc)
                continue
            for key, futures in waiting.items():
                result = results[key]
                for future in futures:
                    if not future.done():
                        future.set_result(result)
                        result = self._again(result)
