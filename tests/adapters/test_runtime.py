"""The runtime's wiring: what every replica must share is derived from the settings alone."""

from __future__ import annotations

import pytest

from adapters.runtime import Runtime, warn_if_crowded, wire
from bot.conversation.sealing import generate_key
from bot.organisation.config import load_settings
from bot.speakup.deps import SpeakUp
from storage.engine import Database
from tests.fakes import FakeClock


def replica(keys: str, db: Database) -> Runtime:
    settings = load_settings(database_url="sqlite:///unused.db", PEERBOT_SEALING_KEY=keys)
    return wire(settings, db, FakeClock())


async def test_replicas_with_the_same_sealing_key_share_the_guard_key(sqlite_db: Database) -> None:
    """Look-up counts, form receipts and web form tokens are keyed with it: two replicas
    that disagreed would count a guesser twice as leniently and refuse each other's pages."""
    old, new = generate_key(), generate_key()
    one, two = replica(f"{new},{old}", sqlite_db), replica(f"{new},{old}", sqlite_db)
    assert one.guard_key == two.guard_key
    assert one.sealer is not None and two.sealer is not None
    mine, theirs = SpeakUp.keyed(one.sealer), SpeakUp.keyed(two.sealer)
    assert mine.receipts.key == theirs.receipts.key == one.guard_key
    assert mine.guards.attempts.key == theirs.guards.attempts.key == one.guard_key
    assert replica(old, sqlite_db).guard_key != one.guard_key  # a rotation starts afresh


async def test_a_pool_larger_than_postgresql_has_room_for_is_warned_of(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    db = Database(postgres_url)
    try:
        await warn_if_crowded(db, 1)
        assert "PEERBOT_DB_POOL_SIZE" not in caplog.text
        await warn_if_crowded(db, 100_000)
    finally:
        await db.dispose()
    assert "PEERBOT_DB_POOL_SIZE is 100000, but PostgreSQL allows" in caplog.text


async def test_sqlite_has_no_connection_limit_to_warn_of(
    sqlite_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    await warn_if_crowded(sqlite_db, 100_000)
    assert not caplog.records
