"""Help, support, speak up, events and mentoring, answered from the organisation's own data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.conversation.actions import OPEN
from bot.conversation.inbound import (
    Actor,
    ButtonPressed,
    Command,
    Conversation,
    Platform,
    TextMessage,
)
from bot.conversation.replies import Buttons, Reply, plain_text
from bot.conversation.router import Router
from bot.conversation.services import Services
from bot.events import feature as events
from bot.events.deps import Events
from bot.features import build_router
from bot.mentoring import feature as mentoring
from bot.mentoring.deps import Mentoring
from bot.organisation.sync import apply_org_file
from bot.speakup.feature import feature
from storage.engine import Database
from tests.fakes import FakeClock

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "org.yml"
ACTOR = Actor(platform=Platform.CONSOLE, tenant="local", user_id="nurse")
WHERE = Conversation(platform=Platform.CONSOLE, tenant="local", channel_id="console")
AT = datetime(2026, 11, 2, 3, tzinfo=UTC)


def unsealed() -> Router:
    """Every feature, speak-up as it is with no sealing key."""
    return build_router(
        feature(None, keep_closed_for=timedelta(days=365)),
        events.feature(Events()),
        mentoring.feature(Mentoring()),
    )


@pytest.fixture
def services(sqlite_db: Database) -> Services:
    return Services(db=sqlite_db, clock=FakeClock())


@pytest.fixture
async def with_org(services: Services) -> Services:
    await apply_org_file(services.db, EXAMPLE)
    return services


async def ask(router: Router, services: Services, text: str) -> str:
    replies = await router.handle(
        TextMessage(actor=ACTOR, conversation=WHERE, at=AT, text=text), services
    )
    return "\n".join(plain_text(r) for r in replies)


async def test_help_lists_the_four_features_with_a_button_each(with_org: Services) -> None:
    (reply,) = await unsealed().handle(
        Command(actor=ACTOR, conversation=WHERE, at=AT, name="help"), with_org
    )
    text = plain_text(reply)
    for title in ("Speak up", "Staff networks", "Mentoring", "Support"):
        assert title in text
    buttons = next(b for b in reply.blocks if isinstance(b, Buttons)).buttons
    assert [b.value for b in buttons] == ["speakup", "events", "mentoring", "support"]
    assert all(b.action == OPEN for b in buttons)


async def test_help_promises_only_what_works_today(with_org: Services) -> None:
    """The menu offers signing up for events with a calendar invite, and mentoring
    check-ins with whom to contact about each programme."""
    (reply,) = await unsealed().handle(
        Command(actor=ACTOR, conversation=WHERE, at=AT, name="help"), with_org
    )
    text = plain_text(reply).lower()
    assert "sign up in one tap and get a calendar invite" in text
    assert "check-ins for your mentoring pair, and who coordinates each programme" in text


async def test_unknown_words_get_help_not_silence(with_org: Services) -> None:
    text = await ask(unsealed(), with_org, "asdf qwerty")
    assert text.startswith("Sorry, I didn't understand that.")
    assert "Speak up" in text


async def test_a_help_button_opens_its_feature(with_org: Services) -> None:
    press = ButtonPressed(actor=ACTOR, conversation=WHERE, at=AT, action=OPEN, value="support")
    replies: list[Reply] = await unsealed().handle(press, with_org)
    assert "Employee Assistance Programme" in plain_text(replies[0])


async def test_support_lists_resources_in_order_and_crisis_contacts(with_org: Services) -> None:
    text = await ask(unsealed(), with_org, "support")
    order = [
        "Employee Assistance Programme",
        "Staff Wellbeing Hub",
        "Occupational Health",
        "RISK RIGHT NOW",
        "Samaritans",
    ]
    positions = [text.index(name) for name in order]
    assert positions == sorted(positions)
    assert "Call 116 123." in text and "Text SHOUT to 85258." in text


async def test_crisis_contacts_show_even_before_any_org_file(services: Services) -> None:
    text = await ask(unsealed(), services, "crisis")
    assert "Employee Assistance" not in text
    assert "Call 999." in text and "Call 116 123." in text


async def test_speak_up_names_the_guardians_and_how_to_reach_them(with_org: Services) -> None:
    text = await ask(unsealed(), with_org, "/speak-up")
    assert "Amara Okafor: amara.okafor@riverside.example.nhs.uk · 0161 555 0142" in text
    assert "Tom Whitfield" in text and "Priya Raman" in text
    assert "Call 999." in text


async def test_networks_lists_active_networks_with_their_leads(
    with_org: Services, tmp_path: Path
) -> None:
    router = unsealed()
    text = await ask(router, with_org, "networks")
    assert "LGBTQ+ Network: For lesbian" in text
    assert "Lead: Kwame Mensah: kwame.mensah@riverside.example.nhs.uk" in text
    trimmed = EXAMPLE.read_text()
    start = trimmed.index("  - key: multi-faith")
    smaller = tmp_path / "org.yml"
    smaller.write_text(trimmed[:start] + trimmed[trimmed.index("# Mentoring") :])
    await apply_org_file(with_org.db, smaller)
    assert "Multi-Faith Network" not in await ask(router, with_org, "networks")


async def test_mentoring_lists_programmes_by_kind_with_coordinators(with_org: Services) -> None:
    text = await ask(unsealed(), with_org, "mentoring")
    assert "Reverse Mentoring for Inclusion (Reverse mentoring)." in text
    assert "Board Pairing (Executive pairing)." in text
    assert "Coordinator: Linda Marsh" in text


async def test_empty_directories_say_so_kindly(services: Services) -> None:
    router = unsealed()
    assert "cannot take concerns here yet" in await ask(router, services, "speakup")
    assert "No staff networks are listed yet" in await ask(router, services, "networks")
    assert "No staff networks are listed yet" in await ask(router, services, "events")
    assert "No mentoring programmes are listed yet" in await ask(router, services, "mentoring")


async def test_home_gathers_each_features_section_then_the_menu(with_org: Services) -> None:
    text = await ask(unsealed(), with_org, "home")
    order = [
        "YOUR PEERBOT",
        "speak up safely",
        "RISK RIGHT NOW",
        "Samaritans",
        "Everything peerbot",
    ]
    positions = [text.index(part) for part in order]
    assert positions == sorted(positions)
