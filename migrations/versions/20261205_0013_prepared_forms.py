"""Prepared forms: each student's form of an assigned mock, assembled before its window opens.

Revision ID: 20261205_prepared
Revises: 20261205_sitting
Create Date: 2026-12-05 23:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "20261205_prepared"
down_revision = "20261205_sitting"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "prepared_forms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("bank_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("template_digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignments.id"],
            name=op.f("fk_prepared_forms_assignment_id_assignments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_prepared_forms_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prepared_forms")),
        sa.UniqueConstraint(
            "assignment_id", "user_id", name=op.f("uq_prepared_forms_assignment_id_user_id")
        ),
    )
    op.create_index(
        op.f("ix_prepared_forms_user_id"), "prepared_forms", ["user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_prepared_forms_user_id"), table_name="prepared_forms")
    op.drop_table("prepared_forms")
