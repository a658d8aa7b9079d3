"""Neutral replies as HTML: nothing anyone wrote is read as markup, and every field is labelled."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from adapters.web.app import STYLESHEET
from adapters.web.render import message, page
from bot.conversation.actions import OPEN, ActionId
from bot.conversation.forms import refill
from bot.conversation.replies import (
    Button,
    Buttons,
    Choices,
    DateTimeInput,
    FieldItem,
    Fields,
    Form,
    Notice,
    Option,
    Reply,
    Secret,
    Text,
    say,
)
from bot.speakup.reporter import ADD, LOOKUP, RAISE_FORM

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
TOKEN = "t" * 43


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))


def tags(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def test_every_word_is_escaped_wherever_it_appears() -> None:
    hostile_form = Form(form=LOOKUP, title=HOSTILE, intro=HOSTILE, inputs=RAISE_FORM.inputs)
    reply = Reply(
        summary=HOSTILE,
        blocks=(
            Text(text=HOSTILE, heading=True),
            Text(text=HOSTILE),
            Fields(items=(FieldItem(label=HOSTILE, value=HOSTILE),)),
            Buttons(buttons=(Button(label=HOSTILE, action=ADD, value=HOSTILE),)),
            Choices(label=HOSTILE, action=ADD, options=(Option(value=HOSTILE, label=HOSTILE),)),
            refill(hostile_form, {"what": HOSTILE, "way": HOSTILE}, {"what": HOSTILE}),
            Notice(title=HOSTILE, text=HOSTILE),
            Secret(label=HOSTILE, value=HOSTILE),
        ),
    )
    html = page([reply], token=TOKEN) + message(HOSTILE, HOSTILE)
    assert "<script" not in html and "<img" not in html
    assert {tag for tag, _ in tags(html)} <= {
        *("html", "head", "meta", "title", "link", "body", "main", "footer", "a", "p"),
        *("h1", "h2", "dl", "div", "dt", "dd", "form", "input", "button", "label", "span"),
        *("textarea", "fieldset", "legend", "ul", "li", "section", "code"),
    }


def test_every_control_has_a_label_and_every_form_a_token() -> None:
    form = refill(RAISE_FORM, {}, {"what": "Please fill this in."})
    html = page([Reply(summary="Speak up", blocks=(form,))], token=TOKEN)
    found = tags(html)
    labelled = {a["for"] for t, a in found if t == "label"}
    controls = [a for t, a in found if t in {"input", "textarea"} and a.get("type") != "hidden"]
    assert controls and all(a["id"] in labelled for a in controls)
    assert '<p class="error" id="f-what-error">Please fill this in.</p>' in html
    assert sum(1 for t, a in found if t == "form") == html.count('name="_csrf"')
    assert re.search(r'<textarea[^>]* maxlength="5000"', html)
    assert re.search(r'type="radio"[^>]* required', html)
    assert not re.search(r'type="checkbox"[^>]* required', html)  # none of them is a must


def test_buttons_the_web_cannot_answer_are_left_out() -> None:
    reply = Reply(
        summary="Home",
        blocks=(
            Buttons(
                buttons=(
                    Button(label="Speak up", action=OPEN, value="speakup"),
                    Button(label="Events", action=OPEN, value="events"),
                    Button(label="Sign up", action=ActionId("events", "signup")),
                    Button(label="Add something", action=ADD, value="SU-2222-22"),
                )
            ),
        ),
    )
    html = page([reply], token=TOKEN)
    assert '<a class="button secondary" href="/speakup">Speak up</a>' in html
    assert "Events" not in html and "Sign up" not in html
    assert 'name="_action" value="speakup.add"' in html
    assert 'name="_value" value="SU-2222-22"' in html


def test_a_date_and_time_comes_back_in_the_browsers_own_format() -> None:
    form = Form(
        form=LOOKUP, title="When", inputs=(DateTimeInput(field="at", label="When?", hint="Local"),)
    )
    html = page(
        [Reply(summary="When", blocks=(refill(form, {"at": "2026-12-01 14:30"}, {}),))], token=TOKEN
    )
    assert 'type="datetime-local" value="2026-12-01T14:30"' in html


def test_a_secret_is_one_whole_token_set_apart_and_notices_are_left_as_written() -> None:
    """The code and passphrase come as Secret blocks; nothing hunts for them in text, so a
    code someone typed into a notice stays plain words."""
    reply = Reply(
        summary="Thanks",
        blocks=(
            Notice(title="Thank you for speaking up", text="You wrote about SU-7K3M-Q9."),
            Secret(label="Your passphrase", value="ABCDE-FGHJK-MNPQR-STUVW"),
        ),
    )
    html = page([reply], token=TOKEN)
    assert "<p>You wrote about SU-7K3M-Q9.</p>" in html
    assert (
        '<dl class="secret"><dt>Your passphrase</dt>'
        '<dd><code class="keep">ABCDE-FGHJK-MNPQR-STUVW</code></dd></dl>'
    ) in html
    keep = STYLESHEET.decode().split(".keep {", 1)[1].split("}", 1)[0]
    for rule in ("white-space: nowrap;", "word-break: keep-all;", "user-select: all;"):
        assert rule in keep
    assert "anywhere" not in keep


def test_every_page_has_one_h1_even_when_its_reply_brings_no_heading() -> None:
    """A one-line answer, like "We could not open a case", is a whole page on the web."""
    headed = page([Reply(summary="Case", blocks=(Text(text="Case", heading=True),))], token=TOKEN)
    for html in (page([say("We could not open a case.")], token=TOKEN), headed):
        assert [t for t, _ in tags(html) if t == "h1"] == ["h1"]
