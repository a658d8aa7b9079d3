"""A conversation with peerbot in the terminal: the console platform, end to end."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Sequence
from datetime import UTC, tzinfo
from pathlib import Path
from typing import TextIO

from adapters.console.address import console_actor, console_address
from adapters.console.lines import PROMPT, LineSource, TerminalLines
from adapters.console.menu import Menu, span
from adapters.console.questions import (
    NUMBER,
    continues,
    cut_to_fit,
    kept,
    parse_answer,
    problems,
    question,
    review,
    too_long,
)
from adapters.console.render import wrap
from adapters.console.sender import FILES, ConsoleSender, save
from bot.conversation.forms import check_field, refill
from bot.conversation.inbound import (
    ButtonPressed,
    Conversation,
    FieldValue,
    FormSubmitted,
    InboundEvent,
    PersonAddress,
    Surface,
    TextMessage,
)
from bot.conversation.plan import OpenForm, Refuse, ReplaceForm, Step, UpdatePressed, plan
from bot.conversation.replies import Form, FormInput, Reply, TextInput
from bot.conversation.router import Router
from bot.conversation.services import Services
from bot.organisation.zone import viewer_zone

logger = logging.getLogger(__name__)

FORM_PROMPT = "...> "
QUIT = {"quit", "exit", "bye"}
CANCEL = "cancel"
WELCOME = "Welcome to peerbot. Type a word like 'help', a number to pick an option, or 'quit'."
BYE = "Bye. Take care of yourself."
SORRY = "Sorry, something went wrong on our side. Please try again."
CANCELLED = "Form cancelled. Nothing was sent."
LOOK_AGAIN = "Some answers need another look:"
COMMAND_OR_ANSWER = (
    "“{word}” is also something you can type to peerbot.\n"
    "  [1] Use “{word}” as the answer\n"
    "  [2] Stop this form and go to {word} (nothing is sent)\n"
    "Type 1 or 2."
)
REVIEW_CHOICES = "  [1] {send}\n  [2] Change an answer\nType 1 or 2, or 'cancel' to send nothing."
ASKS = Surface(can_open_form=True)
"""The console can always ask a form's questions, one by one."""
PRESSED = Surface(can_open_form=True, on_message=True)
"""A number typed presses a button on a message on screen, which the answer may change."""


class SessionOver(Exception):
    """The person left (or input ran out) in the middle of a form."""


class FormCancelled(Exception):
    def __init__(self, *, leaving: bool) -> None:
        super().__init__("leaving" if leaving else "cancelled")
        self.leaving = leaving


class FormLeft(FormCancelled):
    """The person typed a command at a question and meant it: the form is dropped and the
    command answered."""

    def __init__(self, command: str) -> None:
        super().__init__(leaving=False)
        self.command = command


class ConsoleSession:
    """Reads lines, routes them as neutral events, prints the replies.

    Times are shown on the person's own clock (`time_zone`), else the organisation's
    (`home_zone`); a reply's files are saved in `files`. It is also the console's outbox
    sender (through a ConsoleSender it owns), so a message that arrives while the person
    is here is printed, and its buttons become the ones a typed number presses.
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
        home_zone: tzinfo = UTC,
        files: Path = FILES,
        greeting: bool = True,
    ) -> None:
        self._router = router
        self._services = services
        self._lines = lines
        self._out = out
        self._actor = console_actor(user_id, time_zone)
        self._address = console_address(user_id)
        self._greeting = greeting
        self._menu = Menu()
        self._sender = ConsoleSender(
            out, user_id=user_id, menu=self._menu, arrived=self._arrived, folder=files
        )
        self._zone = self._sender.zone = viewer_zone(self._actor, home_zone)

    async def run(self) -> None:
        """Until `quit`, the end of input or a signal (see adapters.cli); nothing typed can
        end it any other way."""
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
        finally:  # cancelled by Ctrl-C or SIGTERM too
            self._say(f"\n{BYE}")

    async def send(self, address: Conversation, reply: Reply, *, key: str = "") -> None:
        """The Sender port, so the composition root can register the session itself."""
        await self._sender.send(address, reply, key=key)

    async def already_sent(self, address: Conversation, key: str) -> bool:
        return await self._sender.already_sent(address, key)

    async def resolve(self, person: PersonAddress) -> Conversation:
        return await self._sender.resolve(person)

    def _arrived(self) -> None:
        # Only a terminal shows a prompt while it waits; a pipe echoes after reading.
        if isinstance(self._lines, TerminalLines):
            self._lines.redraw()

    async def _typed(self, text: str) -> None:
        if not NUMBER.fullmatch(text):
            await self._handle(self._text(text))
            return
        number = int(text)
        if (found := self._menu.pressed(number)) is None:
            self._say(self._no_such_option(number))
            return
        pick, message = found
        press = ButtonPressed(
            actor=self._actor,
            conversation=self._address,
            at=self._services.clock.now(),
            action=pick.action,
            value=pick.value,
            surface=PRESSED,
        )
        await self._handle(press, pressed=message)

    def _no_such_option(self, number: int) -> str:
        shown = self._menu.numbers()
        if not shown:
            return "There is nothing to pick by number just now. Type 'help' to see what I can do."
        if self._menu.gone(number):
            return (
                f"Option {number} isn't there any more: the list has changed. Type {span(shown)}."
            )
        return f"There is no option {number}. Type {span(shown)}, or 'help'."

    async def _handle(self, event: InboundEvent, *, pressed: int | None = None) -> None:
        try:
            replies = await self._router.handle(event, self._services)
        except Exception as exc:
            self._failed(event, exc)
            return
        await self._show(replies, after=event, pressed=pressed)

    async def _show(
        self, replies: list[Reply], *, after: InboundEvent, pressed: int | None = None
    ) -> None:
        """Carry out the reply plan: everything is printed, then a form it opens (or that
        takes a submitted one's place) is filled in, question by question. A refused form
        asks only the refused fields again, keeping every other answer. `pressed` is the
        message whose button was pressed, which an answer may change in its place."""
        steps = plan(after, replies)
        text = self._numbered(steps, pressed)
        if text:
            self._say(text)
        for step in steps:
            for line in save(step.reply.files, self._sender.folder):
                self._say(line)
        for step in steps:
            match step:
                case Refuse() if isinstance(after, FormSubmitted):
                    await self._fill(step.form, dict(after.values))
                    return
                case (
                    OpenForm(reply=Reply(form=Form() as form))
                    | ReplaceForm(reply=Reply(form=Form() as form))
                ):
                    if form.review:
                        await self._review(form)
                    else:
                        await self._fill(form, dict(form.carried))
                    return

    def _numbered(self, steps: Sequence[Step], pressed: int | None) -> str:
        """The answer's text with its options numbered: a message changed where it stands
        keeps the numbers of the options still in it (see Menu), anything else is new."""
        if pressed is None or not any(isinstance(step, UpdatePressed) for step in steps):
            return self._menu.answer([step.reply for step in steps], self._zone)
        texts = []
        for step in steps:
            if isinstance(step, UpdatePressed) and pressed is not None:
                texts.append(self._menu.update(pressed, step.reply, self._zone))
                pressed = None  # one message was pressed; any other reply is new
            else:
                texts.append(self._menu.add([step.reply], self._zone))
        return "\n".join(text for text in texts if text.strip())

    async def _fill(self, form: Form, answers: dict[str, FieldValue]) -> None:
        self._say(f"\n{form.title}")
        if form.errors:
            self._say(LOOK_AGAIN)
            if listed := problems(form):
                self._say(listed)
        else:
            if form.intro:
                self._say(wrap(form.intro))
            self._say(f"(Type '{CANCEL}' at any question to stop. Nothing is sent until the end.)")
        again = [spec for spec in form.inputs if spec.field in form.errors]
        try:
            for spec in again or form.inputs:
                answers[spec.field] = await self._ask(spec, form.errors.get(spec.field))
        except FormCancelled as cancelled:
            await self._cancelled(cancelled)
            return
        await self._submit(form, answers)

    async def _review(self, form: Form) -> None:
        """The answers, numbered, with a real Send step: send, change one, or cancel."""
        answers: dict[str, FieldValue] = {**form.carried}
        answers |= {spec.field: kept(spec) for spec in form.inputs}
        try:
            while True:
                self._say(f"\n{form.title}")
                if form.intro:
                    self._say(wrap(form.intro))
                self._say(review(form.inputs))
                self._say(REVIEW_CHOICES.format(send=form.submit_label))
                word = (await self._answer(None)).strip()
                if word == "1":
                    break
                if word == "2":
                    spec = await self._which(form.inputs)
                    answers[spec.field] = await self._ask(spec, None)
                    form = refill(form, answers, {})
                else:
                    self._say(f"! {REVIEW_CHOICES.format(send=form.submit_label)}")
        except FormCancelled as cancelled:
            await self._cancelled(cancelled)
            return
        await self._submit(form, answers)

    async def _which(self, inputs: Sequence[FormInput]) -> FormInput:
        self._say(f"Which answer? Type its number, from 1 to {len(inputs)}.")
        while True:
            typed = (await self._answer(None)).strip()
            if NUMBER.fullmatch(typed) and 1 <= int(typed) <= len(inputs):
                return inputs[int(typed) - 1]
            self._say(f"! Please type a number from 1 to {len(inputs)}.")

    async def _cancelled(self, cancelled: FormCancelled) -> None:
        self._say(CANCELLED)
        if cancelled.leaving:
            raise SessionOver from None
        if isinstance(cancelled, FormLeft):
            await self._handle(self._text(cancelled.command))

    async def _submit(self, form: Form, answers: dict[str, FieldValue]) -> None:
        await self._handle(
            FormSubmitted(
                actor=self._actor,
                conversation=self._address,
                at=self._services.clock.now(),
                form=form.form,
                values=dict(answers),
                surface=Surface(in_form=True, can_open_form=True),
            )
        )

    async def _ask(self, spec: FormInput, error: str | None) -> FieldValue:
        """Ask until the answer passes the same checks every platform makes."""
        self._say(question(spec))
        while True:
            if error:
                self._say(f"! {error}")
            typed = await self._answer(spec)
            if isinstance(spec, TextInput) and self._is_command(typed):
                await self._answer_or_leave(typed)
            value, error = parse_answer(spec, typed)
            error = error or check_field(spec, value)
            if error is None:
                return value
            if (cut := cut_to_fit(spec, value)) is not None:
                spec, error = cut, f"{error} {too_long(cut)}"

    def _is_command(self, typed: str) -> bool:
        """Whether an answer is one of peerbot's words alone (`events`, `help`), which
        someone may type to get out of a form they did not mean to be in."""
        if not typed or "\n" in typed:
            return False
        command = self._router.command_of(self._text(typed))
        return not command.args and self._router.answers(command.name)

    async def _answer_or_leave(self, typed: str) -> None:
        """Ask before taking a command word as an answer; raises FormLeft to go to it."""
        self._say(COMMAND_OR_ANSWER.format(word=typed))
        while (choice := (await self._answer(None)).strip()) not in {"1", "2"}:
            self._say("! Please type 1 or 2.")
        if choice == "2":
            raise FormLeft(typed)

    async def _answer(self, spec: FormInput | None) -> str:
        line = await self._read_in_form()
        word = line.strip().lower()
        if word == CANCEL:
            raise FormCancelled(leaving=False)
        if word in QUIT:
            raise FormCancelled(leaving=True)
        parts = [line]
        while spec is not None and continues(spec) and parts[-1].rstrip().endswith("\\"):
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
                name = self._router.command_of(event).name
                return f"command {name}" if self._router.answers(name) else "an unknown command"
        return type(event).__name__

    def _text(self, text: str) -> TextMessage:
        return TextMessage(
            actor=self._actor,
            conversation=self._address,
            at=self._services.clock.now(),
            text=text,
            surface=ASKS,
        )

    def _say(self, text: str) -> None:
        self._out.write(text + "\n")
        self._out.flush()


__all__ = ["ConsoleSession"]
