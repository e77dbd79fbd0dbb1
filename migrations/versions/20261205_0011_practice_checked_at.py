"""Practice answers are checked explicitly: when a position was checked (and so locked).

Revision ID: 20261205_checked
Revises: 20261205_irt
Create Date: 2026-12-05 23:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "20261205_checked"
down_revision = "20261205_irt"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("attempt_items") as batch:
        batch.add_column(sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True))
    # Before this revision a practice answer was revealed, and locked, by its first save.
    op.execute(
        "UPDATE attempt_items SET checked_at = saved_at WHERE choice IS NOT NULL AND attempt_id IN"
        " (SELECT id FROM attempts WHERE mode = 'practice')"
    )


def downgrade() -> None:
    with op.batch_alter_table("attempt_items") as batch:
        batch.drop_column("checked_at")
