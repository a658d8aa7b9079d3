"""Answering a delivery once: a platform's retry is not answered again, and a delivery whose
record committed as the link to the database dropped is not taken for one. Answers are
worked out in turns."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.exc import InterfaceError
from sqlalchemy.orm import Session

from adapters.answering import Answering
from adapters.runtime import Runtime, open_runtime
from bot.conversation.inbound import Actor, Command, Conversation, Platform
from bot.organisation.config import load_settings
from tests.fakes import FakeClock


@contextmanager
def answer_lost_after_commit() -> Iterator[None]:
    """The next commit happens, and its caller hears the link drop instead (a database
    restarting, a cut network, just then)."""
    dropped: list[int] = []

    def drop(_session: Session) -> None:
        if not dropped:
            dropped.append(1)
            raise InterfaceError("COMMIT", {}, ConnectionResetError(), connection_invalidated=True)

    event.listen(Session, "after_commit", drop)
    try:
        yield
    finally:
        event.remove(Session, "after_commit", drop)


def never(_error: Exception) -> bool:
    return False


async def answering(sqlite_url: str) -> tuple[Answering, Runtime]:
    """Slack's way of answering, with nothing to send: only whether to answer is asked."""
    settings = load_settings(database_url=sqlite_url.replace("+aiosqlite", ""))
    runtime = await open_runtime(settings, clock=FakeClock())
    return Answering(runtime=runtime, platform="slack", errors=(), for_later=never), runtime


async def test_a_retry_is_not_answered_again(sqlite_url: str) -> None:
    slack, runtime = await answering(sqlite_url)
    try:
        assert await slack.first_delivery("EvOnce")
        assert not await slack.first_delivery("EvOnce")
    finally:
        await runtime.db.dispose()


async def test_a_delivery_whose_record_committed_unheard_is_still_answered(
    sqlite_url: str,
) -> None:
    slack, runtime = await answering(sqlite_url)
    try:
        with answer_lost_after_commit():
            assert await slack.first_delivery("EvLost")  # recorded, though it never heard so
        assert not await slack.first_delivery("EvLost")  # the platform's retry, later
    finally:
        await runtime.db.dispose()


async def test_an_answer_is_worked_out_only_when_its_turn_comes(sqlite_url: str) -> None:
    """In a burst, answers acked and waiting do not all ask the core (and the database
    pool) at once, crowding out the acks of new requests."""
    _, runtime = await answering(sqlite_url)
    one = asyncio.Semaphore(1)
    slack = Answering(runtime=runtime, platform="slack", errors=(), for_later=never, turns=one)
    asking = Command(
        actor=Actor(platform=Platform.SLACK, tenant="T1", user_id="U1"),
        conversation=Conversation(platform=Platform.SLACK, tenant="T1", channel_id="D1"),
        at=runtime.clock.now(),
        name="help",
    )
    try:
        async with one:  # another answer's turn
            waiting = asyncio.create_task(slack.replies(asking))
            await asyncio.sleep(0.05)
            assert not waiting.done()
        assert await asyncio.wait_for(waiting, 5)
    finally:
        await runtime.db.dispose()
