"""conversation references: where each person is reached on each platform

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 04:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "conversation_reference",
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("tenant", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("reference", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("platform", "tenant", "user_id"),
    )


def downgrade() -> None:
    op.drop_table("conversation_reference")
