"""speak-up guards: look-up attempts and sent forms in the database

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 02:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "speakup_attempt",
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("source", "period"),
    )
    with op.batch_alter_table("speakup_attempt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_speakup_attempt_period"), ["period"], unique=False)

    op.create_table(
        "speakup_sent_form",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("speakup_sent_form", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_speakup_sent_form_at"), ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("speakup_sent_form", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_speakup_sent_form_at"))
    op.drop_table("speakup_sent_form")
    with op.batch_alter_table("speakup_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_speakup_attempt_period"))
    op.drop_table("speakup_attempt")
