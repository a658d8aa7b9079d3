"""Posted web forms -> neutral events. Anything our pages never send is Malformed (a 400)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from urllib.parse import parse_qsl

from adapters.web import csrf
from adapters.web.scope import ACTIONS, FORMS, SPECS
from bot.conversation.actions import ActionId
from bot.conversation.inbound import (
    Actor,
    ButtonPressed,
    Conversation,
    FieldValue,
    FormSubmitted,
    Surface,
)
from bot.conversation.replies import ChoiceInput, Form

ACTION = "_action"
VALUE = "_value"
FORM = "_form"
SUBMISSION = "_submission"
MULTI = "_multi"
"""Names a field whose boxes may be ticked several times (or not at all): a browser sends
nothing for no ticks and one pair per tick, so the page says which fields are lists."""
RESERVED = frozenset({ACTION, VALUE, FORM, SUBMISSION, MULTI, csrf.FIELD})
MAX_FIELDS = 100
PAGE = Surface(can_open_form=True)
"""A web page can always show a form; a posted form's answer is the next page."""

Posted = dict[str, list[str]]


class Malformed(Exception):
    """A post no page of ours would send: a script, a bot, or a broken proxy."""


def fields(body: bytes) -> Posted:
    """Every posted name with its values, in order."""
    try:
        pairs = parse_qsl(
            body.decode("ascii"),
            keep_blank_values=True,
            strict_parsing=True,
            errors="strict",
            max_num_fields=MAX_FIELDS,
        )
    except ValueError as exc:  # UnicodeDecodeError is one too
        raise Malformed("not a form body") from exc
    found: Posted = defaultdict(list)
    for name, value in pairs:
        found[name].append(value)
    return dict(found)


def event(
    posted: Posted, actor: Actor, conversation: Conversation, at: datetime
) -> ButtonPressed | FormSubmitted:
    """A button press when the post names an action, a filled-in form when it names a form."""
    if ACTION in posted:
        return ButtonPressed(
            actor=actor,
            conversation=conversation,
            at=at,
            action=_allowed(_one(posted, ACTION), ACTIONS),
            value=_one(posted, VALUE) if VALUE in posted else "",
            surface=PAGE,
        )
    if FORM in posted:
        submission = _one(posted, SUBMISSION)
        if not submission:
            raise Malformed("a form without its submission token")
        form = _allowed(_one(posted, FORM), FORMS)
        return FormSubmitted(
            actor=actor,
            conversation=conversation,
            at=at,
            form=form,
            values=values(posted, SPECS[form]),
            submission=submission,
            surface=Surface(in_form=True, can_open_form=True),
        )
    raise Malformed("neither a button nor a form")


def values(posted: Posted, spec: Form) -> dict[str, FieldValue]:
    """Only the fields of the form the page showed (and what it carries), each in the shape
    it has there: a list only for boxes that may be ticked several times, and each field's
    list named once."""
    lists = posted.get(MULTI, [])
    multiple = {i.field for i in spec.inputs if isinstance(i, ChoiceInput) and i.multiple}
    if len(set(lists)) != len(lists) or not set(lists) <= multiple:
        raise Malformed("a list field the form does not have")
    known = {i.field for i in spec.inputs} | set(spec.carried)
    found: dict[str, FieldValue] = {name: () for name in lists}
    for name, given in posted.items():
        if name in RESERVED:
            continue
        if name not in known:
            raise Malformed("a field the form does not have")
        found[name] = tuple(given) if name in lists else _one(posted, name)
    return found


def _one(posted: Posted, name: str) -> str:
    given = posted.get(name, [])
    if len(given) != 1:
        raise Malformed(f"{name} sent {len(given)} times")
    return given[0]


def _allowed(text: str, allowed: frozenset[ActionId]) -> ActionId:
    try:
        action = ActionId.parse(text)
    except ValueError as exc:
        raise Malformed("not an action id") from exc
    if action not in allowed:
        raise Malformed("not a speak-up action")
    return action
