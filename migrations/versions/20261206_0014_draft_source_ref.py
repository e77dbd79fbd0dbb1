"""Drafts from other tools: source_ref and source_feedback; drafts may lack a sub-domain,
a difficulty, or have other than four options.

Revision ID: 20261206_drafts
Revises: 20261205_prepared
Create Date: 2026-12-06 02:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "20261206_drafts"
down_revision = "20261205_prepared"
branch_labels = None
depends_on = None

DRAFT = "status = 'draft'"
OLD_DIFFICULTY = "difficulty IN ('easy', 'medium', 'hard')"
OLD_ANSWER_INDEX = "answer_index >= 0 AND answer_index < 4"


def upgrade() -> None:
    with op.batch_alter_table("question_versions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source_ref", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("source_feedback", sa.Text(), nullable=False, server_default="")
        )
        batch_op.drop_constraint(batch_op.f("ck_question_versions_difficulty"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_question_versions_answer_index"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_question_versions_difficulty"),
            f"{OLD_DIFFICULTY} OR (difficulty = '' AND {DRAFT})",
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_question_versions_answer_index"),
            f"answer_index >= 0 AND answer_index < 26 AND (answer_index < 4 OR {DRAFT})",
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_question_versions_subdomain_set"), f"subdomain <> '' OR {DRAFT}"
        )


def downgrade() -> None:
    # Drafts that only the new rules allow cannot go back: they are deleted with their
    # questions when nothing else refers to them (drafts have no attempts).
    op.execute(
        "DELETE FROM question_versions WHERE status = 'draft' AND (difficulty = '' OR "
        "subdomain = '' OR answer_index >= 4)"
    )
    op.execute(
        "DELETE FROM questions WHERE NOT EXISTS (SELECT 1 FROM question_versions v "
        "WHERE v.question_id = questions.id)"
    )
    with op.batch_alter_table("question_versions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_question_versions_subdomain_set"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_question_versions_answer_index"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_question_versions_difficulty"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_question_versions_answer_index"), OLD_ANSWER_INDEX
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_question_versions_difficulty"), OLD_DIFFICULTY
        )
        batch_op.drop_column("source_feedback")
        batch_op.drop_column("source_ref")
