"""Calibrated IRT item parameters per question version and model, and each model's last run.

Revision ID: 20261205_irt
Revises: 20261205_invitations
Create Date: 2026-12-05 05:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "20261205_irt"
down_revision = "20261205_invitations"
branch_labels = None
depends_on = None

MODEL_IN = "model IN ('rasch', '2pl')"


def upgrade() -> None:
    op.create_table(
        "item_calibrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_version_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=10), nullable=False),
        sa.Column("difficulty", sa.Float(), nullable=False),
        sa.Column("difficulty_se", sa.Float(), nullable=False),
        sa.Column("discrimination", sa.Float(), nullable=False),
        sa.Column("discrimination_se", sa.Float(), nullable=False),
        sa.Column("responses", sa.Integer(), nullable=False),
        sa.Column("infit", sa.Float(), nullable=True),
        sa.Column("outfit", sa.Float(), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(MODEL_IN, name=op.f("ck_item_calibrations_model")),
        sa.CheckConstraint("responses >= 0", name=op.f("ck_item_calibrations_responses")),
        sa.ForeignKeyConstraint(
            ["question_version_id"],
            ["question_versions.id"],
            name=op.f("fk_item_calibrations_question_version_id_question_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_calibrations")),
        sa.UniqueConstraint(
            "question_version_id", "model", name=op.f("uq_item_calibrations_question_version_id_model")
        ),
    )
    op.create_index(
        op.f("ix_item_calibrations_question_version_id"),
        "item_calibrations",
        ["question_version_id"],
        unique=False,
    )
    op.create_table(
        "calibration_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("responses", sa.Integer(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stale_since", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(MODEL_IN, name=op.f("ck_calibration_runs_model")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calibration_runs")),
        sa.UniqueConstraint("model", name=op.f("uq_calibration_runs_model")),
    )


def downgrade() -> None:
    op.drop_table("calibration_runs")
    op.drop_index(op.f("ix_item_calibrations_question_version_id"), table_name="item_calibrations")
    op.drop_table("item_calibrations")
