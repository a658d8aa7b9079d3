"""Speak up: choose how, tell a guardian, come back with a code. Anonymity by construction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.actions import ActionId
from bot.events import (
    Actor,
    ButtonPressed,
    Command,
    FieldValue,
    FormSubmitted,
    Platform,
)
from bot.features.help import OPEN
from bot.features.people import contacts
from bot.features.support import crisis_blocks
from bot.forms import check_form, chosen, refill, text_of
from bot.replies import (
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
    Text,
    TextInput,
    say,
)
from bot.router import Feature
from bot.services import Services
from bot.speakup import alerts
from bot.speakup.cases import (
    CaseView,
    Concern,
    Key,
    Raised,
    Reporter,
    add_message,
    needs_passphrase,
    open_case,
    raise_case,
    record_feedback,
    reporters_case,
)
from bot.speakup.codes import Busy
from storage.directory import people_with_role
from storage.organisation import RoleName
from storage.speakup import Author, CaseStatus, Way

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
        label="Passphrase",
        hint="If you were given one",
        required=False,
        max_length=40,
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


def add_form(code: str = "") -> Form:
    return Form(
        form=ADDED,
        title="Add to your case",
        intro="The guardian will see this with your case.",
        inputs=(
            _with_code(code),
            CODE_INPUTS[1],
            TextInput(
                field="text", label="What would you like to add?", multiline=True, max_length=3000
            ),
        ),
    )


def feedback_form(code: str = "") -> Form:
    return Form(
        form=FEEDBACK_GIVEN,
        title="How did it go?",
        inputs=(
            _with_code(code),
            CODE_INPUTS[1],
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


async def show(command: Command, services: Services) -> list[Reply]:
    """Before anyone writes a word: who sees what, what a guardian can do, who to call now."""
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
        Text(text=privacy(command.actor.platform, services.web_form)),
    ]
    if services.sealer is None:
        blocks.append(Text(text=NOT_SET_UP))
    else:
        blocks.append(
            Buttons(
                buttons=(
                    Button(label="Start", action=START, style="primary"),
                    Button(label="Check a case", action=CHECK),
                )
            )
        )
    if guardians:
        blocks += [Text(text="Or contact a guardian directly:"), contacts(guardians)]
    blocks += await crisis_blocks(services)
    return [Reply(summary="How to speak up", blocks=tuple(blocks))]


async def start(press: ButtonPressed, services: Services) -> list[Reply]:
    if services.sealer is None:
        return [say(NOT_SET_UP)]
    return [Reply(summary="Speak up", blocks=(raise_form(press.actor.platform),))]


async def check(_press: ButtonPressed, _services: Services) -> list[Reply]:
    return [Reply(summary="Check a case", blocks=(LOOKUP_FORM,))]


async def submitted(form: FormSubmitted, services: Services) -> list[Reply]:
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
        return [Reply(summary="Please check the form", blocks=(refill(spec, form.values, errors),))]
    sealer = services.sealer
    if sealer is None:
        return [say(NOT_SET_UP)]
    concern = _concern(form.values)
    now = services.clock.now()
    reporter = Reporter(
        actor=form.actor,
        address=None if web else form.conversation,
        contact=text_of(form.values.get("contact")),
    )

    # a form sent twice makes one passphrase too many: a slow hash, never a second case
    secret = await services.guards.hashes.issue() if needs_passphrase(concern, reporter) else None

    async def make(session: AsyncSession) -> Raised:
        raised = await raise_case(
            session, concern, reporter=reporter, sealer=sealer, today=now.date(), secret=secret
        )
        await alerts.queue(session, await alerts.new_case(session, raised, now), sealer)
        return raised

    raised = await services.receipts.once(services.db, form.submission, now, sealer, make)
    return [
        Reply(
            summary="Thank you. Your concern is with a guardian.",
            blocks=(_receipt(raised, chat=not web),),
        )
    ]


async def looked_up(form: FormSubmitted, services: Services) -> list[Reply]:
    errors = check_form(LOOKUP_FORM, form.values)
    if errors:
        return [
            Reply(
                summary="Please check the form", blocks=(refill(LOOKUP_FORM, form.values, errors),)
            )
        ]
    if services.sealer is None:
        return [say(NOT_SET_UP)]
    try:
        view = await open_case(
            services.db,
            _key(form),
            sealer=services.sealer,
            guards=services.guards,
            now=services.clock.now(),
        )
    except Busy:
        return [say(BUSY, ephemeral=True)]
    if view is None:
        return [say(NO_MATCH, ephemeral=True)]
    return [_case_reply(view)]


NO_MATCH = (
    "We could not open a case with those details. Please check them and try again later. "
    "If you are stuck, a guardian can help."
)
BUSY = "peerbot is very busy just now. Please try again in a minute."


def _key(form: FormSubmitted) -> Key:
    return Key(
        code=text_of(form.values.get("code")),
        passphrase=text_of(form.values.get("passphrase")),
        actor=form.actor,
    )


async def add(press: ButtonPressed, _services: Services) -> list[Reply]:
    return [Reply(summary="Add to your case", blocks=(add_form(press.value),))]


async def feedback(press: ButtonPressed, _services: Services) -> list[Reply]:
    return [Reply(summary="How did it go?", blocks=(feedback_form(press.value),))]


async def added(form: FormSubmitted, services: Services) -> list[Reply]:
    """The reporter's own words join the case, sealed; guardians are told by code only."""
    return await _as_reporter(form, services, add_form(), feedback=False)


async def feedback_given(form: FormSubmitted, services: Services) -> list[Reply]:
    return await _as_reporter(form, services, feedback_form(), feedback=True)


async def _as_reporter(
    form: FormSubmitted, services: Services, spec: Form, *, feedback: bool
) -> list[Reply]:
    errors = check_form(spec, form.values)
    if errors:
        return [Reply(summary="Please check the form", blocks=(refill(spec, form.values, errors),))]
    sealer = services.sealer
    if sealer is None:
        return [say(NOT_SET_UP)]
    now = services.clock.now()
    try:
        case = await reporters_case(
            services.db, _key(form), sealer=sealer, guards=services.guards, now=now
        )
    except Busy:
        return [say(BUSY, ephemeral=True)]
    if case is None:
        return [say(NO_MATCH, ephemeral=True)]
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
        add_message(
            session,
            case,
            Author.REPORTER,
            text_of(form.values.get("text")),
            sealer=sealer,
            today=now.date(),
        )
        await alerts.queue(session, await alerts.reporter_added(session, case.code, now), sealer)
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
        way=Way(text_of(values.get("way"))),
    )


def detriment_of(value: FieldValue) -> bool | None:
    """The DETRIMENT answer: yes, no, or not said (also for "not sure")."""
    return {"yes": True, "no": False}.get(text_of(value))


def _receipt(raised: Raised, *, chat: bool) -> Notice:
    lines = [f"Your case code is {raised.code}."]
    if raised.passphrase:
        lines += [
            f"Your passphrase is {raised.passphrase}",
            "Copy both now and keep them safe: this is the only time the passphrase is shown. "
            "Come back with them to read replies.",
        ]
    if raised.way == Way.ANONYMOUS:
        lines.append("We cannot contact you, so please check back.")
    elif chat:
        lines.append("We will message you here when a guardian replies.")
    else:
        lines.append("The guardian may also use the contact details you gave.")
    lines.append(
        f"A guardian will acknowledge it by {alerts.day(raised.acknowledge_by)} and tell you "
        f"what is happening by {alerts.day(raised.feedback_by)}."
    )
    return Notice(title="Thank you for speaking up", text="\n".join(lines))


def _case_reply(view: CaseView) -> Reply:
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
        blocks.append(
            Buttons(buttons=(Button(label="Add something", action=ADD, value=view.code),))
        )
    elif view.feedback is None:
        blocks.append(
            Buttons(
                buttons=(
                    Button(label="Would you speak up again?", action=FEEDBACK, value=view.code),
                )
            )
        )
    return Reply(summary=f"Case {view.code}: {status}", blocks=tuple(blocks), ephemeral=True)


async def home(_actor: Actor, _services: Services) -> list[Block]:
    return [
        Text(text="Worried about something at work? You can speak up safely."),
        Buttons(
            buttons=(
                Button(label="Speak up", action=OPEN, value="speakup", style="primary"),
                Button(label="Check a case", action=CHECK),
            )
        ),
    ]


FEATURE = Feature(
    name="speakup",
    title="Speak up",
    summary="Raise a concern safely, anonymously if you need to.",
    commands={"speakup": show, "concern": show},
    actions={START: start, CHECK: check, ADD: add, FEEDBACK: feedback},
    forms={RAISE: submitted, LOOKUP: looked_up, ADDED: added, FEEDBACK_GIVEN: feedback_given},
    home=home,
    due=alerts.due,
    confidential=True,
)
