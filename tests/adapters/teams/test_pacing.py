"""Sends paced to Teams' limits: 7 a second and 60 in 30 seconds per conversation, about 30 a
second across one organisation."""

from __future__ import annotations

from dataclasses import dataclass, field

from adapters.teams.pacing import Pacer


@dataclass
class Time:
    now: float = 1000.0
    slept: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def sent_at(
    pacer: Pacer, time: Time, count: int, *, conversation: str = "a:1"
) -> list[float]:
    moments = []
    for _ in range(count):
        await pacer.turn(conversation, "tenant")
        moments.append(time.now - 1000.0)
    return moments


async def test_the_eighth_message_in_a_second_waits_for_the_window() -> None:
    time = Time()
    pacer = Pacer(clock=time.clock, sleep=time.sleep)
    moments = await sent_at(pacer, time, 8)
    assert moments == [0.0] * 7 + [1.0]


async def test_sixty_in_thirty_seconds_then_a_pause() -> None:
    time = Time()
    pacer = Pacer(clock=time.clock, sleep=time.sleep)
    moments = await sent_at(pacer, time, 61)
    assert moments[59] < 30.0 and moments[60] >= 30.0
    assert moments == sorted(moments)


async def test_other_conversations_share_only_the_organisations_limit() -> None:
    time = Time()
    pacer = Pacer(clock=time.clock, sleep=time.sleep)
    for n in range(30):
        await pacer.turn(f"a:{n}", "tenant")
    assert time.slept == []
    await pacer.turn("a:new", "tenant")
    assert time.slept == [1.0]
    await pacer.turn("a:elsewhere", "another tenant")
    assert time.slept == [1.0]
