"""The reply plan: where each reply goes, decided once from the event and the replies."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.conversation.inbound import Address, FormSubmitted, InboundEvent, Surface, person_of
from bot.conversation.replies import Form, Reply


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenForm:
    """Open the reply's form: on top of the form on screen when `stacked` (Slack pushes a
    modal), else on its own. The console asks it question by question, the web shows it."""

    reply: Reply
    stacked: bool = False

    @property
    def form(self) -> Form:
        assert self.reply.form is not None  # plan() makes an OpenForm only for a form
        return self.reply.form


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplaceForm:
    """The reply takes the place of the form on screen: the next form of the same task,
    or the answer (a receipt, a reason), which so never goes into the chat history.
    Its files, if any, go to `files_to` once it is shown (see files_to)."""

    reply: Reply
    files_to: Address | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Refuse:
    """The submitted form stays open as typed, each error beside its field: the reply's
    form is the one handed back with errors."""

    reply: Reply

    @property
    def form(self) -> Form:
        assert self.reply.form is not None  # plan() makes a Refuse only for a refused form
        return self.reply.form


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdatePressed:
    """The reply replaces the message whose button was pressed; its files, if any, go to
    `files_to` once it is shown."""

    reply: Reply
    files_to: Address | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Post:
    """A new message in the conversation, to the asker alone when `only_asker`; its
    files, if any, go to `files_to` once it is shown.

    A post the platform cannot take now may wait in the outbox, addressed to `later`:
    one for the asker alone then goes to their direct messages with peerbot, never into
    the shared conversation. The other steps are views, which cannot be shown later.
    """

    reply: Reply
    later: Address
    only_asker: bool = False
    files_to: Address | None = None


Step = OpenForm | ReplaceForm | Refuse | UpdatePressed | Post


def plan(event: InboundEvent, replies: Sequence[Reply]) -> list[Step]:
    """Where each of `replies` goes, in order.

    A submitted form is answered in its place: refused with its errors (and nothing else),
    or replaced by the first reply; the rest are posted, the form being gone. Otherwise a
    form opens where the platform can open one now, stacked on a form on screen; any other
    answer to something inside a form replaces that form; a reply asking to be `in_place`
    updates the pressed message; everything else is posted, and only to the asker unless
    it was said openly in a private conversation.
    """
    surface = event.surface
    if isinstance(event, FormSubmitted) and surface.in_form:
        refused = next((r for r in replies if r.form is not None and r.form.errors), None)
        if refused is not None:
            return [Refuse(reply=refused)]
        if not replies:
            return []
        first, *rest = replies
        return [
            ReplaceForm(reply=first, files_to=files_to(event, first)),
            *(_step(event, Surface(), r) for r in rest),
        ]
    return [_step(event, surface, reply) for reply in replies]


def _step(event: InboundEvent, surface: Surface, reply: Reply) -> Step:
    if reply.form is not None and surface.can_open_form:
        return OpenForm(reply=reply, stacked=surface.in_form)
    files = files_to(event, reply)
    if surface.in_form:
        return ReplaceForm(reply=reply, files_to=files)
    if reply.in_place and surface.on_message:
        return UpdatePressed(reply=reply, files_to=files)
    # in a shared channel only the asker sees the answer: asking for support or about
    # speaking up is nobody else's business
    only_asker = surface.asker_only or reply.ephemeral or not event.conversation.is_private
    later = person_of(event.actor) if only_asker else event.conversation
    return Post(reply=reply, later=later, only_asker=only_asker, files_to=files)


def shared_to(step: Step) -> Address | None:
    """Where the step's reply's files go once it is shown; None when it has none."""
    match step:
        case ReplaceForm(files_to=to) | UpdatePressed(files_to=to) | Post(files_to=to):
            return to
    return None


def files_to(event: InboundEvent, reply: Reply) -> Address | None:
    """Where a reply's files go once it is shown: into the conversation when it is a
    private one, else to the asker's direct messages with peerbot, since a file cannot be
    shown to one person in a shared channel (an invite there would tell everyone who
    signed up), nor inside a form. None when the reply has no files."""
    if not reply.files:
        return None
    where = event.conversation
    return where if where.is_private else person_of(event.actor)
