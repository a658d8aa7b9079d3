"""Joining, muting and leaving a staff network, through the real router and a real database:
each person sees only their own membership, a double press joins once, and the members
told about a new event are those who have not muted it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from bot.conversation.actions import ActionId
from bot.conversation.inbound import (
    Actor,
    ButtonPressed,
    Command,
    Conversation,
    PersonAddress,
    Platform,
    Surface,
    person_of,
)
from bot.conversation.plan import Post, UpdatePressed, plan
from bot.conversation.replies import Button, Buttons, People, Reply, Text, plain_text
from bot.conversation.router import Router
from bot.conversation.services import Services
from bot.events import networks
from bot.events.actions import JOIN, LEAVE, MEMBERS, MUTE, UNMUTE
from bot.events.membership import members, members_to_tell
from bot.organisation.sync import apply_org_file
from storage.engine import Database
from storage.events import EventAudit, Membership
from tests.bot.organisation.test_directory_features import AT, EXAMPLE, unsealed
from tests.fakes import FakeClock

NURSE = Actor(platform=Platform.SLACK, tenant="T1", user_id="U0NURSE1")
PORTER = Actor(platform=Platform.SLACK, tenant="T1", user_id="U0PORTER")
DM = Conversation(platform=Platform.SLACK, tenant="T1", channel_id="D1")
CHANNEL = Conversation(platform=Platform.SLACK, tenant="T1", channel_id="C1", is_private=False)
LGBTQ = "lgbtq"
JOINED = (
    "You'll get a message when the LGBTQ+ Network posts a new event. "
    "Only you and the network's leads can see that you joined."
)


@pytest.fixture
async def services(db: Database) -> Services:
    await apply_org_file(db, EXAMPLE)
    return Services(db=db, clock=FakeClock())


@pytest.fixture
def router() -> Router:
    return unsealed()


async def networks_of(
    router: Router, services: Services, actor: Actor = NURSE, where: Conversation = DM
) -> Reply:
    (reply,) = await router.handle(
        Command(actor=actor, conversation=where, at=AT, name="networks"), services
    )
    return reply


def pressed(
    action: ActionId, value: str = LGBTQ, actor: Actor = NURSE, **more: Any
) -> ButtonPressed:
    return ButtonPressed(actor=actor, conversation=DM, at=AT, action=action, value=value, **more)


async def press(
    router: Router,
    services: Services,
    action: ActionId,
    value: str = LGBTQ,
    actor: Actor = NURSE,
) -> Reply:
    (reply,) = await router.handle(pressed(action, value, actor), services)
    return reply


def buttons_for(reply: Reply, network_name: str) -> list[Button]:
    """The buttons that follow a network's line in the list."""
    after = False
    for block in reply.blocks:
        if isinstance(block, Text) and block.text.startswith(f"{network_name}:"):
            after = True
        if after and isinstance(block, Buttons):
            return list(block.buttons)
    raise AssertionError(f"no buttons for {network_name}")


async def rows(db: Database) -> list[Membership]:
    async with db.session(write=False) as session:
        return list((await session.exec(select(Membership))).all())


async def test_the_list_names_each_network_and_its_leads_with_a_join_button(
    router: Router, services: Services
) -> None:
    reply = await networks_of(router, services)
    text = plain_text(reply)
    assert not reply.in_place
    assert "LGBTQ+ Network: For lesbian" in text
    assert "Lead: Sam Doyle: sam.doyle@riverside.example.nhs.uk" in text
    assert "Lead: Kwame Mensah" in text
    assert "You're a member" not in text
    (join,) = buttons_for(reply, "LGBTQ+ Network")
    assert (join.label, join.action, join.value) == ("Join", JOIN, LGBTQ)
    assert text.endswith("To ask about a network, contact its lead.")


async def test_joining_says_what_happens_now_and_updates_the_list_in_place(
    router: Router, services: Services
) -> None:
    reply = await press(router, services, JOIN)
    assert reply.summary == JOINED
    assert reply.blocks[0] == Text(text=JOINED)
    assert reply.in_place
    assert "You're a member." in plain_text(reply)
    assert [b.action for b in buttons_for(reply, "LGBTQ+ Network")] == [MUTE, LEAVE]
    assert [b.action for b in buttons_for(reply, "Women's Network")] == [JOIN]
    again = await networks_of(router, services)
    assert [b.action for b in buttons_for(again, "LGBTQ+ Network")] == [MUTE, LEAVE]


async def test_in_a_channel_every_answer_goes_to_the_asker_alone(
    router: Router, services: Services
) -> None:
    """A Join button on a message others see (an event's announcement, say) must never turn
    that message into one person's membership for everyone to read."""
    listed = await networks_of(router, services, where=CHANNEL)
    asked = Command(actor=NURSE, conversation=CHANNEL, at=AT, name="networks")
    assert plan(asked, [listed]) == [Post(reply=listed, later=person_of(NURSE), only_asker=True)]

    on_message = Surface(on_message=True)
    in_channel = replace(pressed(JOIN, surface=on_message), conversation=CHANNEL)
    (joined,) = await router.handle(in_channel, services)
    assert joined.summary == JOINED
    assert plan(in_channel, [joined]) == [
        Post(reply=joined, later=person_of(NURSE), only_asker=True)
    ]

    in_dm = pressed(MUTE, surface=on_message)
    (muted,) = await router.handle(in_dm, services)
    assert plan(in_dm, [muted]) == [UpdatePressed(reply=muted)]


async def test_a_double_press_joins_once(router: Router, services: Services) -> None:
    first = await press(router, services, JOIN)
    second = await press(router, services, JOIN)
    assert first.summary == second.summary == JOINED
    (row,) = await rows(services.db)
    assert (row.network, row.platform, row.tenant, row.user_id, row.muted) == (
        LGBTQ,
        "slack",
        "T1",
        "U0NURSE1",
        False,
    )


async def test_membership_is_seen_only_by_the_person_themselves(
    router: Router, services: Services
) -> None:
    await press(router, services, JOIN)
    theirs = await networks_of(router, services, PORTER)
    text = plain_text(theirs)
    assert "member" not in text.replace("To ask about a network", "")
    assert "U0NURSE1" not in repr(theirs)
    assert [b.action for b in buttons_for(theirs, "LGBTQ+ Network")] == [JOIN]
    mine = await networks_of(router, services, NURSE)
    assert "You're a member." in plain_text(mine)


async def test_muting_keeps_membership_but_stops_the_news(
    router: Router, services: Services
) -> None:
    await press(router, services, JOIN)
    await press(router, services, JOIN, actor=PORTER)
    muted = await press(router, services, MUTE)
    assert muted.summary == (
        "You won't get messages about the LGBTQ+ Network's new events. You're still a "
        "member: press Unmute to hear about them again."
    )
    assert "You're a member, with its news muted." in plain_text(muted)
    assert [b.action for b in buttons_for(muted, "LGBTQ+ Network")] == [UNMUTE, LEAVE]
    async with services.db.session(write=False) as session:
        assert await members_to_tell(session, LGBTQ) == [person_of(PORTER)]
        assert await members(session, LGBTQ) == [person_of(NURSE), person_of(PORTER)]

    unmuted = await press(router, services, UNMUTE)
    assert (
        unmuted.summary == "You'll get a message again when the LGBTQ+ Network posts a new event."
    )
    async with services.db.session(write=False) as session:
        assert await members_to_tell(session, LGBTQ) == [person_of(NURSE), person_of(PORTER)]


async def test_joining_again_while_muted_keeps_it_muted_and_says_so(
    router: Router, services: Services
) -> None:
    await press(router, services, JOIN)
    await press(router, services, MUTE)
    again = await press(router, services, JOIN)
    assert again.summary.startswith("You're in the LGBTQ+ Network, with its news muted.")
    (row,) = await rows(services.db)
    assert row.muted


async def test_muting_a_network_you_are_not_in_changes_nothing(
    router: Router, services: Services
) -> None:
    reply = await press(router, services, MUTE)
    assert reply.summary == "You're not in the LGBTQ+ Network, so there is nothing to mute."
    assert await rows(services.db) == []


async def test_leaving_removes_the_row_and_a_second_press_is_harmless(
    router: Router, services: Services
) -> None:
    await press(router, services, JOIN)
    await press(router, services, JOIN, actor=PORTER)
    for _ in range(2):
        left = await press(router, services, LEAVE)
        assert left.summary == (
            "You've left the LGBTQ+ Network. You won't get messages about its new events. "
            "You can join again at any time."
        )
        assert [b.action for b in buttons_for(left, "LGBTQ+ Network")] == [JOIN]
    assert [r.user_id for r in await rows(services.db)] == ["U0PORTER"]


async def test_each_network_keeps_its_own_members(router: Router, services: Services) -> None:
    await press(router, services, JOIN)
    await press(router, services, JOIN, value="womens", actor=PORTER)
    async with services.db.session(write=False) as session:
        assert await members(session, LGBTQ) == [person_of(NURSE)]
        assert await members(session, "womens") == [person_of(PORTER)]
        assert await members(session, "race-equality") == []


async def test_the_same_user_id_on_another_platform_is_another_person(
    router: Router, services: Services
) -> None:
    await press(router, services, JOIN)
    elsewhere = Actor(platform=Platform.TEAMS, tenant="T1", user_id=NURSE.user_id)
    assert "You're a member" not in plain_text(await networks_of(router, services, elsewhere))
    await press(router, services, LEAVE, actor=elsewhere)
    assert len(await rows(services.db)) == 1


async def test_a_network_no_longer_listed_gets_kind_words(
    router: Router, services: Services, tmp_path: Path
) -> None:
    await press(router, services, JOIN, value="multi-faith")
    assert (await press(router, services, JOIN, value="no-such-network")).summary == (networks.GONE)
    trimmed = EXAMPLE.read_text()
    start = trimmed.index("  - key: multi-faith")
    smaller = tmp_path / "org.yml"
    smaller.write_text(trimmed[:start] + trimmed[trimmed.index("# Mentoring") :])
    await apply_org_file(services.db, smaller)
    for action in (JOIN, MUTE, UNMUTE):
        reply = await press(router, services, action, value="multi-faith")
        assert reply.summary == networks.GONE, action
    assert "Multi-Faith" not in plain_text(await networks_of(router, services))
    # leaving still works: nobody is kept in a network against their wish
    assert len(await rows(services.db)) == 1
    assert (await press(router, services, LEAVE, value="multi-faith")).summary == networks.GONE
    assert await rows(services.db) == []


@pytest.mark.parametrize("value", ["LGBTQ", "lgbtq:extra", "' OR 1=1 --", "-lgbtq", ""])
async def test_a_garbled_network_gets_help_and_stores_nothing(
    router: Router, services: Services, value: str
) -> None:
    reply = await press(router, services, JOIN, value=value)
    assert plain_text(reply).startswith("Sorry, I didn't understand that.")
    assert await rows(services.db) == []


async def test_with_no_networks_listed_the_list_says_so(
    sqlite_db: Database, router: Router
) -> None:
    reply = await networks_of(router, Services(db=sqlite_db, clock=FakeClock()))
    assert plain_text(reply) == "STAFF NETWORKS\nNo staff networks are listed yet."


async def test_members_are_kept_by_platform_identity_alone(
    router: Router, services: Services
) -> None:
    """No name, no email: staff who only use the bot are not in the organisation file."""
    await press(router, services, JOIN)
    (row,) = await rows(services.db)
    assert set(row.model_dump()) == {
        "id",
        "network",
        "platform",
        "tenant",
        "user_id",
        "muted",
        "joined_at",
    }
    assert row.joined_at == FakeClock().now()
    assert PersonAddress(
        platform=Platform(row.platform), tenant=row.tenant, user_id=row.user_id
    ) == (person_of(NURSE))


SAM = Actor(platform=Platform.SLACK, tenant="T1", user_id="U07LEAD003")  # leads lgbtq
KWAME = Actor(platform=Platform.SLACK, tenant="T1", user_id="U07LEAD001")  # leads race equality


async def audits(db: Database) -> list[tuple[str, str, str, bool]]:
    async with db.session(write=False) as session:
        found = (await session.exec(select(EventAudit).order_by(col(EventAudit.id)))).all()
    return [(a.user_id, a.action, a.network, a.refused) for a in found]


async def test_a_lead_sees_how_many_joined_their_network_and_no_other(
    router: Router, services: Services
) -> None:
    await press(router, services, JOIN)
    await press(router, services, JOIN, actor=PORTER)
    reply = await networks_of(router, services, SAM)
    text = plain_text(reply)
    assert "You lead this network. 2 people have joined." in text
    assert text.count("You lead this network") == 1
    (see,) = [
        b
        for block in reply.blocks
        if isinstance(block, Buttons)
        for b in block.buttons
        if b.action == MEMBERS
    ]
    assert (see.label, see.value) == ("See members", LGBTQ)
    assert "You lead" not in plain_text(await networks_of(router, services))


async def test_a_lead_sees_who_joined_by_email_or_id_and_the_look_is_audited(
    router: Router, services: Services
) -> None:
    await press(router, services, JOIN)
    await press(router, services, JOIN, actor=KWAME)
    (reply,) = await router.handle(pressed(MEMBERS, actor=SAM), services)
    assert reply.ephemeral
    (block,) = reply.blocks
    assert isinstance(block, People)
    assert block.label == "Members of the LGBTQ+ Network: 2"
    assert block.people == (person_of(NURSE), person_of(KWAME))
    assert block.names() == ("U0NURSE1", "kwame.mensah@riverside.example.nhs.uk")
    assert await audits(services.db) == [("U07LEAD003", "members", LGBTQ, False)]


async def test_a_network_nobody_joined_says_so_to_its_lead(
    router: Router, services: Services
) -> None:
    (reply,) = await router.handle(pressed(MEMBERS, actor=SAM), services)
    assert plain_text(reply).endswith(networks.NOBODY)


@pytest.mark.parametrize("who", [NURSE, KWAME], ids=["a member", "another network's lead"])
async def test_nobody_but_its_leads_sees_who_is_in_a_network(
    router: Router, services: Services, who: Actor
) -> None:
    await press(router, services, JOIN)
    (reply,) = await router.handle(pressed(MEMBERS, actor=who), services)
    assert plain_text(reply) == "Only the network's leads can do that."
    assert "U0NURSE1" not in plain_text(reply)
    assert await audits(services.db) == [(who.user_id, "members", "", True)]
