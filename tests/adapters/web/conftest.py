"""A real peerbot server on a loopback port, served the way `peerbot run` serves it, and a
visitor that posts exactly what each page's forms hold, as a browser would."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from aiohttp import ClientResponse, ClientSession, CookieJar, web
from sqlmodel import func, select

from adapters.runtime import Runtime, open_runtime
from adapters.server import app_runner, create_app
from bot.conversation.sealing import generate_key
from bot.organisation.config import load_settings
from bot.organisation.sync import apply_org_file
from storage.speakup.cases import Case
from tests.fakes import FakeClock
from tests.scenarios.test_speak_up import EXAMPLE

USER_AGENT = "Mozilla/5.0 (NightShiftPhone; ward-9-handset) TestBrowser/1.0"
Posted = list[tuple[str, str]]


async def open_web_runtime(database_url: str, **settings: str) -> Runtime:
    """`settings` may bring the sealing key: replicas of one peerbot share theirs."""
    runtime = await open_runtime(
        load_settings(
            database_url=database_url.replace("+aiosqlite", ""),
            **{"PEERBOT_SEALING_KEY": generate_key(), **settings},
        ),
        clock=FakeClock(),
    )
    await apply_org_file(runtime.db, EXAMPLE)
    return runtime


@asynccontextmanager
async def serving(runtime: Runtime) -> AsyncIterator[str]:
    """The server set up exactly as `peerbot run` sets it up, on a free loopback port."""
    runner = app_runner(create_app(runtime))
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def runtime(sqlite_url: str) -> Runtime:
    return await open_web_runtime(sqlite_url)


@pytest.fixture
async def base_url(runtime: Runtime) -> AsyncIterator[str]:
    async with serving(runtime) as url:
        yield url


@pytest.fixture
async def visitor(base_url: str) -> AsyncIterator[Visitor]:
    async with Visitor.session(base_url) as session:
        yield Visitor(session)


async def cases(runtime: Runtime) -> int:
    async with runtime.db.session() as session:
        return int((await session.exec(select(func.count()).select_from(Case))).one())


@dataclass
class FoundForm:
    hidden: Posted = field(default_factory=list)
    shown: Posted = field(default_factory=list)
    button: str = ""


class _Forms(HTMLParser):
    """Each <form>'s fields as a browser would post them untouched, and its button's words."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[FoundForm] = []
        self._text: str | None = None  # the tag whose words are being read

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        given = {k: v or "" for k, v in attrs}
        kind = given.get("type")
        if tag == "form":
            self.forms.append(FoundForm())
        elif tag == "input" and kind == "hidden":
            self.forms[-1].hidden.append((given["name"], given["value"]))
        elif tag == "input" and (kind not in {"radio", "checkbox"} or "checked" in given):
            self.forms[-1].shown.append((given["name"], given.get("value", "")))
        elif tag == "textarea":
            self.forms[-1].shown.append((given["name"], ""))
        self._text = tag if tag in {"button", "textarea"} else None

    def handle_data(self, data: str) -> None:
        if self._text == "button":
            self.forms[-1].button += data
        elif self._text == "textarea":
            name, typed = self.forms[-1].shown[-1]
            self.forms[-1].shown[-1] = (name, typed + data)

    def handle_endtag(self, tag: str) -> None:
        self._text = None


def forms(page: str) -> list[FoundForm]:
    parser = _Forms()
    parser.feed(page)
    return parser.forms


@dataclass
class Visitor:
    """One browser: its cookie jar holds the CSRF cookie, its User-Agent is recognisable."""

    http: ClientSession
    page: str = ""
    status: int = 0

    @staticmethod
    def session(base_url: str) -> ClientSession:
        # unsafe: the test server is on an IP address, where aiohttp keeps no cookies otherwise
        return ClientSession(
            base_url=base_url,
            cookie_jar=CookieJar(unsafe=True),
            headers={"User-Agent": USER_AGENT},
        )

    async def open(self) -> str:
        return await self._read(await self.http.get("/speakup"))

    async def press(self, label: str) -> str:
        form = next(f for f in forms(self.page) if f.button == label)
        return await self.post(form.hidden)

    async def fill(self, values: Sequence[tuple[str, str]]) -> str:
        """Send the page's form with these values typed and ticked over what it shows."""
        form = self._form()
        typed = {name for name, _ in values}
        kept = [(name, value) for name, value in form.shown if name not in typed]
        return await self.post([*form.hidden, *kept, *values])

    def form_fields(self) -> Posted:
        return self._form().hidden

    def _form(self) -> FoundForm:
        return next(f for f in forms(self.page) if "_submission" in dict(f.hidden))

    async def post(self, data: Posted) -> str:
        return await self._read(await self.http.post("/speakup", data=data))

    async def _read(self, response: ClientResponse) -> str:
        self.status, self.page = response.status, await response.text()
        return self.page
