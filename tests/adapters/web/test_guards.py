"""The look-up and submission guards over real HTTP, on both backends: a burst of guesses
is counted before it is evaluated, every look-up costs the same slow hash, a form sent to
two replicas makes one case, and the CSRF token is one peerbot signed, recently."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import ClientSession

from adapters.runtime import Runtime
from adapters.web import csrf
from bot.conversation.inbound import Actor, Conversation, Platform
from bot.conversation.sealing import generate_key
from bot.speakup.cases import Concern, Reporter, raise_case
from bot.speakup.reporter import BUSY, NO_MATCH
from storage.speakup.cases import Way
from tests.adapters.web.conftest import Posted, Visitor, cases, open_web_runtime, serving
from tests.adapters.web.test_form import (
    ANONYMOUS,
    CODE,
    PASSPHRASE,
    checked,
    main,
    raise_anonymously,
)
from tests.fakes import FakeClock

LIMIT = 5
OPENED = "Received, waiting for a guardian"
PAUSED = "checking is paused for"
EXPIRED = "This page has expired. Please go back, reload and try again."


@dataclass
class Scrypt:
    """Counts real scrypt work, and the most that ran at once, without changing it."""

    calls: int = 0
    running: int = 0
    most: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def wrap(self, real: Callable[..., bytes]) -> Callable[..., bytes]:
        def counted(*args: Any, **kwargs: Any) -> bytes:
            with self._lock:
                self.calls += 1
                self.running += 1
                self.most = max(self.most, self.running)
            try:
                return real(*args, **kwargs)
            finally:
                with self._lock:
                    self.running -= 1

        return counted

    def reset(self) -> None:
        self.calls = self.most = 0


@pytest.fixture
def scrypt(monkeypatch: pytest.MonkeyPatch) -> Scrypt:
    counter = Scrypt()
    monkeypatch.setattr(hashlib, "scrypt", counter.wrap(hashlib.scrypt))
    return counter


@asynccontextmanager
async def replica(
    database_url: str, key: str, **settings: str
) -> AsyncIterator[tuple[Runtime, str]]:
    """One peerbot process on the shared database: its own runtime, server and port."""
    runtime = await open_web_runtime(database_url, PEERBOT_SEALING_KEY=key, **settings)
    try:
        async with serving(runtime) as url:
            yield runtime, url
    finally:
        await runtime.db.dispose()


@asynccontextmanager
async def browser(url: str) -> AsyncIterator[Visitor]:
    async with Visitor.session(url) as http:
        yield Visitor(http)


@pytest.fixture
async def one(database_url: str) -> AsyncIterator[tuple[Runtime, Visitor]]:
    async with replica(database_url, generate_key()) as (runtime, url), browser(url) as visitor:
        yield runtime, visitor


async def look_up_fields(visitor: Visitor) -> Posted:
    await visitor.open()
    await visitor.press("Check a case")
    return visitor.form_fields()


async def ready_to_guess(visitor: Visitor, scrypt: Scrypt) -> tuple[str, str, Posted]:
    """A case's code and passphrase, and the look-up form, with no slow hash counted yet."""
    code, phrase = await raise_anonymously(visitor)
    fields = await look_up_fields(visitor)
    scrypt.reset()
    return code, phrase, fields


async def guess(
    visitor: Visitor, fields: Posted, code: str, phrase: str, **headers: str
) -> tuple[int, str]:
    data = [*fields, ("code", code), ("passphrase", phrase)]
    response = await visitor.http.post("/speakup", data=data, headers=headers)
    return response.status, await response.text()


def wrong(n: int) -> str:
    return f"WRONG-{n:05d}-AAAAA-BBBBB"


async def test_a_burst_of_wrong_and_right_passphrases_evaluates_at_most_the_limit(
    one: tuple[Runtime, Visitor], scrypt: Scrypt
) -> None:
    _runtime, visitor = one
    code, phrase, fields = await ready_to_guess(visitor, scrypt)
    phrases = [phrase if n % 2 else wrong(n) for n in range(50)]
    answers = await asyncio.gather(*(guess(visitor, fields, code, p) for p in phrases))
    assert {status for status, _ in answers} == {200}
    opened = sum(OPENED in page for _, page in answers)
    assert scrypt.calls - opened <= LIMIT  # wrong passphrases actually checked
    assert PAUSED in (await guess(visitor, fields, code, phrase))[1]


async def test_after_a_burst_of_wrong_guesses_the_right_one_is_refused(
    one: tuple[Runtime, Visitor], scrypt: Scrypt
) -> None:
    _runtime, visitor = one
    code, phrase, fields = await ready_to_guess(visitor, scrypt)
    answers = await asyncio.gather(*(guess(visitor, fields, code, wrong(n)) for n in range(160)))
    assert {status for status, _ in answers} == {200}
    assert scrypt.calls <= LIMIT
    status, page = await guess(visitor, fields, code, phrase)
    assert status == 200 and PAUSED in page and OPENED not in page


async def test_after_five_misses_tries_are_paused_and_the_page_says_for_how_long(
    one: tuple[Runtime, Visitor], scrypt: Scrypt
) -> None:
    runtime, visitor = one
    code, phrase, fields = await ready_to_guess(visitor, scrypt)
    assert isinstance(runtime.clock, FakeClock)
    runtime.clock.advance(minutes=7)  # 09:07: the pause lasts until 09:30
    for n in range(LIMIT):
        assert NO_MATCH in (await guess(visitor, fields, code, wrong(n)))[1]
    right = main((await guess(visitor, fields, code, phrase))[1])
    paused = "There have been too many tries, so checking is paused for 23 minutes."
    assert paused in right and OPENED not in right
    # the same words whether the code is right, wrong or made up
    assert main((await guess(visitor, fields, code, wrong(9)))[1]) == right
    assert main((await guess(visitor, fields, "SU-2222-22", phrase))[1]) == right
    runtime.clock.advance(minutes=23)
    assert OPENED in (await guess(visitor, fields, code, phrase))[1]


async def test_the_limit_holds_across_replicas(database_url: str, scrypt: Scrypt) -> None:
    """Guesses split between two replicas of one peerbot count together."""
    key = generate_key()
    async with (
        replica(database_url, key) as (_first, first_url),
        replica(database_url, key) as (_second, second_url),
        browser(first_url) as visitor,
        browser(second_url) as elsewhere,
    ):
        code, phrase = await raise_anonymously(visitor)
        fields, other_fields = await look_up_fields(visitor), await look_up_fields(elsewhere)
        scrypt.reset()
        answers = await asyncio.gather(
            *(guess(visitor, fields, code, wrong(n)) for n in range(20)),
            *(guess(elsewhere, other_fields, code, wrong(n)) for n in range(20, 40)),
        )
        assert {status for status, _ in answers} == {200}
        assert scrypt.calls <= LIMIT
        status, page = await guess(elsewhere, other_fields, code, phrase)
        assert status == 200 and PAUSED in page


async def test_a_burst_from_many_addresses_never_fails_and_hashes_a_few_at_a_time(
    database_url: str, scrypt: Scrypt, caplog: pytest.LogCaptureFixture
) -> None:
    """Behind a proxy, 200 visitors at once: each may be checked, but never more slow hashes
    at a time than there are cores, and a queue too long is told to come back, not a 500."""
    async with (
        replica(database_url, generate_key(), PEERBOT_BEHIND_PROXY="true") as (_runtime, url),
        browser(url) as visitor,
    ):
        code, _phrase, fields = await ready_to_guess(visitor, scrypt)
        caplog.set_level(logging.INFO)
        answers = await asyncio.gather(
            *(
                guess(
                    visitor,
                    fields,
                    code,
                    wrong(n),
                    **{"X-Forwarded-For": f"10.0.{n // 250}.{n % 250}"},
                )
                for n in range(200)
            )
        )
    assert {status for status, _ in answers} == {200}
    assert all(NO_MATCH in page or BUSY in page for _, page in answers)
    assert scrypt.most <= (os.cpu_count() or 1)
    assert scrypt.calls <= 200
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


async def test_every_look_up_costs_one_slow_hash_whether_or_not_the_code_exists(
    one: tuple[Runtime, Visitor], scrypt: Scrypt
) -> None:
    runtime, visitor = one
    code, phrase = await raise_anonymously(visitor)
    assert runtime.sealer is not None
    nurse = Actor(platform=Platform.SLACK, tenant="T1", user_id="U0NURSE42")
    async with runtime.db.session() as session:
        chat_case = await raise_case(
            session,
            Concern(what="Short-staffed again", way=Way.CONFIDENTIAL),
            reporter=Reporter(
                actor=nurse,
                address=Conversation(platform=Platform.SLACK, tenant="T1", channel_id="D0NURSE"),
            ),
            sealer=runtime.sealer,
            today=runtime.clock.now().date(),
        )
    fields = await look_up_fields(visitor)
    work = {}
    for path, (given_code, given_phrase) in {
        "no such code": ("SU-2222-22", wrong(1)),
        "wrong passphrase": (code, wrong(2)),
        "right passphrase": (code, phrase),
        "chat case, no passphrase of its own": (chat_case.code, wrong(3)),
        "no passphrase given": ("SU-2222-23", ""),
    }.items():
        scrypt.reset()
        status, _page = await guess(visitor, fields, given_code, given_phrase)
        work[path] = (status, scrypt.calls)
    assert set(work.values()) == {(200, 1)}, work


async def test_the_same_form_sent_to_two_replicas_at_once_makes_one_case(
    database_url: str,
) -> None:
    key = generate_key()
    async with AsyncExitStack() as stack:
        first, first_url = await stack.enter_async_context(replica(database_url, key))
        _second, second_url = await stack.enter_async_context(replica(database_url, key))
        visitor = await stack.enter_async_context(browser(first_url))
        await visitor.open()
        await visitor.press("Start")
        sent = checked([*visitor.form_fields(), *ANONYMOUS])
        other = await stack.enter_async_context(
            ClientSession(base_url=second_url, cookie_jar=visitor.http.cookie_jar)
        )
        answers = await asyncio.gather(
            *(http.post("/speakup", data=sent) for http in (visitor.http, other) for _ in range(3))
        )
        pages = [await answer.text() for answer in answers]
        assert {answer.status for answer in answers} == {200}
        assert await cases(first) == 1
    codes = {CODE.search(page)[1] for page in pages}  # type: ignore[index]
    phrases = {PASSPHRASE.search(page)[1] for page in pages}  # type: ignore[index]
    assert len(codes) == len(phrases) == 1


async def test_a_token_from_another_replica_with_the_same_key_is_accepted(
    database_url: str,
) -> None:
    key = generate_key()
    async with (
        replica(database_url, key) as (_first, first_url),
        replica(database_url, key) as (_second, second_url),
        browser(first_url) as visitor,
        ClientSession(base_url=second_url, cookie_jar=visitor.http.cookie_jar) as other,
    ):
        await visitor.open()
        await visitor.press("Start")
        sent = checked([*visitor.form_fields(), *ANONYMOUS])
        response = await other.post("/speakup", data=sent)
        assert response.status == 200
        assert CODE.search(await response.text())


@pytest.mark.parametrize("token", ["forged", "another key"])
async def test_a_token_peerbot_did_not_sign_recently_is_refused(
    database_url: str, token: str
) -> None:
    async with (
        replica(database_url, generate_key()) as (runtime, url),
        replica(database_url, generate_key()) as (_elsewhere, elsewhere_url),
        browser(url) as visitor,
        ClientSession(base_url=elsewhere_url, cookie_jar=visitor.http.cookie_jar) as other,
    ):
        await visitor.open()
        await visitor.press("Start")
        fields = [*visitor.form_fields(), *ANONYMOUS]
        headers = {}
        if token == "forged":
            forged = "k" * 43
            visitor.http.cookie_jar.clear()
            headers = {"Cookie": f"{csrf.COOKIE}={forged}"}
            fields = [(k, forged if k == csrf.FIELD else v) for k, v in fields]
        target = other if token == "another key" else visitor.http
        response = await target.post("/speakup", data=fields, headers=headers)
        assert response.status == 403
        assert EXPIRED in await response.text()
        assert await cases(runtime) == 0


async def test_a_burst_of_concerns_hashes_their_passphrases_a_few_at_a_time(
    one: tuple[Runtime, Visitor], scrypt: Scrypt, caplog: pytest.LogCaptureFixture
) -> None:
    """Raising a case makes a slow hash too: a burst of sent forms waits for the same cores
    as look-ups do (never refused: a concern is never turned away for load)."""
    runtime, visitor = one
    await visitor.open()
    await visitor.press("Start")
    fields = visitor.form_fields()
    pages = [[(k, f"page-{n}" if k == "_submission" else v) for k, v in fields] for n in range(30)]
    caplog.set_level(logging.INFO)
    answers = await asyncio.gather(
        *(visitor.http.post("/speakup", data=checked([*page, *ANONYMOUS])) for page in pages)
    )
    assert {answer.status for answer in answers} == {200}
    assert await cases(runtime) == 30
    assert scrypt.calls == 30 and scrypt.most <= (os.cpu_count() or 1)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
