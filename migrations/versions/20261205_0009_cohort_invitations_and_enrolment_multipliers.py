"""Cohort invitations, and time multipliers that belong to the enrolment.

A roster line no longer enrols anyone: it leaves an invitation the person accepts. The time
multiplier an instructor sets now lives on the membership and stretches that cohort's
assigned mocks only; the account's own multiplier is an admin's to set.

Data: until now the only way to change an account's multiplier in the app was a cohort's
roster page, so every stored value is treated as an instructor's. Each student membership
takes its account's value (assigned mocks keep the time they had), and every account goes
back to 1.0 (an admin sets it again on /admin where the accommodation is for every mock).
The downgrade gives each account the largest multiplier of its memberships.

Revision ID: 20261205_invitations
Revises: 20261205_email_verification
Create Date: 2026-12-05 04:00:00.000000
"""

import sqlalchemy as sa
from alembic import op


revision = "20261205_invitations"
down_revision = "20261205_email_verification"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "time_multiplier", sa.Float(), server_default=sa.text("1.0"), nullable=False
            )
        )
        batch_op.create_check_constraint(
            "multiplier", "time_multiplier >= 1.0 AND time_multiplier <= 4.0"
        )
    op.execute(
        "UPDATE memberships SET time_multiplier = "
        "(SELECT users.time_multiplier FROM users WHERE users.id = memberships.user_id) "
        "WHERE role = 'student'"
    )
    op.execute("UPDATE users SET time_multiplier = 1.0 WHERE time_multiplier <> 1.0")

    op.create_table(
        "cohort_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'declined')",
            name=op.f("ck_cohort_invitations_status"),
        ),
        sa.CheckConstraint(
            "email = lower(email)", name=op.f("ck_cohort_invitations_email_lowercase")
        ),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohorts.id"],
            name=op.f("fk_cohort_invitations_cohort_id_cohorts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"],
            ["users.id"],
            name=op.f("fk_cohort_invitations_invited_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohort_invitations")),
        sa.UniqueConstraint(
            "cohort_id", "email", name=op.f("uq_cohort_invitations_cohort_id_email")
        ),
    )
    with op.batch_alter_table("cohort_invitations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cohort_invitations_email"), ["email"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cohort_invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cohort_invitations_email"))
    op.drop_table("cohort_invitations")
    op.execute(
        "UPDATE users SET time_multiplier = COALESCE("
        "(SELECT MAX(memberships.time_multiplier) FROM memberships "
        "WHERE memberships.user_id = users.id AND memberships.time_multiplier > "
        "users.time_multiplier), users.time_multiplier)"
    )
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_constraint("multiplier", type_="check")
        batch_op.drop_column("time_multiplier")
