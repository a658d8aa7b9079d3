"""Neutral replies -> Block Kit messages and modals, checked against slack_sdk's own limits."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from slack_sdk.models.blocks import Block as SlackBlock
from slack_sdk.models.views import View

from adapters.slack import parse
from bot.conversation.inbound import PersonAddress, Platform
from bot.conversation.replies import (
    Block,
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
    Option,
    People,
    Reply,
    Secret,
    Text,
    TextInput,
    When,
    moment,
)

SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
TITLE_LIMIT = 24
BUTTON_LIMIT = 75
MESSAGE_BLOCKS = 50
MODAL_BLOCKS = 100
USER_ID = re.compile(r"[A-Z0-9]{1,64}")
"""What a Slack user id is made of: nothing in it can end a `<@...>` mention early."""


def message(reply: Reply) -> dict[str, Any]:
    """`text` (the notification fallback) and `blocks` for chat.postMessage and friends."""
    blocks = [b for block in reply.blocks for b in _blocks(block)]
    _validate(blocks)
    return {"text": reply.summary[:SECTION_LIMIT], "blocks": blocks[:MESSAGE_BLOCKS]}


def modal(form: Form, *, private_metadata: str = "") -> dict[str, Any]:
    """A modal that keeps no copy in chat history; `callback_id` names the form. What the
    form carries unasked travels in its private_metadata, which Slack hands back as sent."""
    if form.carried:
        private_metadata = metadata({**parse.metadata_of(private_metadata), **carry(form.carried)})
    blocks: list[dict[str, Any]] = []
    if form.intro:
        blocks += _section_texts(form.intro)
    blocks += [_input(spec) for spec in form.inputs]
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": str(form.form),
        "title": _plain(form.title, TITLE_LIMIT),
        "submit": _plain(form.submit_label, TITLE_LIMIT),
        "close": _plain("Cancel", TITLE_LIMIT),
        "private_metadata": private_metadata,
        "blocks": blocks,
    }
    View(**view).to_dict()  # validates the view and every block inside it
    return view


def answer_view(reply: Reply, *, private_metadata: str = "") -> dict[str, Any]:
    """What replaces a submitted modal: the answer itself (a receipt, a case, a reason), shown
    where the form was and never posted into the chat. Its buttons work inside the modal."""
    blocks = [b for block in reply.blocks for b in _blocks(block)]
    view: dict[str, Any] = {
        "type": "modal",
        "title": _plain("peerbot", TITLE_LIMIT),
        "close": _plain("Close", TITLE_LIMIT),
        "private_metadata": private_metadata,
        "blocks": blocks[:MODAL_BLOCKS],
    }
    View(**view).to_dict()  # validates the view and every block inside it
    return view


def field_errors(form: Form) -> dict[str, str]:
    """`response_action: errors` wants block ids; ours are the field names."""
    return {field: message[:FIELD_LIMIT] for field, message in form.errors.items()}


def metadata(data: dict[str, str]) -> str:
    return json.dumps(data, separators=(",", ":"))


def carry(values: Mapping[str, str]) -> dict[str, str]:
    """A form's carried values as private_metadata keys, apart from peerbot's own."""
    return {f"{parse.CARRIED}{name}": value for name, value in values.items()}


def _blocks(block: Block) -> list[dict[str, Any]]:
    match block:
        case Text(text=text, heading=True):
            return [{"type": "header", "text": _plain(text, 150)}]
        case Text(text=text):
            return _section_texts(text)
        case Fields(items=items):
            fields = [
                {
                    "type": "mrkdwn",
                    "text": f"*{_escape(i.label)}*\n{_field_value(i)}"[:FIELD_LIMIT],
                }
                for i in items
            ]
            return [
                {"type": "section", "fields": fields[n : n + 10]} for n in range(0, len(fields), 10)
            ]
        case Buttons(buttons=buttons):
            elements = [
                {
                    "type": "button",
                    "text": _plain(b.label, BUTTON_LIMIT),
                    "action_id": f"{b.action}#{n}",
                    "value": b.value,
                    **({"style": b.style} if b.style != "default" else {}),
                }
                for n, b in enumerate(buttons)
            ]
            return [
                {"type": "actions", "elements": elements[n : n + 25]}
                for n in range(0, len(elements), 25)
            ]
        case Choices(label=label, action=action, options=options):
            return [
                {
                    "type": "section",
                    "text": _plain(label, SECTION_LIMIT),
                    "accessory": {
                        "type": "static_select",
                        "action_id": str(action),
                        "placeholder": _plain("Choose", BUTTON_LIMIT),
                        "options": [_option(o) for o in options[:100]],
                    },
                }
            ]
        case Link():
            return [{"type": "section", "text": {"type": "mrkdwn", "text": _link(block)}}]
        case When(label=label, at=at):
            text = f"*{_escape(label)}*\n{date_token(at)}"
            return [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
        case Notice(title=title, text=text):
            return [{"type": "header", "text": _plain(title, 150)}, *_section_texts(text)]
        case Secret(label=label, value=value):
            return [_secret(label, value)]
        case People(label=label, people=people, empty=empty):
            pairs = zip(people, block.names(), strict=True)
            names = "\n".join(_mention(p, name) for p, name in pairs) or _escape(empty)
            text = f"*{_escape(label)}*\n{names}" if names else f"*{_escape(label)}*"
            return [
                {"type": "section", "text": {"type": "mrkdwn", "text": part}}
                for part in split(text, SECTION_LIMIT)
            ]
        case Form():
            return []  # a form opens as a modal, never inside a message
    raise TypeError(f"unknown block {block!r}")


def _input(spec: FormInput) -> dict[str, Any]:
    element: dict[str, Any]
    if isinstance(spec, TextInput):
        element = {
            "type": "plain_text_input",
            "multiline": spec.multiline,
            "max_length": min(spec.max_length, 3000),
        }
        if spec.initial:
            element["initial_value"] = spec.initial
    elif isinstance(spec, ChoiceInput):
        element = {
            "type": "checkboxes" if spec.multiple else "static_select",
            "options": [_option(o) for o in spec.options],
        }
        if not spec.multiple:
            element["placeholder"] = _plain("Choose one", BUTTON_LIMIT)
        chosen = [_option(o) for o in spec.options if o.value in spec.initial]
        if chosen and spec.multiple:
            element["initial_options"] = chosen
        elif chosen:
            element["initial_option"] = chosen[0]
    elif isinstance(spec, DateTimeInput):
        element = {"type": "plain_text_input", "placeholder": _plain("2026-12-01 14:30", 150)}
        if spec.initial:
            element["initial_value"] = spec.initial
    element["action_id"] = spec.field
    block: dict[str, Any] = {
        "type": "input",
        "block_id": spec.field,
        "label": _plain(spec.label, FIELD_LIMIT),
        # Slack takes an empty answer only from an optional block, and then labels it
        # "(optional)" itself, even where the label says who may leave it (see says_when)
        "optional": not spec.required,
        "element": element,
    }
    if spec.hint:
        block["hint"] = _plain(spec.hint, FIELD_LIMIT)
    return block


def _secret(label: str, value: str) -> dict[str, Any]:
    """Rich text, not mrkdwn: the value goes as it is, in code style, with no escaping or
    formatting that could change what is copied."""
    return {
        "type": "rich_text",
        "elements": [
            {
                "type": "rich_text_section",
                "elements": [
                    {"type": "text", "text": f"{label}\n", "style": {"bold": True}},
                    {"type": "text", "text": value, "style": {"code": True}},
                ],
            }
        ],
    }


def _option(option: Option) -> dict[str, Any]:
    return {"text": _plain(option.label, BUTTON_LIMIT), "value": option.value}


def _section_texts(text: str) -> list[dict[str, Any]]:
    """Long text is split over several sections at line or word breaks, never cut off."""
    return [
        {"type": "section", "text": _plain(part, SECTION_LIMIT)}
        for part in split(text, SECTION_LIMIT)
    ]


def split(text: str, limit: int) -> list[str]:
    parts: list[str] = []
    while len(text) > limit:
        cut = max(text.rfind("\n", 0, limit), text.rfind(" ", 0, limit))
        cut = cut if cut > 0 else limit
        parts.append(text[:cut])
        text = text[cut:].lstrip()
    return [*parts, text] if text or not parts else parts


def _plain(text: str, limit: int) -> dict[str, Any]:
    """Plain text: people's words are never read as markup. Titles are shortened with an
    ellipsis only where Slack allows no more (a modal title has 24 characters)."""
    return {
        "type": "plain_text",
        "text": text if len(text) <= limit else text[: limit - 1] + "…",
        "emoji": True,
    }


def _field_value(item: FieldItem) -> str:
    parts = [_escape(item.value)] if item.value else []
    return " · ".join([*parts, *(_link(link) for link in item.links)])


def _link(link: Link) -> str:
    """Slack's `<url|label>`; the url was checked when the link was made (no `|` or `>`)."""
    return f"<{link.url}|{_escape(link.label)}>"


def _mention(person: PersonAddress, name: str) -> str:
    """A Slack user as a mention, which Slack shows as their name to each viewer; anyone
    else (another platform's id, or one that is not a Slack user id at all) as `name`, in
    plain text, so it can never become a mention of someone else, a link or `<!channel>`."""
    if person.platform == Platform.SLACK and USER_ID.fullmatch(person.user_id):
        return f"<@{person.user_id}>"
    return _escape(name)


def date_token(at: datetime) -> str:
    """Slack's date token: each person's Slack shows it on their own clock; the fallback
    (for clients that cannot) names its zone."""
    stamp = int(at.timestamp())
    fallback = _escape(moment(at, UTC))
    return f"<!date^{stamp}^{{date_short_pretty}} at {{time}}|{fallback}>"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_VALID: set[bytes] = set()
"""Digests of block lists already checked, so the same menu is checked once, not per
message (the check is most of the cost of a reply). Digests only: no words are kept."""
_VALID_KEPT = 4096


def _validate(blocks: list[dict[str, Any]]) -> None:
    key = hashlib.blake2b(json.dumps(blocks, sort_keys=True).encode(), digest_size=16).digest()
    if key in _VALID:
        return
    for block in blocks:
        parsed = SlackBlock.parse(block)
        if parsed is None:
            raise ValueError(f"not a Block Kit block: {block.get('type')}")
        parsed.to_dict()  # validates the block and every element inside it
    if len(_VALID) >= _VALID_KEPT:
        _VALID.clear()
    _VALID.add(key)
