"""Speak up: choose how, tell a guardian, come back with a code. Anonymity by construction."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import replace

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.actions import OPEN, ActionId
from bot.conversation.forms import check_form, chosen, refill, rejected, returned, text_of
from bot.conversation.inbound import (
    Actor,
    ButtonPressed,
    Command,
    FieldValue,
    FormSubmitted,
    Platform,
    person_of,
)
from bot.conversation.payloads import FeatureRef, encode
from bot.conversation.replies import (
    Block,
    Button,
    Buttons,
    ChoiceInput,
    FieldItem,
    Fields,
    Form,
    Notice,
    Option,
    Reply,
    Secret,
    Text,
    TextInput,
    say,
)
from bot.conversation.services import Services
from bot.organisation.people import contacts
from bot.organisation.resources import crisis_blocks
from bot.speakup import alerts
from bot.speakup.attempts import Paused
from bot.speakup.cases import (
    CaseView,
    Concern,
    Key,
    Raised,
    Reporter,
    add_message,
    needs_passphrase,
    occurrence,
    open_case,
    raise_case,
    record_feedback,
    reporters_case,
)
from bot.speakup.codes import Busy, normalise_code
from bot.speakup.deps import SpeakUp
from bot.speakup.opened import code_of, proof, proven
from storage.directory import people_with_role
from storage.organisation import RoleName
from storage.speakup.cases import Author, Case, CaseStatus, Way, case_by_code

SPEAKUP = FeatureRef(feature="speakup")
"""What opens speak-up from help's menu or a home page."""
START = ActionId("speakup", "start")
CHECK = ActionId("speakup", "check")
RAISE = ActionId("speakup", "raise")
LOOKUP = ActionId("speakup", "lookup")
ADD = ActionId("speakup", "add")
ADDED = ActionId("speakup", "added")
FEEDBACK = ActionId("speakup", "feedback")
FEEDBACK_GIVEN = ActionId("speakup", "feedback_given")

WAYS = (
    Option(value=Way.ANONYMOUS, label="Anonymously: nobody, not even peerbot, knows it was me"),
    Option(value=Way.CONFIDENTIAL, label="Confidentially: only the guardian knows it was me"),
    Option(value=Way.OPEN, label="Openly: I am happy to be named"),
)
CATEGORIES = (
    Option(value="patient_safety", label="Patient safety or quality of care"),
    Option(value="worker_safety", label="Worker safety or wellbeing"),
    Option(value="bullying_harassment", label="Bullying or harassment"),
    Option(value="attitudes_behaviours", label="Inappropriate attitudes or behaviours"),
    Option(value="other", label="Something else"),
)
DETRIMENT = (
    Option(value="yes", label="Yes"),
    Option(value="no", label="No"),
    Option(value="unsure", label="Not sure"),
)

RAISE_FORM = Form(
    form=RAISE,
    title="Speak up",
    intro="Take your time. Nothing is sent until you press Send.",
    submit_label="Send",
    inputs=(
        TextInput(field="what", label="What happened?", multiline=True, max_length=5000),
        TextInput(field="where_when", label="Where and when?", required=False, max_length=500),
        ChoiceInput(
            field="categories",
            label="What is it about?",
            options=CATEGORIES,
            multiple=True,
            required=False,
        ),
        ChoiceInput(
            field="detriment",
            label="Have you been treated badly before for speaking up?",
            options=DETRIMENT,
            required=False,
        ),
        TextInput(
            field="outcome", label="What would you like to happen?", required=False, max_length=1000
        ),
        ChoiceInput(field="way", label="How do you want to speak up?", options=WAYS),
    ),
    carried={"reviewed": ""},
)
CHECK_FIRST = (
    "Nothing has been sent yet. Please check your answers, change anything you like, "
    "then press Send."
)


CONTACT = TextInput(
    field="contact",
    label="Your name and how to reach you",
    hint="Leave empty to stay anonymous. An email or phone number the guardian can use.",
    required=False,
    max_length=200,
)


def raise_form(platform: Platform) -> Form:
    """The web form has no chat account to answer, so a named reporter says how to reach them."""
    if platform != Platform.WEB:
        return RAISE_FORM
    return replace(RAISE_FORM, inputs=(*RAISE_FORM.inputs, CONTACT))


CODE_INPUTS = (
    TextInput(field="code", label="Case code", hint="Like SU-7K3M-Q9", max_length=20),
    TextInput(
        field="passphrase",
        label="Passphrase, if you were given one",
        required=False,
        max_length=40,
        # only anonymous reporters have one, and to them it is not optional
        says_when=True,
    ),
)
SPEAK_AGAIN = (
    Option(value="yes", label="Yes"),
    Option(value="no", label="No"),
    Option(value="maybe", label="Maybe"),
    Option(value="dont_know", label="I don't know"),
)


LOOKUP_FORM = Form(
    form=LOOKUP,
    title="Check a case",
    intro="Enter the case code you were given, and your passphrase if you have one.",
    submit_label="Check",
    inputs=CODE_INPUTS,
)


def lookup_form(code: str = "") -> Form:
    return replace(LOOKUP_FORM, inputs=(_with_code(code), CODE_INPUTS[1]))


OPENED = "opened"
ADD_QUESTIONS = Form(
    form=ADDED,
    title="Add to your case",
    intro="The guardian will see this with your case.",
    inputs=(
        TextInput(
            field="text", label="What would you like to add?", multiline=True, max_length=3000
        ),
    ),
)
FEEDBACK_QUESTIONS = Form(
    form=FEEDBACK_GIVEN,
    title="How did it go?",
    inputs=(
        ChoiceInput(
            field="again",
            label="Given your experience, would you speak up again?",
            options=SPEAK_AGAIN,
        ),
        TextInput(
            field="comment",
            label="Anything you would like to tell us?",
            required=False,
            multiline=True,
            max_length=1000,
        ),
    ),
)


def add_form(code: str = "", opened: str = "") -> Form:
    return _reporters_form(ADD_QUESTIONS, code, opened)


def feedback_form(code: str = "", opened: str = "") -> Form:
    return _reporters_form(FEEDBACK_QUESTIONS, code, opened)


def _reporters_form(form: Form, code: str, opened: str) -> Form:
    """Whoever opened the case a moment ago (`opened` is their proof, see bot.speakup.opened)
    is not asked for its code and passphrase again: the form carries them."""
    if opened:
        intro = f"Case {code}. {form.intro}".strip()
        return replace(form, intro=intro, carried={"code": code, OPENED: opened})
    asked = (_with_code(code), CODE_INPUTS[1], *form.inputs)
    return replace(form, inputs=asked, carried={OPENED: ""})


def _with_code(code: str) -> TextInput:
    return TextInput(
        field="code", label="Case code", hint="Like SU-7K3M-Q9", max_length=20, initial=code
    )


NOT_SET_UP = (
    "peerbot cannot take concerns here yet (no sealing key is set). "
    "Please contact a guardian directly."
)


def privacy(platform: Platform, web_form: str) -> str:
    """What the place they are in can see, said before they write a word."""
    if platform == Platform.WEB:
        return (
            "This page keeps no record of you: no login, no address, no tracking. Its only "
            "cookie stops other sites sending forms in your name."
        )
    text = (
        "Good to know: your chat app can see that you opened this form, and organisations "
        "can export chats. The form itself keeps no copy in your chat."
    )
    return f"{text} The web form at {web_form} avoids even that." if web_form else text


async def show(command: Command, services: Services, speakup: SpeakUp) -> list[Reply]:
    """Before anyone writes a word: who sees what, what a guardian can do, who to call now."""
    start = Buttons(
        buttons=(
            Button(label="Start", action=START, style="primary"),
            Button(label="Check a case", action=CHECK),
        )
    )
    return await _intro(command, services, privacy(command.actor.platform, speakup.web_form), start)


async def show_unsealed(command: Command, services: Services) -> list[Reply]:
    """Without a sealing key nothing can be kept safe, so nothing is taken: the same page,
    pointing to the guardians instead."""
    return await _intro(command, services, "", Text(text=NOT_SET_UP))


async def _intro(command: Command, services: Services, note: str, step: Block) -> list[Reply]:
    async with services.db.session() as session:
        guardians = (await people_with_role(session, RoleName.GUARDIAN)).get("", [])
    blocks: list[Block] = [
        Text(text="Speak up", heading=True),
        Text(
            text="A Freedom to Speak Up guardian will listen, keep your concern safe and help "
            "it be heard. They cannot make HR decisions or investigate on their own, but they "
            "make sure the right people act and tell you what happens."
        ),
        Text(text="You choose how:"),
        Fields(
            items=(
                FieldItem(
                    label="Anonymously",
                    value="Nobody knows who you are. You get a case code and passphrase to "
                    "come back with. We cannot contact you.",
                ),
                FieldItem(
                    label="Confidentially",
                    value="The guardian knows who you are. Nobody else does without your say.",
                ),
                FieldItem(label="Openly", value="You are happy to be named."),
            )
        ),
        *([Text(text=note)] if note else []),
        step,
    ]
    if guardians:
        blocks += [Text(text="Or contact a guardian directly:"), contacts(guardians)]
    blocks += await crisis_blocks(services)
    return [Reply(summary="How to speak up", blocks=tuple(blocks))]


async def start(press: ButtonPressed, _services: Services) -> list[Reply]:
    return [Reply(summary="Speak up", blocks=(raise_form(press.actor.platform),))]


async def check(_press: ButtonPressed, _services: Services) -> list[Reply]:
    return [Reply(summary="Check a case", blocks=(LOOKUP_FORM,))]


async def check_typed(command: Command, _services: Services) -> list[Reply]:
    """A case code pasted on its own: the look-up, with the code filled in."""
    code = normalise_code(command.args[0]) if command.args else ""
    return [Reply(summary="Check a case", blocks=(lookup_form(code),))]


async def submitted(form: FormSubmitted, services: Services, speakup: SpeakUp) -> list[Reply]:
    spec = raise_form(form.actor.platform)
    errors = check_form(spec, form.values)
    web = form.actor.platform == Platform.WEB
    if (
        web
        and form.values.get("way") not in (None, Way.ANONYMOUS)
        and not text_of(form.values.get("contact"))
    ):
        errors["contact"] = "Please say how the guardian can reach you, or choose anonymously."
    if errors:
        return [returned(spec, form.values, errors)]
    if text_of(form.values.get("reviewed")) != "yes":
        checked = refill(spec, form.values, {})
        review = replace(checked, intro=CHECK_FIRST, review=True, carried={"reviewed": "yes"})
        return [Reply(summary="Check before you send", blocks=(review,))]
    sealer = speakup.sealer
    concern = _concern(form.values)
    now = services.clock.now()
    reporter = Reporter(
        actor=form.actor,
        address=None if web else person_of(form.actor),
        contact=text_of(form.values.get("contact")),
    )

    # a form sent twice makes one passphrase too many: a slow hash, never a second case
    secret = await speakup.guards.hashes.issue() if needs_passphrase(concern, reporter) else None

    async def make(session: AsyncSession) -> Raised:
        raised = await raise_case(
            session, concern, reporter=reporter, sealer=sealer, today=now.date(), secret=secret
        )
        await alerts.queue(session, await alerts.new_case(session, raised, now), sealer)
        return raised

    raised = await speakup.receipts.once(services.db, form.submission, now, sealer, make)
    return [
        Reply(
            summary="Thank you. Your concern is with a guardian.",
            blocks=_receipt(raised, chat=not web),
        )
    ]


async def looked_up(form: FormSubmitted, services: Services, speakup: SpeakUp) -> list[Reply]:
    if (again := rejected(LOOKUP_FORM, form.values)) is not None:
        return [again]
    try:
        view = await open_case(
            services.db,
            _key(form),
            sealer=speakup.sealer,
            guards=speakup.guards,
            now=services.clock.now(),
        )
    except Busy:
        return [say(BUSY, ephemeral=True)]
    except Paused as paused:
        return [say(paused_text(paused), ephemeral=True)]
    if view is None:
        return [say(NO_MATCH, ephemeral=True)]
    opened = proof(speakup.guards.attempts.key, view.code, form.actor, services.clock.now())
    return [_case_reply(view, opened)]


NO_MATCH = (
    "We could not open a case with those details. Please check them and try again later. "
    "If you are stuck, a guardian can help."
)
BUSY = "peerbot is very busy just now. Please try again in a minute."


def paused_text(paused: Paused) -> str:
    minutes = math.ceil(paused.wait.total_seconds() / 60)
    return (
        f"There have been too many tries, so checking is paused for {minutes} minutes. "
        "Please try again after that. If you are stuck, a guardian can help."
    )


async def _case(services: Services, code: str) -> Case | None:
    async with services.db.session() as session:
        return await case_by_code(session, code)


def _key(form: FormSubmitted) -> Key:
    return Key(
        code=text_of(form.values.get("code")),
        passphrase=text_of(form.values.get("passphrase")),
        actor=form.actor,
    )


async def add(press: ButtonPressed, services: Services, speakup: SpeakUp) -> list[Reply]:
    form = _for_case(press, services, speakup, add_form)
    return [Reply(summary="Add to your case", blocks=(form,))]


async def feedback(press: ButtonPressed, services: Services, speakup: SpeakUp) -> list[Reply]:
    form = _for_case(press, services, speakup, feedback_form)
    return [Reply(summary="How did it go?", blocks=(form,))]


FormFor = Callable[[str, str], Form]
"""A reporter's form for a case: (code, proof it was just opened) -> the form."""


def _for_case(
    press: ButtonPressed, services: Services, speakup: SpeakUp, form_for: FormFor
) -> Form:
    """The button's value is the proof the case was just opened here, or (from an older
    message, or once the proof is stale) only its code: then code and passphrase are asked."""
    key, now = speakup.guards.attempts.key, services.clock.now()
    if proven(key, press.value, press.actor, now) is not None:
        return form_for(code_of(press.value), press.value)
    return form_for(code_of(press.value), "")


async def added(form: FormSubmitted, services: Services, speakup: SpeakUp) -> list[Reply]:
    """The reporter's own words join the case, sealed; guardians are told by code only."""
    return await _as_reporter(form, services, speakup, add_form, feedback=False)


async def feedback_given(form: FormSubmitted, services: Services, speakup: SpeakUp) -> list[Reply]:
    return await _as_reporter(form, services, speakup, feedback_form, feedback=True)


async def _as_reporter(
    form: FormSubmitted, services: Services, speakup: SpeakUp, form_for: FormFor, *, feedback: bool
) -> list[Reply]:
    """Nothing typed is lost: any reason the case cannot be reached comes back beside the
    passphrase, with the form as it was sent."""
    now, code = services.clock.now(), text_of(form.values.get("code"))
    opened = text_of(form.values.get(OPENED))
    just_opened = proven(speakup.guards.attempts.key, opened, form.actor, now) == code
    spec = form_for(code, opened) if just_opened else form_for("", "")

    beside = spec.inputs[0].field if just_opened else "passphrase"

    def again(error: str) -> list[Reply]:
        errors = check_form(spec, form.values) or {beside: error}
        return [returned(spec, form.values, errors)]

    if check_form(spec, form.values):
        return again("")
    sealer = speakup.sealer
    try:
        case = (
            await _case(services, code)
            if just_opened
            else await reporters_case(
                services.db, _key(form), sealer=sealer, guards=speakup.guards, now=now
            )
        )
    except Busy:
        return again(BUSY)
    except Paused as paused:
        return again(paused_text(paused))
    if case is None:
        return again(NO_MATCH)
    async with services.db.session() as session:
        if feedback:
            if case.status != CaseStatus.CLOSED:
                return [say("You can answer this once your case is closed.", ephemeral=True)]
            record_feedback(
                session,
                case,
                text_of(form.values.get("again")),
                text_of(form.values.get("comment")),
                sealer=sealer,
                today=now.date(),
            )
            return [
                Reply(
                    summary="Thank you",
                    blocks=(
                        Notice(
                            title="Thank you", text="Your answer helps us make speaking up safer."
                        ),
                    ),
                )
            ]
        if case.status == CaseStatus.CLOSED:
            return [
                say(
                    f"Case {case.code} is closed. You can raise a new concern at any time.",
                    ephemeral=True,
                )
            ]
        message = add_message(
            session,
            case,
            Author.REPORTER,
            text_of(form.values.get("text")),
            sealer=sealer,
            today=now.date(),
        )
        about = await occurrence(session, form.submission, message)
        added = await alerts.reporter_added(session, case.code, about, now)
        await alerts.queue(session, added, sealer)
    return [
        Reply(
            summary="Added",
            blocks=(
                Notice(
                    title="Added to your case",
                    text=f"The guardian will see it with case {case.code}.",
                ),
            ),
        )
    ]


def _concern(values: Mapping[str, FieldValue]) -> Concern:
    return Concern(
        what=text_of(values.get("what")),
        where_when=text_of(values.get("where_when")),
        outcome=text_of(values.get("outcome")),
        categories=chosen(values.get("categories")),
        detriment=detriment_of(values.get("detriment")),
        unsure=text_of(values.get("detriment")) == "unsure",
        way=Way(text_of(values.get("way"))),
    )


def detriment_of(value: FieldValue) -> bool | None:
    """The DETRIMENT answer: yes, no, or not said (also for "not sure")."""
    return {"yes": True, "no": False}.get(text_of(value))


def _receipt(raised: Raised, *, chat: bool) -> tuple[Block, ...]:
    keep: list[Block] = [Secret(label="Your case code", value=raised.code)]
    how = "Keep your case code: you need it to come back to your case."
    if raised.passphrase:
        keep.append(Secret(label="Your passphrase", value=raised.passphrase))
        how = (
            "Copy both now and keep them safe: this is the only time the passphrase is shown. "
            "Come back with them to read replies."
        )
    if raised.way == Way.ANONYMOUS:
        lines = ["We cannot contact you, so please check back."]
    elif chat:
        lines = ["We will message you directly when a guardian replies."]
    else:
        lines = ["The guardian may also use the contact details you gave."]
    lines.append(
        f"A guardian will acknowledge it by {alerts.day(raised.acknowledge_by)} and tell you "
        f"what is happening by {alerts.day(raised.feedback_by)}."
    )
    return (
        Notice(title="Thank you for speaking up", text=how),
        *keep,
        Text(text="\n".join(lines)),
    )


def _case_reply(view: CaseView, opened: str) -> Reply:
    """`opened` rides on its buttons, so adding to the case asks nothing again."""
    status = {
        CaseStatus.NEW: "Received, waiting for a guardian",
        CaseStatus.ACKNOWLEDGED: "A guardian is working on it",
        CaseStatus.CLOSED: "Closed",
    }[view.status]
    blocks: list[Block] = [
        Text(text=f"Case {view.code}", heading=True),
        Fields(items=(FieldItem(label="Status", value=status),)),
    ]
    names = {"guardian": "Guardian", "reporter": "You", "outcome": "Outcome", "feedback": "You"}
    if view.messages:
        blocks.append(
            Fields(items=tuple(FieldItem(label=names.get(a, a), value=t) for a, t in view.messages))
        )
    else:
        blocks.append(Text(text="No replies yet."))
    if view.status != CaseStatus.CLOSED:
        blocks.append(Buttons(buttons=(Button(label="Add something", action=ADD, value=opened),)))
    elif view.feedback is None:
        blocks.append(
            Buttons(
                buttons=(Button(label="Would you speak up again?", action=FEEDBACK, value=opened),)
            )
        )
    return Reply(summary=f"Case {view.code}: {status}", blocks=tuple(blocks), ephemeral=True)


async def home(_actor: Actor, _services: Services) -> list[Block]:
    return [
        Text(text="Worried about something at work? You can speak up safely."),
        Buttons(
            buttons=(
                Button(label="Speak up", action=OPEN, value=encode(SPEAKUP), style="primary"),
                Button(label="Check a case", action=CHECK),
            )
        ),
    ]
