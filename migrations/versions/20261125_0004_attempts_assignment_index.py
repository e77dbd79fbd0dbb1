"""Index attempts by assignment and user (cohort scorecards, a student's sitting).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 22:50:00.000000
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_attempts_assignment_user", ["assignment_id", "user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_attempts_assignment_user")
