"""Help: what peerbot can do, with a button for each feature. Also answers anything unknown."""

from __future__ import annotations

from collections.abc import Sequence

from bot.conversation.actions import OPEN
from bot.conversation.inbound import ButtonPressed, Command
from bot.conversation.payloads import FeatureRef, decode, encode
from bot.conversation.replies import Block, Button, Buttons, Reply, Text
from bot.conversation.router import CommandHandler, Feature, normalise
from bot.conversation.services import Services

NAMES = ("help", "hi", "hello", "start", "menu", "?")
HOME = "home"


def _menu(features: Sequence[Feature], intro: str) -> Reply:
    listed = [f for f in features if f.listed]
    lines = [f"{f.title}: {f.summary} Type “{next(iter(f.commands))}”." for f in listed]
    return Reply(
        summary=intro,
        blocks=(
            Text(text=intro),
            *(Text(text=line) for line in lines),
            Buttons(
                buttons=tuple(
                    Button(label=f.title, action=OPEN, value=encode(FeatureRef(feature=f.name)))
                    for f in listed
                )
            ),
        ),
    )


def fallback(features: Sequence[Feature]) -> CommandHandler:
    """Answers `help` and anything no feature claims: never silence."""

    async def answer(command: Command, _services: Services) -> list[Reply]:
        if normalise(command.name) in NAMES:
            intro = "Hello. I'm peerbot. Here is what I can help with:"
        else:
            intro = "Sorry, I didn't understand that. Here is what I can help with:"
        return [_menu(features, intro)]

    return answer


def build(features: Sequence[Feature]) -> Feature:
    """Help's own table entry; its buttons open the feature they name."""
    by_name = {f.name: f for f in features}
    answer = fallback(features)

    async def open_feature(press: ButtonPressed, services: Services) -> list[Reply]:
        feature = by_name.get(decode(FeatureRef, press.value).feature)
        if feature is None:
            return await answer(
                Command(actor=press.actor, conversation=press.conversation, at=press.at, name=""),
                services,
            )
        name, handler = next(iter(feature.commands.items()))
        command = Command(
            actor=press.actor, conversation=press.conversation, at=press.at, name=name
        )
        return await handler(command, services)

    async def home(command: Command, services: Services) -> list[Reply]:
        """Each feature's part of this person's page, then the menu of everything."""
        blocks: list[Block] = [Text(text="Your peerbot", heading=True)]
        for feature in features:
            if feature.home is not None:
                blocks += await feature.home(command.actor, services)
        menu = _menu(features, "Everything peerbot can help with:")
        return [Reply(summary="Your peerbot", blocks=(*blocks, *menu.blocks))]

    return Feature(
        name="help",
        title="Help",
        summary="What peerbot can do.",
        commands={**{name: answer for name in NAMES}, HOME: home},
        actions={OPEN: open_feature},
        listed=False,
    )
