"""Whatever bytes people send, what reaches a handler holds no control character."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from bot.conversation.actions import ActionId
from bot.conversation.inbound import Actor, Conversation, FormSubmitted, Platform
from bot.conversation.plain import plain, plain_event

ACTOR = Actor(platform=Platform.WEB, tenant="web", user_id="v1")
WHERE = Conversation(platform=Platform.WEB, tenant="web", channel_id="web")
AT = datetime(2026, 11, 2, 9, tzinfo=UTC)
ANY_TEXT = st.text(alphabet=st.characters(codec="utf-8"))


def is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc" and char not in "\n\t"


@given(ANY_TEXT)
def test_no_control_character_survives_but_newlines_and_tabs(text: str) -> None:
    made = plain(text)
    assert not any(is_control(c) for c in made)
    assert made == plain(made)  # once is enough
    kept = [c for c in text.replace("\r\n", "\n").replace("\r", "\n") if not is_control(c)]
    assert made == "".join(kept)  # nothing else is touched


@given(st.dictionaries(st.text(max_size=5), st.one_of(st.none(), ANY_TEXT, st.tuples(ANY_TEXT))))
def test_every_form_value_is_made_plain(values: dict[str, str | tuple[str] | None]) -> None:
    form = FormSubmitted(
        actor=ACTOR, conversation=WHERE, at=AT, form=ActionId("demo", "form"), values=values
    )
    made = plain_event(form)
    assert isinstance(made, FormSubmitted)
    assert made.values.keys() == values.keys()
    for value in made.values.values():
        texts = [] if value is None else [value] if isinstance(value, str) else list(value)
        assert not any(is_control(c) for text in texts for c in text)


def test_a_terminal_escape_code_loses_its_escape() -> None:
    assert plain("ward 9\x1b[2J\x1b]0;pwned\x07\x00 nights\r\nsecond\x9b") == (
        "ward 9[2J]0;pwned nights\nsecond"
    )
