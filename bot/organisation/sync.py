"""Bring the database in line with the organisation file, in one transaction, idempotently."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.organisation.orgfile import OrgFile, load_org_file
from storage.engine import Database
from storage.locks import alone
from storage.organisation import (
    Network,
    Organisation,
    Person,
    PlatformIdentity,
    Programme,
    Role,
    RoleName,
    SupportResource,
)

logger = logging.getLogger(__name__)

Row = TypeVar("Row", bound=SQLModel)
Keyed = TypeVar("Keyed", Network, Programme)


NOUNS = {
    "organisation": "organisations",
    "person": "people",
    "network": "networks",
    "programme": "programmes",
    "role": "roles",
    "platform id": "platform ids",
    "support resource": "support resources",
}
"""Each kind of row, singular -> plural, in the order a summary lists them."""
CHANGES = ("added", "updated", "rescheduled", "reordered", "deactivated", "removed")


@dataclass
class SyncReport:
    """What changed, counted per kind of row (a key of NOUNS) and change (one of CHANGES)."""

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)

    def note(self, kind: str, change: str) -> None:
        self.counts[(kind, change)] += 1

    @property
    def changed(self) -> bool:
        return bool(self.counts)

    def __str__(self) -> str:
        if not self.changed:
            return "No changes."
        parts = [
            f"{n} {kind if n == 1 else NOUNS[kind]} {change}"
            for kind in NOUNS
            for change in CHANGES
            if (n := self.counts[(kind, change)])
        ]
        return ", ".join(parts) + "."


async def apply_org_file(db: Database, path: Path) -> SyncReport:
    """Load first, so a bad file raises OrgFileError before anything is written. Every
    replica applies the file as it starts, often at the same moment: they take turns, and
    each after the first finds the tables already in line."""
    org = load_org_file(path)
    async with db.session() as session:
        await alone(session, "organisation file")
        report = await apply_org(session, org)
    logger.info("organisation file applied: %s", report)
    return report


async def apply_org(session: AsyncSession, org: OrgFile) -> SyncReport:
    report = SyncReport()
    await _organisation(session, org, report)
    people = await _people(session, org, report)
    await _upsert_keyed(
        session,
        Network,
        {
            n.key: {
                "name": n.name,
                "description": n.description,
                "channels": dict(n.channels),
            }
            for n in org.networks
        },
        "network",
        report,
    )
    await _upsert_keyed(
        session,
        Programme,
        {
            p.key: {
                "name": p.name,
                "kind": p.kind,
                "description": p.description,
                "time_zone": p.time_zone or "",
                "remind_after_days": p.remind_after_days,
                "records_actions": p.records_actions,
                "questions": list(p.questions or ()),
            }
            for p in org.programmes
        },
        "programme",
        report,
    )
    await _schedules(session, org, report)
    wanted_roles = {(people[p.email], RoleName.GUARDIAN.value, "") for p in org.guardians}
    for network in org.networks:
        wanted_roles |= {
            (people[p.email], RoleName.NETWORK_LEAD.value, network.key) for p in network.leads
        }
    for programme in org.programmes:
        wanted_roles |= {
            (people[p.email], RoleName.COORDINATOR.value, programme.key)
            for p in programme.coordinators
        }
    await _match_set(
        session,
        Role,
        wanted_roles,
        lambda r: (r.person_id, r.role, r.scope),
        lambda k: Role(person_id=k[0], role=k[1], scope=k[2]),
        "role",
        report,
    )
    wanted_ids = {
        (people[email], platform, user_id)
        for email, person in org.unique_people().items()
        for platform, user_id in person.identities()
    }
    await _match_set(
        session,
        PlatformIdentity,
        wanted_ids,
        lambda i: (i.person_id, i.platform, i.user_id),
        lambda k: PlatformIdentity(person_id=k[0], platform=k[1], user_id=k[2]),
        "platform id",
        report,
    )
    await _resources(session, org, report)
    await session.flush()
    return report


async def _organisation(session: AsyncSession, org: OrgFile, report: SyncReport) -> None:
    wanted: dict[str, Any] = {
        "name": org.organisation.name,
        "time_zone": org.organisation.time_zone,
        "guardian_channels": dict(org.guardian_space),
        "speakup_alerts": org.speak_up_alerts.model_dump(mode="json"),
        "email_domains": list(org.organisation.email_domains)
        or sorted({email.partition("@")[2] for email in org.unique_people()}),
    }
    row = (await session.exec(select(Organisation))).first()
    if row is None:
        session.add(Organisation(**wanted))
        report.note("organisation", "added")
    elif _assign(row, wanted):
        session.add(row)
        report.note("organisation", "updated")


async def _schedules(session: AsyncSession, org: OrgFile, report: SyncReport) -> None:
    """Each programme's schedule, last writer wins: a coordinator may change it in chat, so
    the file's settings are taken only when they differ from what the file said last time
    (the file changed), never merely because they differ from what is in force. A schedule
    that changes counts its rounds afresh from the next tick (see Programme.rounds_from)."""
    await session.flush()
    rows = {r.key: r for r in (await session.exec(select(Programme))).all()}
    for entry in org.programmes:
        row, said = rows[entry.key], entry.schedule()
        if said == row.file_schedule:
            continue
        wanted: dict[str, Any] = {
            "cadence": said["cadence"],
            "round_time": said["round_time"],
            "starts": entry.starts,
            "ends": entry.ends,
        }
        if _assign(row, wanted):
            row.rounds_from = None
            if row.file_schedule:  # not a programme's first schedule
                report.note("programme", "rescheduled")
        row.file_schedule = said
        session.add(row)


async def _people(session: AsyncSession, org: OrgFile, report: SyncReport) -> dict[str, int]:
    """Upsert everyone named; people dropped from the file stay, but lose their roles."""
    existing = {p.email: p for p in (await session.exec(select(Person))).all()}
    ids: dict[str, int] = {}
    for email, entry in org.unique_people().items():
        wanted: dict[str, Any] = {"name": entry.name, "phone": entry.phone}
        row = existing.get(email)
        if row is None:
            row = Person(email=email, **wanted)
            session.add(row)
            await session.flush()
            report.note("person", "added")
        elif _assign(row, wanted):
            session.add(row)
            report.note("person", "updated")
        assert row.id is not None
        ids[email] = row.id
    return ids


async def _upsert_keyed(
    session: AsyncSession,
    table: type[Keyed],
    wanted: dict[str, dict[str, Any]],
    kind: str,
    report: SyncReport,
) -> None:
    """Networks and programmes are never deleted: events and pairs hang off them."""
    rows = {r.key: r for r in (await session.exec(select(table))).all()}
    for key, values in wanted.items():
        row = rows.get(key)
        if row is None:
            session.add(table(key=key, active=True, **values))
            report.note(kind, "added")
        elif _assign(row, {**values, "active": True}):
            session.add(row)
            report.note(kind, "updated")
    for key, row in rows.items():
        if key not in wanted and row.active:
            row.active = False
            session.add(row)
            report.note(kind, "deactivated")


async def _match_set(
    session: AsyncSession,
    table: type[Row],
    wanted: set[tuple[Any, ...]],
    key_of: Callable[[Row], tuple[Any, ...]],
    make: Callable[[tuple[Any, ...]], Row],
    kind: str,
    report: SyncReport,
) -> None:
    """Rows that are pure facts (a role, an identity): delete the extra, add the missing."""
    rows = list((await session.exec(select(table))).all())
    have = {key_of(r): r for r in rows}
    for key, row in have.items():
        if key not in wanted:
            await session.delete(row)
            report.note(kind, "removed")
    await session.flush()
    for key in sorted(wanted - have.keys()):
        session.add(make(key))
        report.note(kind, "added")


async def _resources(session: AsyncSession, org: OrgFile, report: SyncReport) -> None:
    """Support first, then crisis contacts, in file order. Matched by name within each list
    (the loader refuses a name listed twice), so that removing one resource reports one
    removal, not a shift of every position after it."""
    entries = [(e, False) for e in org.support] + [(e, True) for e in org.crisis]
    wanted = {(crisis, entry.name): entry for entry, crisis in entries}
    rows = {
        (r.crisis, r.name): r
        for r in (
            await session.exec(select(SupportResource).order_by(col(SupportResource.position)))
        ).all()
    }
    kept_before = [key for key in rows if key in wanted]
    kept_after = [key for key in wanted if key in rows]
    for key, row in rows.items():
        if key not in wanted:
            await session.delete(row)
            report.note("support resource", "removed")
    for position, ((crisis, name), entry) in enumerate(wanted.items()):
        existing = rows.get((crisis, name))
        if existing is None:
            session.add(
                SupportResource(
                    position=position,
                    name=name,
                    purpose=entry.purpose,
                    contact=entry.contact,
                    crisis=crisis,
                )
            )
            report.note("support resource", "added")
            continue
        if _assign(existing, {"purpose": entry.purpose, "contact": entry.contact}):
            report.note("support resource", "updated")
        elif kept_before.index((crisis, name)) != kept_after.index((crisis, name)):
            report.note("support resource", "reordered")
        existing.position = position
        session.add(existing)


def _assign(row: SQLModel, values: dict[str, Any]) -> bool:
    """Set changed fields only; True when anything differed."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed
