"""A conversation with peerbot in the terminal: the console platform, end to end."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Sequence
from typing import TextIO

from adapters.console.address import console_actor, console_address
from adapters.console.lines import PROMPT, LineSource, TerminalLines
from adapters.console.questions import NUMBER, continues, parse_answer, question
from adapters.console.render import Pick, render_all
from adapters.console.sender import ConsoleSender
from bot.events import (
    ButtonPressed,
    Conversation,
    FieldValue,
    FormSubmitted,
    InboundEvent,
    TextMessage,
)
from bot.forms import check_field
from bot.replies import Form, FormInput, Reply
from bot.router import Router, as_command
from bot.services import Services

logger = logging.getLogger(__name__)

FORM_PROMPT = "...> "
QUIT = {"quit", "exit", "bye"}
CANCEL = "cancel"
WELCOME = "Welcome to peerbot. Type a word like 'help', a number to pick an option, or 'quit'."
BYE = "Bye. Take care of yourself."
SORRY = "Sorry, something went wrong on our side. Please try again."
CANCELLED = "Form cancelled. Nothing was sent."
LOOK_AGAIN = "Some answers need another look:"


class SessionOver(Exception):
    """The person left (or input ran out) in the middle of a form."""


class FormCancelled(Exception):
    def __init__(self, *, leaving: bool) -> None:
        super().__init__("leaving" if leaving else "cancelled")
        self.leaving = leaving


class ConsoleSession:
    """Reads lines, routes them as neutral events, prints the replies.

    It is also the console's outbox sender (through a ConsoleSender it owns), so a
    message that arrives while the person is here is printed, and its buttons become
    the ones a typed number presses.
    """

    def __init__(
        self,
        router: Router,
        services: Services,
        *,
        lines: LineSource,
        out: TextIO,
        user_id: str,
        time_zone: str | None = None,
        greeting: bool = True,
    ) -> None:
        self._router = router
        self._services = services
        self._lines = lines
        self._out = out
        self._actor = console_actor(user_id, time_zone)
        self._address = console_address(user_id)
        self._greeting = greeting
        self._picks: list[Pick] = []
        self._sender = ConsoleSender(out, arrived=self._arrived)

    async def run(self) -> None:
        """Until `quit` or the end of input; nothing typed can end it any other way."""
        self._say(WELCOME)
        try:
            if self._greeting:
                await self._handle(self._text("help"))
            while (line := await self._lines.read(PROMPT)) is not None:
                text = line.strip()
                if text.lower() in QUIT:
                    break
                if text:
                    await self._typed(text)
        except SessionOver:
            pass
        self._say(f"\n{BYE}")

    async def send(self, address: Conversation, reply: Reply, *, key: str = "") -> None:
        """The Sender port, so the composition root can register the session itself."""
        await self._sender.send(address, reply, key=key)

    async def already_sent(self, address: Conversation, key: str) -> bool:
        return await self._sender.already_sent(address, key)

    def _arrived(self, picks: Sequence[Pick]) -> None:
        # A message without options leaves the menu on screen pickable.
        if picks:
            self._picks = list(picks)
        # Only a terminal shows a prompt while it waits; a pipe echoes after reading.
        if isinstance(self._lines, TerminalLines):
            self._lines.redraw()

    async def _typed(self, text: str) -> None:
        if not NUMBER.fullmatch(text):
            await self._handle(self._text(text))
            return
        number = int(text)
        if not 1 <= number <= len(self._picks):
            self._say(self._no_such_option(number))
            return
        pick = self._picks[number - 1]
        await self._handle(
            ButtonPressed(
                actor=self._actor,
                conversation=self._address,
                at=self._services.clock.now(),
                action=pick.action,
                value=pick.value,
            )
        )

    def _no_such_option(self, number: int) -> str:
        count = len(self._picks)
        if count == 0:
            return "There is nothing to pick by number just now. Type 'help' to see what I can do."
        span = "1" if count == 1 else f"a number from 1 to {count}"
        return f"There is no option {number}. Type {span}, or 'help'."

    async def _handle(self, event: InboundEvent) -> None:
        try:
            replies = await self._router.handle(event, self._services)
        except Exception as exc:
            self._failed(event, exc)
            return
        await self._show(replies, after=event)

    async def _show(self, replies: list[Reply], *, after: InboundEvent) -> None:
        """Print an answer; a form in it is then filled in, question by question.

        The same form handed back with errors after it was submitted is a refusal: only
        the refused fields are asked again and every other answer is kept.
        """
        text, self._picks = render_all(replies)
        if text:
            self._say(text)
        form = next((r.form for r in replies if r.form is not None), None)
        if form is None:
            return
        if isinstance(after, FormSubmitted) and form.form == after.form and form.errors:
            await self._fill(form, dict(after.values))
        else:
            await self._fill(form, {})

    async def _fill(self, form: Form, answers: dict[str, FieldValue]) -> None:
        self._say(f"\n{form.title}")
        fields = {spec.field for spec in form.inputs}
        if form.errors:
            self._say(LOOK_AGAIN)
            # An error no field owns is shown here; every field is then offered again.
            for field, error in form.errors.items():
                if field not in fields:
                    self._say(f"! {error}")
        else:
            if form.intro:
                self._say(form.intro)
            self._say(f"(Type '{CANCEL}' at any question to stop. Nothing is sent until the end.)")
        again = [spec for spec in form.inputs if spec.field in form.errors]
        try:
            for spec in again or form.inputs:
                answers[spec.field] = await self._ask(spec, form.errors.get(spec.field))
        except FormCancelled as cancelled:
            self._say(CANCELLED)
            if cancelled.leaving:
                raise SessionOver from None
            return
        await self._handle(
            FormSubmitted(
                actor=self._actor,
                conversation=self._address,
                at=self._services.clock.now(),
                form=form.form,
                values=dict(answers),
            )
        )

    async def _ask(self, spec: FormInput, error: str | None) -> FieldValue:
        """Ask until the answer passes the same checks every platform makes."""
        self._say(question(spec))
        while True:
            if error:
                self._say(f"! {error}")
            value, error = parse_answer(spec, await self._answer(spec))
            error = error or check_field(spec, value)
            if error is None:
                return value

    async def _answer(self, spec: FormInput) -> str:
        line = await self._read_in_form()
        word = line.strip().lower()
        if word == CANCEL:
            raise FormCancelled(leaving=False)
        if word in QUIT:
            raise FormCancelled(leaving=True)
        parts = [line]
        while continues(spec) and parts[-1].rstrip().endswith("\\"):
            parts[-1] = parts[-1].rstrip()[:-1].rstrip()
            parts.append(await self._read_in_form())
        return "\n".join(parts).strip()

    async def _read_in_form(self) -> str:
        line = await self._lines.read(FORM_PROMPT)
        if line is None:
            raise FormCancelled(leaving=True)
        return line

    def _failed(self, event: InboundEvent, exc: Exception) -> None:
        """Log where it broke, never what was typed: an exception's message may quote it,
        so only its kind and the code locations are kept."""
        logger.error(
            "console: %s failed with %s\n%s",
            self._what(event),
            type(exc).__name__,
            "".join(traceback.format_tb(exc.__traceback__)).rstrip(),
        )
        self._say(SORRY)

    def _what(self, event: InboundEvent) -> str:
        match event:
            case ButtonPressed(action=action):
                return f"action {action}"
            case FormSubmitted(form=form):
                return f"form {form}"
            case TextMessage():
                name = as_command(event).name
                return f"command {name}" if self._router.answers(name) else "an unknown command"
        return type(event).__name__

    def _text(self, text: str) -> TextMessage:
        return TextMessage(
            actor=self._actor, conversation=self._address, at=self._services.clock.now(), text=text
        )

    def _say(self, text: str) -> None:
        self._out.write(text + "\n")
        self._out.flush()


__all__ = ["ConsoleSession"]
