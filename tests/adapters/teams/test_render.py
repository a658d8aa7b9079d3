"""Neutral replies as Adaptive Cards 1.5: valid under Microsoft's schema, people's words never
read as markdown, forms with inputs Teams checks, moments on each viewer's own clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from adapters.teams.render import Look, card, dialog, message, opener
from bot.conversation.actions import ActionId
from bot.conversation.forms import refill
from bot.conversation.inbound import FieldValue, PersonAddress, Platform
from bot.conversation.replies import (
    Attachment,
    Button,
    Buttons,
    ChoiceInput,
    Choices,
    DateTimeInput,
    FieldItem,
    Fields,
    Form,
    Link,
    Notice,
    Option,
    People,
    Reply,
    Secret,
    Text,
    TextInput,
    When,
    email_link,
)
from tests.adapters.teams.cards import actions, texts, valid_cards

ASK = ActionId("ask", "form")
PICK = ActionId("ask", "pick")
FORM = Form(
    form=ASK,
    title="Ask a guardian",
    intro="Take your time.",
    inputs=(
        TextInput(field="what", label="What happened?", multiline=True, max_length=5000),
        ChoiceInput(
            field="topics",
            label="What is it about?",
            options=(Option(value="a", label="A"), Option(value="b", label="B")),
            multiple=True,
            required=False,
        ),
        DateTimeInput(field="start", label="Starts", hint="Your own time"),
    ),
    carried={"case": "SU-7K3M-Q9"},
)
EVERYTHING = Reply(
    summary="Everything",
    blocks=(
        Text(text="A heading", heading=True),
        Text(text="**not bold** [not a link](https://evil.example)\nsecond line"),
        Fields(
            items=(
                FieldItem(label="Guardian", value="Amara", links=(email_link("a@trust.nhs.uk"),)),
            )
        ),
        Link(label="Join online", url="https://meet.example/a"),
        When(label="Starts", at=datetime(2026, 12, 8, 12, 30, tzinfo=timezone(timedelta(hours=1)))),
        Buttons(buttons=(Button(label="Sign up", action=PICK, value="7", style="primary"),)),
        Choices(label="Pick one", action=PICK, options=(Option(value="x", label="X"),)),
        Notice(title="Thank you", text="We have it."),
        Secret(label="Your case code", value="SU-7K3M-Q9"),
        People(
            label="Going",
            people=(PersonAddress(platform=Platform.TEAMS, tenant="t", user_id="29:1a"),),
        ),
        FORM,
    ),
    files=(Attachment(name="lunch.ics", media_type="text/calendar", data=b"BEGIN:VCALENDAR"),),
)


def links(file: Attachment) -> str:
    return f"https://peerbot.example/files/token/{file.name}"


def test_every_block_renders_into_one_valid_card_with_its_fallback() -> None:
    activity = message(EVERYTHING, Look(file_url=links))
    assert activity["summary"] == "Everything"
    (content,) = valid_cards(activity)
    assert content["fallbackText"].startswith("A HEADING\n**not bold**")
    said = texts(content)
    assert "**not bold** [not a link](https://evil.example)" in said  # a text run, not markdown
    assert "SU-7K3M-Q9" in said and "Add to my calendar" in said


def test_peoples_words_are_text_runs_which_teams_never_reads_as_markdown() -> None:
    content = card(EVERYTHING, Look())
    typed = [b for b in content["body"] if b["type"] == "TextBlock"]
    assert [b["text"] for b in typed] == [
        "{{DATE(2026-12-08T11:30:00Z, SHORT)}} at {{TIME(2026-12-08T11:30:00Z)}}"
    ]


def test_a_moment_is_shown_on_each_viewers_clock() -> None:
    at = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    (content,) = valid_cards(message(Reply(summary="x", blocks=(When(label="At", at=at),)), Look()))
    assert "{{DATE(2026-03-29T00:30:00Z, SHORT)}} at {{TIME(2026-03-29T00:30:00Z)}}" in texts(
        content
    )


def test_buttons_send_a_message_or_open_a_dialog_as_the_look_says() -> None:
    reply = Reply(
        summary="Buttons",
        blocks=(
            Buttons(
                buttons=(
                    Button(label="Sign up", action=PICK, value="7"),
                    Button(label="Speak up", action=ActionId("speakup", "start")),
                )
            ),
        ),
    )

    def private(action: ActionId, _value: str) -> bool:
        return action.feature == "speakup"

    def kinds(look: Look) -> list[object]:
        (content,) = valid_cards(message(reply, look))
        return [a["data"].get("msteams") for a in actions(content)]  # type: ignore[attr-defined]

    task = {"type": "task/fetch"}
    assert kinds(Look(private=private)) == [None, task]
    assert kinds(Look(shared=True)) == [task, task]  # in a channel, answers reach one person
    assert kinds(Look(dialog=True, private=private)) == [None, None]
    (content,) = valid_cards(message(reply, Look()))
    assert actions(content)[0]["data"] == {"peerbot": {"action": "ask.pick", "value": "7"}}


def test_a_form_has_checked_inputs_and_carries_what_it_was_given() -> None:
    (content,) = valid_cards(message(Reply(summary="Ask", blocks=(FORM,)), Look()))
    inputs = {b["id"]: b for b in content["body"] if b["type"].startswith("Input.")}
    assert list(inputs) == ["what", "topics", "start", "start.time"]
    assert inputs["what"]["isRequired"] and inputs["what"]["maxLength"] == 5000
    assert inputs["what"]["errorMessage"] == "Please fill in “What happened?”"
    assert inputs["topics"]["isMultiSelect"] and inputs["topics"]["style"] == "expanded"
    assert (inputs["start"]["type"], inputs["start.time"]["type"]) == ("Input.Date", "Input.Time")
    (send,) = actions(content)
    data = send["data"]["peerbot"]  # type: ignore[index]
    assert data["form"] == "ask.form" and data["carried"] == {"case": "SU-7K3M-Q9"}
    assert (data["multiple"], data["datetimes"]) == (["topics"], ["start"])
    assert "Your own time" in texts(content)


def test_a_refused_form_keeps_what_was_typed_and_says_why_beside_each_field() -> None:
    values: dict[str, FieldValue] = {
        "what": "A fall on ward 7",
        "topics": ("b",),
        "start": "2026-12-01T14:30",
    }
    refused = refill(FORM, values, {"start": "Please give “Starts” as a date and time"})
    (content,) = valid_cards(message(Reply(summary="Fix", blocks=(refused,)), Look()))
    inputs = {b["id"]: b for b in content["body"] if b["type"].startswith("Input.")}
    assert inputs["what"]["value"] == "A fall on ward 7"
    assert inputs["topics"]["value"] == "b"
    assert (inputs["start"]["value"], inputs["start.time"]["value"]) == ("2026-12-01", "14:30")
    said = texts(content)
    assert said.index("Please give “Starts” as a date and time") > said.index("Starts: time")


def test_a_dialog_shows_a_form_or_the_answer_that_takes_its_place() -> None:
    opened = dialog([Reply(summary="Ask", blocks=(FORM,))], Look(dialog=True))
    task = opened["task"]
    assert task["type"] == "continue" and task["value"]["title"] == "Ask a guardian"
    valid_cards(opened)
    receipt = Reply(summary="Thank you", blocks=(Notice(title="Thank you", text="Got it"),))
    answered = dialog([receipt], Look(dialog=True))
    assert answered["task"]["value"]["title"] == "Thank you"
    (content,) = valid_cards(answered)
    assert texts(content) == ["Thank you", "Got it"]


def test_an_opener_carries_its_form_only_sealed() -> None:
    activity = opener(Reply(summary="Check a case", blocks=(FORM,)), "sealed-token")
    (content,) = valid_cards(activity)
    (open_it,) = actions(content)
    assert open_it["data"] == {
        "msteams": {"type": "task/fetch"},
        "peerbot": {"sealed": "sealed-token"},
    }
    assert "SU-7K3M-Q9" not in str(activity)


def test_a_file_too_big_for_a_link_says_so() -> None:
    reply = Reply(
        summary="CSV", files=(Attachment(name="a.csv", media_type="text/csv", data=b"x"),)
    )
    (content,) = valid_cards(message(reply, Look(file_url=lambda _f: None)))
    assert texts(content) == ["CSV", "a.csv is too big to open from here."]


def sealed(reply: Reply) -> str:
    return f"sealed:{reply.summary}"


def test_a_private_form_outside_a_dialog_becomes_an_opener() -> None:
    def private(action: ActionId, _value: str) -> bool:
        return action == ASK

    reply = Reply(summary="Ask", blocks=(FORM,))
    (content,) = valid_cards(message(reply, Look(private=private, seal=sealed)))
    (open_it,) = actions(content)
    assert open_it["data"] == {
        "msteams": {"type": "task/fetch"},
        "peerbot": {"sealed": "sealed:Ask"},
    }
    opened = dialog([reply], Look(dialog=True, private=private, seal=sealed))
    (send,) = actions(next(iter(valid_cards(opened))))
    assert send["data"]["peerbot"]["spec"] == "sealed:Ask a guardian"  # type: ignore[index]


def test_a_private_answer_for_the_asker_alone_opens_from_a_card_too() -> None:
    def private(action: ActionId, _value: str) -> bool:
        return action.feature == "speakup"

    case = Reply(
        summary="Case SU-7K3M-Q9",
        blocks=(
            Text(text="What happened: words nobody else may read"),
            Buttons(buttons=(Button(label="Reply", action=ActionId("speakup", "guardian_reply")),)),
        ),
        ephemeral=True,
    )
    activity = message(case, Look(private=private, seal=lambda _reply: "opaque"))
    assert "words nobody else may read" not in str(activity) and "SU-7K3M-Q9" not in str(activity)
    (content,) = valid_cards(activity)
    assert texts(content)[0] == "Private to you"
    intro = Reply(
        summary="How to speak up",
        blocks=(Buttons(buttons=(Button(label="Start", action=ActionId("speakup", "start")),)),),
    )
    (content,) = valid_cards(message(intro, Look(private=private, seal=sealed)))
    assert texts(content) == ["Start"]  # for everyone to read: in the chat, opening a dialog


def test_a_long_reply_keeps_every_word_in_the_card_and_a_short_fallback() -> None:
    words = "Ask about the rota for the night shifts. " * 100
    (content,) = valid_cards(message(Reply(summary="Actions", blocks=(Text(text=words),)), Look()))
    assert texts(content) == [words]
    assert len(content["fallbackText"]) == 1000 and content["fallbackText"].endswith("…")


def test_a_long_row_of_buttons_comes_in_sets_of_six_so_teams_hides_none() -> None:
    pairs = tuple(Button(label=f"Pair {n}", action=PICK, value=str(n)) for n in range(14))
    (content,) = valid_cards(message(Reply(summary="x", blocks=(Buttons(buttons=pairs),)), Look()))
    sets = [b["actions"] for b in content["body"] if b["type"] == "ActionSet"]
    assert [len(s) for s in sets] == [6, 6, 2]
    assert [a["title"] for s in sets for a in s] == [f"Pair {n}" for n in range(14)]
