"""Neutral replies -> plain, escaped, semantic HTML that works on any phone without JavaScript.

Every word from a reply is escaped: people's own words come back in these pages (a case's
messages, a refilled form), and none of them may ever be read as markup.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, tzinfo
from html import escape

from adapters.web import csrf
from adapters.web.parse import ACTION, FORM, MULTI, SUBMISSION, VALUE
from adapters.web.scope import ACTIONS, PATH, opens_start
from bot.conversation.forms import parse_local_datetime, problems
from bot.conversation.replies import (
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
    marked_optional,
    moment,
)

STYLE = f"{PATH}/style.css"
TITLE = "Speak up"
"""The heading of a page whose replies bring none (a one-line answer, like a case that
could not be opened): every page has an <h1>, the first thing a screen reader offers."""

NO_FILES = "This page cannot give you the file {name}. You can get it in chat with peerbot."
Attributes = Mapping[str, str | int | bool | None]


def page(replies: Sequence[Reply], *, token: str, home: bool = False, zone: tzinfo = UTC) -> str:
    """One answer as a whole page; `token` goes into every form (see csrf). Times are
    shown in the organisation's `zone`, named: a visitor's own is not known."""
    writer = _Writer(token, zone)
    body = "\n".join(writer.reply(reply) for reply in replies)
    if not writer.headed:
        body = f"<h1>{TITLE}</h1>\n{body}"
    title = replies[0].summary if replies else TITLE
    return _document(title, body, home=home)


def message(title: str, text: str) -> str:
    """A page with no form: a refusal or an apology."""
    return _document(title, f"<h1>{escape(title)}</h1>\n{_paragraphs(text)}", home=False)


def _document(title: str, body: str, *, home: bool) -> str:
    back = "" if home else f'<footer><a href="{PATH}">Back to the start</a></footer>\n'
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n"
        f'<link rel="stylesheet" href="{STYLE}">\n'
        f"</head>\n<body>\n<main>\n{body}\n</main>\n{back}</body>\n</html>\n"
    )


class _Writer:
    """Writes one page: the first heading is its <h1>, the rest are <h2>."""

    def __init__(self, token: str, zone: tzinfo) -> None:
        self._token = token
        self._zone = zone
        self.headed = False

    def reply(self, reply: Reply) -> str:
        body = [self._block(block) for block in reply.blocks] or [_paragraphs(reply.summary)]
        # a download would need a page of its own; this one form keeps nothing to serve
        body += [_paragraphs(NO_FILES.format(name=f.name)) for f in reply.files]
        return "\n".join(body)

    def heading(self, text: str) -> str:
        level = 2 if self.headed else 1
        self.headed = True
        return f"<h{level}>{escape(text)}</h{level}>"

    def _block(self, block: Block) -> str:
        match block:
            case Text(text=text, heading=True):
                return self.heading(text)
            case Text(text=text):
                return _paragraphs(text)
            case Fields(items=items):
                rows = "".join(
                    f"<div><dt>{escape(i.label)}</dt><dd>{_field_value(i)}</dd></div>"
                    for i in items
                )
                return f'<dl class="fields">{rows}</dl>'
            case Link():
                return f"<p>{_link(block)}</p>"
            case When(label=label, at=at):
                shown = f"{moment(at, self._zone)} ({getattr(self._zone, 'key', 'UTC')} time)"
                stamp = _attributes({"datetime": at.isoformat()})
                return (
                    f"<p><strong>{escape(label)}</strong>: <time{stamp}>{escape(shown)}</time></p>"
                )
            case Buttons(buttons=buttons):
                return self._buttons(buttons)
            case Choices(label=label, action=action, options=options):
                buttons = tuple(
                    Button(label=o.label, action=action, value=o.value) for o in options
                )
                return _paragraphs(label) + self._buttons(buttons)
            case Form():
                return self._form(block)
            case Notice(title=title, text=text):
                return f'<section class="notice">{self.heading(title)}{_paragraphs(text)}</section>'
            case Secret(label=label, value=value):
                # shown large, kept whole and selected with one tap (see .keep in style.css):
                # it must be copied exactly and is shown only once
                return (
                    f'<dl class="secret"><dt>{escape(label)}</dt>'
                    f'<dd><code class="keep">{escape(value)}</code></dd></dl>'
                )
            case People(label=label, people=people, empty=empty):
                if not people:
                    return _paragraphs(f"{label}: {empty}" if empty else label)
                listed = "".join(f"<li>{escape(name)}</li>" for name in block.names())
                return f"<p><strong>{escape(label)}</strong></p><ul>{listed}</ul>"
        raise TypeError(f"unknown block {block!r}")

    def _buttons(self, buttons: Sequence[Button]) -> str:
        """Each button is a tiny form of its own, so pressing it works without JavaScript.
        Buttons of other features are left out: the web form cannot do what they ask."""
        shown = []
        for b in buttons:
            kind = "primary" if b.style == "primary" else "secondary"
            if b.action in ACTIONS:
                shown.append(
                    f"{self._open()}{_hidden(ACTION, str(b.action))}{_hidden(VALUE, b.value)}"
                    f'<button type="submit" class="{kind}">{escape(b.label)}</button></form>'
                )
            elif opens_start(b.action, b.value):
                shown.append(f'<a class="button {kind}" href="{PATH}">{escape(b.label)}</a>')
        return f'<div class="buttons">{"".join(shown)}</div>' if shown else ""

    def _form(self, form: Form) -> str:
        parts = [self.heading(form.title)]
        if form.intro:
            parts.append(_paragraphs(form.intro))
        if form.errors:
            parts.append(_summary(form))
        # autocomplete off: on a shared ward computer the next person must not be offered
        # what this one typed. A fresh submission token per page: sent twice, one case.
        parts.append(self._open(autocomplete="off"))
        parts.append(_hidden(FORM, str(form.form)))
        parts.append(_hidden(SUBMISSION, secrets.token_urlsafe(16)))
        parts += [_hidden(name, value) for name, value in form.carried.items()]
        for spec in form.inputs:
            if isinstance(spec, ChoiceInput) and spec.multiple:
                parts.append(_hidden(MULTI, spec.field))
        parts += [_input(spec, form.errors.get(spec.field, "")) for spec in form.inputs]
        parts.append(f'<button type="submit" class="primary">{escape(form.submit_label)}</button>')
        parts.append("</form>")
        return "\n".join(parts)

    def _open(self, **attributes: str) -> str:
        """A form's start tag and the page's CSRF token, which every post must carry."""
        start = _attributes({"method": "post", "action": PATH, **attributes})
        return f"<form{start}>{_hidden(csrf.FIELD, self._token)}"


def _hidden(name: str, value: str) -> str:
    return f"<input{_attributes({'type': 'hidden', 'name': name, 'value': value})}>"


def _summary(form: Form) -> str:
    """Every problem at the top, each a link to its field (the GOV.UK error summary): each
    names its field (see forms.problems), so the list makes sense read alone by a screen
    reader."""
    items = "".join(
        f'<li><a href="#f-{escape(field)}">{escape(text)}</a></li>'
        if field
        else f"<li>{escape(text)}</li>"
        for field, text in problems(form)
    )
    return (
        '<div class="error-summary" role="alert" tabindex="-1" aria-labelledby="error-summary">'
        f'<h2 id="error-summary">Please check the form</h2><ul>{items}</ul></div>'
    )


def _input(spec: FormInput, error: str) -> str:
    ident = f"f-{spec.field}"
    notes, described = _notes(ident, spec.hint, error)
    label = escape(spec.label) + (
        ' <span class="optional">(optional)</span>' if marked_optional(spec) else ""
    )
    field_class = "field has-error" if error else "field"
    if isinstance(spec, ChoiceInput):
        return (
            f'<fieldset class="{field_class}" id="{escape(ident)}"'
            f"{_attributes({'aria-describedby': described})}>"
            f"<legend>{label}</legend>{notes}{_options(spec, ident)}</fieldset>"
        )
    common: Attributes = {
        "id": ident,
        "name": spec.field,
        "required": spec.required,
        "aria-describedby": described,
        "aria-invalid": "true" if error else None,
    }
    if isinstance(spec, TextInput) and spec.multiline:
        control = (
            f"<textarea{_attributes({**common, 'rows': 8, 'maxlength': spec.max_length})}>"
            f"{escape(spec.initial)}</textarea>"
        )
    elif isinstance(spec, TextInput):
        control = (
            f"<input{_attributes({**common, 'type': 'text', 'maxlength': spec.max_length})}"
            f"{_attributes({'value': spec.initial})}>"
        )
    else:
        control = (
            f"<input{_attributes({**common, 'type': 'datetime-local', 'value': _local(spec)})}>"
        )
    heading = f'<label for="{escape(ident)}">{label}</label>'
    return f'<div class="{field_class}">{heading}{notes}{control}</div>'


def _options(spec: ChoiceInput, ident: str) -> str:
    kind = "checkbox" if spec.multiple else "radio"
    rows = []
    for n, option in enumerate(spec.options):
        box = _attributes(
            {
                "type": kind,
                "id": f"{ident}-{n}",
                "name": spec.field,
                "value": option.value,
                "required": spec.required and not spec.multiple,
                "checked": option.value in spec.initial,
            }
        )
        rows.append(
            f'<div class="option"><input{box}>'
            f'<label for="{escape(ident)}-{n}">{escape(option.label)}</label></div>'
        )
    return "".join(rows)


def _notes(ident: str, hint: str, error: str) -> tuple[str, str | None]:
    """The hint and the error beside a field, and the ids that tie them to it for screen
    readers."""
    notes, ids = [], []
    if hint:
        notes.append(f'<p class="hint" id="{escape(ident)}-hint">{escape(hint)}</p>')
        ids.append(f"{ident}-hint")
    if error:
        notes.append(f'<p class="error" id="{escape(ident)}-error">{escape(error)}</p>')
        ids.append(f"{ident}-error")
    return "".join(notes), " ".join(ids) or None


def _local(spec: DateTimeInput) -> str:
    """What a date-time field can show: the browser's own format, or what was typed."""
    parsed = parse_local_datetime(spec.initial) if spec.initial else None
    return parsed.strftime("%Y-%m-%dT%H:%M") if parsed else spec.initial


def _attributes(attributes: Attributes) -> str:
    """`True` writes a bare attribute, `False` and `None` leave it out; values are escaped."""
    written = []
    for name, value in attributes.items():
        if value is True:
            written.append(f" {name}")
        elif value is not None and value is not False:
            written.append(f' {name}="{escape(str(value))}"')
    return "".join(written)


def _field_value(item: FieldItem) -> str:
    parts = [escape(item.value)] if item.value else []
    return " · ".join([*parts, *(_link(link) for link in item.links)])


def _link(link: Link) -> str:
    return f"<a{_attributes({'href': link.url})}>{escape(link.label)}</a>"


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{escape(line)}</p>" for line in text.splitlines() if line.strip())
