"""How named people (guardians, leads, coordinators) are shown: name and how to reach them."""

from __future__ import annotations

from collections.abc import Sequence

from bot.conversation.replies import (
    Block,
    FieldItem,
    Fields,
    Link,
    Reply,
    Text,
    email_link,
    phone_link,
)
from storage.organisation import Person


def contact(person: Person, *, label: str) -> FieldItem:
    """Their email and phone as links to write or call, one tap away on a phone; a detail
    that is no address (a phone written as "ext 4021") stays plain text."""
    links: list[Link] = []
    plain: list[str] = []
    for detail, link in ((person.email, email_link), (person.phone, phone_link)):
        if not detail:
            continue
        try:
            links.append(link(detail))
        except ValueError:
            plain.append(detail)
    return FieldItem(label=label, value=" · ".join(plain), links=tuple(links))


def contacts(people: Sequence[Person], *, role: str = "") -> Fields:
    """One field per person; `role` ("Lead") prefixes the name where the list mixes kinds."""
    prefix = f"{role}: " if role else ""
    return Fields(items=tuple(contact(p, label=prefix + p.name) for p in people))


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
