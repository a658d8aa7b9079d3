"""due windows: what each due source has queued already, so a tick does only new work

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "due_window",
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("done_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("source", "key"),
    )
    with op.batch_alter_table("due_window", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_due_window_done_at"), ["done_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("due_window", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_due_window_done_at"))
    op.drop_table("due_window")
