"""What the web form may do: speak up as a reporter, and nothing else.

The page has no login, so anyone who can reach it can press any button it accepts. Only
the reporter's own buttons and forms are open here, named one by one: guardian casework
lives in the same speak-up feature, and it, like every other feature, stays behind a chat
platform that knows who is asking.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.conversation.actions import OPEN, ActionId
from bot.conversation.inbound import Platform
from bot.conversation.payloads import named_feature
from bot.conversation.replies import Form
from bot.speakup import reporter as speakup
from bot.speakup.feature import NAME

PATH = "/speakup"
COMMAND = "speakup"
ACTIONS: frozenset[ActionId] = frozenset(
    {speakup.START, speakup.CHECK, speakup.ADD, speakup.FEEDBACK}
)
SPECS: Mapping[ActionId, Form] = {
    speakup.RAISE: speakup.raise_form(Platform.WEB),
    speakup.LOOKUP: speakup.LOOKUP_FORM,
    speakup.ADDED: speakup.add_form(),
    speakup.FEEDBACK_GIVEN: speakup.feedback_form(),
}
"""Each form the web pages show, as they show it: what a post of it may hold."""
FORMS: frozenset[ActionId] = frozenset(SPECS)


def opens_start(action: ActionId, value: str) -> bool:
    """A chat home button that opens speak-up is, on the web, a link to the first page."""
    return action == OPEN and named_feature(value) == NAME
