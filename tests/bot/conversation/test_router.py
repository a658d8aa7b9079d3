"""The router's table: each event reaches exactly one handler, and nothing goes unanswered."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.conversation.actions import ActionId
from bot.conversation.inbound import (
    Actor,
    ButtonPressed,
    Command,
    Conversation,
    FormSubmitted,
    Platform,
    TextMessage,
)
from bot.conversation.replies import Reply, say
from bot.conversation.router import Feature, Router, normalise
from bot.conversation.services import Services
from storage.engine import Database
from tests.fakes import FakeClock

ACTOR = Actor(platform=Platform.CONSOLE, tenant="local", user_id="u1")
WHERE = Conversation(platform=Platform.CONSOLE, tenant="local", channel_id="console")
AT = datetime(2026, 11, 2, 9, tzinfo=UTC)
PING = ActionId("demo", "ping")
FORM = ActionId("demo", "form")


async def echo_command(command: Command, _s: Services) -> list[Reply]:
    return [say(f"command {command.name} {' '.join(command.args)}".strip())]


async def echo_action(press: ButtonPressed, _s: Services) -> list[Reply]:
    return [say(f"action {press.action} {press.value}")]


async def echo_form(form: FormSubmitted, _s: Services) -> list[Reply]:
    return [say(f"form {form.form} {dict(form.values)}")]


async def fallback(command: Command, _s: Services) -> list[Reply]:
    return [say(f"help for {command.name!r}")]


DEMO = Feature(
    name="demo",
    title="Demo",
    summary="A demo.",
    commands={"demo": echo_command, "speak-up": echo_command},
    actions={PING: echo_action},
    forms={FORM: echo_form},
)


@pytest.fixture
def services(sqlite_db: Database) -> Services:
    return Services(db=sqlite_db, clock=FakeClock())


async def texts(router: Router, event: object, services: Services) -> list[str]:
    return [r.summary for r in await router.handle(event, services)]  # type: ignore[arg-type]


async def test_typed_text_is_a_command_with_arguments(services: Services) -> None:
    router = Router([DEMO], fallback=fallback)
    event = TextMessage(actor=ACTOR, conversation=WHERE, at=AT, text="  DEMO one two ")
    assert await texts(router, event, services) == ["command DEMO one two"]


async def test_command_names_ignore_slash_case_and_hyphens(services: Services) -> None:
    router = Router([DEMO], fallback=fallback)
    event = Command(actor=ACTOR, conversation=WHERE, at=AT, name="/SpeakUp")
    assert await texts(router, event, services) == ["command /SpeakUp"]
    assert normalise("/Speak-Up") == normalise("speakup") == "speakup"


async def test_unknown_text_gets_the_fallback_not_silence(services: Services) -> None:
    router = Router([DEMO], fallback=fallback)
    event = TextMessage(actor=ACTOR, conversation=WHERE, at=AT, text="what is this")
    assert await texts(router, event, services) == ["help for 'what'"]


async def test_buttons_and_forms_reach_their_handlers(services: Services) -> None:
    router = Router([DEMO], fallback=fallback)
    press = ButtonPressed(actor=ACTOR, conversation=WHERE, at=AT, action=PING, value="7")
    form = FormSubmitted(actor=ACTOR, conversation=WHERE, at=AT, form=FORM, values={"a": "b"})
    assert await texts(router, press, services) == ["action demo.ping 7"]
    assert await texts(router, form, services) == ["form demo.form {'a': 'b'}"]


async def test_unknown_button_or_form_gets_the_fallback(services: Services) -> None:
    router = Router([DEMO], fallback=fallback)
    stale = ActionId("gone", "button")
    press = ButtonPressed(actor=ACTOR, conversation=WHERE, at=AT, action=stale)
    form = FormSubmitted(actor=ACTOR, conversation=WHERE, at=AT, form=stale, values={})
    assert await texts(router, press, services) == ["help for ''"]
    assert await texts(router, form, services) == ["help for ''"]


def test_two_features_cannot_claim_the_same_command() -> None:
    twin = Feature(name="twin", title="Twin", summary="", commands={"Demo": echo_command})
    with pytest.raises(ValueError, match="claimed by two features"):
        Router([DEMO, twin], fallback=fallback)


def test_action_ids_round_trip_and_refuse_junk() -> None:
    assert ActionId.parse(str(PING)) == PING
    for junk in ("nodot", ".x", "x.", "a.b.c"):
        with pytest.raises(ValueError):
            ActionId.parse(junk)


def test_a_feature_may_claim_only_actions_named_for_it() -> None:
    """`confidential` knows a feature's presses by their names: one named for another
    feature (as guardian casework's once were) would slip past it."""
    stray = Feature(
        name="secret",
        title="Secret",
        summary="",
        commands={"secret": echo_command},
        actions={ActionId("other", "press"): echo_action},
        confidential=True,
    )
    with pytest.raises(ValueError, match=r"secret claims actions named for another feature"):
        Router([stray], fallback=fallback)
