"""mentoring check-ins: pairs, members, rounds, answers, actions, feedback, working hours and
the audit; each programme's schedule; the organisation's email domains

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 15:24:10.759951
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mentoring_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("programme", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=True),
        sa.Column("refused", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mentoring_audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mentoring_audit_at"), ["at"], unique=False)

    op.create_table(
        "mentoring_hours",
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("days", sa.JSON(), nullable=False),
        sa.Column("quiet_from", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("quiet_until", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("time_zone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("seen_zone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint("email"),
    )
    op.create_table(
        "mentoring_pair",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("changed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mentoring_pair", schema=None) as batch_op:
        batch_op.create_index("ix_mentoring_pair_programme", ["programme", "status"], unique=False)

    op.create_table(
        "mentoring_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("opens_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("closes_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("programme", "opens_at"),
    )
    op.create_table(
        "mentoring_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("why", sa.Text(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("changed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["pair_id"], ["mentoring_pair.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["round_id"], ["mentoring_round.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mentoring_action", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mentoring_action_pair_id"), ["pair_id"], unique=False)

    op.create_table(
        "mentoring_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("slack", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("teams", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("console", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("active_in", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("asked_round", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("asked_due", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("remind_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("snoozed_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["pair_id"], ["mentoring_pair.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("active_in", "email"),
    )
    with op.batch_alter_table("mentoring_member", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mentoring_member_asked", ["active_in", "asked_round"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_mentoring_member_console"), ["console"], unique=False)
        batch_op.create_index(batch_op.f("ix_mentoring_member_email"), ["email"], unique=False)
        batch_op.create_index(batch_op.f("ix_mentoring_member_pair_id"), ["pair_id"], unique=False)
        batch_op.create_index("ix_mentoring_member_remind_at", ["remind_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_mentoring_member_slack"), ["slack"], unique=False)
        batch_op.create_index(batch_op.f("ix_mentoring_member_teams"), ["teams"], unique=False)

    op.create_table(
        "mentoring_checkin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("answer", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("planned_for", sa.Date(), nullable=True),
        sa.Column("answers", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("answered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("changed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["mentoring_member.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["pair_id"], ["mentoring_pair.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["round_id"], ["mentoring_round.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("member_id", "round_id"),
    )
    with op.batch_alter_table("mentoring_checkin", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mentoring_checkin_pair_id"), ["pair_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_mentoring_checkin_round_id"), ["round_id"], unique=False
        )

    op.create_table(
        "mentoring_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("line", sa.Text(), nullable=True),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["mentoring_member.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["pair_id"], ["mentoring_pair.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("member_id"),
    )
    with op.batch_alter_table("mentoring_feedback", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mentoring_feedback_pair_id"), ["pair_id"], unique=False
        )

    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("email_domains", sa.JSON(), server_default="[]", nullable=False)
        )

    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "cadence", sqlmodel.sql.sqltypes.AutoString(), server_default="", nullable=False
            )
        )
        batch_op.add_column(
            sa.Column(
                "round_time",
                sqlmodel.sql.sqltypes.AutoString(),
                server_default="10:00",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("starts", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("ends", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "time_zone", sqlmodel.sql.sqltypes.AutoString(), server_default="", nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("remind_after_days", sa.Integer(), server_default="3", nullable=False)
        )
        batch_op.add_column(
            sa.Column("records_actions", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("questions", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(
            sa.Column("file_schedule", sa.JSON(), server_default="{}", nullable=False)
        )
        batch_op.add_column(
            sa.Column("rounds_from", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.drop_column("rounds_from")
        batch_op.drop_column("file_schedule")
        batch_op.drop_column("questions")
        batch_op.drop_column("records_actions")
        batch_op.drop_column("remind_after_days")
        batch_op.drop_column("time_zone")
        batch_op.drop_column("ends")
        batch_op.drop_column("starts")
        batch_op.drop_column("round_time")
        batch_op.drop_column("cadence")

    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_column("email_domains")

    with op.batch_alter_table("mentoring_feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mentoring_feedback_pair_id"))

    op.drop_table("mentoring_feedback")
    with op.batch_alter_table("mentoring_checkin", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mentoring_checkin_round_id"))
        batch_op.drop_index(batch_op.f("ix_mentoring_checkin_pair_id"))

    op.drop_table("mentoring_checkin")
    with op.batch_alter_table("mentoring_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mentoring_member_teams"))
        batch_op.drop_index(batch_op.f("ix_mentoring_member_slack"))
        batch_op.drop_index("ix_mentoring_member_remind_at")
        batch_op.drop_index(batch_op.f("ix_mentoring_member_pair_id"))
        batch_op.drop_index(batch_op.f("ix_mentoring_member_email"))
        batch_op.drop_index(batch_op.f("ix_mentoring_member_console"))
        batch_op.drop_index("ix_mentoring_member_asked")

    op.drop_table("mentoring_member")
    with op.batch_alter_table("mentoring_action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mentoring_action_pair_id"))

    op.drop_table("mentoring_action")
    op.drop_table("mentoring_round")
    with op.batch_alter_table("mentoring_pair", schema=None) as batch_op:
        batch_op.drop_index("ix_mentoring_pair_programme")

    op.drop_table("mentoring_pair")
    op.drop_table("mentoring_hours")
    with op.batch_alter_table("mentoring_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mentoring_audit_at"))

    op.drop_table("mentoring_audit")
