"""Behind the organisation's own reverse proxy, each visitor is the address the proxy saw."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import NamedTuple

import pytest

from bot.speakup.reporter import NO_MATCH
from tests.adapters.web.conftest import Visitor, open_web_runtime, serving
from tests.adapters.web.test_form import look_up, raise_anonymously


class Served(NamedTuple):
    url: str
    behind_proxy: bool


@pytest.fixture(params=[True, False], ids=["behind a proxy", "facing visitors"])
async def server(request: pytest.FixtureRequest, sqlite_url: str) -> AsyncIterator[Served]:
    runtime = await open_web_runtime(sqlite_url, PEERBOT_BEHIND_PROXY=str(request.param))
    async with serving(runtime) as url:
        yield Served(url, request.param)


def visitor_from(base_url: str, address: str) -> Visitor:
    session = Visitor.session(base_url)
    session.headers.update({"X-Forwarded-For": f"203.0.113.99, {address}"})
    return Visitor(session)


async def test_one_visitors_wrong_codes_do_not_lock_out_the_next(server: Served) -> None:
    behind_proxy = server.behind_proxy
    guesser = visitor_from(server.url, "10.0.0.7")
    reporter = visitor_from(server.url, "10.0.0.8")
    async with guesser.http, reporter.http:
        code, phrase = await raise_anonymously(reporter)
        for _ in range(5):
            assert NO_MATCH in await look_up(guesser, "SU-2222-22", "AAAAA-BBBBB-CCCCC-DDDDD")
        page = await look_up(reporter, code, phrase)
    # facing visitors directly, the forwarded header is anyone's claim: both are 127.0.0.1
    assert (f"Case {code}" in page) is behind_proxy
    assert ("checking is paused for" in page) is not behind_proxy  # too many tries from here


async def test_the_cookie_is_secure_when_the_proxy_says_https(server: Served) -> None:
    behind_proxy = server.behind_proxy
    async with Visitor.session(server.url) as http:
        http.headers["X-Forwarded-Proto"] = "https"
        response = await http.get("/speakup")
        cookie = response.headers["Set-Cookie"]
    assert ("Secure" in cookie) is behind_proxy
