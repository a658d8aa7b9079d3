"""The reply plan, alone: where each reply goes for each kind of event and surface."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.conversation.actions import ActionId
from bot.conversation.inbound import (
    Actor,
    ButtonPressed,
    Command,
    Conversation,
    FormSubmitted,
    InboundEvent,
    Platform,
    Surface,
    TextMessage,
    person_of,
)
from bot.conversation.plan import (
    OpenForm,
    Post,
    Refuse,
    ReplaceForm,
    Step,
    UpdatePressed,
    plan,
    shared_to,
)
from bot.conversation.replies import Attachment, Form, Reply, TextInput, say

ACTOR = Actor(platform=Platform.SLACK, tenant="T1", user_id="U1")
DM = Conversation(platform=Platform.SLACK, tenant="T1", channel_id="D1", is_private=True)
SHARED = Conversation(platform=Platform.SLACK, tenant="T1", channel_id="C1", is_private=False)
THEIR_DM = person_of(ACTOR)
"""Where an answer for the asker alone waits if it must wait: their DM, never the channel."""
AT = datetime(2026, 11, 2, 9, tzinfo=UTC)
FORM_ID = ActionId("demo", "form")
FORM = Form(form=FORM_ID, title="Demo", inputs=(TextInput(field="what", label="What?"),))
REFUSED = Form(form=FORM_ID, title="Demo", inputs=FORM.inputs, errors={"what": "Please say."})

OPENLY = say("hello")
ONLY_YOU = say("just you", ephemeral=True)
A_FORM = Reply(summary="Demo", blocks=(FORM,))
A_REFUSAL = Reply(summary="Please check", blocks=(REFUSED,))
IN_PLACE = Reply(summary="chosen", in_place=True)

OPENS = Surface(can_open_form=True)
RESPONSE_URL = Surface(can_open_form=True, asker_only=True)
IN_MODAL = Surface(in_form=True, can_open_form=True)
ON_MESSAGE = Surface(on_message=True, can_open_form=True, asker_only=True)
PLAIN = Surface()


def typed(where: Conversation = DM, surface: Surface = PLAIN) -> TextMessage:
    return TextMessage(actor=ACTOR, conversation=where, at=AT, text="hi", surface=surface)


def command(surface: Surface, where: Conversation = DM) -> Command:
    return Command(actor=ACTOR, conversation=where, at=AT, name="x", surface=surface)


def pressed(surface: Surface, where: Conversation = DM) -> ButtonPressed:
    return ButtonPressed(
        actor=ACTOR, conversation=where, at=AT, action=ActionId("demo", "go"), surface=surface
    )


def submitted(where: Conversation = DM) -> FormSubmitted:
    return FormSubmitted(
        actor=ACTOR, conversation=where, at=AT, form=FORM_ID, values={},
        surface=Surface(in_form=True),
    )  # fmt: skip


CASES: list[tuple[str, InboundEvent, list[Reply], list[Step]]] = [
    ("said openly in a DM: a message", typed(), [OPENLY], [Post(reply=OPENLY, later=DM)]),
    (
        "ephemeral in a DM: to the asker",
        typed(),
        [ONLY_YOU],
        [Post(reply=ONLY_YOU, later=THEIR_DM, only_asker=True)],
    ),
    (
        "in a shared channel: to the asker",
        typed(SHARED),
        [OPENLY],
        [Post(reply=OPENLY, later=THEIR_DM, only_asker=True)],
    ),
    (
        "a slash command's answer: to the asker",
        command(RESPONSE_URL),
        [OPENLY],
        [Post(reply=OPENLY, later=THEIR_DM, only_asker=True)],
    ),
    ("a form where one can open", command(OPENS), [A_FORM], [OpenForm(reply=A_FORM)]),
    ("a form where none can open: posted", typed(), [A_FORM], [Post(reply=A_FORM, later=DM)]),
    (
        "a form from a button in a form: stacked",
        pressed(IN_MODAL),
        [A_FORM],
        [OpenForm(reply=A_FORM, stacked=True)],
    ),
    (
        "an answer to a button in a form: replaces it",
        pressed(IN_MODAL),
        [OPENLY, ONLY_YOU],
        [ReplaceForm(reply=OPENLY), ReplaceForm(reply=ONLY_YOU)],
    ),
    (
        "a submitted form's answer replaces it; the rest are posted",
        submitted(),
        [OPENLY, ONLY_YOU],
        [ReplaceForm(reply=OPENLY), Post(reply=ONLY_YOU, later=THEIR_DM, only_asker=True)],
    ),
    (
        "a submitted form's next step replaces it",
        submitted(),
        [A_FORM],
        [ReplaceForm(reply=A_FORM)],
    ),
    (
        "a refused form stays open, and nothing else is said",
        submitted(),
        [OPENLY, A_REFUSAL],
        [Refuse(reply=A_REFUSAL)],
    ),
    ("a submitted form with no answer closes", submitted(), [], []),
    (
        "in place on a message: the pressed message is updated",
        pressed(ON_MESSAGE),
        [IN_PLACE, ONLY_YOU],
        [UpdatePressed(reply=IN_PLACE), Post(reply=ONLY_YOU, later=THEIR_DM, only_asker=True)],
    ),
    (
        "in place without a message to update: posted",
        typed(),
        [IN_PLACE],
        [Post(reply=IN_PLACE, later=DM)],
    ),
    (
        "in place inside a form: replaces the form",
        pressed(IN_MODAL),
        [IN_PLACE],
        [ReplaceForm(reply=IN_PLACE)],
    ),
]


INVITE = Attachment(name="invite.ics", media_type="text/calendar", data=b"BEGIN:VCALENDAR")
WITH_FILE = Reply(summary="You're going", files=(INVITE,))
PLACED = Reply(summary="You're going", in_place=True, files=(INVITE,))
CASES += [
    (
        "a file said in a DM: into the DM",
        typed(),
        [WITH_FILE],
        [Post(reply=WITH_FILE, later=DM, files_to=DM)],
    ),
    (
        "a file said in a shared channel: to the asker's DM, never the channel",
        typed(SHARED),
        [WITH_FILE],
        [Post(reply=WITH_FILE, later=THEIR_DM, only_asker=True, files_to=THEIR_DM)],
    ),
    (
        "a file with a message updated in a channel: to the asker's DM",
        pressed(ON_MESSAGE, SHARED),
        [PLACED],
        [UpdatePressed(reply=PLACED, files_to=THEIR_DM)],
    ),
    (
        "a file with a form's answer: to the DM the form was opened from",
        submitted(),
        [WITH_FILE],
        [ReplaceForm(reply=WITH_FILE, files_to=DM)],
    ),
]


@pytest.mark.parametrize(
    ("event", "replies", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_the_plan(event: InboundEvent, replies: list[Reply], expected: list[Step]) -> None:
    assert plan(event, replies) == expected


REPLIES = st.lists(st.sampled_from([OPENLY, ONLY_YOU, A_FORM, IN_PLACE]), max_size=5)
SURFACES = st.builds(Surface, **dict.fromkeys(
    ("in_form", "on_message", "can_open_form", "asker_only"), st.booleans()
))  # fmt: skip
PLACES = st.sampled_from([DM, SHARED])


@given(replies=REPLIES, surface=SURFACES, where=PLACES)
def test_every_reply_goes_somewhere_once_in_order(
    replies: list[Reply], surface: Surface, where: Conversation
) -> None:
    assert [s.reply for s in plan(pressed(surface, where), replies)] == replies


@given(replies=REPLIES, surface=SURFACES)
def test_nothing_is_posted_openly_in_a_shared_channel(
    replies: list[Reply], surface: Surface
) -> None:
    for step in plan(typed(SHARED, surface), replies):
        assert not isinstance(step, Post) or step.only_asker


@given(replies=REPLIES, surface=SURFACES, where=PLACES)
def test_what_waits_for_later_or_brings_a_file_never_goes_openly_into_a_shared_channel(
    replies: list[Reply], surface: Surface, where: Conversation
) -> None:
    for step in plan(pressed(surface, where), [*replies, WITH_FILE]):
        assert shared_to(step) in (None, DM, THEIR_DM)
        assert not isinstance(step, Post) or step.later in (DM, THEIR_DM)


@given(replies=REPLIES, surface=SURFACES, where=PLACES)
def test_a_form_opens_only_where_one_can(
    replies: list[Reply], surface: Surface, where: Conversation
) -> None:
    opened = [s for s in plan(command(surface, where), replies) if isinstance(s, OpenForm)]
    assert surface.can_open_form or not opened
