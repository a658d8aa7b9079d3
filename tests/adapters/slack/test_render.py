"""Neutral replies as Block Kit: within Slack's limits, nothing silently cut, forms as modals."""

from __future__ import annotations

import pytest
from slack_sdk.models.views import View

from adapters.slack.render import answer_view, field_errors, message, modal, split
from bot.conversation.actions import ActionId
from bot.conversation.forms import refill
from bot.conversation.replies import (
    Button,
    Buttons,
    ChoiceInput,
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
    TextInput,
)

OPEN = ActionId("help", "open")


def test_long_text_is_split_over_sections_and_every_word_kept() -> None:
    words = [f"word{n}" for n in range(1500)]
    text = " ".join(words)
    rendered = message(Reply(summary="Long", blocks=(Text(text=text),)))
    sections = [b["text"]["text"] for b in rendered["blocks"]]
    assert len(sections) > 1 and all(len(s) <= 3000 for s in sections)
    assert " ".join(sections).split() == words


def test_split_prefers_line_breaks_and_cuts_unbroken_text_only_at_the_limit() -> None:
    assert split("a" * 10, 4) == ["aaaa", "aaaa", "aa"]
    assert split("one two\nthree", 9) == ["one two", "three"]
    assert split("", 5) == [""]


def test_buttons_with_one_action_get_unique_action_ids_that_parse_back() -> None:
    reply = Reply(
        summary="Menu",
        blocks=(
            Buttons(
                buttons=(
                    Button(label="Speak up", action=OPEN, value="speakup", style="primary"),
                    Button(label="Support", action=OPEN, value="support"),
                )
            ),
        ),
    )
    (actions,) = message(reply)["blocks"]
    ids = [e["action_id"] for e in actions["elements"]]
    assert ids == ["help.open#0", "help.open#1"]
    assert actions["elements"][0]["style"] == "primary" and "style" not in actions["elements"][1]


def test_fields_and_choices_escape_what_people_typed() -> None:
    reply = Reply(
        summary="x",
        blocks=(
            Fields(items=(FieldItem(label="Ward <7>", value="A & E"),)),
            Choices(
                label="Pick", action=ActionId("a", "b"), options=(Option(value="v", label="V"),)
            ),
        ),
    )
    fields, choice = message(reply)["blocks"]
    assert fields["fields"][0]["text"] == "*Ward &lt;7&gt;*\nA &amp; E"
    assert choice["accessory"]["type"] == "static_select"


def test_a_form_is_a_valid_modal_that_keeps_what_was_typed() -> None:
    form = Form(
        form=ActionId("ask", "form"),
        title="Tell a Freedom to Speak Up guardian",  # longer than a modal title may be
        intro="Only the guardian reads this.",
        inputs=(
            TextInput(field="what", label="What happened?", multiline=True, max_length=4000),
            ChoiceInput(
                field="tags",
                label="About",
                multiple=True,
                required=False,
                options=(Option(value="a", label="A"), Option(value="b", label="B")),
            ),
            ChoiceInput(field="how", label="How", options=(Option(value="open", label="Openly"),)),
            DateTimeInput(field="when", label="When", required=False),
        ),
    )
    again = refill(form, {"what": "typed", "tags": ("b",), "how": "open"}, {"when": "Bad date"})
    view = modal(again, private_metadata='{"channel":"D1"}')
    View(**view).validate_json()
    assert len(view["title"]["text"]) <= 24 and view["title"]["text"].endswith("…")
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks["what"]["element"]["initial_value"] == "typed"
    assert blocks["what"]["element"]["max_length"] == 3000
    assert blocks["tags"]["element"]["initial_options"] == [
        {"text": {"type": "plain_text", "text": "B", "emoji": True}, "value": "b"}
    ]
    assert blocks["how"]["element"]["initial_option"]["value"] == "open"
    assert blocks["when"]["optional"] is True
    assert field_errors(again) == {"when": "Bad date"}


def test_the_answer_view_replaces_a_form_and_keeps_its_buttons() -> None:
    receipt = Notice(title="Thank you", text="Your case code is SU-7K3M-Q9.")
    more = Buttons(buttons=(Button(label="Add something", action=ActionId("a", "b"), value="x"),))
    view = answer_view(
        Reply(summary="Thanks", blocks=(receipt, more)), private_metadata='{"channel":"D1"}'
    )
    assert view["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Thank you", "emoji": True},
    }
    assert view["blocks"][-1]["elements"][0]["action_id"] == "a.b#0"
    assert "submit" not in view and view["private_metadata"] == '{"channel":"D1"}'


def test_a_reply_over_slacks_limits_is_refused_not_sent_broken() -> None:
    with pytest.raises(Exception, match=r"(?i)cannot exceed"):
        message(
            Reply(
                summary="x",
                blocks=(Buttons(buttons=(Button(label="x", action=OPEN, value="v" * 2001),)),),
            )
        )


def test_a_message_checked_once_is_not_checked_again_but_a_broken_one_still_is() -> None:
    fine = Reply(
        summary="x", blocks=(Buttons(buttons=(Button(label="x", action=OPEN, value="v"),)),)
    )
    assert message(fine) == message(fine)
    broken = Buttons(buttons=(Button(label="x", action=OPEN, value="v" * 2001),))
    with pytest.raises(Exception, match=r"(?i)cannot exceed"):
        message(Reply(summary="x", blocks=(broken,)))
    with pytest.raises(Exception, match=r"(?i)cannot exceed"):  # a refusal is never remembered
        message(Reply(summary="x", blocks=(broken,)))


def test_a_secret_is_shown_in_code_style_exactly_as_it_is() -> None:
    """Rich text, not mrkdwn: nothing in the value is escaped or read as formatting."""
    value = "ABCDE-FGHJK-MNPQR-STUVW"
    (block,) = message(Reply(summary="x", blocks=(Secret(label="Your passphrase", value=value),)))[
        "blocks"
    ]
    (section,) = block["elements"]
    assert block["type"] == "rich_text" and section["elements"][-1] == {
        "type": "text",
        "text": value,
        "style": {"code": True},
    }
    view = answer_view(Reply(summary="x", blocks=(Secret(label="Code", value="SU-7K3M-Q9"),)))
    assert view["blocks"][0]["elements"][0]["elements"][-1]["text"] == "SU-7K3M-Q9"
