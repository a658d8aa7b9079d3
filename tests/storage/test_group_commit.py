"""Group commit: a burst of writes goes in few transactions, and every caller hears the
outcome of the transaction that carried its write, success or failure."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.engine import Database
from storage.group_commit import GroupCommit


async def test_a_burst_goes_in_few_transactions_and_a_repeat_hears_again(
    sqlite_db: Database,
) -> None:
    batches: list[list[str]] = []

    async def write(_session: AsyncSession, batch: Mapping[str, int]) -> dict[str, int]:
        batches.append(list(batch))
        await asyncio.sleep(0.01)
        return {key: value * 10 for key, value in batch.items()}

    group = GroupCommit(sqlite_db, write, name="test", again=lambda result: -result)
    results = await asyncio.gather(*(group.offer(f"k{n % 50}", n % 50) for n in range(100)))
    assert sorted(results[:50]) == [n * 10 for n in range(50)]
    assert sorted(results[50:]) == sorted(-n * 10 for n in range(50))
    assert len(batches) <= 2 and sum(map(len, batches)) == 50


async def test_a_failed_write_raises_in_every_caller_of_its_batch(sqlite_db: Database) -> None:
    async def write(_session: AsyncSession, _batch: Mapping[str, None]) -> dict[str, None]:
        raise RuntimeError("disk full")

    group: GroupCommit[str, None, None] = GroupCommit(sqlite_db, write, name="test")
    outcomes = await asyncio.gather(
        *(group.offer(key, None) for key in ("a", "b", "a")), return_exceptions=True
    )
    assert all(isinstance(o, RuntimeError) for o in outcomes)
    with pytest.raises(RuntimeError):
        await group.offer("c", None)
