"""Neutral replies -> Adaptive Cards 1.5 (messages and dialogs), as plain Activity JSON.

People's words are shown in RichTextBlock text runs, which no Teams client reads as
markdown, so nothing anyone typed can turn into a link or a heading. Every card carries
its plain-text fallback; every moment is written with Adaptive Cards' DATE() and TIME(),
which each client shows on its own clock.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.conversation.actions import ActionId
from bot.conversation.forms import check_field, refill
from bot.conversation.replies import (
    Attachment,
    Block,
    Button,
    Buttons,
    ChoiceInput,
    Choices,
    DateTimeInput,
    FieldItem,
    Fields,
    Form,
    FormInput,
    Link,
    Notice,
    People,
    Reply,
    Secret,
    Text,
    TextInput,
    When,
    plain_text,
)

CARD = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
DATA = "peerbot"
"""Where peerbot's own data rides in a card action, apart from the inputs Teams adds."""
TIME_SUFFIX = ".time"
"""A date-and-time question is two inputs: the date under the field's name, the time here."""
EXPANDED_UP_TO = 6
"""Choices shown as radio buttons or tick boxes up to this many; a drop-down beyond."""
DIALOG_TITLE = 60
ACTIONS_IN_A_SET = 6
"""Buttons Teams shows in one set: beyond six it hides the rest behind a "…" menu, or older
clients drop them, so a longer row (a coordinator's pairs to open) is cut into sets."""
FALLBACK_UP_TO = 1000
"""Characters of a card's plain-text fallback, read only by a client that cannot show the
card: a long reply's whole text a second time would take it past the 28 KB or so that Teams
takes in one message."""
PRIVATE = "Private to you"


@dataclass(frozen=True, kw_only=True)
class Look:
    """Where a card is shown, which decides how its buttons and forms behave.

    `dialog`: inside a Teams dialog, whose buttons all submit to it. `shared`: a
    conversation others see (a channel, a group chat), where every answer must reach the
    presser alone, so every button opens a dialog. `private`: whether a button's answer
    (its action and value), or a form, belongs in a dialog even in the person's own chat
    (speak-up's, which the chat must keep no copy of). `file_url`: the signed link a file
    is opened from, None when it is too big for one. `seal`: a reply sealed for peerbot
    alone to open again (a form to open later in a dialog, or to give back as it was
    sent when it could not be answered in time).
    """

    dialog: bool = False
    shared: bool = False
    private: Callable[[ActionId, str], bool] = lambda _action, _value: False
    file_url: Callable[[Attachment], str | None] = lambda _file: None
    seal: Callable[[Reply], str] | None = None

    def opens_dialog(self, button: Button) -> bool:
        return not self.dialog and (self.shared or self.private(button.action, button.value))

    def keeps_out(self, reply: Reply) -> bool:
        """Whether `reply`, outside a dialog, must open from a card with one button rather
        than be put in the chat: a private form, or an answer for the asker alone that
        acts on something private (a case with a guardian's buttons on it)."""
        if self.dialog or self.seal is None:
            return False
        if reply.form is not None:
            return self.private(reply.form.form, "")
        return reply.ephemeral and any(
            self.private(b.action, b.value)
            for block in reply.blocks
            if isinstance(block, Buttons)
            for b in block.buttons
        )


def message(reply: Reply, look: Look) -> dict[str, Any]:
    """A message activity carrying the reply as one card; `summary` is what notifications
    show. What must stay out of the chat is not put there: an opener is, instead."""
    if look.seal is not None and look.keeps_out(reply):
        return opener(reply, look.seal(reply))
    return {
        "type": "message",
        "summary": reply.summary,
        "attachments": [attachment(card(reply, look))],
    }


def attachment(content: dict[str, Any]) -> dict[str, Any]:
    return {"contentType": CARD, "content": content}


def card(reply: Reply, look: Look) -> dict[str, Any]:
    """The reply as an Adaptive Card, its files as links, its whole text as the fallback."""
    return _card(list(_body(reply, look)), plain_text(reply))


def dialog(replies: Sequence[Reply], look: Look) -> dict[str, Any]:
    """A dialog (task module) showing `replies` in order: a form to fill in, or the answer
    that takes a form's place."""
    shown = [r for r in replies if r.blocks or r.files]
    form = next((r.form for r in shown if r.form is not None), None)
    title = form.title if form is not None else (shown[0].summary if shown else "peerbot")
    body = [element for reply in shown for element in _body(reply, look)]
    fallback = "\n".join(plain_text(r) for r in shown)
    return {
        "task": {
            "type": "continue",
            "value": {
                "title": _cut(title, DIALOG_TITLE),
                "width": "medium",
                "card": attachment(_card(body, fallback)),
            },
        }
    }


def dialog_note(text: str) -> dict[str, Any]:
    """A dialog that says one thing (something went wrong, the button has expired)."""
    return {"task": {"type": "message", "value": text}}


def opener(reply: Reply, sealed: str) -> dict[str, Any]:
    """A card whose one button opens `reply` in a dialog: what the chat must keep no copy
    of (a private form, a case), asked for where no dialog could open at once (a typed
    message). The reply travels in `sealed`, opened only by peerbot, never in clear."""
    title = reply.form.title if reply.form is not None else PRIVATE
    body: list[dict[str, Any]] = [
        *_text(title, heading=True),
        *_text("This opens in a private window, so your chat keeps no copy of it."),
        _action_set(
            [
                {
                    "type": "Action.Submit",
                    "title": "Open",
                    "style": "positive",
                    "data": {"msteams": {"type": "task/fetch"}, DATA: {"sealed": sealed}},
                }
            ]
        ),
    ]
    content = _card(body, f"{title}: open it from the card above.")
    return {"type": "message", "summary": title, "attachments": [attachment(content)]}


def _card(body: list[dict[str, Any]], fallback: str) -> dict[str, Any]:
    return {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": VERSION,
        "body": body,
        "fallbackText": _cut(fallback, FALLBACK_UP_TO),
    }


def _body(reply: Reply, look: Look) -> list[dict[str, Any]]:
    body = [element for block in reply.blocks for element in _elements(block, look)]
    if not reply.blocks:
        body += _text(reply.summary)
    for file in reply.files:
        body.append(_file(file, look))
    return body


def _elements(block: Block, look: Look) -> list[dict[str, Any]]:
    match block:
        case Text(text=text, heading=heading):
            return _text(text, heading=heading)
        case Fields(items=items):
            return [element for item in items for element in _field(item)]
        case Link(label=label, url=url):
            return [_action_set([_open_url(label, url)])]
        case When(label=label, at=at):
            return [
                *_text(label, bold=True),
                {"type": "TextBlock", "text": date_time(at), "wrap": True, "spacing": "None"},
            ]
        case Buttons(buttons=buttons):
            shown = [_button(b, look) for b in buttons]
            step = ACTIONS_IN_A_SET
            return [_action_set(shown[n : n + step]) for n in range(0, len(shown), step)]
        case Choices(label=label, action=action, options=options):
            choice = f"pick.{action}"
            return [
                {
                    "type": "Input.ChoiceSet",
                    "id": choice,
                    "label": label,
                    "style": "compact",
                    "placeholder": "Choose one",
                    "choices": [{"title": o.label, "value": o.value} for o in options],
                    "isRequired": True,
                    "errorMessage": "Please choose one",
                },
                _action_set(
                    [
                        _submit(
                            "Choose",
                            {"action": str(action), "pick": choice},
                            None,
                            dialog=look.shared and not look.dialog,
                        )
                    ]
                ),
            ]
        case Notice(title=title, text=text):
            return [*_text(title, heading=True), *_text(text)]
        case Secret(label=label, value=value):
            return [
                *_text(label, bold=True),
                {
                    "type": "RichTextBlock",
                    "spacing": "None",
                    "inlines": [
                        {"type": "TextRun", "text": value, "fontType": "Monospace", "size": "Large"}
                    ],
                },
            ]
        case People(label=label, empty=empty):
            names = ", ".join(block.names()) or empty
            return [*_text(label, bold=True), *(_text(names) if names else [])]
        case Form():
            return _form(block, look)
    raise TypeError(f"unknown block {block!r}")


def date_time(at: datetime) -> str:
    """Adaptive Cards' date and time functions: each client shows its own clock."""
    stamp = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{{{{DATE({stamp}, SHORT)}}}} at {{{{TIME({stamp})}}}}"


def _text(text: str, *, heading: bool = False, bold: bool = False) -> list[dict[str, Any]]:
    """Plain text, a paragraph per line; never read as markdown."""
    run: dict[str, Any] = {"type": "TextRun"}
    if heading:
        run |= {"size": "Large", "weight": "Bolder"}
    elif bold:
        run |= {"weight": "Bolder"}
    return [
        {"type": "RichTextBlock", "inlines": [run | {"text": line}]}
        for line in text.splitlines() or [""]
    ]


def _field(item: FieldItem) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = []
    if item.value:
        runs.append({"type": "TextRun", "text": item.value})
    for link in item.links:
        if runs:
            runs.append({"type": "TextRun", "text": " · "})
        runs.append(
            {
                "type": "TextRun",
                "text": link.label,
                "color": "Accent",
                "underline": True,
                "selectAction": {"type": "Action.OpenUrl", "url": link.url},
            }
        )
    value = [{"type": "RichTextBlock", "spacing": "None", "inlines": runs}] if runs else []
    return [*_text(item.label, bold=True), *value]


def _file(file: Attachment, look: Look) -> dict[str, Any]:
    url = look.file_url(file)
    if url is None:
        return _text(f"{file.name} is too big to open from here.")[0]
    title = "Add to my calendar" if file.media_type == "text/calendar" else f"Open {file.name}"
    return _action_set([_open_url(title, url)])


def _open_url(title: str, url: str) -> dict[str, Any]:
    return {"type": "Action.OpenUrl", "title": title, "url": url}


def _action_set(actions: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "ActionSet", "actions": actions}


def _button(button: Button, look: Look) -> dict[str, Any]:
    style = {"primary": "positive", "danger": "destructive"}.get(button.style)
    data = {"action": str(button.action), "value": button.value}
    return _submit(button.label, data, style, dialog=look.opens_dialog(button))


def _submit(
    title: str, data: dict[str, Any], style: str | None, *, dialog: bool = False
) -> dict[str, Any]:
    """An Action.Submit carrying peerbot's `data`; `dialog` makes Teams ask peerbot for a
    dialog to open (task/fetch) rather than send a message."""
    action: dict[str, Any] = {"type": "Action.Submit", "title": title, "data": {DATA: data}}
    if dialog:
        action["data"]["msteams"] = {"type": "task/fetch"}
    if style is not None:
        action["style"] = style
    return action


def _form(form: Form, look: Look) -> list[dict[str, Any]]:
    """A form's questions as inputs Teams checks before sending (required ones, lengths),
    each refused answer's reason beside it, and its send button carrying what the form
    carries unasked. `sent` names this showing of the form, so the same form sent twice
    is told apart from two forms; `spec` is the form itself, sealed and without any
    answers, to give it back as sent if it cannot be answered in time."""
    body: list[dict[str, Any]] = [*_text(form.title, heading=True)]
    if form.intro:
        body += _text(form.intro)
    if form.errors:
        body += _error("Please check the answers marked below.")
    for spec in form.inputs:
        body += _input(spec)
        if spec.hint:
            body.append(_subtle(spec.hint))
        if spec.field in form.errors:
            body += _error(form.errors[spec.field])
    data = {
        "form": str(form.form),
        "carried": dict(form.carried),
        "multiple": [s.field for s in form.inputs if isinstance(s, ChoiceInput) and s.multiple],
        "datetimes": [s.field for s in form.inputs if isinstance(s, DateTimeInput)],
        "sent": secrets.token_urlsafe(12),
    }
    if look.seal is not None:
        data["spec"] = look.seal(Reply(summary=form.title, blocks=(refill(form, {}, {}),)))
    body.append(_action_set([_submit(form.submit_label, data, "positive")]))
    return body


def _input(spec: FormInput) -> list[dict[str, Any]]:
    common: dict[str, Any] = {"id": spec.field, "label": spec.label, "isRequired": spec.required}
    if spec.required:
        common["errorMessage"] = check_field(spec, None) or ""
    match spec:
        case TextInput():
            text = common | {
                "type": "Input.Text",
                "isMultiline": spec.multiline,
                "maxLength": spec.max_length,
            }
            return [text | ({"value": spec.initial} if spec.initial else {})]
        case ChoiceInput():
            choice = common | {
                "type": "Input.ChoiceSet",
                "choices": [{"title": o.label, "value": o.value} for o in spec.options],
                "isMultiSelect": spec.multiple,
                "style": "expanded" if len(spec.options) <= EXPANDED_UP_TO else "compact",
                "wrap": True,
            }
            if spec.initial:
                choice["value"] = ",".join(spec.initial)
            return [choice]
        case DateTimeInput():
            day, _, time = spec.initial.partition("T")
            date = common | {"type": "Input.Date"} | ({"value": day} if day else {})
            clock = {
                "type": "Input.Time",
                "id": spec.field + TIME_SUFFIX,
                "label": f"{spec.label}: time",
                "isRequired": spec.required,
                "spacing": "Small",
            }
            if spec.required:
                clock["errorMessage"] = common["errorMessage"]
            return [date, clock | ({"value": time[:5]} if time else {})]
    raise TypeError(f"unknown input {spec!r}")


def _subtle(text: str) -> dict[str, Any]:
    return {
        "type": "RichTextBlock",
        "spacing": "None",
        "inlines": [{"type": "TextRun", "text": text, "isSubtle": True, "size": "Small"}],
    }


def _error(text: str) -> list[dict[str, Any]]:
    return [
        {
            "type": "RichTextBlock",
            "spacing": "None",
            "inlines": [{"type": "TextRun", "text": text, "color": "Attention"}],
        }
    ]


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
