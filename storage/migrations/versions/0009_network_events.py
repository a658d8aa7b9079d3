"""network events: series, occurrences, sign-ups, private network membership, the lead audit

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 06:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("network", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("occurrence_id", sa.Integer(), nullable=True),
        sa.Column("refused", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("event_audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_audit_at"), ["at"], unique=False)

    op.create_table(
        "event_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("place", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("online_url", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("accessibility", sa.Text(), nullable=False),
        sa.Column("first_start", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("time_zone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("rule", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("waitlist", sa.Boolean(), nullable=False),
        sa.Column("closes_before", sa.Integer(), nullable=True),
        sa.Column("reminders", sa.JSON(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("cancelled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("event_series", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_series_network"), ["network"], unique=False)

    op.create_table(
        "network_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("tenant", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("muted", sa.Boolean(), nullable=False),
        sa.Column("joined_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("network", "platform", "tenant", "user_id"),
    )
    with op.batch_alter_table("network_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_network_member_network"), ["network"], unique=False)

    op.create_table(
        "event_occurrence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("slot", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("starts_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("ends_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("place", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("online_url", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("taken", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("cancelled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["series_id"], ["event_series.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("series_id", "slot"),
    )
    with op.batch_alter_table("event_occurrence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_event_occurrence_series_id"), ["series_id"], unique=False
        )
        batch_op.create_index("ix_event_occurrence_starts_at", ["starts_at"], unique=False)

    op.create_table(
        "event_signup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurrence_id", sa.Integer(), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("tenant", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("queued_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("changed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("offer_expires", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("offers", sa.Integer(), nullable=False),
        sa.Column("invites", sa.Integer(), server_default="0", nullable=False),
        sa.Column("access_needs", sa.Text(), nullable=True),
        sa.Column("attended", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(["occurrence_id"], ["event_occurrence.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("occurrence_id", "platform", "tenant", "user_id"),
    )
    with op.batch_alter_table("event_signup", schema=None) as batch_op:
        batch_op.create_index("ix_event_signup_offer", ["status", "offer_expires"], unique=False)
        batch_op.create_index(
            "ix_event_signup_person", ["platform", "tenant", "user_id"], unique=False
        )
        batch_op.create_index(
            "ix_event_signup_queue", ["occurrence_id", "status", "queued_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("event_signup", schema=None) as batch_op:
        batch_op.drop_index("ix_event_signup_queue")
        batch_op.drop_index("ix_event_signup_person")
        batch_op.drop_index("ix_event_signup_offer")

    op.drop_table("event_signup")
    with op.batch_alter_table("event_occurrence", schema=None) as batch_op:
        batch_op.drop_index("ix_event_occurrence_starts_at")
        batch_op.drop_index(batch_op.f("ix_event_occurrence_series_id"))

    op.drop_table("event_occurrence")
    with op.batch_alter_table("network_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_member_network"))

    op.drop_table("network_member")
    with op.batch_alter_table("event_series", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_series_network"))

    op.drop_table("event_series")
    with op.batch_alter_table("event_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_audit_at"))

    op.drop_table("event_audit")
