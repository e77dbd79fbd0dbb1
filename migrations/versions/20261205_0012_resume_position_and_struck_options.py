"""Where a candidate left an attempt, and the options they struck out on each position.

Revision ID: 20261205_sitting
Revises: 20261205_checked
Create Date: 2026-12-05 23:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "20261205_sitting"
down_revision = "20261205_checked"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("attempts") as batch:
        batch.add_column(sa.Column("last_position", sa.Integer(), nullable=True))
    with op.batch_alter_table("attempt_items") as batch:
        batch.add_column(
            sa.Column("struck", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch.create_check_constraint("struck", "struck >= 0 AND struck < 16")


def downgrade() -> None:
    with op.batch_alter_table("attempt_items") as batch:
        batch.drop_constraint("struck", type_="check")
        batch.drop_column("struck")
    with op.batch_alter_table("attempts") as batch:
        batch.drop_column("last_position")
