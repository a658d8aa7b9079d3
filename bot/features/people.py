"""How named people (guardians, leads, coordinators) are shown: name and how to reach them."""

from __future__ import annotations

from collections.abc import Sequence

from bot.replies import Block, FieldItem, Fields, Reply, Text
from storage.organisation import Person


def contact(person: Person) -> str:
    return " · ".join(part for part in (person.email, person.phone) if part)


def contacts(people: Sequence[Person], *, role: str = "") -> Fields:
    """One field per person; `role` ("Lead") prefixes the name where the list mixes kinds."""
    prefix = f"{role}: " if role else ""
    return Fields(items=tuple(FieldItem(label=prefix + p.name, value=contact(p)) for p in people))


def group_directory(
    *,
    title: str,
    groups: Sequence[tuple[str, Sequence[Person]]],
    role: str,
    empty: str,
    next_step: str,
) -> Reply:
    """Groups (networks, programmes) each with who runs them, ending with what to do next."""
    blocks: list[Block] = [Text(text=title, heading=True)]
    if not groups:
        blocks.append(Text(text=empty))
    for line, people in groups:
        blocks.append(Text(text=line))
        if people:
            blocks.append(contacts(people, role=role))
    blocks.append(Text(text=next_step))
    return Reply(summary=title, blocks=tuple(blocks))
