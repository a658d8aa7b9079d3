"""Staff using events in the console, through the real router on a real SQLite file: the
waitlist and its offers, cancelling, `events mine`, networks and access needs."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from adapters.runtime import Runtime
from storage.events import Membership
from tests.adapters.console.consoles import at_console
from tests.scenarios.test_speak_up import runtime as runtime  # the fixture


@pytest.fixture
def files(tmp_path: Path) -> Path:
    return tmp_path / "files"


async def memberships(runtime: Runtime) -> list[tuple[str, str, bool]]:
    async with runtime.db.session(write=False) as session:
        found = (await session.exec(select(Membership))).all()
        return [(m.network, m.user_id, m.muted) for m in found]


async def test_networks_join_mute_and_leave_each_keep_their_numbers(
    runtime: Runtime, files: Path
) -> None:
    """The list is shown again after each press: a number typed twice must not do two
    different things because the list under it changed."""
    shown = await at_console(runtime, "nurse", "networks", "1", "1", "6", "7", "quit", files=files)
    steps = shown.split("you> ")
    assert steps[1].index("[1] Join") < steps[1].index("LGBTQ+ Network")  # Disabled Staff
    assert "You'll get a message when the Disabled Staff Network posts a new event." in (
        " ".join(steps[2].split())
    )
    assert "  [6] Mute\n  [7] Leave\n" in steps[2]
    assert "Option 1 isn't there any more: the list has changed." in steps[3]
    assert "  [8] Unmute\n  [7] Leave\n" in steps[4]
    assert "You've left the Disabled Staff Network." in " ".join(steps[5].split())
    assert steps[5].index("[1] Join") < steps[5].index("LGBTQ+ Network")  # 1 is Join again
    assert await memberships(runtime) == []
