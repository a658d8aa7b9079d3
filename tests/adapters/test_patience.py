"""Work after an ack waits out a busy database, and says so when it stays busy."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import OperationalError

from adapters.patience import GaveUp, patiently


def locked() -> OperationalError:
    return OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))


async def test_busy_tries_are_repeated_until_the_work_is_done() -> None:
    tries: list[int] = []

    async def work() -> str:
        tries.append(1)
        if len(tries) < 3:
            raise locked()
        return "done"

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
