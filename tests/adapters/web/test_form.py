"""The speak-up web form over real HTTP, into the real app and a real SQLite file."""

from __future__ import annotations

import html
import logging
import re

import pytest
from sqlalchemy import func
from sqlmodel import select

from adapters.runtime import Runtime
from adapters.web import scope
from bot.conversation.forms import SAVE_LATER
from bot.conversation.inbound import Actor, Platform
from bot.speakup import casework, feature
from bot.speakup.reporter import NO_MATCH
from storage.engine import Database
from storage.speakup.cases import Author, Case
from tests.adapters.database_lock import locked
from tests.adapters.web.conftest import (
    USER_AGENT,
    Posted,
    Visitor,
    cases,
    forms,
    open_web_runtime,
    serving,
)
from tests.fakes import FakeClock
from tests.outage import proxy_to
from tests.scenarios.test_speak_up import table_dump

CONCERN = "Agency nurses are left alone on nights with no induction on ward 9 <b>&"
CODE = re.compile(r'<code class="keep">(SU-[A-Z0-9]{4}-[A-Z0-9]{2})</code>')
PASSPHRASE = re.compile(r'<code class="keep">([A-Z0-9]{5}(?:-[A-Z0-9]{5}){3})</code>')
GUARDIAN = Actor(platform=Platform.SLACK, tenant="T1", user_id="U07GUARD01")
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
ANONYMOUS: Posted = [
    ("what", CONCERN),
    ("where_when", "Ward 9, most nights this month"),
    ("categories", "patient_safety"),
    ("categories", "worker_safety"),
    ("detriment", "no"),
    ("outcome", ""),
    ("way", "anonymous"),
    ("contact", ""),
]


def checked(fields: Posted) -> Posted:
    """A speak-up form's fields as sent from the check-your-answers page."""
    return [(k, "yes" if k == "reviewed" else v) for k, v in fields]


async def raise_anonymously(visitor: Visitor) -> tuple[str, str]:
    await visitor.open()
    await visitor.press("Start")
    await visitor.fill(ANONYMOUS)
    receipt = await visitor.fill([])  # Send, once the answers are checked
    code, phrase = CODE.search(receipt), PASSPHRASE.search(receipt)
    assert code and phrase, receipt
    return code[1], phrase[1]


async def look_up(visitor: Visitor, code: str, phrase: str) -> str:
    await visitor.open()
    await visitor.press("Check a case")
    return await visitor.fill([("code", code), ("passphrase", phrase)])


def main(page: str) -> str:
    return page.split("<main>", 1)[1].split("</main>", 1)[0]


async def test_a_guardian_can_be_written_to_or_called_in_one_tap(visitor: Visitor) -> None:
    page = await (await visitor.http.get("/speakup")).text()
    assert (
        '<a href="mailto:amara.okafor@riverside.example.nhs.uk">'
        "amara.okafor@riverside.example.nhs.uk</a>"
    ) in page
    assert '<a href="tel:01615550142">0161 555 0142 (ext. 4142)</a>' in page


async def test_the_first_page_says_who_sees_what_and_who_to_call(visitor: Visitor) -> None:
    response = await visitor.http.get("/speakup")
    page = await response.text()
    assert response.status == 200
    assert response.content_type == "text/html"
    for words in ("Anonymously", "Confidentially", "This page keeps no record of you"):
        assert words in page
    assert "If you or someone else is at risk right now" in page
    assert "Samaritans" in page
    assert "Amara Okafor" in page  # a guardian to contact directly
    assert [f.button for f in forms(page)] == ["Start", "Check a case"]
    assert '<meta name="viewport"' in page
    assert "<script" not in page and "style=" not in page
    # nothing from elsewhere; links to write to or call a guardian load nothing
    assert not re.search(r'(?:src|href|action)="(?![/#]|mailto:|tel:)', page)
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    (cookie,) = response.headers.getall("Set-Cookie")
    assert cookie.startswith("peerbot_csrf=")
    for flag in ("HttpOnly", "Path=/speakup", "SameSite=Strict"):
        assert flag in cookie
    assert "Secure" not in cookie  # plain http here; see test_csrf for https


async def test_the_stylesheet_and_unknown_paths_carry_the_same_guards(visitor: Visitor) -> None:
    style = await visitor.http.get("/speakup/style.css")
    assert style.status == 200 and style.content_type == "text/css"
    missing = await visitor.http.get("/speakup/nothing-here")
    wrong_method = await visitor.http.put("/speakup")
    for response in (style, missing, wrong_method):
        assert response.headers["Content-Security-Policy"] == CSP
        assert response.headers["Cache-Control"] == "no-store"
    assert (missing.status, wrong_method.status) == (404, 405)
    assert wrong_method.headers["Allow"] == "GET,HEAD,POST"


@pytest.mark.parametrize(
    ("method", "path", "title"),
    [("GET", "/speakup/nothing-here", "Page not found"), ("PUT", "/speakup", "That did not work")],
)
async def test_a_wrong_address_or_method_is_a_page_of_ours_with_the_way_back(
    visitor: Visitor, method: str, path: str, title: str
) -> None:
    """Not the server's bare "404: Not Found", which a screen reader reads as an untitled
    document with no heading; elsewhere on the server nothing changes."""
    response = await visitor.http.request(method, path)
    page = await response.text()
    assert response.content_type == "text/html"
    assert f"<title>{title}</title>" in page and f"<h1>{title}</h1>" in page
    assert '<html lang="en">' in page and '<a href="/speakup">Back to the start</a>' in page
    elsewhere = await visitor.http.get("/nothing-here")
    assert elsewhere.status == 404 and elsewhere.content_type == "text/plain"


@pytest.mark.parametrize("token", ["missing", "wrong", "no cookie"])
async def test_a_post_without_this_browsers_token_is_refused_and_makes_no_case(
    visitor: Visitor, runtime: Runtime, token: str
) -> None:
    await visitor.open()
    await visitor.press("Start")
    fields = [(k, v) for k, v in visitor.form_fields() if k != "_csrf"]
    if token == "wrong":
        fields.append(("_csrf", "x" * 43))
    elif token == "no cookie":
        fields = visitor.form_fields()
        visitor.http.cookie_jar.clear()
    page = await visitor.post([*fields, *ANONYMOUS])
    assert visitor.status == 403
    assert "This page has expired. Please go back, reload and try again." in page
    assert await cases(runtime) == 0


async def test_a_half_filled_form_shows_each_problem_and_keeps_what_was_typed(
    visitor: Visitor, runtime: Runtime
) -> None:
    await visitor.open()
    await visitor.press("Start")
    page = await visitor.fill(
        [
            ("what", "  "),
            ("where_when", "Ward 9 <nights> & weekends"),
            ("categories", "worker_safety"),
            ("outcome", "Proper induction for agency staff"),
        ]
    )
    assert visitor.status == 200
    assert '<div class="error-summary" role="alert"' in page
    assert '<a href="#f-what">Please fill in “What happened?”</a>' in page
    assert '<a href="#f-way">Please choose an answer to “How do you want to speak up?”</a>' in page
    assert '<p class="error" id="f-what-error">Please fill in “What happened?”</p>' in page
    assert 'aria-describedby="f-what-error"' in page
    assert 'value="Ward 9 &lt;nights&gt; &amp; weekends"' in page
    assert "Proper induction for agency staff" in page
    assert re.search(r'value="worker_safety"[^>]* checked', page)
    assert await cases(runtime) == 0


async def test_nothing_is_stored_while_the_answers_are_checked_and_one_case_after_send(
    visitor: Visitor, runtime: Runtime
) -> None:
    """The check-your-answers page is a real step: until Send is pressed on it, there is
    no case, so closing the page there sends nothing."""
    await visitor.open()
    await visitor.press("Start")
    review = await visitor.fill(ANONYMOUS)
    assert "Nothing has been sent yet." in review
    assert await cases(runtime) == 0
    receipt = await visitor.fill([])  # Send, on the check-your-answers page
    assert CODE.search(receipt), receipt
    assert await cases(runtime) == 1


async def test_a_form_sent_while_the_database_is_locked_keeps_what_was_typed(
    visitor: Visitor, runtime: Runtime
) -> None:
    await visitor.open()
    await visitor.press("Start")
    await visitor.fill(ANONYMOUS)  # the answers, to check
    async with locked(runtime):
        page = await visitor.fill([])
    assert visitor.status == 200
    assert html.escape(SAVE_LATER) in page
    assert html.escape(CONCERN, quote=True) in page or html.escape(CONCERN) in page
    assert await cases(runtime) == 0
    await visitor.fill([])  # the same page, sent again once the lock is gone
    assert visitor.status == 200 and await cases(runtime) == 1


async def test_an_error_the_form_could_not_check_names_its_field_in_the_summary(
    visitor: Visitor, runtime: Runtime
) -> None:
    """Not just the checks' own errors: "couldn't save" and "could not open a case" name
    the field their link goes to, so the list reads right on its own."""
    await visitor.open()
    await visitor.press("Start")
    await visitor.fill(ANONYMOUS)
    async with locked(runtime):
        page = await visitor.fill([])
    saving = html.escape(f"“What happened?”: {SAVE_LATER}")
    assert f'<li><a href="#f-what">{saving}</a></li>' in page
    assert f'<p class="error" id="f-what-error">{html.escape(SAVE_LATER)}</p>' in page

    code, phrase = await raise_anonymously(visitor)
    await look_up(visitor, code, phrase)
    assert isinstance(runtime.clock, FakeClock)
    runtime.clock.advance(minutes=90)  # adding asks for code and passphrase again
    await visitor.press("Add something")
    page = await visitor.fill([("passphrase", "AAAAA-BBBBB-CCCCC-DDDDD"), ("text", "Again.")])
    no_match = html.escape(f"“Passphrase, if you were given one”: {NO_MATCH}")
    assert f'<li><a href="#f-passphrase">{no_match}</a></li>' in page


async def test_an_anonymous_reporter_comes_back_with_code_and_passphrase(
    visitor: Visitor, runtime: Runtime
) -> None:
    code, phrase = await raise_anonymously(visitor)
    assert "We cannot contact you, so please check back." in visitor.page
    assert "Received, waiting for a guardian" in await look_up(visitor, code, phrase)
    assert runtime.sealer is not None
    async with runtime.db.session() as session:
        await casework.write(
            session,
            GUARDIAN,
            code,
            Author.GUARDIAN,
            "Thank you. I will raise induction with the matron <today>.",
            sealer=runtime.sealer,
            now=runtime.clock.now(),
        )
    page = await look_up(visitor, code, phrase.lower().replace("-", " "))
    assert f"Case {code}" in page
    assert "A guardian is working on it" in page
    assert "Thank you. I will raise induction with the matron &lt;today&gt;." in page
    form = await visitor.press("Add something")
    assert 'name="passphrase"' not in form and 'name="code"' not in main(form).split("<form")[0]
    assert f"Case {code}." in form  # just opened on this page: nothing is asked again
    added = await visitor.fill([("text", "It happened again last night.")])
    assert "Added to your case" in added


@pytest.mark.parametrize("typed", ["AAAAA-BBBBB-CCCCC-DDDDD", ""], ids=["wrong", "missing"])
async def test_a_wrong_or_missing_passphrase_when_adding_keeps_what_was_written(
    visitor: Visitor, runtime: Runtime, typed: str
) -> None:
    code, phrase = await raise_anonymously(visitor)
    await look_up(visitor, code, phrase)
    assert isinstance(runtime.clock, FakeClock)
    runtime.clock.advance(minutes=90)  # the page was left open: adding asks again
    await visitor.press("Add something")
    page = await visitor.fill([("passphrase", typed), ("text", "Again.")])
    assert '<p class="error" id="f-passphrase-error">' in page
    assert ">Again.</textarea>" in page  # what was written is all there
    # right under the refusal: not "optional" to the anonymous reporter who has one
    assert '<label for="f-passphrase">Passphrase, if you were given one</label>' in page
    added = await visitor.fill([("passphrase", phrase)])
    assert "Added to your case" in added


async def test_a_wrong_passphrase_gets_the_same_answer_as_a_wrong_code(
    visitor: Visitor,
) -> None:
    code, _phrase = await raise_anonymously(visitor)
    wrong_phrase = main(await look_up(visitor, code, "AAAAA-BBBBB-CCCCC-DDDDD"))
    wrong_code = main(await look_up(visitor, "SU-2222-22", "AAAAA-BBBBB-CCCCC-DDDDD"))
    assert wrong_phrase == wrong_code == f"\n<h1>Speak up</h1>\n<p>{html.escape(NO_MATCH)}</p>\n"


async def test_the_same_page_sent_twice_makes_one_case(visitor: Visitor, runtime: Runtime) -> None:
    await visitor.open()
    await visitor.press("Start")
    sent = checked([*visitor.form_fields(), *ANONYMOUS])
    first = CODE.search(await visitor.post(sent))
    second = CODE.search(await visitor.post(sent))
    assert first and second and first[1] == second[1]
    assert await cases(runtime) == 1


async def test_a_confidential_web_case_needs_a_way_to_reach_the_reporter(
    visitor: Visitor, runtime: Runtime
) -> None:
    await visitor.open()
    await visitor.press("Start")
    confidential = [(k, "confidential" if k == "way" else v) for k, v in ANONYMOUS]
    page = await visitor.fill(confidential)
    assert '<p class="error" id="f-contact-error">' in page
    assert "Please say how the guardian can reach you, or choose anonymously." in page
    assert html.escape(CONCERN) in page
    assert await cases(runtime) == 0
    contact = [(k, "Sam, 07700 900123" if k == "contact" else v) for k, v in confidential]
    await visitor.fill(contact)
    receipt = await visitor.fill([])  # Send, once the answers are checked
    assert CODE.search(receipt) and PASSPHRASE.search(receipt)
    assert "The guardian may also use the contact details you gave." in receipt
    assert await cases(runtime) == 1


FORM_BODY = "application/x-www-form-urlencoded"
CASEWORK = [("_action", a) for a in feature.ACTIONS if a not in scope.ACTIONS] + [
    ("_form", f) for f in feature.FORMS if f not in scope.FORMS
]
"""Every guardian button and form: speak-up's too, but never the web form's."""
CASEWORK_FIELDS = "_value=SU-2222-22&_submission=s&code=SU-2222-22&text=Closing+this"
MULTI_WAY = "_multi=way&way=anonymous"
"""The way to speak up sent as a list of boxes, which no page of ours shows."""


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("_form=speakup.nope&_submission=s", "application/x-www-form-urlencoded"),
        *((f"{field}={action}&{CASEWORK_FIELDS}", FORM_BODY) for field, action in CASEWORK),
        ("_action=help.open&_value=events", "application/x-www-form-urlencoded"),
        ("_action=not-an-action-id", "application/x-www-form-urlencoded"),
        ("_form=speakup.raise", "application/x-www-form-urlencoded"),
        ("_form=speakup.raise&_submission=s&what=a&what=b", "application/x-www-form-urlencoded"),
        (f"_form=speakup.raise&_submission=s&what=a&contact=Sam&{MULTI_WAY}", FORM_BODY),
        ("_form=speakup.raise&_submission=s&what=a&_multi=what", FORM_BODY),
        ("_form=speakup.raise&_submission=s&_multi=categories&_multi=categories", FORM_BODY),
        ("_form=speakup.raise&_submission=s&what=a&_multi=nope&nope=1", FORM_BODY),
        ("_form=speakup.lookup&_submission=s&code=SU-2222-22&_multi=_csrf", FORM_BODY),
        ("_form=speakup.lookup&_submission=s&code=SU-2222-22&what=a", FORM_BODY),
        ("nothing=here", "application/x-www-form-urlencoded"),
        ("%%%garbage", "application/x-www-form-urlencoded"),
        ("what=%ff%fe", "application/x-www-form-urlencoded"),
        ("what=" + "a" * 200_000, "application/x-www-form-urlencoded"),
        ('{"_form": "speakup.raise"}', "application/json"),
    ],
)
async def test_a_post_no_page_of_ours_sends_is_a_400_not_a_crash(
    visitor: Visitor, runtime: Runtime, body: str, content_type: str
) -> None:
    await visitor.open()
    token = dict(forms(visitor.page)[0].hidden)["_csrf"]
    response = await visitor.http.post(
        "/speakup",
        data=f"_csrf={token}&{body}".encode(),
        headers={"Content-Type": content_type},
    )
    assert response.status == 400
    assert "Sorry, we could not read what was sent." in await response.text()
    assert response.headers["Content-Security-Policy"] == CSP
    assert (await visitor.http.get("/healthz")).status == 200
    assert await cases(runtime) == 0


async def test_nothing_about_the_visitor_is_logged_or_stored(
    visitor: Visitor, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    code, phrase = await raise_anonymously(visitor)
    await look_up(visitor, code, phrase)
    await look_up(visitor, code, "AAAAA-BBBBB-CCCCC-DDDDD")
    await visitor.open()
    await visitor.press("Start")
    await visitor.fill([(k, "open" if k == "way" else v) for k, v in ANONYMOUS])
    await visitor.http.post("/speakup", data="%%%", headers={"Content-Type": "text/plain"})
    await visitor.http.post("/speakup", data={"_csrf": "wrong"})
    assert caplog.records, "the flow logs nothing at all: the check below would prove nothing"
    dump = await table_dump(runtime)
    for trace in ("127.0.0.1", USER_AGENT, "NightShiftPhone"):
        assert trace not in caplog.text
        assert trace not in dump


async def test_a_page_left_open_too_long_keeps_the_concern_and_takes_it_again(
    visitor: Visitor, runtime: Runtime
) -> None:
    await visitor.open()
    await visitor.press("Start")
    old_token = dict(visitor.form_fields())["_csrf"]
    assert isinstance(runtime.clock, FakeClock)
    runtime.clock.advance(hours=3)  # the night shift got busy
    page = await visitor.fill(ANONYMOUS)
    assert visitor.status == 200
    assert "This page was open a long time, so nothing was sent yet." in page
    assert html.escape(CONCERN, quote=False) in page  # what was typed is all there
    assert 'value="Ward 9, most nights this month"' in page
    assert await cases(runtime) == 0
    assert dict(visitor.form_fields())["_csrf"] != old_token  # a fresh token

    await visitor.fill([])  # sent again as it stands, to check
    receipt = await visitor.fill([])
    assert CODE.search(receipt), receipt
    assert await cases(runtime) == 1


async def test_a_page_whose_cookie_the_phone_dropped_keeps_the_concern_and_takes_it_again(
    visitor: Visitor, runtime: Runtime
) -> None:
    """A phone browser that was closed drops its session cookies, the CSRF one too: the
    concern comes back as typed, with a fresh token, as for a page left open too long.
    Nothing is done with it, and a post from another site is still refused outright."""
    visitor.http.headers["Sec-Fetch-Site"] = "same-origin"  # as a browser says of our pages
    await visitor.open()
    await visitor.press("Start")
    fields = visitor.form_fields()
    visitor.http.cookie_jar.clear()
    page = await visitor.post([*fields, *ANONYMOUS])
    assert visitor.status == 200
    assert "This page was open a long time, so nothing was sent yet." in page
    assert html.escape(CONCERN, quote=False) in page
    assert await cases(runtime) == 0

    await visitor.fill([])  # sent again as it stands, to check: a fresh cookie and token
    receipt = await visitor.fill([])
    assert CODE.search(receipt), receipt
    assert await cases(runtime) == 1

    visitor.http.cookie_jar.clear()
    refused = await visitor.http.post(
        "/speakup", data=[*fields, *ANONYMOUS], headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert refused.status == 403 and CONCERN not in await refused.text()


async def test_a_form_sent_while_postgresql_is_away_keeps_what_was_typed(
    postgres_url: str,
) -> None:
    """The database cut off (a restart, a network fault): the page comes back as typed,
    asking to send it again, not as an error; once the database is back, sending it again
    raises the case."""
    async with proxy_to(postgres_url) as proxy:
        runtime = await open_web_runtime(proxy.url(postgres_url))
        async with serving(runtime) as base, Visitor.session(base) as session:
            visitor = Visitor(session)
            await visitor.open()
            await visitor.press("Start")
            await visitor.fill(ANONYMOUS)
            await proxy.down()
            page = await visitor.fill([])
            assert visitor.status == 200
            assert html.escape(SAVE_LATER) in page
            await proxy.up()
            receipt = await visitor.fill([])
        assert visitor.status == 200 and CODE.search(receipt)
        database = Database(postgres_url)
        try:
            async with database.session(write=False) as read:
                assert (await read.exec(select(func.count()).select_from(Case))).one() == 1
        finally:
            await database.dispose()
