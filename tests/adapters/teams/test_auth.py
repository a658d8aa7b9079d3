"""Authentication tested for real, not switched off: tokens signed by a fake issuer on
loopback with its own key. Anything but a good token gets 401 and runs nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlmodel import select

from storage.outbox import OutboxRow
from storage.references import ConversationReference
from storage.seen import SeenEvent
from tests.adapters.teams.activities import fetch, said
from tests.adapters.teams.fake_issuer import (
    APP_ID,
    OUTBOUND,
    FixedCredentials,
    Issuer,
    LoginDown,
    fake_issuer,
)
from tests.adapters.teams.harness import Teams, serve

AUTHENTICATED = {"MICROSOFT_APP_ID": APP_ID, "MICROSOFT_APP_PASSWORD": "client-secret"}


@pytest.fixture
def issuer() -> Any:
    with fake_issuer() as issuer:
        yield issuer


@pytest.fixture
async def teams(sqlite_url: str, issuer: Issuer) -> AsyncIterator[Teams]:
    async with serve(sqlite_url, settings=AUTHENTICATED, credentials=FixedCredentials()) as teams:
        yield teams


async def nothing_ran(teams: Teams) -> None:
    await asyncio.sleep(0.3)
    assert teams.connector.calls == []
    async with teams.runtime.db.session() as session:
        assert (await session.exec(select(SeenEvent))).all() == []
        assert (await session.exec(select(ConversationReference))).all() == []


async def test_a_good_token_is_answered_and_peerbot_signs_what_it_sends(
    teams: Teams, issuer: Issuer
) -> None:
    response = await teams.post(said(teams.url, "support"), Authorization=issuer.token(teams.url))
    assert response.status == 200
    (sent,) = await teams.connector.wait_for("send")
    assert sent.authorization == OUTBOUND
    assert sent.body["from"]["id"] == f"28:{APP_ID}"
    health = await (await teams.client.get("/healthz")).json()
    assert "teams" not in health  # authentication is on: nothing to warn of


BAD_TOKENS: dict[str, Callable[[Issuer, str], str]] = {
    "no token": lambda _issuer, _url: "",
    "another bot's": lambda issuer, url: issuer.token(
        url, aud="22222222-3333-4444-5555-666666666666"
    ),
    "another issuer's": lambda issuer, url: issuer.token(url, iss="https://sts.example.com/"),
    "another service url's": lambda issuer, url: issuer.token(
        url, serviceurl="https://evil.example/"
    ),
    "expired": lambda issuer, url: issuer.token(url, exp=int(time.time()) - 3600, nbf=0),
    "malformed": lambda _issuer, _url: "Bearer not.a.token",
    "not a bearer": lambda issuer, url: issuer.token(url).replace("Bearer", "Basic"),
    "signed by another key": lambda issuer, url: issuer.forged(url),
}


@pytest.mark.parametrize("kind", list(BAD_TOKENS))
async def test_anything_but_a_good_token_is_401_and_runs_nothing(
    teams: Teams, issuer: Issuer, kind: str
) -> None:
    header = BAD_TOKENS[kind](issuer, teams.url)
    response = await teams.post(
        said(teams.url, "support"), **({"Authorization": header} if header else {})
    )
    assert response.status == 401
    await nothing_ran(teams)


@pytest.mark.parametrize("kind", ["no token", "expired", "another service url's"])
async def test_a_dialog_with_a_bad_token_opens_nothing(
    teams: Teams, issuer: Issuer, kind: str
) -> None:
    header = BAD_TOKENS[kind](issuer, teams.url)
    data = {"msteams": {"type": "task/fetch"}, "peerbot": {"action": "speakup.start"}}
    response = await teams.post(
        fetch(teams.url, data), **({"Authorization": header} if header else {})
    )
    assert response.status == 401
    assert "task" not in await response.text()
    await nothing_ran(teams)


async def test_slow_keys_from_microsoft_never_hold_up_anything_else(sqlite_url: str) -> None:
    """botbuilder fetches its keys with a blocking call: off the event loop, the health
    check (and every other platform) answers while a token waits for them."""
    with fake_issuer(delay=1.5) as slow:  # metadata, then keys: 3 s in all
        async with serve(
            sqlite_url, settings=AUTHENTICATED, credentials=FixedCredentials()
        ) as teams:
            checked = asyncio.create_task(
                teams.post(said(teams.url, "support"), Authorization=slow.token(teams.url))
            )
            await asyncio.sleep(0.1)
            started = time.monotonic()
            assert (await teams.client.get("/healthz")).status == 200
            assert time.monotonic() - started < 1.0  # the keys take 3 s to come
            assert (await checked).status == 200


async def test_without_a_token_of_its_own_peerbot_still_answers_dialogs_and_queues_messages(
    sqlite_url: str, issuer: Issuer
) -> None:
    async with serve(sqlite_url, settings=AUTHENTICATED, credentials=LoginDown()) as teams:
        good = issuer.token(teams.url)
        data = {"msteams": {"type": "task/fetch"}, "peerbot": {"action": "speakup.start"}}
        response = await teams.post(fetch(teams.url, data), Authorization=good)
        assert response.status == 200
        assert (await response.json())["task"]["type"] == "continue"  # the form, all the same
        await teams.post(said(teams.url, "support"), Authorization=good)
        async with asyncio.timeout(5):
            while not (queued := await rows(teams)):  # noqa: ASYNC110 (a row, not an event)
                await asyncio.sleep(0.05)
    assert teams.connector.calls == []  # nothing reached Microsoft unsigned
    (row,) = queued
    assert row.dedupe_key.startswith("teams-reply:")
    assert row.status in {"pending", "sending"}  # the worker may be trying it, in vain


async def rows(teams: Teams) -> list[OutboxRow]:
    async with teams.runtime.db.session() as session:
        return list((await session.exec(select(OutboxRow))).all())
