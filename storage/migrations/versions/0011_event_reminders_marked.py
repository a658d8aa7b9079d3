"""event reminders marked on each date: when the tick next looks at its reminders, so an
idle tick reads no date whose reminders are all sent

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 00:30:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOOK_NOW = datetime(1970, 1, 1, tzinfo=UTC)
"""As storage.events.LOOK_NOW: every date there is now is looked at once more."""


def upgrade() -> None:
    with op.batch_alter_table("event_occurrence", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("next_reminder_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.create_index(
            "ix_event_occurrence_next_reminder_at", ["next_reminder_at"], unique=False
        )
    dates = sa.table(
        "event_occurrence", sa.column("next_reminder_at", sqlmodel.sql.sqltypes.UTCDateTime())
    )
    op.execute(dates.update().values(next_reminder_at=LOOK_NOW))


def downgrade() -> None:
    with op.batch_alter_table("event_occurrence", schema=None) as batch_op:
        batch_op.drop_index("ix_event_occurrence_next_reminder_at")
        batch_op.drop_column("next_reminder_at")
