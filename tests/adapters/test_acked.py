"""Shutdown waits for acked work, but only so long: what is left is cancelled and counted."""

from __future__ import annotations

import asyncio
import logging

import pytest

from adapters.acked import AckedWork


async def test_work_still_running_at_the_bound_is_cancelled_and_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    acked = AckedWork()
    done = asyncio.create_task(asyncio.sleep(0))
    stuck = asyncio.create_task(asyncio.Event().wait())  # never set: a hung Web API call
    acked.track(done)
    acked.track(stuck)
    await acked.drain(within=0.05)
    assert done.done() and not done.cancelled()
    assert stuck.cancelled()
    assert not acked.tasks
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        "shutdown: 1 acked pieces of work cancelled after 0.05s"
    ]


async def test_work_started_while_draining_is_waited_for_too() -> None:
    """A listener may start more work (a form past its deadline) while shutdown waits."""
    acked = AckedWork()
    later = asyncio.Event()

    async def starts_more() -> None:
        acked.track(asyncio.create_task(later.wait()))
        await asyncio.sleep(0)
        later.set()

    acked.track(asyncio.create_task(starts_more()))
    await acked.drain()
    assert later.is_set() and not acked.tasks


async def test_a_new_request_waits_while_the_most_acked_work_is_under_way() -> None:
    """Requests faster than their answers must not pile up in memory without end."""
    acked = AckedWork(most=2)
    first, second = asyncio.Event(), asyncio.Event()
    acked.track(asyncio.create_task(first.wait()))
    acked.track(asyncio.create_task(second.wait()))
    waiting = asyncio.create_task(acked.room())
    await asyncio.sleep(0.05)
    assert not waiting.done()
    first.set()
    await asyncio.wait_for(waiting, 1)
    second.set()
    await acked.drain()


async def test_below_the_most_a_request_goes_straight_on() -> None:
    acked = AckedWork(most=2)
    acked.track(asyncio.create_task(asyncio.Event().wait()))
    await asyncio.wait_for(acked.room(), 0.05)
    await acked.drain(within=0.01)


async def test_a_request_waits_for_room_no_longer_than_its_bound() -> None:
    """Past the bound it goes on: Slack shows a person an error when an ack is 3 s late,
    and a sign-up rush kept waiting for room had acks 4 s late (bench/events_rush.py)."""
    acked = AckedWork(most=1)
    acked.track(asyncio.create_task(asyncio.Event().wait()))  # never finishes
    loop = asyncio.get_running_loop()
    began = loop.time()
    await asyncio.wait_for(acked.room(within=0.1), 2)
    assert 0.1 <= loop.time() - began < 1.0
    await acked.drain(within=0.01)
