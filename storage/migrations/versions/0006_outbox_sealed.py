"""outbox: sealed speak-up rows, platform retries apart from message faults, in-doubt sends

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 02:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("retries", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("in_doubt", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.alter_column("address", existing_type=sa.JSON(), nullable=True)
        batch_op.alter_column("reply", existing_type=sa.JSON(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM outbox WHERE sealed IS NOT NULL")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("reply", existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column("address", existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column("in_doubt")
        batch_op.drop_column("retries")
        batch_op.drop_column("sealed")
