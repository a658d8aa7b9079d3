"""Each adapter names people its own way: Slack as mentions (each viewer sees the current
name), the console, the web and Teams by the words given for them, else by their ids; a
hostile id is only ever text."""

from __future__ import annotations

import json

import pytest

from adapters.console.render import render_all
from adapters.slack.render import message
from adapters.teams.render import Look
from adapters.teams.render import message as teams_message
from adapters.web.render import page
from bot.conversation.inbound import PersonAddress, Platform
from bot.conversation.replies import People, Reply, plain_text
from tests.adapters.teams.cards import texts, valid_cards

ENTRA_ID = "b1000000-0000-4000-8000-000000000001"


def slack_user(user_id: str) -> PersonAddress:
    return PersonAddress(platform=Platform.SLACK, tenant="T1", user_id=user_id)


COMING = Reply(
    summary="Who is coming",
    blocks=(
        People(
            label="Who is coming",
            people=(slack_user("U07LEAD003"), slack_user("W0123ABC")),
            empty="Nobody yet.",
        ),
    ),
)
NOBODY = Reply(
    summary="Who is coming",
    blocks=(People(label="Who is coming", people=(), empty="Nobody has signed up yet."),),
)


def sections(reply: Reply) -> list[str]:
    return [b["text"]["text"] for b in message(reply)["blocks"]]


def test_slack_mentions_each_person_in_one_section() -> None:
    assert sections(COMING) == ["*Who is coming*\n<@U07LEAD003>\n<@W0123ABC>"]


@pytest.mark.parametrize(
    "hostile",
    [
        "U1><!channel",
        "U1|everyone",
        "<!here>",
        "u123",
        "U1 <https://evil.example|click>",
        "",
    ],
)
def test_slack_never_turns_a_hostile_id_into_markup(hostile: str) -> None:
    reply = Reply(summary="x", blocks=(People(label="Members", people=(slack_user(hostile),)),))
    (text,) = sections(reply)
    assert "<" not in text and ">" not in text
    assert "<@" not in text and "<!" not in text


def test_slack_mentions_only_slack_people() -> None:
    console = PersonAddress(platform=Platform.CONSOLE, tenant="", user_id="U999")
    reply = Reply(summary="x", blocks=(People(label="Members", people=(console,)),))
    assert sections(reply) == ["*Members*\nU999"]


def test_slack_says_the_empty_words_when_there_is_nobody() -> None:
    assert sections(NOBODY) == ["*Who is coming*\nNobody has signed up yet."]


def test_slack_splits_a_long_list_and_keeps_everyone() -> None:
    people = tuple(slack_user(f"U{n:010d}") for n in range(400))
    reply = Reply(summary="x", blocks=(People(label="Members", people=people),))
    texts = sections(reply)
    assert len(texts) > 1 and all(len(t) <= 3000 for t in texts)
    mentioned = "\n".join(texts).split("\n")[1:]
    assert mentioned == [f"<@{p.user_id}>" for p in people]


def test_the_console_lists_their_ids() -> None:
    text, picks = render_all([COMING])
    assert text.splitlines() == ["Who is coming:", "  - U07LEAD003", "  - W0123ABC"]
    assert picks == []
    assert "Who is coming: Nobody has signed up yet." in render_all([NOBODY])[0]


def test_the_web_lists_their_ids_escaped() -> None:
    hostile = Reply(
        summary="x", blocks=(People(label="Members <b>", people=(slack_user("<script>"),)),)
    )
    html = page([hostile], token="t" * 43)
    assert "<li>&lt;script&gt;</li>" in html and "Members &lt;b&gt;" in html
    assert "<script>" not in html
    assert "Who is coming: Nobody has signed up yet." in page([NOBODY], token="t" * 43)


def test_plain_text_names_their_ids() -> None:
    assert plain_text(COMING) == "Who is coming: U07LEAD003, W0123ABC"
    assert plain_text(NOBODY) == "Who is coming: Nobody has signed up yet."
    bare = Reply(summary="x", blocks=(People(label="Members", people=()),))
    assert plain_text(bare) == "Members"


def test_where_a_platform_cannot_name_someone_by_their_id_their_given_words_are_shown() -> None:
    entra = PersonAddress(platform=Platform.TEAMS, tenant="", user_id=ENTRA_ID)
    partner = People(label="Your partner", people=(entra,), named=("ruth@trust.nhs.uk",))
    reply = Reply(summary="x", blocks=(partner,))
    (card,) = valid_cards(teams_message(reply, Look()))
    assert "ruth@trust.nhs.uk" in texts(card) and ENTRA_ID not in json.dumps(card)
    assert plain_text(reply) == "Your partner: ruth@trust.nhs.uk"
    assert render_all([reply])[0].splitlines() == ["Your partner:", "  - ruth@trust.nhs.uk"]
    assert "<li>ruth@trust.nhs.uk</li>" in page([reply], token="t" * 43)
    slack = People(label="Your partner", people=(slack_user("U07LEAD003"),), named=("sam@t",))
    assert sections(Reply(summary="x", blocks=(slack,))) == ["*Your partner*\n<@U07LEAD003>"]
