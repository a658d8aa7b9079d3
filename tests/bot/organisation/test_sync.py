"""Applying the organisation file: exact, idempotent, and all-or-nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import SQLModel, col, select

from bot.organisation.orgfile import OrgFileError
from bot.organisation.sync import apply_org_file
from storage.engine import Database
from storage.organisation import (
    Network,
    Organisation,
    Person,
    PlatformIdentity,
    Programme,
    Role,
    SupportResource,
)

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "org.yml"
TABLES: list[type[SQLModel]] = [
    Organisation,
    Person,
    PlatformIdentity,
    Role,
    Network,
    Programme,
    SupportResource,
]


async def dump(db: Database) -> dict[str, list[dict[str, Any]]]:
    """Every row of every organisation table, ids included."""
    async with db.session() as session:
        return {
            table.__name__: [
                r.model_dump()
                for r in (await session.exec(select(table).order_by(col(table.id)))).all()  # type: ignore[attr-defined]
            ]
            for table in TABLES
        }


def edited(tmp_path: Path, *changes: tuple[str, str]) -> Path:
    text = EXAMPLE.read_text()
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "org.yml"
    path.write_text(text)
    return path


async def roles_of(db: Database, email: str) -> set[tuple[str, str]]:
    async with db.session() as session:
        query = select(Role.role, Role.scope).join(Person).where(Person.email == email)
        return set((await session.exec(query)).all())


async def test_the_example_lands_in_the_tables(db: Database) -> None:
    report = await apply_org_file(db, EXAMPLE)
    assert str(report) == (
        "1 organisation added, 10 people added, 5 networks added, 3 programmes added, "
        "11 roles added, 11 platform ids added, 9 support resources added."
    )
    tables = await dump(db)
    assert tables["Organisation"][0]["name"] == "Riverside Teaching Hospitals NHS Foundation Trust"
    assert tables["Organisation"][0]["guardian_channels"] == {"slack": "C07GUARDIANS"}
    assert len(tables["Network"]) == 5 and all(n["active"] for n in tables["Network"])
    assert await roles_of(db, "kwame.mensah@riverside.example.nhs.uk") == {
        ("network_lead", "race-equality"),
        ("coordinator", "reverse-mentoring"),
    }
    resources = tables["SupportResource"]
    assert [r["name"] for r in resources][:2] == [
        "Employee Assistance Programme",
        "Staff Wellbeing Hub",
    ]
    assert [r["name"] for r in resources if r["crisis"]] == [
        "Emergency",
        "NHS 111",
        "Samaritans",
        "Shout",
    ]
    identities = {(i["platform"], i["user_id"]) for i in tables["PlatformIdentity"]}
    assert ("console", "guardian") in identities and ("slack", "U07GUARD01") in identities


async def test_applying_twice_changes_nothing(db: Database) -> None:
    await apply_org_file(db, EXAMPLE)
    before = await dump(db)
    report = await apply_org_file(db, EXAMPLE)
    assert not report.changed
    assert str(report) == "No changes."
    assert await dump(db) == before


async def test_edits_are_reflected_exactly(db: Database, tmp_path: Path) -> None:
    await apply_org_file(db, EXAMPLE)
    race_equality_id = (await dump(db))["Network"][0]["id"]
    drop_faith = EXAMPLE.read_text()
    faith = drop_faith[drop_faith.index("  - key: multi-faith") : drop_faith.index("# Mentoring")]
    wellbeing = "  - name: Staff Wellbeing Hub\n"
    hub_end = drop_faith.index("  - name: Occupational Health")
    changed = edited(
        tmp_path,
        ("name: Race Equality Network", "name: Race and Ethnicity Network"),
        (faith, ""),
        (drop_faith[drop_faith.index(wellbeing) : hub_end], ""),
        (
            "  - name: Priya Raman\n    email: priya.raman@riverside.example.nhs.uk\n"
            "    slack: U07GUARD03\n",
            "",
        ),
        (
            "      - name: Grace Adeyemi\n",
            "      - name: Priya Raman\n        email: priya.raman@riverside.example.nhs.uk\n"
            "      - name: Grace Adeyemi\n",
        ),
    )
    report = await apply_org_file(db, changed)
    assert str(report) == (
        "1 network updated, 1 network deactivated, 1 role added, 2 roles removed, "
        "1 platform id removed, 1 support resource removed."
    )
    tables = await dump(db)
    networks = {n["key"]: n for n in tables["Network"]}
    assert networks["race-equality"]["name"] == "Race and Ethnicity Network"
    assert networks["race-equality"]["id"] == race_equality_id
    assert networks["multi-faith"]["active"] is False
    assert "Staff Wellbeing Hub" not in [r["name"] for r in tables["SupportResource"]]
    assert await roles_of(db, "priya.raman@riverside.example.nhs.uk") == {
        ("network_lead", "womens")
    }
    assert ("slack", "U07GUARD03") not in {
        (i["platform"], i["user_id"]) for i in tables["PlatformIdentity"]
    }

    await apply_org_file(db, EXAMPLE)
    restored = {n["key"]: n for n in (await dump(db))["Network"]}
    assert restored["multi-faith"]["active"] is True
    assert restored["multi-faith"]["id"] == networks["multi-faith"]["id"]


async def test_resources_keep_their_rows_when_edited_or_reordered(
    db: Database, tmp_path: Path
) -> None:
    await apply_org_file(db, EXAMPLE)
    ids = {r["name"]: r["id"] for r in (await dump(db))["SupportResource"]}
    text = EXAMPLE.read_text()
    eap = text[
        text.index("  - name: Employee Assistance") : text.index("  - name: Staff Wellbeing")
    ]
    changed = edited(
        tmp_path,
        (eap, ""),
        ("# Crisis contacts", eap + "# Crisis contacts"),
        ("contact: Ext. 3344, weekdays 8am to 5pm.", "contact: Ext. 3345, weekdays 8am to 6pm."),
    )
    report = await apply_org_file(db, changed)
    assert str(report) == "1 support resource updated, 4 support resources reordered."
    rows = (await dump(db))["SupportResource"]
    by_position = sorted(rows, key=lambda r: r["position"])
    assert [r["name"] for r in by_position][:5] == [
        "Staff Wellbeing Hub",
        "Occupational Health",
        "Chaplaincy and Spiritual Care",
        "Schwartz Rounds and peer support",
        "Employee Assistance Programme",
    ]
    assert {r["name"]: r["id"] for r in rows} == ids
    assert next(r for r in rows if r["name"] == "Occupational Health")["contact"] == (
        "Ext. 3345, weekdays 8am to 6pm."
    )


async def test_a_platform_id_can_move_to_another_person(db: Database, tmp_path: Path) -> None:
    """The old owner's row goes before the new one is written: the unique (platform, user id)
    constraint must not trip over a handover made in one file edit."""
    await apply_org_file(db, EXAMPLE)
    changed = edited(
        tmp_path,
        ("    slack: U07GUARD02\n", ""),
        (
            "        email: grace.adeyemi@riverside.example.nhs.uk\n",
            "        email: grace.adeyemi@riverside.example.nhs.uk\n        slack: U07GUARD02\n",
        ),
    )
    report = await apply_org_file(db, changed)
    assert str(report) == "1 platform id added, 1 platform id removed."
    async with db.session() as session:
        query = (
            select(Person.email)
            .join(PlatformIdentity)
            .where(PlatformIdentity.platform == "slack", PlatformIdentity.user_id == "U07GUARD02")
        )
        assert (await session.exec(query)).all() == ["grace.adeyemi@riverside.example.nhs.uk"]


async def test_a_bad_file_leaves_the_database_as_it_was(db: Database, tmp_path: Path) -> None:
    await apply_org_file(db, EXAMPLE)
    before = await dump(db)
    bad = edited(
        tmp_path,
        ("name: Race Equality Network", "name: Renamed Network"),
        ("time_zone: Europe/London", "time_zone: Europe/Atlantis"),
    )
    with pytest.raises(OrgFileError) as caught:
        await apply_org_file(db, bad)
    assert caught.value.problems[0].line == 10
    assert await dump(db) == before


FAULT = {
    "sqlite": [
        "CREATE TRIGGER fault BEFORE INSERT ON role "
        "BEGIN SELECT RAISE(ABORT, 'simulated fault'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION fault() RETURNS trigger AS "
        "$$ BEGIN RAISE EXCEPTION 'simulated fault'; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER fault BEFORE INSERT ON role FOR EACH ROW EXECUTE FUNCTION fault()",
    ],
}


async def test_a_database_fault_midway_rolls_everything_back(db: Database) -> None:
    """Roles are written after people, networks and programmes: a fault there (a trigger
    standing in for a disk or connection failure) must undo every earlier write."""
    async with db.engine.begin() as connection:
        for statement in FAULT[db.engine.dialect.name]:
            await connection.exec_driver_sql(statement)
    before = await dump(db)
    with pytest.raises(Exception, match="simulated fault"):
        await apply_org_file(db, EXAMPLE)
    assert await dump(db) == before


async def programme(db: Database, key: str) -> Programme:
    async with db.session(write=False) as session:
        return (await session.exec(select(Programme).where(Programme.key == key))).one()


async def test_a_schedule_changed_in_chat_outlives_the_same_file_but_not_a_changed_one(
    db: Database, tmp_path: Path
) -> None:
    """Last writer wins: applying the file again (every start does) keeps the coordinator's
    change; a file whose schedule changed since wins over it."""
    await apply_org_file(db, EXAMPLE)
    applied = await programme(db, "reverse-mentoring")
    assert (applied.cadence, applied.round_time, str(applied.starts), str(applied.ends)) == (
        "FREQ=MONTHLY;BYDAY=+1TU",
        "10:00",
        "2026-09-01",
        "2027-07-31",
    )
    assert applied.records_actions and applied.remind_after_days == 3
    assert applied.questions[0] == "What went well since last time?"
    async with db.session() as session:  # what the coordinator's schedule form stores
        applied.cadence, applied.rounds_from = "FREQ=WEEKLY;INTERVAL=2", datetime.now(UTC)
        session.add(applied)

    assert str(await apply_org_file(db, EXAMPLE)) == "No changes."
    kept = await programme(db, "reverse-mentoring")
    assert kept.cadence == "FREQ=WEEKLY;INTERVAL=2" and kept.rounds_from is not None

    changed = edited(tmp_path, ("monthly on the first Tuesday", "monthly on the last Friday"))
    assert str(await apply_org_file(db, changed)) == "1 programme rescheduled."
    now = await programme(db, "reverse-mentoring")
    assert now.cadence == "FREQ=MONTHLY;BYDAY=-1FR"
    assert now.rounds_from is None  # its rounds are counted afresh from the next tick


async def test_email_domains_come_from_the_file_or_from_everyone_it_names(
    db: Database, tmp_path: Path
) -> None:
    await apply_org_file(db, EXAMPLE)
    assert (await dump(db))["Organisation"][0]["email_domains"] == ["riverside.example.nhs.uk"]
    listed = edited(
        tmp_path,
        (
            "  time_zone: Europe/London\n",
            "  time_zone: Europe/London\n  email_domains: [riverside.example.nhs.uk, nhs.net]\n",
        ),
    )
    assert str(await apply_org_file(db, listed)) == "1 organisation updated."
    assert (await dump(db))["Organisation"][0]["email_domains"] == [
        "riverside.example.nhs.uk",
        "nhs.net",
    ]


async def test_replicas_starting_together_apply_the_file_once(database_url: str) -> None:
    """Every replica applies the organisation file as it starts (`peerbot run`), and a
    deployment starts them together: each must succeed, and the tables be as one apply
    leaves them, with one organisation and each person once."""
    replicas = [Database(database_url) for _ in range(3)]
    try:
        reports = await asyncio.gather(*(apply_org_file(db, EXAMPLE) for db in replicas))
        alone = Database(database_url)
        try:
            assert not (await apply_org_file(alone, EXAMPLE)).changed
            tables = await dump(alone)
        finally:
            await alone.dispose()
    finally:
        for db in replicas:
            await db.dispose()
    assert sum(report.changed for report in reports) == 1  # the others found it done
    assert len(tables["Organisation"]) == 1
    emails = [p["email"] for p in tables["Person"]]
    assert len(emails) == len(set(emails))
