"""Who leads which network, and one lead action run under that check: in its own
transaction, audited with it, and refused (and the refusal audited) for anyone else.
Also what every lead tool shares: the event or date a button names, and the replies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.forms import text_of
from bot.conversation.inbound import Actor, FormSubmitted
from bot.conversation.payloads import decode, encode
from bot.conversation.replies import Form, Notice, Reply
from bot.conversation.services import Services
from bot.events import places
from bot.events.payloads import OccurrenceRef, SeriesRef
from bot.organisation.gated import Gate, Gone, Refused, gated
from storage.directory import held_by, organisation
from storage.events import EventAudit, EventSeries, Occurrence
from storage.organisation import Network, RoleName

REFUSAL = "Only the network's leads can do that."
GONE = "That event is no longer there. Type “manage events” to see yours."
DEFAULT_ZONE = "Europe/London"


@dataclass(frozen=True, slots=True, kw_only=True)
class Lead:
    """One lead action under way, in its transaction: who, which of it, when."""

    session: AsyncSession
    actor: Actor
    networks: Mapping[str, str]
    action: str
    now: datetime
    zone: str
    audits: list[EventAudit] = field(default_factory=list)

    def own(self, network: str, occurrence_id: int | None = None) -> None:
        """Refused unless they lead `network`; else the action is audited, in the same
        transaction as what it does (see as_lead)."""
        if network not in self.networks:
            raise Refused
        self.audits.append(
            EventAudit(
                at=self.now,
                platform=self.actor.platform,
                user_id=self.actor.user_id,
                action=self.action,
                network=network,
                occurrence_id=occurrence_id,
            )
        )


async def led_networks(session: AsyncSession, actor: Actor) -> dict[str, str]:
    """The active networks this person leads (key -> name), from the organisation file."""
    led = await held_by(session, actor.platform, actor.user_id, RoleName.NETWORK_LEAD, Network)
    return {n.key: n.name for n in led}


async def as_lead(
    services: Services,
    actor: Actor,
    action: str,
    work: Callable[[Lead], Awaitable[list[Reply]]],
) -> list[Reply]:
    """Run one lead action in a transaction, audited (see bot.organisation.gated)."""

    async def begin(session: AsyncSession, now: datetime) -> Lead:
        networks = await led_networks(session, actor)
        if not networks:
            raise Refused
        org = await organisation(session)
        zone = org.time_zone if org else DEFAULT_ZONE
        return Lead(
            session=session, actor=actor, networks=networks, action=action, now=now, zone=zone
        )

    def refused(now: datetime) -> EventAudit:
        return EventAudit(
            at=now, platform=actor.platform, user_id=actor.user_id, action=action, refused=True
        )

    gate = Gate(refusal=REFUSAL, gone=GONE, refused=refused)
    return await gated(services, gate, begin, work, lambda lead: lead.audits)


async def date_of(lead: Lead, value: str) -> tuple[Occurrence, EventSeries]:
    """The date a button or form names, once it is known to be theirs (audited)."""
    occurrence_id = decode(OccurrenceRef, value).occurrence
    found = await places.event_of(lead.session, occurrence_id)
    if found is None:
        raise Gone
    occurrence, series = found
    lead.own(series.network, occurrence_id)
    return occurrence, series


async def series_of(lead: Lead, value: str) -> EventSeries:
    """The event a button or form names, once it is known to be theirs (audited)."""
    series = await lead.session.get(EventSeries, decode(SeriesRef, value).series)
    if series is None:
        raise Gone
    lead.own(series.network)
    return series


def date_ref(occurrence: Occurrence) -> str:
    assert occurrence.id is not None
    return encode(OccurrenceRef(occurrence=occurrence.id))


def series_ref(series: EventSeries) -> str:
    assert series.id is not None
    return encode(SeriesRef(series=series.id))


def carried_ref(form: FormSubmitted) -> str:
    """The date a lead's form carries, as its button names it (decoded, and so checked,
    by date_of like any button's)."""
    return text_of(form.values.get("occurrence"))


def form_reply(form: Form, summary: str) -> list[Reply]:
    return [Reply(summary=summary, blocks=(form,))]


def done(text: str) -> list[Reply]:
    return [Reply(summary=text, blocks=(Notice(title="Done", text=text),))]
