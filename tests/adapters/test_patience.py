"""Work after an ack waits out a busy database, and says so when it stays busy."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy.exc import OperationalError

from adapters.patience import GaveUp, patiently
from storage.engine import DatabaseUnavailable


def locked() -> OperationalError:
    return OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))


def failing(
    times: int, error: Callable[[], Exception]
) -> tuple[Callable[[], Awaitable[str]], list[int]]:
    """Work that raises `error()` at its first `times` tries and is then done; its tries."""
    tries: list[int] = []

    async def work() -> str:
        tries.append(1)
        if len(tries) <= times:
            raise error()
        return "done"

    return work, tries


def away() -> DatabaseUnavailable:
    return DatabaseUnavailable("cannot reach the database")


async def test_busy_tries_are_repeated_until_the_work_is_done() -> None:
    work, tries = failing(2, locked)
    assert await patiently(work, what="test", first_wait=0.001) == "done"
    assert len(tries) == 3


async def test_a_database_busy_past_the_deadline_gives_up() -> None:
    async def work() -> None:
        raise locked()

    with pytest.raises(GaveUp):
        await patiently(work, what="test", deadline=0.01, first_wait=0.001)


async def test_anything_but_a_busy_database_is_not_retried() -> None:
    tries: list[int] = []

    async def work() -> None:
        tries.append(1)
        raise ValueError("a bug")

    with pytest.raises(ValueError, match="a bug"):
        await patiently(work, what="test", first_wait=0.001)
    assert tries == [1]


async def test_a_database_that_cannot_be_reached_is_waited_for_briefly() -> None:
    """A lock passes; an outage may not: the person hears "try again in a minute" within
    seconds, while a locked database is still waited out to the long deadline."""
    never, tries = failing(1000, away)
    with pytest.raises(GaveUp):
        await patiently(never, what="test", away_for=0.05, first_wait=0.01, longest_wait=0.01)
    assert 2 <= len(tries) <= 6

    back, _ = failing(2, away)
    assert await patiently(back, what="test", away_for=1, first_wait=0.001) == "done"

    locked_a_while, _ = failing(7, locked)
    done = await patiently(
        locked_a_while, what="test", away_for=0.05, first_wait=0.01, longest_wait=0.02
    )
    assert done == "done"  # well past away_for: a lock is not an outage
