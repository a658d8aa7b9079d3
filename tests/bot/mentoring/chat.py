"""People using mentoring through the real router, as the console sends them: typed words,
pressed buttons and filled-in forms, by their console names (senior `s1` and frontline
`f1` of pair 1; `kwame`, who coordinates reverse mentoring in the example file)."""

from __future__ import annotations

from collections.abc import Mapping

from bot.conversation.actions import ActionId
from bot.conversation.inbound import (
    Actor,
    ButtonPressed,
    Conversation,
    FieldValue,
    FormSubmitted,
    Platform,
    Surface,
    TextMessage,
)
from bot.conversation.replies import Buttons, Form, Reply, plain_text
from bot.conversation.router import Router
from bot.conversation.sealing import Sealer, generate_key, sealer
from bot.conversation.services import Services
from tests.bot.events.staff_fixtures import router as every_feature

COORDINATOR = "kwame"
KEY = sealer(generate_key())


def router(sealed: Sealer | None = KEY) -> Router:
    """Every feature as `peerbot run` builds them; mentoring with a sealing key unless told."""
    return every_feature(sealed)


def actor(who: str) -> Actor:
    return Actor(platform=Platform.CONSOLE, tenant="local", user_id=who)


def where(who: str) -> Conversation:
    return Conversation(
        platform=Platform.CONSOLE, tenant="local", channel_id="console", user_id=who
    )


async def typed(router: Router, services: Services, who: str, text: str) -> list[Reply]:
    message = TextMessage(
        actor=actor(who),
        conversation=where(who),
        at=services.clock.now(),
        text=text,
        surface=Surface(can_open_form=True),
    )
    return await router.handle(message, services)


async def pressed(
    router: Router, services: Services, who: str, action: ActionId, value: str = ""
) -> list[Reply]:
    press = ButtonPressed(
        actor=actor(who),
        conversation=where(who),
        at=services.clock.now(),
        action=action,
        value=value,
        surface=Surface(can_open_form=True),
    )
    return await router.handle(press, services)


async def submitted(
    router: Router,
    services: Services,
    who: str,
    form: Form,
    answers: Mapping[str, FieldValue],
    *,
    submission: str = "",
) -> list[Reply]:
    """The form sent back with what it carries and `answers`, as every platform sends it."""
    sent = FormSubmitted(
        actor=actor(who),
        conversation=where(who),
        at=services.clock.now(),
        form=form.form,
        values={**form.carried, **answers},
        submission=submission,
        surface=Surface(in_form=True, can_open_form=True),
    )
    return await router.handle(sent, services)


def form_in(replies: list[Reply]) -> Form:
    (form,) = [r.form for r in replies if r.form is not None]
    return form


def button(replies: list[Reply], label: str) -> tuple[ActionId, str]:
    """The first button labelled `label`: what pressing it sends."""
    found = [
        b
        for r in replies
        for block in r.blocks
        if isinstance(block, Buttons)
        for b in block.buttons
    ]
    pressed_one = next(b for b in found if b.label == label)
    return pressed_one.action, pressed_one.value


def text(replies: list[Reply]) -> str:
    return "\n".join(plain_text(r) for r in replies)


async def my_hours(
    services: Services, who: str, days: str, quiet: tuple[str, str], zone: str = ""
) -> str:
    """`mentoring hours`, filled in: working `days` ("1,2,3": Tuesday to Thursday), no
    messages from `quiet[0]` to `quiet[1]`, and their own time zone if given."""
    chat = router()
    form = form_in(await typed(chat, services, who, "mentoring hours"))
    answers: dict[str, FieldValue] = {
        "days": tuple(days.split(",")),
        "quiet_from": quiet[0],
        "quiet_until": quiet[1],
        "time_zone": zone,
    }
    return text(await submitted(chat, services, who, form, answers))
