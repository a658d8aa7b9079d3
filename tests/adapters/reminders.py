"""An event reminder made due through the real runtime's tick, for any platform's tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from adapters.runtime import Runtime
from bot.conversation.inbound import PersonAddress
from bot.conversation.tick import Ticker
from bot.events import places
from tests.bot.events.places_fixtures import an_event
from tests.fakes import FakeClock


async def an_hour_before(runtime: Runtime, who: PersonAddress) -> tuple[int, datetime]:
    """`who` signed up to an event two days off; then the clock moved to the hour before it
    and the tick run three times, as two replicas would (one ticking twice). The event's
    occurrence id and start."""
    clock = runtime.clock
    assert isinstance(clock, FakeClock)
    starts = clock.now() + timedelta(days=2)
    occurrence = await an_event(runtime.db, starts=starts)
    async with runtime.db.session() as session:
        signed = await places.sign_up(session, occurrence, who, now=clock.now())
    assert signed.outcome == places.Outcome.GOING

    clock.advance(days=2, minutes=-60)

    def ticker() -> Ticker:
        return Ticker(runtime.db, runtime.router.due_sources, clock, sealer=runtime.sealer)

    this = ticker()
    for each in (this, this, ticker()):
        await each.tick()
    return occurrence, starts
